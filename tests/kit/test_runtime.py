"""The serving process's garbage-collector settings."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from switchboard.kit.runtime import YOUNG_GENERATION_THRESHOLD, settle_garbage_collector


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_objects_are_frozen_and_young_collections_are_rarer(restored_gc: None) -> None:
    built_at_start_up = [object() for _ in range(10)]
    settle_garbage_collector()
    assert gc.get_freeze_count() > len(built_at_start_up)
    assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
