"""Opt-outs: the STOP and START keywords, the opt-out records they (and the carrier's
refusals) keep, and the checks that nothing is sent to someone who opted out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.clock import utcnow
from switchboard.kit.errors import OptedOut
from switchboard.messaging.models import Channel, OptOut
from switchboard.messaging.repository import OptOutRepository

# For other domains' queries: they ask messaging, never its repository.
from switchboard.messaging.repository import opted_out_where as opted_out_where
from switchboard.messaging.text import person_number


class Keyword(StrEnum):
    opt_out = "opt_out"
    opt_in = "opt_in"
    help = "help"


KEYWORDS: dict[str, Keyword] = {
    **{
        word: Keyword.opt_out
        for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT")
    },
    **{word: Keyword.opt_in for word in ("START", "YES", "UNSTOP")},
    "HELP": Keyword.help,
}


def keyword_of(body: str) -> tuple[Keyword, str] | None:
    """A message that is only a keyword, in any case, trimmed: `" Stop "` is; `"STOP please"`
    is an ordinary message."""
    word = body.strip().upper()
    kind = KEYWORDS.get(word)
    return (kind, word) if kind else None


def channel_group(channel: Channel | str) -> str:
    """Opt-outs are kept per channel group: WhatsApp, or SMS (which voice numbers share)."""
    return "whatsapp" if channel == Channel.whatsapp else "sms"


async def find_opt_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel | str
) -> OptOut | None:
    """The opt-out of `address` (any form of the number) on `channel`'s group, if any."""
    return await OptOutRepository(session, tenant_id).find_for(
        person_number(address), channel_group(channel)
    )


async def is_opted_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel | str
) -> bool:
    return await find_opt_out(session, tenant_id, address, channel) is not None


async def record_opt_out(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    address: str,
    channel: Channel | str,
    keyword: str,
    *,
    source: str,
) -> OptOut:
    found = await find_opt_out(session, tenant_id, address, channel)
    if found is None:
        found = OptOutRepository(session, tenant_id).add(
            OptOut(address=person_number(address), channel_group=channel_group(channel))
        )
    found.keyword = keyword[:32]
    found.opted_out_at = utcnow()
    found.source = source
    await session.flush()
    return found


async def clear_opt_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel | str
) -> None:
    found = await find_opt_out(session, tenant_id, address, channel)
    if found is not None:
        await session.delete(found)
        await session.flush()


async def refuse_if_opted_out(
    session: AsyncSession, tenant_id: uuid.UUID, address: str, channel: Channel
) -> None:
    """OptedOut (409) when `address` opted out of `channel`'s group: before anything is
    queued for them, whether the send names a conversation or the person's number."""
    found = await find_opt_out(session, tenant_id, address, channel)
    if found is None:
        return
    how = f"replied {found.keyword}" if found.source == "keyword" else "unsubscribed"
    raise OptedOut(
        f"{found.address} {how} on {found.opted_out_at:%Y-%m-%d %H:%M} UTC and has opted out of "
        f"{found.channel_group.upper()} messages; nothing can be sent until they reply START",
        address=found.address,
        channel_group=found.channel_group,
        keyword=found.keyword,
        opted_out_at=found.opted_out_at.isoformat(),
    )


async def opted_out_numbers(
    session: AsyncSession, tenant_id: uuid.UUID, numbers: Iterable[str], channel: Channel | str
) -> dict[str, OptOut]:
    """The opt-outs among `numbers` on `channel`'s group, by number, in one query: which of
    a page's contacts nothing can be sent to."""
    wanted = {person_number(number) for number in numbers}
    if not wanted:
        return {}
    return await OptOutRepository(session, tenant_id).find_many(wanted, channel_group(channel))


def opt_out_reason(found: OptOut) -> str:
    """Why nothing can be sent, in the words the inbox uses."""
    how = f"replied {found.keyword}" if found.source == "keyword" else "unsubscribed"
    return f"{found.address} {how} and has opted out of {found.channel_group.upper()} messages"
