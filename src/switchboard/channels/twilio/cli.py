"""`switchboard sms simulate`: post a correctly signed Twilio webhook to a running server, as
Twilio would, so a demo can receive texts without a phone."""

from __future__ import annotations

import mimetypes
import os
import uuid
from typing import Annotated

import httpx
import typer
from twilio.request_validator import RequestValidator

from switchboard.config import get_settings
from switchboard.kit.phone import normalize_phone

sms_app = typer.Typer(help="SMS tools for demos.", no_args_is_help=True)

DEMO_NUMBER = "+15555550100"
WEBHOOK_PATH = "/webhooks/twilio/sms"


def inbound_params(
    *,
    sender: str,
    to: str,
    body: str,
    whatsapp: bool = False,
    profile_name: str | None = None,
    media: list[str] | None = None,
    account_sid: str | None = None,
    message_sid: str | None = None,
) -> dict[str, str]:
    """The form Twilio posts for an inbound message (the fields we read, and the usual rest)."""
    sid = message_sid or f"SM{uuid.uuid4().hex}"
    prefix = "whatsapp:" if whatsapp else ""
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account_sid or f"AC{'0' * 32}",
        "From": f"{prefix}{sender}",
        "To": f"{prefix}{to}",
        "Body": body,
        "NumMedia": str(len(media or [])),
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    if whatsapp:
        params["WaId"] = sender.lstrip("+")
        if profile_name:
            params["ProfileName"] = profile_name
    for index, url in enumerate(media or []):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = mimetypes.guess_type(url)[0] or "image/jpeg"
    return params


def signature_for(auth_token: str, url: str, params: dict[str, str]) -> str:
    return str(RequestValidator(auth_token).compute_signature(url, params))


@sms_app.command("simulate")
def simulate(
    body: Annotated[str, typer.Argument(help="The text the customer sends.")],
    sender: Annotated[
        str, typer.Option("--from", help="The customer's number, e.g. +13125550123.")
    ],
    to: Annotated[str, typer.Option("--to", help="Our number the text goes to.")] = DEMO_NUMBER,
    url: Annotated[
        str | None,
        typer.Option(help="Server base URL, as Twilio sees it (default: SWITCHBOARD_PUBLIC_URL)."),
    ] = None,
    whatsapp: Annotated[bool, typer.Option(help="Send it as a WhatsApp message.")] = False,
    name: Annotated[str | None, typer.Option(help="WhatsApp profile name.")] = None,
    media: Annotated[list[str] | None, typer.Option(help="A media URL (repeatable).")] = None,
) -> None:
    """Post a signed inbound-message webhook to a running Switchboard and print its answer."""
    # A client only: it signs with the Twilio token and never uses the service's secret key,
    # so it runs beside `make demo` without the demo environment.
    os.environ.setdefault("SWITCHBOARD_DEMO", "true")
    get_settings.cache_clear()
    settings = get_settings()
    try:
        sender, to = normalize_phone(sender), normalize_phone(to)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    base = (url or settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    target = base + WEBHOOK_PATH
    params = inbound_params(
        sender=sender,
        to=to,
        body=body,
        whatsapp=whatsapp,
        profile_name=name,
        media=media,
        account_sid=settings.twilio_account_sid,
    )
    headers = {"X-Twilio-Signature": signature_for(settings.twilio_auth_token, target, params)}
    try:
        response = httpx.post(target, data=params, headers=headers, timeout=15)
    except httpx.HTTPError as exc:
        typer.echo(f"error: could not reach {target}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{response.status_code} {params['MessageSid']}")
    if response.text:
        typer.echo(response.text)
    if response.status_code >= 400:
        raise typer.Exit(1)
