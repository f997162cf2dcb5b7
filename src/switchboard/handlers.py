"""Every background job handler. A handler registers when its module is imported, so the
API process and `switchboard worker` both load them from this one list."""

from __future__ import annotations


def register_job_handlers() -> None:
    from switchboard.ai import autoresponder  # noqa: F401  (ai.auto_reply)
    from switchboard.ai.analysis import jobs  # noqa: F401  (callintel.analyze, .transcribe)
    from switchboard.appointment_texts import jobs as appointment_texts  # noqa: F401
    from switchboard.channels.twilio import sender  # noqa: F401  (the "twilio" sender)
    from switchboard.messaging import jobs as messaging_jobs  # noqa: F401  (messaging.send, .status)
