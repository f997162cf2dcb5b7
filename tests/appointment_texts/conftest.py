from tests.messaging.support import events, inbox, simulated, use_sender_for_test

__all__ = ["events", "inbox", "simulated", "use_sender_for_test"]
