"""The walls between the house's layers, read off the import graph (docs/DESIGN.md,
"Layering rules"): `kit` knows no domain, a domain reaches another only through its service,
and SQL is written and run only in repositories. A change that breaks a wall fails here, by
file and line, before a second copy of a rule can grow behind it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "switchboard"
DOMAINS = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
# What builds a statement. Column expressions on a model (a hybrid property's `case`) are
# the model's business, so models.py may use these too.
STATEMENT_BUILDERS = {
    "select",
    "insert",
    "update",
    "delete",
    "union",
    "union_all",
    "text",
    "exists",
    "func",
    "and_",
    "or_",
    "case",
    "literal",
    "literal_column",
}
RUNS_SQL = {"execute", "scalars", "scalar", "stream", "stream_scalars"}
# What narrows or orders a statement: kit's helpers, and a Select's own methods.
COMPOSES_SQL = {"where_equal", "where_in_range", "count_where"}
SELECT_METHODS = {"where", "filter", "order_by", "group_by", "having", "with_for_update"}


@dataclass(frozen=True)
class Module:
    path: Path
    tree: ast.Module

    @property
    def parts(self) -> tuple[str, ...]:
        return self.path.relative_to(PACKAGE).with_suffix("").parts

    @property
    def domain(self) -> str | None:
        """The folder it lives in; None for the composition modules at the top (app, cli)."""
        return self.parts[0] if len(self.parts) > 1 else None

    @property
    def is_repository(self) -> bool:
        return "repository" in self.parts

    @property
    def may_build_sql(self) -> bool:
        return self.domain == "kit" or self.is_repository or self.parts[-1] == "models"

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"


def modules() -> Iterator[Module]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield Module(path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))


def imports(module: Module) -> Iterator[tuple[ast.AST, str, set[str]]]:
    """Each import as (node, module imported, names taken from it)."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, node.module, {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name, set()


def imported_switchboard_modules(module: Module) -> Iterator[tuple[ast.AST, list[str]]]:
    """Each switchboard module an import reaches, as its dotted parts after `switchboard`
    (`from switchboard.crm import repository` reaches `crm.repository`)."""
    for node, name, names in imports(module):
        parts = name.split(".")
        if parts[0] != "switchboard" or len(parts) < 2:
            continue
        yield node, parts[1:]
        for taken in names:
            yield node, [*parts[1:], taken]


def violations(check: str) -> list[str]:
    found: list[str] = []
    for module in modules():
        found.extend(CHECKS[check](module))
    return sorted(set(found))


def kit_imports_a_domain(module: Module) -> Iterator[str]:
    if module.domain != "kit":
        return
    for node, target in imported_switchboard_modules(module):
        if target[0] in DOMAINS and target[0] != "kit":
            yield f"{module.where(node)} kit imports the domain {'.'.join(target)}"


def reaches_another_repository(module: Module) -> Iterator[str]:
    for node, target in imported_switchboard_modules(module):
        owner = target[0]
        if target[1:2] == ["repository"] and owner not in ("kit", module.domain):
            yield f"{module.where(node)} imports {owner}.repository: call {owner}'s service instead"


def builds_sql_outside_a_repository(module: Module) -> Iterator[str]:
    if module.may_build_sql:
        return
    for node, name, names in imports(module):
        if name.split(".")[0] == "sqlalchemy" and names & STATEMENT_BUILDERS:
            taken = ", ".join(sorted(names & STATEMENT_BUILDERS))
            yield f"{module.where(node)} builds SQL ({taken}): that belongs in a repository"


def runs_sql_outside_a_repository(module: Module) -> Iterator[str]:
    if module.may_build_sql:
        return
    for node in ast.walk(module.tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RUNS_SQL
            and _looks_like_a_session(node.func.value)
        ):
            yield f"{module.where(node)} runs SQL ({node.func.attr}): that belongs in a repository"


def composes_sql_outside_a_repository(module: Module) -> Iterator[str]:
    if module.may_build_sql:
        return
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None)
        method = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if name in COMPOSES_SQL or method in SELECT_METHODS:
            yield (
                f"{module.where(node)} composes a query ({name or method}): "
                "that belongs in a repository"
            )


def _looks_like_a_session(node: ast.expr) -> bool:
    """`session.execute(...)`, `self.session.execute(...)`, `ctx.session.scalars(...)`."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name in ("session", "tx", "connection", "conn")


CHECKS = {
    "kit imports a domain": kit_imports_a_domain,
    "a domain imports another domain's repository": reaches_another_repository,
    "SQL is built outside a repository": builds_sql_outside_a_repository,
    "SQL is run outside a repository": runs_sql_outside_a_repository,
    "a query is composed outside a repository": composes_sql_outside_a_repository,
}


@pytest.mark.parametrize("check", list(CHECKS))
def test_the_walls_stand(check: str) -> None:
    found = violations(check)
    assert not found, f"{check}:\n" + "\n".join(found)


def test_the_checks_see_a_breach(tmp_path: Path) -> None:
    """Each check finds the breach it is for, so a check that silently sees nothing fails."""
    breach = ast.parse(
        "from sqlalchemy import select\n"
        "from switchboard.crm.repository import ContactRepository\n"
        "from switchboard.tenancy import models\n"
        "async def f(session, stmt):\n"
        "    await session.execute(select(1).where(stmt))\n"
    )
    in_kit = Module(PACKAGE / "kit" / "breach.py", breach)
    in_tasks = Module(PACKAGE / "tasks" / "service.py", breach)
    in_crm_repository = Module(PACKAGE / "crm" / "repository.py", breach)
    assert list(kit_imports_a_domain(in_kit))
    assert list(reaches_another_repository(in_tasks))
    assert not list(reaches_another_repository(in_crm_repository))
    assert list(builds_sql_outside_a_repository(in_tasks))
    assert not list(builds_sql_outside_a_repository(in_crm_repository))
    assert list(runs_sql_outside_a_repository(in_tasks))
    assert not list(runs_sql_outside_a_repository(in_crm_repository))
    assert list(composes_sql_outside_a_repository(in_tasks))
    assert not list(composes_sql_outside_a_repository(in_crm_repository))
