"""Outbound job handlers: send a queued message, apply a scripted (simulated) status step."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.jobs import Job, job_handler
from switchboard.kit.resources import Resources
from switchboard.messaging import service
from switchboard.messaging.models import MessageStatus
from switchboard.messaging.schemas import DeliveryReport
from switchboard.messaging.senders import SendError, build_sender


@job_handler(service.SEND_JOB)
async def send_message(session: AsyncSession, job: Job, resources: Resources) -> None:
    """Send one queued message, never twice.

    `sending` is committed before the provider is called and the provider's id is recorded
    as soon as it answers; a message that already has a provider id is never sent again (a
    re-run job, or a retry after the status callback linked it). Transient failures raise so
    the worker retries with backoff; refusals and the last attempt end the message `failed`.
    The commits below are this job's own unit of work, not a service's."""
    tenant_id = uuid.UUID(job.payload["tenant_id"])
    message_id = uuid.UUID(job.payload["message_id"])
    outbound = await service.begin_send(session, tenant_id, message_id)
    if outbound is None:
        return
    await session.commit()  # no transaction (or SQLite write lock) held while the provider works
    try:
        result = await resources.get(build_sender).send(outbound)
    except Exception as exc:
        error = exc if isinstance(exc, SendError) else _unexpected(exc)
        final = not error.transient or job.attempts >= job.max_attempts
        await service.record_send_failure(session, tenant_id, message_id, error, final=final)
        if final:
            return
        await session.commit()
        raise
    await service.record_sent(session, tenant_id, message_id, result)
    # Kept even if this run lost its lease meanwhile (the worker then rolls back its last
    # transaction): the run that took over finds the provider's id and does not send again.
    await session.commit()


def _unexpected(exc: Exception) -> SendError:
    # A sender bug or an error we do not know: retry, but it may have gone out.
    return SendError(f"{type(exc).__name__}: {exc}", transient=True, maybe_sent=True)


@job_handler(service.STATUS_JOB)
async def apply_scripted_status(session: AsyncSession, job: Job, resources: Resources) -> None:
    """A status step the simulated sender scripted, through the callbacks' own code path."""
    status = MessageStatus(job.payload["status"])
    await service.record_delivery(
        session,
        DeliveryReport(
            provider_message_id=job.payload["provider_message_id"],
            status=status,
            raw_status=status.value,
            payload={"source": "simulated"},
        ),
    )
