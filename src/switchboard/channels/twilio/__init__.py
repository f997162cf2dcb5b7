"""Twilio: webhooks (SMS, WhatsApp, voice, delivery status), signature checks, TwiML and the
REST sender, which registers itself with messaging.senders on import."""

from switchboard.channels.twilio import sender as _sender  # noqa: F401
