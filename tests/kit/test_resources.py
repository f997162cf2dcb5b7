"""Each app holds its own settings, sender and model: two apps in one process share none of
them, and a worker sends through the sender of the app it was given."""

from __future__ import annotations

from switchboard.ai.providers import get_model
from switchboard.app import create_app
from switchboard.config import Settings
from switchboard.kit.resources import Resources
from switchboard.messaging.senders import SimulatedSender, build_sender


def test_two_apps_in_one_process_share_no_sender_and_no_model(settings: Settings) -> None:
    first, second = create_app(settings), create_app(settings)
    one, other = first.state.resources, second.state.resources
    assert one is not other
    assert one.get(build_sender) is not other.get(build_sender)
    assert one.get(get_model) is not other.get(get_model)
    assert one.get(build_sender) is one.get(build_sender)  # built once per app


async def test_a_provided_client_is_used_and_not_closed_by_its_resources(
    settings: Settings,
) -> None:
    class Closing(SimulatedSender):
        closed = False

        async def aclose(self) -> None:
            self.closed = True

    resources = Resources(settings)
    fake = Closing(step_seconds=1.0)
    built = resources.get(build_sender)
    assert resources.provide(build_sender, fake) is built
    assert resources.get(build_sender) is fake
    await resources.aclose()
    assert fake.closed  # everything it holds at the end is closed once
    assert resources.get(build_sender) is not fake  # and built afresh if asked again
