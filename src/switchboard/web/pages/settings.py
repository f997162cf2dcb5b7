"""/settings: a manager or admin sets up the company (name, time zone, business hours, how
the inbox answers), its team and the Twilio numbers routed to it, through CompanyService:
the same rules as the JSON API. Each section is a block of one template, swapped alone."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.appointment_texts.schemas import (
    AppointmentTextSettingsRead,
    AppointmentTextSettingsUpdate,
)
from switchboard.appointment_texts.service import AppointmentTextSettingsService
from switchboard.config import Settings
from switchboard.kit.deps import AppSettings, Session
from switchboard.kit.errors import Conflict, Forbidden
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
COMPANY_CHECKS = ("auto_reply", "missed_call_text_enabled", "record_calls")
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
        "record_calls": "on" if tenant.record_calls else "",
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
        "record_calls": bool(values["record_calls"]),
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


# --- the appointment texts form ----------------------------------------------------------------

TEXTS_FIELDS = (
    "enabled",
    "confirmation_enabled",
    "reminder_hours",
    "quiet_enabled",
    "quiet_start",
    "quiet_end",
    "confirmation_template",
    "reminder_template",
)
TEXTS_RENAMES = {
    "reminder_offsets_minutes": "reminder_hours",
    "quiet_hours": "quiet_start",
    "quiet_hours.start": "quiet_start",
    "quiet_hours.end": "quiet_end",
}
HOURS_ERROR = "Enter up to 4 numbers of hours, like 24, 1 (from 0.1 to 336)"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def texts_form(current: AppointmentTextSettingsRead) -> Form:
    quiet = current.quiet_hours
    return Form(
        {
            "enabled": "on" if current.enabled else "",
            "confirmation_enabled": "on" if current.confirmation_enabled else "",
            "reminder_hours": ", ".join(_hours(m) for m in current.reminder_offsets_minutes),
            "quiet_enabled": "on" if quiet else "",
            "quiet_start": quiet.start if quiet else "21:00",
            "quiet_end": quiet.end if quiet else "08:00",
            "confirmation_template": current.confirmation_template or "",
            "reminder_template": current.reminder_template or "",
        }
    )


def texts_payload(form: Form) -> dict[str, Any]:
    """The form as AppointmentTextSettingsUpdate takes it: hours as minutes, quiet hours
    only when ticked, an empty text for the default."""
    values = form.values
    offsets: list[int] = []
    for part in values["reminder_hours"].replace(";", ",").split(","):
        if not part.strip():
            continue
        try:
            offsets.append(round(float(part.strip()) * 60))
        except ValueError:
            form.errors["reminder_hours"] = HOURS_ERROR
    quiet = {"start": values["quiet_start"], "end": values["quiet_end"]}
    return {
        "enabled": bool(values["enabled"]),
        "confirmation_enabled": bool(values["confirmation_enabled"]),
        "reminder_offsets_minutes": offsets,
        "quiet_hours": quiet if values["quiet_enabled"] else None,
        "confirmation_template": values["confirmation_template"],
        "reminder_template": values["reminder_template"],
    }


# --- the page ---------------------------------------------------------------------------------


@dataclass
class SettingsScreen:
    """One request to /settings: who asks, and how to answer with the page or a section."""

    request: Request
    session: AsyncSession
    user: User
    settings: Settings

    @property
    def company(self) -> CompanyService:
        return CompanyService(self.session, self.user)

    @property
    def texts(self) -> AppointmentTextSettingsService:
        return AppointmentTextSettingsService(self.session, self.user)

    async def context(self, **forms: Form | str | None) -> dict[str, Any]:
        service = self.company
        tenant = await service.company()
        texts = await self.texts.read()
        grantable = [role for role in Role if role != Role.admin or self.user.role == Role.admin]
        return {
            "tenant": tenant,
            "team": await service.team(),
            "numbers": await service.numbers(),
            "company_form": forms.get("company_form") or company_form(tenant),
            "texts_form": forms.get("texts_form") or texts_form(texts),
            "texts": texts,
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
            "default_gap_minutes": self.settings.session_gap_seconds // 60,
            "public_url": self.settings.public_url.rstrip("/"),
        }

    async def page(
        self, section: str | None = None, *, status_code: int = 200, **forms: Form | str | None
    ) -> Response:
        """The whole page, or (for htmx) only `section`, the block a form's answer swaps."""
        block = f"{section}_section" if section and is_htmx(self.request) else None
        return render(
            self.request,
            "settings.html",
            await self.context(**forms),
            shell=await shell_of(self.session, self.user),
            block=block,
            status_code=status_code,
        )

    async def done(self, section: str, notice: str) -> Response:
        """After a change: the section saying what happened, or (a plain form) the page."""
        if not is_htmx(self.request):
            return back_to(self.request, f"/settings#{section}")
        return await self.page(section, notice=notice)


async def settings_screen(
    request: Request, user: ManagerUser, session: Session, settings: AppSettings
) -> SettingsScreen:
    return SettingsScreen(request, session, user, settings)


Screen = Annotated[SettingsScreen, Depends(settings_screen)]


@router.get("/settings")
async def settings_page(screen: Screen) -> Response:
    return await screen.page()


@router.post("/settings/company")
async def save_company(screen: Screen) -> Response:
    form = await _posted(screen.request, *COMPANY_TEXT, *COMPANY_CHECKS, *HOURS)
    try:
        data = TenantUpdate.model_validate(company_payload(form))
    except ValidationError as exc:
        form.add_errors(exc, COMPANY_FIELDS)
    if form.errors:
        word_company_errors(form)
        return await screen.page("company", status_code=422, company_form=form)
    await screen.company.update_company(data)
    return await screen.done("company", "Company saved")


@router.post("/settings/appointment-texts")
async def save_appointment_texts(screen: Screen) -> Response:
    form = await _posted(screen.request, *TEXTS_FIELDS)
    payload = texts_payload(form)
    try:
        data = AppointmentTextSettingsUpdate.model_validate(payload)
    except ValidationError as exc:
        form.add_errors(exc, TEXTS_RENAMES)
    if "reminder_hours" in form.errors:
        form.errors["reminder_hours"] = HOURS_ERROR
    if form.errors:
        return await screen.page("texts", status_code=422, texts_form=form)
    await screen.texts.update(data)
    return await screen.done("texts", "Appointment texts saved: upcoming reminders are replanned")


@router.post("/settings/team")
async def add_person(screen: Screen) -> Response:
    form = await _posted(screen.request, "name", "email", "role", "password", "phone")
    payload = {**form.values, "phone": form.values["phone"] or None}
    try:
        person = await screen.company.add_member(UserCreate.model_validate(payload))
    except ValidationError as exc:
        form.add_errors(exc)
    except Forbidden as exc:  # only an admin makes admins
        form.errors["role"] = exc.message
    except Conflict as exc:  # the email is taken
        form.errors["email"] = exc.message
    if form.errors:
        form.values["password"] = ""  # never sent back into the page
        return await screen.page("team", status_code=422, person_form=form)
    return await screen.done("team", f"{person.name} can sign in now as {person.email}")


async def _change_member(
    screen: SettingsScreen, member_id: uuid.UUID, changes: dict[str, Any]
) -> Response:
    try:
        data = UserUpdate.model_validate(changes)
        member = await screen.company.update_member(member_id, data)
    except ValidationError as exc:
        return await screen.page("team", status_code=422, team_error=exc.errors()[0]["msg"])
    except (Conflict, Forbidden) as exc:  # the last manager, yourself, an admin
        return await screen.page("team", status_code=exc.status_code, team_error=exc.message)
    if "active" not in changes:
        notice = f"{member.name} is now a {ROLE_NAMES[member.role].lower()}"
    elif member.active:
        notice = f"{member.name} is active again"
    else:
        notice = f"{member.name} is deactivated and signed out"
    return await screen.done("team", notice)


@router.post("/settings/team/{member_id}/role")
async def change_role(member_id: uuid.UUID, screen: Screen) -> Response:
    form = await _posted(screen.request, "role")
    return await _change_member(screen, member_id, form.values)


@router.post("/settings/team/{member_id}/deactivate")
async def deactivate(member_id: uuid.UUID, screen: Screen) -> Response:
    return await _change_member(screen, member_id, {"active": False})


@router.post("/settings/team/{member_id}/reactivate")
async def reactivate(member_id: uuid.UUID, screen: Screen) -> Response:
    return await _change_member(screen, member_id, {"active": True})


@router.post("/settings/numbers")
async def add_number(screen: Screen) -> Response:
    form = await _posted(screen.request, "kind", "address", "label")
    try:
        account = await screen.company.add_number(ChannelCreate.model_validate(form.values))
    except ValidationError as exc:
        form.add_errors(exc)
    except Conflict as exc:  # the number is taken, here or by another company
        form.errors["address"] = exc.message
    if form.errors:
        return await screen.page("numbers", status_code=422, number_form=form)
    notice = f"{KIND_NAMES[account.kind]} {account.address} now routes to this company"
    return await screen.done("numbers", notice)


@router.post("/settings/numbers/{account_id}")
async def relabel_number(account_id: uuid.UUID, screen: Screen) -> Response:
    form = await _posted(screen.request, "label")
    try:
        data = ChannelUpdate.model_validate(form.values)
    except ValidationError as exc:
        return await screen.page("numbers", status_code=422, numbers_error=exc.errors()[0]["msg"])
    account = await screen.company.relabel_number(account_id, data)
    label = account.label
    return await screen.done(
        "numbers", f"{account.address} is labelled {label!r}" if label else "Label removed"
    )


@router.post("/settings/numbers/{account_id}/remove")
async def remove_number(account_id: uuid.UUID, screen: Screen) -> Response:
    account = await screen.company.number(account_id)
    gone = (
        f"{KIND_NAMES[account.kind]} {account.address} removed: it no longer reaches this company"
    )
    await screen.company.remove_number(account_id)
    return await screen.done("numbers", gone)
