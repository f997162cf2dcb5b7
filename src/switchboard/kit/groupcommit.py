"""Group commit: the requests that arrive while one transaction runs share the next.

A webhook that stores one small row spends most of its time on the transaction around it
(BEGIN, the round trips, COMMIT), not on the row. `GroupCommit` queues each submitted item
and stores, in one transaction, every item that arrived while the previous transaction was
running. An item that finds nothing running is stored at once, alone, so a quiet server
answers as fast as before, and a busy one amortises each transaction over as many items as
are waiting (up to `max_batch`). The only deliberate wait is `linger`: after a batch of n,
the next waits that long at most for n items, since items that arrive together reach the
server a little apart.

Each submitter gets its own result only after the batch's transaction has committed and its
events are published, exactly as if it had run its own transaction. The store function
returns one result per item, an exception for an item that failed on its own (raised to
that submitter only). If the batch itself fails (an integrity error, a lost race, a
database error) it is rolled back and every item is stored again alone, so one bad item
never fails its neighbours. A submitter that stops waiting (its request was cancelled) does
not withdraw its item: it is stored with its batch, as a webhook whose answer was lost is
stored and its retry found to be a duplicate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Histogram
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kit.db import Database, after_commit

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
StoreBatch = Callable[[AsyncSession, Sequence[T]], Awaitable[Sequence[R | Exception]]]

BATCH_SIZE = Histogram(
    "switchboard_group_commit_batch_size",
    "Items stored per group-commit transaction",
    ["name"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)


class GroupCommit(Generic[T, R]):
    """Stores submitted items with `store`, in batches, one transaction per batch (see the
    module doc). Up to `max_in_flight` batches run at once, each in its own transaction:
    one always runs when items wait, another only once `parallel_at` items wait, so that
    overlapping batches do not split a trickle into batches that cost more per item."""

    def __init__(
        self,
        name: str,
        db: Database,
        store: StoreBatch[T, R],
        *,
        max_batch: int = 64,
        max_in_flight: int = 1,
        parallel_at: int = 1,
        linger: float = 0.0,
    ) -> None:
        self.name = name
        self.db = db
        self.store = store
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.parallel_at = parallel_at
        self.linger = linger
        self._expected = 1  # the last batch's size: how many tend to arrive together
        self._enough: asyncio.Event | None = None  # set when a lingering runner has enough
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._running = 0  # counted by the runners themselves, so none ends unnoticed
        self._tasks: set[asyncio.Task[None]] = set()  # strong references

    async def submit(self, item: T) -> R:
        """Store `item` with whatever else is waiting; its result once that has committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._enough is not None and len(self._waiting) >= self._expected:
            self._enough.set()
        if self._running == 0 or (
            self._running < self.max_in_flight and len(self._waiting) >= self.parallel_at
        ):
            self._running += 1
            runner = asyncio.create_task(self._run(), name=f"group-commit:{self.name}")
            self._tasks.add(runner)
            runner.add_done_callback(self._tasks.discard)
        return await future

    async def _run(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while self._waiting:
                await self._gather()
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                if not batch:  # another runner took them while this one lingered
                    continue
                self._expected = len(batch)
                BATCH_SIZE.labels(self.name).observe(len(batch))
                await self._store(batch)
        finally:
            # No await between the loop's last check and here, so no item is left behind.
            self._running -= 1
            stranded = batch + (self._waiting if self._running == 0 else [])
            for _item, future in stranded:
                if not future.done():  # only when the runner itself was cancelled (shutdown)
                    future.cancel()
            if self._running == 0:
                self._waiting.clear()

    async def _gather(self) -> None:
        """Linger, up to `linger` seconds, until as many items wait as the last batch held.
        Requests that arrive together reach the server a little apart: without this, the
        first of them would go alone and the rest in the next batch, a whole transaction
        later. A lone caller (last batch: one item) never waits."""
        if not self.linger or self._enough is not None or len(self._waiting) >= self._expected:
            return
        self._enough = asyncio.Event()
        try:
            async with asyncio.timeout(self.linger):
                await self._enough.wait()
        except TimeoutError:
            pass
        finally:
            self._enough = None

    async def _store(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        items = [item for item, _future in batch]
        committed = False

        async def mark_committed() -> None:
            nonlocal committed
            committed = True

        try:
            async with self.db.transaction() as session:
                after_commit(session, mark_committed)  # the first hook to run
                results = await self.store(session, items)
                if len(results) != len(items):
                    raise RuntimeError(f"{self.name}: {len(results)} results for {len(items)}")
        except Exception as exc:
            if committed:
                # Stored; what failed ran after the commit (a hook, publishing an event).
                # Storing again would write everything twice.
                log.exception("%s: after a batch of %d committed", self.name, len(batch))
            elif len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            else:
                log.warning(
                    "%s: a batch of %d failed (%r); storing its items one by one",
                    self.name,
                    len(batch),
                    exc,
                )
                for entry in batch:
                    await self._store([entry])
                return
        for (_item, future), result in zip(batch, results, strict=True):
            _settle(future, result)


def _settle(future: asyncio.Future[R], result: R | Exception) -> None:
    if future.done():  # the submitter stopped waiting (its request was cancelled)
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)
