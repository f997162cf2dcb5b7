"""The inbox in the browser's terms: the list and its filters, a conversation, replying,
taking over, opted-out customers, and who may open what."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.config import Settings
from switchboard.messaging.models import Message, MessageStatus, MessagingSession
from switchboard.tenancy.models import Role
from tests.factories import Factory
from tests.messaging.support import CUSTOMER, Inbox, make_inbox, post_webhook, sms_params
from tests.web.conftest import Browser


async def _text_in(
    client: httpx.AsyncClient, settings: Settings, body: str, sender: str = CUSTOMER
) -> MessagingSession:
    response = await post_webhook(
        client, settings, "/webhooks/twilio/sms", sms_params(body, sender=sender)
    )
    assert response.status_code == 200, response.text
    return None  # type: ignore[return-value]


async def _session_of(session: AsyncSession, number: str) -> MessagingSession:
    found = await session.execute(
        select(MessagingSession).where(MessagingSession.counterpart_address == number)
    )
    return found.scalars().one()


def _rows(html: str) -> list[str]:
    """The text of each conversation row, tags stripped."""
    rows = re.findall(r'<li class="conversation[^"]*".*?</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


async def test_a_text_shows_in_the_list_and_its_conversation_escaped(
    client: httpx.AsyncClient,
    settings: Settings,
    factory: Factory,
    session: AsyncSession,
    sign_in: object,
) -> None:
    inbox = await make_inbox(factory)
    await _text_in(client, settings, "<script>alert('hi')</script> is my roof ok?")
    browser: Browser = await sign_in(inbox.csr)  # type: ignore[operator]

    page = await browser.get("/inbox")
    assert page.status_code == 200
    assert 'aria-label="Conversations"' in page.text
    [row] = _rows(page.text)
    assert CUSTOMER in row and "is my roof ok?" in row and "Waiting on a reply" in row
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt;" in page.text
    assert "(1) Inbox · Switchboard" in page.text  # the waiting count in the tab title

    conversation = await _session_of(session, CUSTOMER)
    thread = await browser.get(f"/inbox/{conversation.id}")
    assert thread.status_code == 200
    assert 'aria-label="Messages" aria-live="polite"' in thread.text
    assert "&lt;script&gt;alert(&#39;hi&#39;)&lt;/script&gt; is my roof ok?" in thread.text
    assert "<script>alert" not in thread.text
    assert ">Take over</button>" in thread.text
    assert 'id="composer-body"' in thread.text and "disabled" not in re.search(
        r"<textarea[^>]*>", thread.text
    ).group(0)  # type: ignore[union-attr]


async def test_reply_goes_into_the_conversation_and_shows_its_status(
    client: httpx.AsyncClient,
    settings: Settings,
    factory: Factory,
    session: AsyncSession,
    sign_in: object,
) -> None:
    inbox = await make_inbox(factory)
    await _text_in(client, settings, "Can you come Friday?")
    conversation = await _session_of(session, CUSTOMER)
    browser: Browser = await sign_in(inbox.csr)  # type: ignore[operator]
    await browser.get(f"/inbox/{conversation.id}")
    [first] = (
        await session.execute(select(Message.id).where(Message.session_id == conversation.id))
    ).scalars()

    sent = await browser.post(
        f"/inbox/{conversation.id}/send", {"body": "Friday at 9 works"}, htmx=True
    )
    assert sent.status_code == 204
    assert sent.headers["HX-Trigger"] == "sb:sent"
    reply = (
        await session.execute(select(Message).where(Message.body == "Friday at 9 works"))
    ).scalar_one()
    assert reply.session_id == conversation.id and reply.status == MessageStatus.queued

    newer = await browser.get(
        f"/inbox/{conversation.id}/messages?after={first}", headers={"HX-Request": "true"}
    )
    assert newer.status_code == 200
    assert newer.text.count('class="msg ') == 1
    assert f'id="msg-{reply.id}"' in newer.text and "queued" in newer.text
    assert f"{inbox.csr.name} (CSR)" in newer.text

    reply.status, reply.error_code = MessageStatus.failed, "30007"
    await session.flush()
    one = await browser.get(
        f"/inbox/{conversation.id}/messages/{reply.id}", headers={"HX-Request": "true"}
    )
    assert "failed · error 30007: filtered by the carrier as spam" in one.text

    await session.refresh(conversation)
    assert conversation.ai_paused and conversation.taken_over_by_id == inbox.csr.id


async def test_take_over_and_hand_back(
    client: httpx.AsyncClient,
    settings: Settings,
    factory: Factory,
    session: AsyncSession,
    sign_in: object,
) -> None:
    inbox = await make_inbox(factory)
    await _text_in(client, settings, "Hello?")
    conversation = await _session_of(session, CUSTOMER)
    browser: Browser = await sign_in(inbox.csr)  # type: ignore[operator]
    await browser.get(f"/inbox/{conversation.id}")

    taken = await browser.post(f"/inbox/{conversation.id}/takeover", htmx=True)
    assert taken.status_code == 200
    assert f"Taken over by {inbox.csr.name}" in taken.text and "Hand back to AI" in taken.text
    await session.refresh(conversation)
    assert conversation.ai_paused

    released = await browser.post(f"/inbox/{conversation.id}/release")  # a plain form post
    assert (released.status_code, released.headers["location"]) == (
        303,
        f"/inbox/{conversation.id}",
    )
    await session.refresh(conversation)
    assert not conversation.ai_paused
    assert ">Take over</button>" in (await browser.get(f"/inbox/{conversation.id}")).text


async def test_an_opted_out_customer_cannot_be_texted(
    client: httpx.AsyncClient,
    settings: Settings,
    factory: Factory,
    session: AsyncSession,
    sign_in: object,
) -> None:
    inbox = await make_inbox(factory)
    await _text_in(client, settings, "How much for gutters?")
    await _text_in(client, settings, "STOP")
    conversation = await _session_of(session, CUSTOMER)
    browser: Browser = await sign_in(inbox.csr)  # type: ignore[operator]

    page = await browser.get(f"/inbox/{conversation.id}")
    assert "This customer opted out: they replied STOP" in page.text
    textarea = re.search(r"<textarea[^>]*>", page.text).group(0)  # type: ignore[union-attr]
    assert "disabled" in textarea
    assert re.search(r"<button type=\"submit\" class=\"primary\" disabled>Send</button>", page.text)

    refused = await browser.post(
        f"/inbox/{conversation.id}/send", {"body": "Please reconsider"}, htmx=True
    )
    assert refused.status_code == 409
    assert refused.headers["HX-Retarget"] == "#flash"
    assert "opted out" in refused.text
    assert (
        await session.execute(select(Message).where(Message.body == "Please reconsider"))
    ).first() is None
    # Nobody is told to answer them: not waiting, not counted.
    listing = await browser.get("/inbox?view=waiting")
    assert _rows(listing.text) == []
    assert "(1) Inbox" not in listing.text


async def test_views_search_and_channel_filter(
    client: httpx.AsyncClient,
    settings: Settings,
    factory: Factory,
    session: AsyncSession,
    sign_in: object,
) -> None:
    inbox = await make_inbox(factory)
    await factory.contact(inbox.tenant, phone="+13125550177", first_name="Rosa", last_name="Diaz")
    await _text_in(client, settings, "Is Thursday open?", sender="+13125550177")
    await _text_in(client, settings, "Thanks!", sender=CUSTOMER)
    browser: Browser = await sign_in(inbox.csr)  # type: ignore[operator]
    answered = await _session_of(session, CUSTOMER)
    await browser.post(f"/inbox/{answered.id}/send", {"body": "You're welcome"}, htmx=True)

    waiting = _rows((await browser.get("/inbox?view=waiting")).text)
    assert len(waiting) == 1 and "Rosa Diaz" in waiting[0]
    assert len(_rows((await browser.get("/inbox?view=taken_over")).text)) == 1
    assert "Rosa Diaz" in _rows((await browser.get("/inbox?view=ai")).text)[0]
    assert len(_rows((await browser.get("/inbox?view=all")).text)) == 2
    assert len(_rows((await browser.get("/inbox?mine=1")).text)) == 1
    by_name = _rows((await browser.get("/inbox?q=rosa")).text)
    assert len(by_name) == 1 and "Rosa Diaz" in by_name[0]
    by_number = _rows((await browser.get("/inbox?q=555-0123")).text)
    assert len(by_number) == 1 and CUSTOMER in by_number[0]
    assert _rows((await browser.get("/inbox?channel=whatsapp")).text) == []
    # A live refresh asks for the rows only.
    rows = await browser.get(
        "/inbox?view=all", headers={"HX-Request": "true", "HX-Target": "conversation-items"}
    )
    assert rows.text.lstrip().startswith('<li class="conversation')
    assert "<html" not in rows.text


async def test_a_rep_opens_only_their_own_conversations(
    client: httpx.AsyncClient,
    settings: Settings,
    factory: Factory,
    session: AsyncSession,
    sign_in: object,
) -> None:
    inbox: Inbox = await make_inbox(factory)
    other_rep = await factory.user(inbox.tenant, Role.rep)
    theirs = await factory.contact(inbox.tenant, phone="+13125550188")
    await factory.lead(inbox.tenant, theirs, assigned_rep_id=other_rep.id)
    await _text_in(client, settings, "For the other rep", sender="+13125550188")
    conversation = await _session_of(session, "+13125550188")

    browser: Browser = await sign_in(inbox.rep)  # type: ignore[operator]
    assert _rows((await browser.get("/inbox")).text) == []
    page = await browser.get(f"/inbox/{conversation.id}")
    assert page.status_code == 404
    assert "For the other rep" not in page.text
    assert (await browser.get(f"/inbox/{conversation.id}/panel")).status_code == 404
    refused = await browser.post(f"/inbox/{conversation.id}/send", {"body": "hi"})
    assert refused.status_code == 404

    owner: Browser = await sign_in(other_rep)  # type: ignore[operator]
    assert (await owner.get(f"/inbox/{conversation.id}")).status_code == 200
