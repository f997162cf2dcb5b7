"""/settings: a manager or admin sets up the company (name, time zone, business hours, how
the inbox answers), its team and the Twilio numbers routed to it, through CompanyService:
the same rules as the JSON API. Each section is a block of one template, swapped alone."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from pydantic import ValidationError

from switchboard.kit.deps import AppSettings, Session
from switchboard.kit.errors import SwitchboardError
from switchboard.tenancy.models import WEEKDAYS, ChannelKind, Role, Tenant, User
from switchboard.tenancy.schemas import (
    ChannelCreate,
    ChannelUpdate,
    TenantUpdate,
    UserCreate,
    UserUpdate,
    time_zone_names,
)
from switchboard.tenancy.service import KIND_NAMES, CompanyService
from switchboard.web.auth import ManagerUser
from switchboard.web.pages.common import back_to, page_router
from switchboard.web.shell import is_htmx, render, shell_of

router = page_router()
DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                "Saturday", "Sunday"), strict=True))  # fmt: skip
ROLE_NAMES = {Role.csr: "CSR", Role.rep: "Sales rep", Role.manager: "Manager", Role.admin: "Admin"}


@dataclass
class Form:
    """A form as typed, and what was wrong with it, field by field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def add_errors(self, exc: ValidationError, fields: Mapping[str, str] | None = None) -> None:
        """Pydantic's errors on the form's own fields: `fields` renames a schema's field (or
        `field.key`, for a key inside one) to the form's."""
        renames = fields or {}
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]] or ["form"]
            whole, top = ".".join(loc), loc[0]
            name = renames.get(whole) or renames.get(top) or top
            self.errors.setdefault(name, error["msg"].removeprefix("Value error, "))


async def _posted(request: Request, *names: str) -> Form:
    form = await request.form()
    return Form({name: str(form.get(name) or "").strip()[:2000] for name in names})


# --- the company form -------------------------------------------------------------------------

COMPANY_TEXT = ("name", "timezone", "office_phone", "session_gap", "help_text", "missed_call_text")
COMPANY_CHECKS = ("auto_reply", "missed_call_text_enabled")
HOURS = tuple(f"{part}_{day}" for day in WEEKDAYS for part in ("open", "opens", "closes"))
COMPANY_FIELDS = {
    "session_gap_seconds": "session_gap",
    "auto_reply_enabled": "auto_reply",
    **{f"business_hours.{day}": f"hours_{day}" for day in WEEKDAYS},
}


def company_form(tenant: Tenant) -> Form:
    gap = tenant.session_gap_seconds
    values = {
        "name": tenant.name,
        "timezone": tenant.timezone,
        "office_phone": tenant.office_phone or "",
        "session_gap": str(gap // 60) if gap else "",
        "help_text": tenant.help_text or "",
        "missed_call_text": tenant.missed_call_text or "",
        "auto_reply": "on" if tenant.auto_reply_enabled else "",
        "missed_call_text_enabled": "on" if tenant.missed_call_text_enabled else "",
    }
    for day in WEEKDAYS:
        hours = (tenant.business_hours or {}).get(day)
        values[f"open_{day}"] = "on" if hours else ""
        values[f"opens_{day}"], values[f"closes_{day}"] = hours or ("", "")
    return Form(values)


def company_payload(form: Form) -> dict[str, Any]:
    """The form as TenantUpdate takes it: minutes of silence in seconds, a day's hours only
    when it is open."""
    values = form.values
    data: dict[str, Any] = {
        "name": values["name"],
        "timezone": values["timezone"],
        "office_phone": values["office_phone"] or None,
        "help_text": values["help_text"],
        "missed_call_text": values["missed_call_text"],
        "auto_reply_enabled": bool(values["auto_reply"]),
        "missed_call_text_enabled": bool(values["missed_call_text_enabled"]),
        "business_hours": {
            day: [values[f"opens_{day}"], values[f"closes_{day}"]]
            if values[f"open_{day}"]
            else None
            for day in WEEKDAYS
        },
        "session_gap_seconds": None,
    }
    for day, name in DAY_NAMES.items():
        if values[f"open_{day}"] and not (values[f"opens_{day}"] and values[f"closes_{day}"]):
            form.errors[f"hours_{day}"] = f"Enter when you open and close, or untick {name}"
    if values["session_gap"]:
        try:
            data["session_gap_seconds"] = round(float(values["session_gap"]) * 60)
        except ValueError:
            form.errors["session_gap"] = GAP_ERROR
    return data


GAP_ERROR = "Enter the minutes as a number from 1 to 1440"


def word_company_errors(form: Form) -> None:
    """The schema's errors as this form asks: in minutes, and naming the day."""
    if "session_gap" in form.errors:
        form.errors["session_gap"] = GAP_ERROR
    for day, name in DAY_NAMES.items():
        message = form.errors.get(f"hours_{day}")
        if message and name not in message:
            form.errors[f"hours_{day}"] = f"{name}: {message}"


# --- the page ---------------------------------------------------------------------------------


async def _context(
    service: CompanyService, settings: AppSettings, **forms: Form | str | None
) -> dict[str, Any]:
    tenant = await service.company()
    grantable = [role for role in Role if role != Role.admin or service.user.role == Role.admin]
    return {
        "tenant": tenant,
        "team": await service.team(),
        "numbers": await service.numbers(),
        "company_form": forms.get("company_form") or company_form(tenant),
        "person_form": forms.get("person_form") or Form({"role": Role.csr.value}),
        "number_form": forms.get("number_form") or Form({"kind": ChannelKind.sms.value}),
        "team_error": forms.get("team_error"),
        "numbers_error": forms.get("numbers_error"),
        "notice": forms.get("notice"),
        "zones": sorted(time_zone_names()),
        "days": DAY_NAMES,
        "roles": ROLE_NAMES,
        "grantable": grantable,
        "kinds": KIND_NAMES,
        "default_gap_minutes": settings.session_gap_seconds // 60,
        "public_url": settings.public_url.rstrip("/"),
    }


async def _section(
    request: Request,
    session: Session,
    user: User,
    settings: AppSettings,
    section: str,
    *,
    status_code: int = 200,
    **forms: Form | str | None,
) -> Response:
    """The section again (htmx), or the whole page when the browser posted a plain form."""
    context = await _context(CompanyService(session, user), settings, **forms)
    block = f"{section}_section" if is_htmx(request) else None
    shell = await shell_of(session, user)
    return render(
        request, "settings.html", context, shell=shell, block=block, status_code=status_code
    )


async def _done(
    request: Request, session: Session, user: User, settings: AppSettings, section: str, notice: str
) -> Response:
    if not is_htmx(request):
        return back_to(request, f"/settings#{section}")
    return await _section(request, session, user, settings, section, notice=notice)


@router.get("/settings")
async def settings_page(
    request: Request, user: ManagerUser, session: Session, settings: AppSettings
) -> Response:
    context = await _context(CompanyService(session, user), settings)
    return render(request, "settings.html", context, shell=await shell_of(session, user))


@router.post("/settings/company")
async def save_company(
    request: Request, user: ManagerUser, session: Session, settings: AppSettings
) -> Response:
    form = await _posted(request, *COMPANY_TEXT, *COMPANY_CHECKS, *HOURS)
    try:
        data = TenantUpdate.model_validate(company_payload(form))
    except ValidationError as exc:
        form.add_errors(exc, COMPANY_FIELDS)
    if form.errors:
        word_company_errors(form)
        return await _section(
            request, session, user, settings, "company", status_code=422, company_form=form
        )
    await CompanyService(session, user).update_company(data)
    return await _done(request, session, user, settings, "company", "Company saved")


@router.post("/settings/team")
async def add_person(
    request: Request, user: ManagerUser, session: Session, settings: AppSettings
) -> Response:
    form = await _posted(request, "name", "email", "role", "password", "phone")
    payload = {**form.values, "phone": form.values["phone"] or None}
    try:
        person = await CompanyService(session, user).add_member(UserCreate.model_validate(payload))
    except ValidationError as exc:
        form.add_errors(exc)
    except SwitchboardError as exc:  # the email is taken; only an admin makes admins
        form.errors["role" if exc.status_code == 403 else "email"] = exc.message
    if form.errors:
        form.values["password"] = ""  # never sent back into the page
        return await _section(
            request, session, user, settings, "team", status_code=422, person_form=form
        )
    notice = f"{person.name} can sign in now as {person.email}"
    return await _done(request, session, user, settings, "team", notice)


async def _change_member(
    request: Request,
    session: Session,
    user: User,
    settings: AppSettings,
    member_id: uuid.UUID,
    changes: dict[str, Any],
) -> Response:
    try:
        member = await CompanyService(session, user).update_member(
            member_id, UserUpdate.model_validate(changes)
        )
    except ValidationError as exc:
        message = exc.errors()[0]["msg"]
        return await _section(
            request, session, user, settings, "team", status_code=422, team_error=message
        )
    except SwitchboardError as exc:  # the last manager, yourself, an admin
        if exc.status_code == 404:
            raise
        return await _section(
            request, session, user, settings, "team", status_code=exc.status_code,
            team_error=exc.message,
        )  # fmt: skip
    if "active" in changes:
        notice = (
            f"{member.name} is {'active again' if member.active else 'deactivated and signed out'}"
        )
    else:
        notice = f"{member.name} is now a {ROLE_NAMES[member.role].lower()}"
    return await _done(request, session, user, settings, "team", notice)


@router.post("/settings/team/{member_id}/role")
async def change_role(
    request: Request,
    member_id: uuid.UUID,
    user: ManagerUser,
    session: Session,
    settings: AppSettings,
) -> Response:
    form = await _posted(request, "role")
    return await _change_member(request, session, user, settings, member_id, form.values)


@router.post("/settings/team/{member_id}/deactivate")
async def deactivate(
    request: Request,
    member_id: uuid.UUID,
    user: ManagerUser,
    session: Session,
    settings: AppSettings,
) -> Response:
    return await _change_member(request, session, user, settings, member_id, {"active": False})


@router.post("/settings/team/{member_id}/reactivate")
async def reactivate(
    request: Request,
    member_id: uuid.UUID,
    user: ManagerUser,
    session: Session,
    settings: AppSettings,
) -> Response:
    return await _change_member(request, session, user, settings, member_id, {"active": True})


@router.post("/settings/numbers")
async def add_number(
    request: Request, user: ManagerUser, session: Session, settings: AppSettings
) -> Response:
    form = await _posted(request, "kind", "address", "label")
    try:
        account = await CompanyService(session, user).add_number(
            ChannelCreate.model_validate(form.values)
        )
    except ValidationError as exc:
        form.add_errors(exc)
    except SwitchboardError as exc:  # the number is taken, here or by another company
        form.errors["address"] = exc.message
    if form.errors:
        return await _section(
            request, session, user, settings, "numbers", status_code=422, number_form=form
        )
    notice = f"{KIND_NAMES[account.kind]} {account.address} now routes to this company"
    return await _done(request, session, user, settings, "numbers", notice)


@router.post("/settings/numbers/{account_id}")
async def relabel_number(
    request: Request,
    account_id: uuid.UUID,
    user: ManagerUser,
    session: Session,
    settings: AppSettings,
) -> Response:
    form = await _posted(request, "label")
    try:
        data = ChannelUpdate.model_validate(form.values)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"]
        return await _section(
            request, session, user, settings, "numbers", status_code=422, numbers_error=message
        )
    account = await CompanyService(session, user).relabel_number(account_id, data)
    notice = (
        f"{account.address} is labelled {account.label!r}" if account.label else "Label removed"
    )
    return await _done(request, session, user, settings, "numbers", notice)


@router.post("/settings/numbers/{account_id}/remove")
async def remove_number(
    request: Request,
    account_id: uuid.UUID,
    user: ManagerUser,
    session: Session,
    settings: AppSettings,
) -> Response:
    service = CompanyService(session, user)
    account = await service.number(account_id)
    address, kind = account.address, account.kind
    await service.remove_number(account_id)
    notice = f"{KIND_NAMES[kind]} {address} removed: it no longer reaches this company"
    return await _done(request, session, user, settings, "numbers", notice)
