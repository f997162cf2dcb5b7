"""What one app holds beside its database: its settings, and the long-lived clients built
from them (the SMS sender, the chat model, the call analyser). The app makes one `Resources`
and hands it to its requests (`app.state.resources`) and to its job worker, so two apps in
one process (tests run many) never share a sender or a model, and nothing reads the
process's environment behind the app's back.

A client is built on first use by its factory, a function of the settings, and the factory
is also its key: `resources.get(build_sender)`. `provide` installs a ready one instead (a
test's fake, a second app's own)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from switchboard.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
Factory = Callable[[Settings], T]


class Resources:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: dict[Callable[[Settings], Any], Any] = {}

    def get(self, factory: Factory[T]) -> T:
        """The client `factory` builds from these settings, built once."""
        if factory not in self._built:
            self._built[factory] = factory(self.settings)
        return cast(T, self._built[factory])

    def provide(self, factory: Factory[T], value: T) -> T | None:
        """Use `value` wherever `factory`'s client is asked for (closed with the rest by
        `aclose`). Returns the one it replaces, which is no longer closed here."""
        previous = self._built.get(factory)
        self._built[factory] = value
        return cast("T | None", previous)

    async def aclose(self) -> None:
        """Close every client that can be closed (an HTTP pool, a model's client)."""
        built, self._built = list(self._built.values()), {}
        for value in built:
            close = getattr(value, "aclose", None)
            if close is None:
                continue
            try:
                result = close()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("closing %r failed", value)
