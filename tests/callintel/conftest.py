from __future__ import annotations

import pytest

from switchboard.ai.analysis import jobs
from switchboard.config import Settings


@pytest.fixture(autouse=True)
def _job_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """The analysis jobs read the test's settings (the built-in analyser unless a test
    says otherwise)."""
    monkeypatch.setattr(jobs, "get_settings", lambda: settings)
