"""The Twilio REST sender: the official `twilio` Client over an httpx transport whose base URL
is configurable (SWITCHBOARD_TWILIO_API_BASE_URL), so tests drive the real client against a
local fake of Twilio's Messages API."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from switchboard.config import Settings
from switchboard.messaging.models import Channel, MessageStatus
from switchboard.messaging.senders import (
    OutboundMessage,
    SendError,
    SendResult,
    register_sender,
)

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"


class HttpxTwilioHttpClient(AsyncHttpClient):
    """twilio-python's async HTTP client interface on httpx, pointed at `base_url`."""

    def __init__(self, base_url: str | None = None, timeout: float = 10.0) -> None:
        super().__init__(logger=log, is_async=True, timeout=timeout)
        self.base_url = base_url.rstrip("/") if base_url else None
        self._client = httpx.AsyncClient(timeout=timeout)

    def _url(self, url: str) -> str:
        if self.base_url and url.startswith(TWILIO_API):
            return self.base_url + url[len(TWILIO_API) :]
        return url

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  (twilio's interface)
        allow_redirects: bool = False,
    ) -> Response:
        response = await self._client.request(
            method.upper(),
            self._url(url),
            params=params,  # type: ignore[arg-type]
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            follow_redirects=allow_redirects,
        )
        return Response(response.status_code, response.text, response.headers)

    async def aclose(self) -> None:
        await self._client.aclose()


# Twilio's words for an outbound message's state; ours move forward only (models.py).
OUTBOUND_STATUS: dict[str, MessageStatus] = {
    "accepted": MessageStatus.sending,
    "scheduled": MessageStatus.sending,
    "queued": MessageStatus.sending,
    "sending": MessageStatus.sending,
    "sent": MessageStatus.sent,
    "delivered": MessageStatus.delivered,
    "read": MessageStatus.read,
    "undelivered": MessageStatus.undelivered,
    "failed": MessageStatus.failed,
    "canceled": MessageStatus.failed,
}


class TwilioSender:
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        public_url: str,
        api_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.http = HttpxTwilioHttpClient(api_base_url, timeout)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        self.status_callback = public_url.rstrip("/") + STATUS_CALLBACK_PATH

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioSender:
        if not settings.twilio_account_sid:
            raise RuntimeError("the Twilio sender needs SWITCHBOARD_TWILIO_ACCOUNT_SID")
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            public_url=settings.public_url,
            api_base_url=settings.twilio_api_base_url,
            timeout=settings.twilio_timeout_seconds,
        )

    async def send(self, message: OutboundMessage) -> SendResult:
        params: dict[str, Any] = {
            "to": message.to_address,
            "body": message.body,
            # Our id rides on the callback URL (inside the signed URL) so a callback can link
            # a message whose create call timed out after Twilio took it.
            "status_callback": f"{self.status_callback}?message_id={message.message_id}",
        }
        if message.messaging_service_sid and message.channel != Channel.whatsapp:
            params["messaging_service_sid"] = message.messaging_service_sid
        elif message.from_address:
            params["from_"] = message.from_address
        else:
            raise SendError("no number or messaging service to send from", code="no_sender")
        if message.media_urls:
            params["media_url"] = message.media_urls
        try:
            created = await self.client.messages.create_async(**params)
        except TwilioRestException as exc:
            raise _refusal(exc.status, exc.code, exc.msg) from exc
        except TwilioServiceException as exc:
            raise _refusal(exc.status, exc.code, exc.detail or exc.title) from exc
        except httpx.TimeoutException as exc:
            # Connecting timed out: Twilio never saw it. Reading timed out: it may have.
            maybe = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            raise SendError(
                f"Twilio did not answer in time ({type(exc).__name__})",
                transient=True,
                maybe_sent=maybe,
            ) from exc
        except httpx.TransportError as exc:
            maybe = not isinstance(exc, httpx.ConnectError)
            raise SendError(
                f"could not reach Twilio: {exc}", transient=True, maybe_sent=maybe
            ) from exc
        status = OUTBOUND_STATUS.get(created.status or "", MessageStatus.sending)
        if status.is_final:
            raise SendError(
                created.error_message or f"Twilio reported {created.status}",
                code=str(created.error_code) if created.error_code else None,
            )
        return SendResult(provider_message_id=str(created.sid), status=status)

    async def aclose(self) -> None:
        await self.http.aclose()


def _refusal(status: int, code: object, text: str) -> SendError:
    """5xx and 429 are Twilio's to retry; any other 4xx is a refusal (21610: opted out)."""
    transient = status >= 500 or status == 429
    return SendError(text, code=str(code) if code else str(status), transient=transient)


register_sender("twilio", TwilioSender.from_settings)
