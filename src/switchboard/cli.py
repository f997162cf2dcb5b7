"""The `switchboard` command: demo, serve, worker, db, seed, tenant, channel, user."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
import uvicorn
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.channels.twilio.cli import sms_app
from switchboard.config import Settings, get_settings
from switchboard.kit import migrate
from switchboard.kit.db import Database, prepare_sqlite_directory, unavailable
from switchboard.kit.errors import SwitchboardError
from switchboard.kit.jobs import Worker
from switchboard.kit.logs import configure_logging
from switchboard.mcp.cli import mcp_app

app = typer.Typer(help="Switchboard: communications and operations hub.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
user_app = typer.Typer(help="Staff users.", no_args_is_help=True)
tenant_app = typer.Typer(help="Companies (tenants).", no_args_is_help=True)
channel_app = typer.Typer(help="Twilio numbers routed to a company.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tenant_app, name="tenant")
app.add_typer(channel_app, name="channel")
app.add_typer(user_app, name="user")
app.add_typer(sms_app, name="sms")
app.add_typer(mcp_app, name="mcp")

T = TypeVar("T")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """What a person can fix (a database that cannot be used, a revision that does not
    exist, a rule the input breaks) as one line on stderr and exit status 1, not a traceback."""
    try:
        yield
    except SwitchboardError as exc:
        _fail(exc.message)


def _run(
    factory: Callable[[Database], Awaitable[T]] | None = None, settings: Settings | None = None
) -> T | None:
    """Run `factory` on the configured database, once it is known to be reachable and
    migrated; without a factory, only that check."""
    settings = settings or get_settings()

    async def main() -> T | None:
        db = Database.from_settings(settings)
        try:
            await migrate.check_ready(db)
            return None if factory is None else await factory(db)
        finally:
            await db.dispose()

    with _one_line_errors():
        return asyncio.run(main())


def _upgrade(settings: Settings, revision: str = "head") -> None:
    with _one_line_errors():
        prepare_sqlite_directory(settings)
        migrate.upgrade(settings.database_url, revision)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    _upgrade(get_settings(), revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = "base",
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Revert to base without asking first.")
    ] = False,
) -> None:
    """Revert migrations down to REVISION (default: base, an empty database)."""
    url = get_settings().database_url
    with _one_line_errors():
        migrate.require_existing_sqlite(url)
    if revision == "base" and not yes:
        where = make_url(url).render_as_string(hide_password=True)
        typer.confirm(
            f"Revert every migration? This drops every Switchboard table, and all its data, "
            f"in {where}",
            abort=True,
            err=True,
        )
    with _one_line_errors():
        migrate.downgrade(url, revision)
    typer.echo(f"database at {revision}")


@app.command()
def seed(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo companies.")] = False,
) -> None:
    """Load demo data; a second run adds nothing and says so."""
    if not demo:
        typer.echo("nothing to seed: pass --demo", err=True)
        raise typer.Exit(2)
    from switchboard.demo.seed import seed_demo

    async def go(db: Database) -> str:
        async with db.transaction() as session:
            report = await seed_demo(session)
        return report.summary()

    typer.echo(_run(go))


S = TypeVar("S", bound=BaseModel)


def _validated(schema: type[S], data: dict[str, Any]) -> S:
    """`data` as `schema`, or each error on stderr and exit code 2."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(map(str, error["loc"]))
            typer.echo(f"{where}: {error['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from None


def _in_tenant(slug: str, act: Callable[[AsyncSession, Any], Awaitable[str]]) -> None:
    """Run `act(session, tenant)` in one transaction for the company `slug`, and print what
    it says; a domain error (an unknown slug, a conflict) is a message and exit code 1."""
    from switchboard.tenancy.service import tenant_by_slug

    async def go(db: Database) -> str:
        async with db.transaction() as session:
            found = await tenant_by_slug(session, slug)
            if found is None:
                raise SwitchboardError(
                    f"no tenant with slug {slug!r} (see: switchboard tenant create)"
                )
            return await act(session, found)

    _report(go)


def _report(go: Callable[[Database], Awaitable[str]]) -> None:
    """Print what `go` says; a domain error is one line and exit code 1 (as `_run` does)."""
    typer.echo(_run(go))


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Option(help='The company\'s name, e.g. "Acme Roofing".')],
    slug: Annotated[str, typer.Option(help="Short id: lowercase letters, digits, hyphens.")],
    timezone: Annotated[
        str, typer.Option(help="IANA time zone: business hours and due times are read in it.")
    ] = "America/New_York",
) -> None:
    """Create a company; then add its numbers and its first manager."""
    from switchboard.tenancy.schemas import TenantCreate
    from switchboard.tenancy.service import create_tenant

    data = _validated(TenantCreate, {"name": name, "slug": slug, "timezone": timezone})

    async def go(db: Database) -> str:
        async with db.transaction() as session:
            tenant = await create_tenant(session, data)
            return f"created tenant {tenant.name} ({tenant.slug}, {tenant.timezone}) {tenant.id}"

    _report(go)


@channel_app.command("add")
def channel_add(
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    kind: Annotated[str, typer.Option(help="sms, whatsapp or voice.")],
    address: Annotated[str, typer.Option(help="The Twilio number, e.g. +13035550100.")],
    label: Annotated[str | None, typer.Option(help='A name for it, e.g. "Main line".')] = None,
    messaging_service_sid: Annotated[
        str | None, typer.Option(help="Twilio messaging service (MG...) that also routes here.")
    ] = None,
) -> None:
    """Route a Twilio number's texts or calls to a company (a number has one company)."""
    from switchboard.tenancy.models import Tenant
    from switchboard.tenancy.schemas import ChannelCreate
    from switchboard.tenancy.service import KIND_NAMES, add_channel

    fields = {"kind": kind, "address": address, "label": label}
    data = _validated(ChannelCreate, {**fields, "messaging_service_sid": messaging_service_sid})

    async def act(session: AsyncSession, found: Tenant) -> str:
        account = await add_channel(session, found.id, data)
        return f"added {KIND_NAMES[account.kind]} {account.address} to {found.name}"

    _in_tenant(tenant, act)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[str, typer.Option(help="csr, rep, manager or admin.")],
    tenant: Annotated[str, typer.Option(help="Tenant slug.")],
    password: Annotated[
        str | None,
        typer.Option(
            help="Initial password. Leave it out to be asked for it without echo, or use "
            "--password-stdin: a password on the command line lands in shell history."
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff user in a tenant."""
    from switchboard.tenancy.models import Tenant
    from switchboard.tenancy.schemas import UserCreate
    from switchboard.tenancy.service import create_user

    if password is not None and password_stdin:
        typer.echo("error: give --password or --password-stdin, not both", err=True)
        raise typer.Exit(2)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    fields = {"email": email, "name": name, "role": role}
    data = _validated(UserCreate, {**fields, "password": password})

    async def act(session: AsyncSession, found: Tenant) -> str:
        user = await create_user(session, found, data)
        return f"created {user.role} {user.email} ({user.id}) in {found.name}"

    _in_tenant(tenant, act)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Serve the API (and, unless SWITCHBOARD_RUN_WORKER=false, the job worker), once the
    database is reachable and migrated: otherwise say why and exit."""
    settings = get_settings()
    _run(settings=settings)
    configure_logging(settings.log_level, settings.log_format)
    from switchboard.app import create_app
    from switchboard.kit.runtime import settle_garbage_collector
    from switchboard.kit.wsserver import FrameWritingProtocol

    served = create_app(settings)
    settle_garbage_collector()
    uvicorn.run(
        served,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        ws=FrameWritingProtocol,  # uvicorn's own, able to take the fan-out's ready frames
        ws_per_message_deflate=settings.ws_per_message_deflate,
        **_uvicorn_logging(settings),
    )


def _uvicorn_logging(settings: Settings) -> dict[str, Any]:
    """Text: uvicorn's own lines and access log, as they always were. JSON: uvicorn's loggers
    write through the root handler like every other, and the app writes the access line (with
    the duration, tenant and user uvicorn's lacks), so uvicorn's is off."""
    if settings.log_format == "json":
        return {"log_config": None, "access_log": False}
    return {}


@app.command()
def worker() -> None:
    """Run a job worker process (scale out beside API processes run with RUN_WORKER=false)."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)

    from switchboard.handlers import register_job_handlers
    from switchboard.kit.events import make_bus
    from switchboard.kit.resources import Resources

    register_job_handlers()

    async def go(db: Database) -> None:
        # Jobs raise live events too (an AI reply, a task it opened): with Redis they reach
        # the sockets held by the API processes; without it there is nobody to tell.
        db.bus = make_bus(settings.redis_url)
        await db.bus.start()
        resources = Resources(settings)
        jobs = Worker.from_settings(db, resources)
        _stop_on_signals(jobs)
        try:
            await jobs.run_forever()
        except asyncio.CancelledError:
            logging.getLogger(__name__).warning("worker stopped with jobs still running")
        finally:
            await resources.aclose()
            await db.bus.stop()

    _run(go, settings)


def _stop_on_signals(jobs: Worker) -> None:
    """SIGTERM or Ctrl-C: claim no more jobs and let the running ones finish (each within
    its kind's timeout). A second signal stops at once: their leases run out and another
    worker takes them."""
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal() -> None:
        if jobs.stopping and main is not None:
            main.cancel()
        jobs.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal)


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Migrate, load the demo data if the database is empty, print the logins and serve."""
    os.environ.setdefault("SWITCHBOARD_DEMO", "true")
    get_settings.cache_clear()
    settings = get_settings()
    _upgrade(settings)
    from switchboard.demo.seed import DEMO_LOGINS, database_is_empty, seed_demo

    async def go(db: Database) -> str:
        async with db.transaction() as session:
            if not await database_is_empty(session):
                return "demo data already loaded"
            return (await seed_demo(session)).summary()

    typer.echo(_run(go, settings))
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(f"\nSwitchboard demo on http://{bind_host}:{bind_port}  (API docs: /docs)")
    typer.echo("Logins (password 'demo'):")
    for email, role in DEMO_LOGINS:
        typer.echo(f"  {email:<24} {role}")
    typer.echo(f"Twilio webhook signing token: {settings.twilio_auth_token}\n")
    serve(host=bind_host, port=bind_port)


def _setting_error(error: ErrorDetails) -> str:
    """`SWITCHBOARD_DATABASE_URL: not a database URL; ...`, from one of pydantic's errors."""
    cause = error.get("ctx", {}).get("error")
    message = str(cause) if isinstance(cause, ValueError) else error["msg"]
    if not error["loc"]:  # a rule across settings names its variables itself
        return message
    name = str(error["loc"][0])
    return f"{name if name.isupper() else 'SWITCHBOARD_' + name.upper()}: {message}"


def main() -> None:
    try:
        app()
    except ValidationError as exc:
        # Settings refused (e.g. the demo secret outside demo mode): say which, no traceback.
        for error in exc.errors():
            typer.echo(f"error: {_setting_error(error)}", err=True)
        raise SystemExit(2) from None
    except Exception as exc:
        # The commands of other modules (mcp) meet the database unchecked: the same line. Any
        # command that reached the database read valid settings first (get_settings caches).
        problem = unavailable(exc, get_settings().database_url)
        if problem is None:
            raise
        typer.echo(f"error: {problem.message}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
