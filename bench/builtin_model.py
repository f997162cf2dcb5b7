"""The built-in model's classifier and slots: what they cost at start-up and per text.

Start-up is measured in fresh processes (scikit-learn's import, training the staff and the
customer classifier on their corpora, dateparser's language data), as a server or worker
pays it once. Per text: classifying held-out phrasings, finding the due time in task
requests (names masked, dateparser's search), and the model's whole first step of a turn
(`respond`: read the history, classify, fill slots, decide the tool call), against the
regex-cascade model of an earlier revision on the same requests, taken in turn.

    .venv/bin/python bench/builtin_model.py [--runs 5] [--repeat 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

from _support import Series

ROOT = Path(__file__).resolve().parent.parent
REGEX_CASCADE_REVISION = "eae04a1"  # the last revision whose staff model was regexes

STARTUP = """
import json, time
started = time.perf_counter()
import sklearn.feature_extraction.text, sklearn.svm
imported = time.perf_counter()
from switchboard.ai.builtin.intents import classifier
classifier("staff")
staff = time.perf_counter()
classifier("customer")
customer = time.perf_counter()
from switchboard.ai.builtin.slots import warm_dates
warm_dates()
dates = time.perf_counter()
print(json.dumps({
    "import scikit-learn": imported - started,
    "train staff": staff - imported,
    "train customer": customer - staff,
    "dateparser first use": dates - customer,
    "total": dates - started,
}))
"""

TASK_REQUESTS = [
    "create a task to call the Hendersons tomorrow at 5pm",
    "Call Sun Roofing about the march 3 invoice",
    "remind me to send the Patel quote by friday 9am",
    "add a task: order more ridge vents by 4pm, high priority",
    "new task call the HOA on tuesday",
    "create task send invoice to Ortiz by end of day",
]
TURN_REQUESTS = [
    "What's most urgent today?",
    "what's on my plate today?",
    "Which of my overdue tasks should I tackle first?",
    "Create a task to call the Hendersons tomorrow at 5pm",
    "Who do I need to follow up with?",
    "the garcia follow up is done",
    "assign the Garcia task to Marcus",
    "appointments on the 3rd",
]


def startup(runs: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True, cwd=ROOT
        )
        for key, seconds in json.loads(done.stdout).items():
            figures.setdefault(key, []).append(seconds * 1000)
    return figures


def timed(function: object, inputs: list[object], repeat: int) -> Series:
    from switchboard.ai.builtin.slots import _search

    samples = []
    for _ in range(repeat):
        for value in inputs:
            _search.cache_clear()  # every text as if new: dateparser runs each time
            started = time.perf_counter()
            function(value)  # type: ignore[operator]
            samples.append(time.perf_counter() - started)
    return Series("", samples)


def regex_cascade() -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{REGEX_CASCADE_REVISION}:src/switchboard/ai/builtin/staff.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    module = types.ModuleType("regex_cascade_staff")
    sys.modules[module.__name__] = module  # dataclasses look their module up there
    exec(compile(source, "regex_cascade_staff.py", "exec"), module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes for start-up")
    parser.add_argument("--repeat", type=int, default=200, help="passes over each text set")
    args = parser.parse_args()

    print(f"Start-up in a fresh process, {args.runs} runs")
    print(f"{'step':<22} {'median ms':>10} {'max ms':>8}")
    for key, values in startup(args.runs).items():
        print(f"{key:<22} {statistics.median(values):>10.0f} {max(values):>8.0f}")

    from switchboard.ai.builtin.intents import classifier, parse_corpus
    from switchboard.ai.builtin.intents import classify as classify_cache
    from switchboard.ai.builtin.slots import _search as search_cache
    from switchboard.ai.builtin.slots import find_due, warm_dates
    from switchboard.ai.builtin.staff import respond
    from switchboard.ai.model import ModelMessage
    from switchboard.ai.staff_tools import staff_toolbox

    warm_dates()
    held_out = ROOT / "tests" / "ai" / "heldout"
    print(f"\nPer text, {args.repeat} passes")
    print(f"{'what':<40} {'texts':>5} {'p50 ms':>8} {'p95 ms':>8}")
    for name in ("staff", "customer"):
        model = classifier(name)
        texts = [e.text for e in parse_corpus((held_out / f"{name}.txt").read_text())]
        series = timed(model.classify, texts, args.repeat)  # type: ignore[arg-type]
        print(
            f"{'classify (' + name + ', held out)':<40} {len(texts):>5} {series.p50:>8.3f} {series.p95:>8.3f}"
        )
    due = timed(find_due, TASK_REQUESTS, args.repeat)  # type: ignore[arg-type]
    print(
        f"{'due time in a task request':<40} {len(TASK_REQUESTS):>5} {due.p50:>8.3f} {due.p95:>8.3f}"
    )

    tools = staff_toolbox().specs()
    conversations = [[ModelMessage("system", "x"), ModelMessage("user", t)] for t in TURN_REQUESTS]
    old = regex_cascade()
    after: list[float] = []
    before: list[float] = []
    for _ in range(args.repeat):
        for messages in conversations:
            for rules, samples in ((respond, after), (old.respond, before)):
                search_cache.cache_clear()
                classify_cache.cache_clear()
                started = time.perf_counter()
                rules(messages, tools)
                samples.append(time.perf_counter() - started)
    new, was = Series("", after), Series("", before)
    n = len(TURN_REQUESTS)
    print(f"{'first step of a turn: classifier':<40} {n:>5} {new.p50:>8.3f} {new.p95:>8.3f}")
    print(
        f"{'first step of a turn: regex ' + REGEX_CASCADE_REVISION:<40} {n:>5} {was.p50:>8.3f} {was.p95:>8.3f}"
    )
    print(
        f"\nadded to a turn's first step: {new.p50 - was.p50:+.3f} ms at p50, {new.mean - was.mean:+.3f} ms mean (aim < 2 ms)"
    )


if __name__ == "__main__":
    main()
