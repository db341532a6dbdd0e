"""Persistent mode: the owner switches a widget to keep its interpreter between requests
(`PATCH /api/widgets/{slug}` with `persistent`); over real HTTP its API then keeps module
state, a new version starts afresh, and forks keep the setting; a GUI app's server calls
keep it too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from tests.server._client import Browser, assert_error
from tests.server._live import Client, Live, serve
from tests.server.conftest import Server
from tests.server.test_gui_apps import SERVER, call, make_app

pytestmark = pytest.mark.server

COUNTER = """\
import os
import anvil.server

count = 0


@anvil.server.route("/count")
def counted(**params):
    global count
    count += 1
    return {"count": count, "pid": os.getpid()}
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("persistent")) as running:
        yield running


def counts(client: Client, slug: str, times: int) -> dict[int, list[int]]:
    """The counts `times` requests saw, by the sandbox process that answered each (every
    process keeps its own interpreter)."""
    seen: dict[int, list[int]] = defaultdict(list)
    for _ in range(times):
        response = client.get(f"/w/{slug}/count")
        assert response.status_code == 200, response.text
        answer = response.json()
        seen[answer["pid"]].append(answer["count"])
    return dict(seen)


def kept(seen: dict[int, list[int]]) -> bool:
    """Whether each process counted on from its last request (1, 2, 3, ...)."""
    return all(found == list(range(1, len(found) + 1)) for found in seen.values())


def test_the_owner_switches_a_widget_to_persistent_mode(live: Live) -> None:
    owner = live.client()
    owner.signup("keeper")
    slug = owner.widget_with("http", {"main.py": COUNTER}, visibility="unlisted")
    assert owner.api("GET", f"/api/widgets/{slug}").json()["persistent"] is False
    fresh = counts(owner, slug, 3)
    assert all(found == [1] * len(found) for found in fresh.values()), fresh

    changed = owner.api("PATCH", f"/api/widgets/{slug}", json={"persistent": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["persistent"] is True
    seen = counts(owner, slug, 4)
    assert kept(seen), seen
    assert max(max(found) for found in seen.values()) >= 2, seen

    owner.save(slug, {"main.py": COUNTER + "\n# version two\n"})
    again = counts(owner, slug, 2)
    assert kept(again), again
    assert min(found[0] for found in again.values()) == 1, again

    off = owner.api("PATCH", f"/api/widgets/{slug}", json={"persistent": False})
    assert off.json()["persistent"] is False
    fresh = counts(owner, slug, 3)
    assert all(found == [1] * len(found) for found in fresh.values()), fresh


def test_only_the_owner_changes_it_and_forks_keep_it(live: Live) -> None:
    owner, other = live.client(), live.client()
    owner.signup("origin-owner")
    other.signup("forker")
    slug = owner.widget_with("http", {"main.py": COUNTER}, visibility="public")
    refused = other.api("PATCH", f"/api/widgets/{slug}", json={"persistent": True})
    assert_error(refused, 403)
    assert owner.api("GET", f"/api/widgets/{slug}").json()["persistent"] is False

    owner.api("PATCH", f"/api/widgets/{slug}", json={"persistent": True})
    fork = other.api("POST", f"/api/widgets/{slug}/fork", json={})
    assert fork.status_code == 201, fork.text
    assert fork.json()["persistent"] is True
    seen = counts(other, fork.json()["slug"], 3)
    assert kept(seen), seen


def test_a_wrong_value_is_refused(live: Live) -> None:
    owner = live.client()
    owner.signup("typist")
    slug = owner.widget_with("http", {"main.py": COUNTER})
    response = owner.api("PATCH", f"/api/widgets/{slug}", json={"persistent": "yes"})
    assert response.status_code == 400, response.text


def test_a_gui_apps_server_calls_keep_their_module_state(
    server: Server, alice: Browser, anon: Browser
) -> None:
    counting = SERVER + (
        "\nimport os\n_calls = 0\n\n\n@anvil.server.callable\ndef counted():\n"
        "    global _calls\n    _calls += 1\n    return [_calls, os.getpid()]\n"
    )
    app = make_app(alice, "Counting app", **{"server.py": counting})

    def counts() -> dict[int, list[int]]:
        seen: dict[int, list[int]] = defaultdict(list)
        for _ in range(3):
            response = call(anon, server, app, "counted")
            assert response.status_code == 200, response.text
            value, pid = response.json()["value"]
            seen[pid].append(value)
        return dict(seen)

    fresh = counts()
    assert all(found == [1] * len(found) for found in fresh.values()), fresh
    changed = alice.patch(f"/api/widgets/{app}", json={"persistent": True})
    assert changed.json()["persistent"] is True
    seen = counts()
    assert kept(seen), seen
    assert max(max(found) for found in seen.values()) >= 2, seen
