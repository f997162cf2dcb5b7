"""Typed domain errors that carry their HTTP status, and the one handler that renders them."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy.exc import IntegrityError

from switchboard.kit.integrity import Violation, ViolationKind, violation_of
from switchboard.kit.logs import REQUEST_ID_HEADER, log_context


class SwitchboardError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.detail}


class NotFound(SwitchboardError):
    status_code = 404
    code = "not_found"

    @classmethod
    def of(cls, kind: str, ident: object) -> NotFound:
        return cls(f"{kind} {ident} not found", kind=kind)


class Conflict(SwitchboardError):
    status_code = 409
    code = "conflict"


class OptedOut(Conflict):
    code = "opted_out"


class InvalidField(SwitchboardError):
    """A value that passed the schema but breaks a rule (e.g. a link into another tenant)."""

    status_code = 422
    code = "invalid_field"

    def __init__(self, field: str, message: str, *, location: str = "body") -> None:
        super().__init__(message, field=field)
        self.field = field
        self.location = location  # "body" or "query", as in FastAPI's own `loc`

    def to_dict(self) -> dict[str, Any]:
        # Same shape as FastAPI's validation errors so clients read one format.
        return {
            "error": self.code,
            "message": self.message,
            "detail": [
                {"loc": [self.location, self.field], "msg": self.message, "type": self.code}
            ],
        }


class Unauthorized(SwitchboardError):
    status_code = 401
    code = "unauthorized"


class Forbidden(SwitchboardError):
    status_code = 403
    code = "forbidden"


class DatabaseUnavailable(SwitchboardError):
    """The configured database cannot be used; the message says why and what to do."""

    status_code = 503
    code = "database_unavailable"


class UnsupportedMediaType(SwitchboardError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(SwitchboardError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


def install_error_handler(app: FastAPI) -> None:
    @app.exception_handler(SwitchboardError)
    async def _render(_request: Request, exc: SwitchboardError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _render_bug(_request: Request, _exc: Exception) -> PlainTextResponse:
        # Starlette answers a bug from outside every middleware (and then lets the server log
        # the traceback), so the request-id middleware never sees this answer: the id is still
        # bound to the request here, for the one who reports it to quote.
        request_id = log_context().get("request_id")
        if request_id is None:
            return PlainTextResponse("Internal Server Error", status_code=500)
        return PlainTextResponse(
            f"Internal Server Error (request {request_id})",
            status_code=500,
            headers={REQUEST_ID_HEADER: request_id},
        )

    @app.exception_handler(IntegrityError)
    async def _render_integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A constraint the checks before the write did not catch (a race two requests
        # ran, a link whose row went away): answered as the check would have answered.
        error = integrity_error(await violation_of(exc, getattr(request.app.state, "db", None)))
        return JSONResponse(error.to_dict(), status_code=error.status_code)


def integrity_error(violation: Violation) -> SwitchboardError:
    """A unique violation is a 409 naming the field; a link to nothing is a 422 on the
    field, as `Repository.require` answers it; a missing value a 422 on the field."""
    field = ", ".join(violation.columns) or None
    if violation.kind == ViolationKind.unique:
        what = f"this {field}" if field else "these values"
        return Conflict(f"a record with {what} already exists", field=field)
    if violation.kind == ViolationKind.foreign_key and violation.deleting:
        return Conflict("other records still point at this one", table=violation.referred)
    if violation.kind == ViolationKind.foreign_key:
        where = f" in {violation.referred}" if violation.referred else ""
        return InvalidField(field or "body", f"no record{where} has this id")
    if violation.kind == ViolationKind.not_null and field:
        return InvalidField(field, "may not be null")
    return Conflict("this conflicts with the records already stored")
