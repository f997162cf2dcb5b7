"""Every job kind the code enqueues has a handler once the handlers are registered."""

from __future__ import annotations

import ast
from pathlib import Path

from switchboard.handlers import register_job_handlers
from switchboard.kit import jobs

SRC = Path(__file__).resolve().parents[2] / "src" / "switchboard"


def _constant_strings(tree: ast.AST) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def test_every_enqueued_kind_has_a_handler() -> None:
    register_job_handlers()
    constants: dict[str, str] = {}
    calls: list[ast.expr] = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        constants.update(_constant_strings(tree))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name == "enqueue" and len(node.args) >= 2:  # enqueue(session, kind, ...)
                calls.append(node.args[1])
            elif name == "NewJob" and node.args:  # NewJob(kind, ...), for enqueue_many
                calls.append(node.args[0])
    kinds = set()
    for arg in calls:
        if isinstance(arg, ast.Constant):
            kinds.add(arg.value)
        elif isinstance(arg, ast.Name | ast.Attribute):
            name = arg.id if isinstance(arg, ast.Name) else arg.attr
            kinds.add(constants[name])
    assert kinds, "found no enqueue calls"
    assert kinds <= set(jobs._HANDLERS), kinds - set(jobs._HANDLERS)
