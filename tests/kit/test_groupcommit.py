"""GroupCommit: what arrives while a batch is stored goes into the next batch, one
transaction each; a failure stays with its own item; results come only after the commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.db import Database, after_commit
from switchboard.kit.groupcommit import BATCH_SIZE, GroupCommit
from switchboard.tenancy.models import Tenant

TIMEOUT = 5.0


class Store:
    """A `store` that records every batch and answers `stored:<item>`. With `hold`, the
    first batch waits (after `entered` is set) until the test sets `release`."""

    def __init__(self, *, hold: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        if not hold:
            self.release.set()

    async def __call__(self, session: AsyncSession, items: Sequence[str]) -> list[str | Exception]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.entered.set()
            await self.release.wait()
        return [f"stored:{item}" for item in items]


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _start(gc: GroupCommit[str, str], *items: str) -> list[asyncio.Task[str]]:
    return [asyncio.create_task(gc.submit(item)) for item in items]


async def _queue_behind(
    store: Store, gc: GroupCommit[str, str], *items: str
) -> list[asyncio.Task[str]]:
    """Submit `items` while the (held) first batch is being stored; they wait in the queue."""
    async with asyncio.timeout(TIMEOUT):
        await store.entered.wait()
    tasks = _start(gc, *items)
    await asyncio.sleep(0.01)  # every submitter has queued its item
    return tasks


async def _tenant_names(db: Database, prefix: str) -> list[str]:
    async with db.transaction() as tx:
        names = await tx.scalars(select(Tenant.name).where(Tenant.name.startswith(prefix)))
        return sorted(names)


def _observed(name: str) -> dict[str, float]:
    """BATCH_SIZE's count and sum for one GroupCommit name."""
    return {
        sample.name.rsplit("_", 1)[-1]: sample.value
        for metric in BATCH_SIZE.collect()
        for sample in metric.samples
        if sample.labels.get("name") == name and sample.name.endswith(("_count", "_sum"))
    }


async def test_items_submitted_during_a_batch_share_the_next(db: Database) -> None:
    store = Store(hold=True)
    gc = GroupCommit(_name(), db, store)
    [first] = _start(gc, "a")
    rest = await _queue_behind(store, gc, "b", "c", "d")
    store.release.set()
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(first, *rest)
    assert store.batches == [["a"], ["b", "c", "d"]]
    assert results == ["stored:a", "stored:b", "stored:c", "stored:d"]


async def test_a_quiet_caller_is_stored_at_once_alone(db: Database) -> None:
    store = Store()
    gc = GroupCommit(_name(), db, store)
    [task] = _start(gc, "x")
    for _ in range(50):  # event-loop turns only: a timer (a deliberate wait) never fires here
        await asyncio.sleep(0)
        if task.done():
            break
    assert task.done() and task.result() == "stored:x"
    assert store.batches == [["x"]]


async def test_max_batch_bounds_each_batch(db: Database) -> None:
    store = Store(hold=True)
    name = _name()
    gc = GroupCommit(name, db, store, max_batch=2)
    [first] = _start(gc, "first")
    rest = await _queue_behind(store, gc, "1", "2", "3", "4", "5")
    store.release.set()
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(first, *rest)
    assert results == [f"stored:{item}" for item in ["first", "1", "2", "3", "4", "5"]]
    assert store.batches == [["first"], ["1", "2"], ["3", "4"], ["5"]]
    assert _observed(name) == {"count": 4, "sum": 6}


async def test_an_item_error_goes_to_its_submitter_only(db: Database) -> None:
    batches: list[list[str]] = []

    async def store(session: AsyncSession, items: Sequence[str]) -> list[str | Exception]:
        batches.append(list(items))
        return [ValueError(item) if item == "bad" else f"stored:{item}" for item in items]

    gc = GroupCommit(_name(), db, store)
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(*_start(gc, "a", "bad", "c"), return_exceptions=True)
    assert batches == [["a", "bad", "c"]]  # one batch, committed: no retry
    assert results[0] == "stored:a" and results[2] == "stored:c"
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad"


async def test_a_failed_batch_is_rolled_back_and_retried_item_by_item(db: Database) -> None:
    prefix = f"gc-{uuid.uuid4().hex[:8]}-"
    release = asyncio.Event()
    entered = asyncio.Event()
    batches: list[list[str]] = []

    async def store(session: AsyncSession, items: Sequence[str]) -> list[str | Exception]:
        batches.append(list(items))
        for item in items:  # each attempt writes its own rows, so a leftover would show
            slug = f"{prefix}{item}-{uuid.uuid4().hex[:8]}"
            session.add(Tenant(name=f"{prefix}{item}", slug=slug))
        await session.flush()
        if items == ["blocker"]:
            entered.set()
            await release.wait()
        if "poison" in items:
            raise ValueError("poison")
        return [f"stored:{item}" for item in items]

    gc = GroupCommit(_name(), db, store)
    [blocker] = _start(gc, "blocker")
    async with asyncio.timeout(TIMEOUT):
        await entered.wait()
    rest = _start(gc, "good1", "poison", "good2")
    await asyncio.sleep(0.01)
    release.set()
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(blocker, *rest, return_exceptions=True)

    assert batches == [["blocker"], ["good1", "poison", "good2"], ["good1"], ["poison"], ["good2"]]
    assert results[:2] == ["stored:blocker", "stored:good1"] and results[3] == "stored:good2"
    assert isinstance(results[2], ValueError)
    names = await _tenant_names(db, prefix)
    assert names == [f"{prefix}{item}" for item in ["blocker", "good1", "good2"]]


async def test_results_come_after_the_commit(db: Database) -> None:
    prefix = f"gc-{uuid.uuid4().hex[:8]}-"
    committed: list[str] = []

    async def store(session: AsyncSession, items: Sequence[str]) -> list[str | Exception]:
        for item in items:
            session.add(Tenant(name=f"{prefix}{item}", slug=f"{prefix}{item}"))

            async def hook(item: str = item) -> None:
                committed.append(item)

            after_commit(session, hook)
        await session.flush()
        return list(items)

    gc = GroupCommit(_name(), db, store)
    reading = asyncio.Lock()  # the test's sessions share one connection: one at a time

    async def submit_and_read(item: str) -> list[str]:
        assert await gc.submit(item) == item
        assert item in committed  # the after-commit hooks ran before the result came
        async with reading:
            return await _tenant_names(db, f"{prefix}{item}")

    async with asyncio.timeout(TIMEOUT):
        found = await asyncio.gather(submit_and_read("a"), submit_and_read("b"))
    assert found == [[f"{prefix}a"], [f"{prefix}b"]]


async def test_a_cancelled_submitter_does_not_break_the_batch(db: Database) -> None:
    store = Store(hold=True)
    gc = GroupCommit(_name(), db, store)
    a, b = _start(gc, "a", "b")  # one batch, `a` first: it is settled first
    c, d = await _queue_behind(store, gc, "c", "d")
    runners = set(gc._tasks)
    assert store.batches == [["a", "b"]] and runners
    a.cancel()  # while its batch is being stored
    c.cancel()  # while it waits for the next batch
    await asyncio.sleep(0)
    store.release.set()
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(a, b, c, d, return_exceptions=True)
        await asyncio.wait(runners)
    assert results[1] == "stored:b" and results[3] == "stored:d"
    assert isinstance(results[0], asyncio.CancelledError)
    assert isinstance(results[2], asyncio.CancelledError)
    assert all(not runner.cancelled() and runner.exception() is None for runner in runners)


@pytest.mark.parametrize("max_in_flight", [1, 2])
async def test_max_in_flight_bounds_concurrent_batches(db: Database, max_in_flight: int) -> None:
    release = asyncio.Event()
    entered: asyncio.Queue[str] = asyncio.Queue()
    active = peak = 0

    async def store(session: AsyncSession, items: Sequence[str]) -> list[str | Exception]:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        entered.put_nowait(items[0])
        await release.wait()
        active -= 1
        return list(items)

    gc = GroupCommit(_name(), db, store, max_in_flight=max_in_flight)
    [first] = _start(gc, "a")
    async with asyncio.timeout(TIMEOUT):
        assert await entered.get() == "a"
    [second] = _start(gc, "b")
    if max_in_flight == 2:
        async with asyncio.timeout(TIMEOUT):
            assert await entered.get() == "b"  # stored while "a" still is
    else:
        await asyncio.sleep(0.05)
        assert entered.empty()  # "b" waits for the running batch
    release.set()
    async with asyncio.timeout(TIMEOUT):
        assert await asyncio.gather(first, second) == ["a", "b"]
    assert peak == max_in_flight


async def test_a_new_submit_after_a_finished_batch_starts_a_runner(db: Database) -> None:
    store = Store()
    gc = GroupCommit(_name(), db, store)
    async with asyncio.timeout(TIMEOUT):
        assert await gc.submit("a") == "stored:a"
        assert await gc.submit("b") == "stored:b"
        assert await gc.submit("c") == "stored:c"
    assert store.batches == [["a"], ["b"], ["c"]]


async def test_a_failure_after_the_commit_does_not_store_the_batch_again(db: Database) -> None:
    """A hook that fails after the commit: the items are stored, once, and answered."""
    batches: list[list[str]] = []

    async def store(session: AsyncSession, items: Sequence[str]) -> list[str | Exception]:
        batches.append(list(items))

        async def broken_hook() -> None:
            raise RuntimeError("the event bus is down")

        after_commit(session, broken_hook)
        return [f"stored:{item}" for item in items]

    gc = GroupCommit(_name(), db, store)
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(*_start(gc, "a", "b"))
    assert results == ["stored:a", "stored:b"]
    assert batches == [["a", "b"]]


async def test_a_store_answering_for_the_wrong_number_of_items_is_an_error_not_a_hang(
    db: Database,
) -> None:
    async def one_answer(session: AsyncSession, items: Sequence[str]) -> list[str | Exception]:
        return [f"stored:{items[0]}"]

    gc = GroupCommit(_name(), db, one_answer)
    async with asyncio.timeout(TIMEOUT):  # two at once: rolled back, then one by one
        assert await asyncio.gather(*_start(gc, "a", "b")) == ["stored:a", "stored:b"]
    silent = GroupCommit(_name(), db, lambda session, items: _no_answers())
    with pytest.raises(RuntimeError, match="0 results for 1"):
        async with asyncio.timeout(TIMEOUT):
            await silent.submit("c")


async def _no_answers() -> list[str | Exception]:
    return []


async def test_a_cancelled_runner_cancels_what_waits_instead_of_stranding_it(
    db: Database,
) -> None:
    store = Store(hold=True)
    gc = GroupCommit(_name(), db, store)
    [first] = _start(gc, "a")
    waiting = await _queue_behind(store, gc, "b")
    for runner in list(gc._tasks):
        runner.cancel()
    async with asyncio.timeout(TIMEOUT):
        results = await asyncio.gather(first, *waiting, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in results)
    async with asyncio.timeout(TIMEOUT):  # and the next submit starts afresh
        store.release.set()
        assert await gc.submit("c") == "stored:c"


async def test_a_second_batch_starts_only_once_enough_items_wait(db: Database) -> None:
    store = Store(hold=True)
    gc = GroupCommit(_name(), db, store, max_in_flight=2, parallel_at=3)
    [first] = _start(gc, "a")
    few = await _queue_behind(store, gc, "b", "c")
    assert store.batches == [["a"]]  # two waiting: they wait for the running batch
    more = await _queue_behind(store, gc, "d")
    assert store.batches == [["a"], ["b", "c", "d"]]  # three: a second batch, meanwhile
    assert not first.done()
    store.release.set()
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(first, *few, *more)


async def test_after_a_batch_of_three_the_next_lingers_for_three(db: Database) -> None:
    store = Store()
    gc = GroupCommit(_name(), db, store, linger=TIMEOUT)
    async with asyncio.timeout(TIMEOUT):
        await gc.submit("alone")  # a lone caller is stored at once, lingering or not
        held = Store(hold=True)
        gc.store = held
        [first] = _start(gc, "a")
        await _queue_behind(held, gc, "b", "c", "d")
        held.release.set()
        await first
        await asyncio.sleep(0.05)  # the batch of three has been stored
    assert held.batches == [["a"], ["b", "c", "d"]]
    one, two = _start(gc, "e"), _start(gc, "f")
    await asyncio.sleep(0.05)
    assert held.batches[2:] == []  # two waiting, three expected: it lingers
    three = _start(gc, "g")
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(*one, *two, *three)
    assert held.batches[2:] == [["e", "f", "g"]]


async def test_lingering_ends_after_the_linger_time(db: Database) -> None:
    store = Store(hold=True)
    gc = GroupCommit(_name(), db, store, linger=0.05)
    [first] = _start(gc, "a")
    rest = await _queue_behind(store, gc, "b", "c")
    store.release.set()
    async with asyncio.timeout(TIMEOUT):
        await asyncio.gather(first, *rest)
        assert await gc.submit("d") == "stored:d"  # two expected, one came: 50 ms, then alone
    assert store.batches == [["a"], ["b", "c"], ["d"]]
