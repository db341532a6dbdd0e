"""The lean host path of widgets' HTTP APIs (issue 16), over real HTTP: the widget and its
code are kept in memory between requests (`widgets/heads.py`), and every change is served
by the very next request; request logs are written in batches and none is lost when the
server stops."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server._client import Browser
from tests.server._live import Client, Live, serve
from tests.server.conftest import Server
from widgetbox.host.runs import request_log
from widgetbox.host.storage.database import Database
from widgetbox.host.widgets import heads as heads_module
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.heads import MAX_AGE, Heads
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Code

pytestmark = pytest.mark.server


def answering(text: str) -> dict[str, str]:
    return {
        "main.py": (
            "import anvil.server\n\n"
            '@anvil.server.route("/which")\n'
            "def which(**params):\n"
            f"    return {text!r}\n"
        )
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("lean")) as running:
        running.user("admin")
        yield running


OWNERS = itertools.count()


@pytest.fixture
def owner(live: Live) -> Client:
    return live.user(f"owner{next(OWNERS)}")


def test_a_saved_version_is_served_by_the_next_request(live: Live, owner: Client) -> None:
    slug = owner.widget_with("http", answering("v0"), visibility="public")
    visitor = live.client()
    for n in range(1, 6):
        assert visitor.get(f"/w/{slug}/which").text == f"v{n - 1}"  # now in memory
        owner.save(slug, answering(f"v{n}"))
        # no pause: the save's answer came after its revision moved
        assert visitor.get(f"/w/{slug}/which").text == f"v{n}"


def test_a_restored_version_is_served_by_the_next_request(live: Live, owner: Client) -> None:
    slug = owner.widget_with("http", answering("first"), visibility="public")
    owner.save(slug, answering("second"))
    visitor = live.client()
    assert visitor.get(f"/w/{slug}/which").text == "second"
    head = owner.api("GET", f"/api/widgets/{slug}").json()["head_version"]
    restored = owner.api(
        "POST", f"/api/widgets/{slug}/versions/{head - 1}/restore", json={"base_version": head}
    )
    assert restored.status_code in (200, 201), restored.text
    assert visitor.get(f"/w/{slug}/which").text == "first"


def test_visibility_changes_apply_to_the_next_request(live: Live, owner: Client) -> None:
    slug = owner.widget_with("http", answering("hello"), visibility="public")
    visitor = live.client()
    assert visitor.get(f"/w/{slug}/which").status_code == 200
    changed = owner.api("PATCH", f"/api/widgets/{slug}", json={"visibility": "private"})
    assert changed.status_code == 200, changed.text
    assert visitor.get(f"/w/{slug}/which").status_code == 404
    assert owner.get(f"/w/{slug}/which").text == "hello"  # its owner still may
    owner.api("PATCH", f"/api/widgets/{slug}", json={"visibility": "unlisted"})
    assert visitor.get(f"/w/{slug}/which").text == "hello"


def test_a_renamed_widget_is_served_only_at_its_new_address(live: Live, owner: Client) -> None:
    slug = owner.widget_with("http", answering("moved"), visibility="public")
    visitor = live.client()
    assert visitor.get(f"/w/{slug}/which").text == "moved"
    renamed = owner.api("PATCH", f"/api/widgets/{slug}", json={"slug": f"{slug}-new"})
    assert renamed.status_code == 200, renamed.text
    old = visitor.get(f"/w/{slug}/which")  # not served there: a redirect to the new one
    assert old.status_code == 308
    assert old.headers["location"].endswith(f"/w/{slug}-new/which")
    assert visitor.get(f"/w/{slug}-new/which").text == "moved"


def test_a_deleted_widget_is_gone_from_the_next_request(live: Live, owner: Client) -> None:
    slug = owner.widget_with("http", answering("here"), visibility="public")
    visitor = live.client()
    assert visitor.get(f"/w/{slug}/which").text == "here"
    assert owner.api("DELETE", f"/api/widgets/{slug}").status_code in (200, 204)
    assert visitor.get(f"/w/{slug}/which").status_code == 404


def test_request_logs_waiting_in_memory_are_written_when_the_server_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is written by the batch timer here (it would wait an hour): only stopping
    the server writes the entries, and every request answered is in the database after."""
    monkeypatch.setattr(request_log, "FLUSH_EVERY", 3600.0)
    data = tmp_path / "data"
    with serve(data) as running:
        running.user("admin")
        owner = running.user("owner")
        slug = owner.widget_with("http", answering("logged"), visibility="public")
        visitor = running.client()
        for _ in range(12):
            assert visitor.get(f"/w/{slug}/which").text == "logged"
    with sqlite3.connect(data / "widgetbox.db") as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM runs JOIN widgets ON widgets.id = runs.widget_id "
            "WHERE widgets.slug = ? AND runs.trigger = 'http' AND runs.status = 'ok'",
            [slug],
        ).fetchone()
        numbers = [
            row[0]
            for row in db.execute(
                "SELECT number FROM runs JOIN widgets ON widgets.id = runs.widget_id "
                "WHERE widgets.slug = ? ORDER BY runs.id",
                [slug],
            )
        ]
    assert count == 12
    assert numbers == list(range(1, len(numbers) + 1))  # numbered in order, none twice


# -- the cache and the revision it trusts, in process -------------------------------------


def test_the_revision_moves_on_watched_writes_only(server: Server, alice: Browser) -> None:
    db = server.db
    before = db.revision
    db.write_now(lambda d: d.execute("UPDATE runs SET message = message"))
    db.write_now(lambda d: d.execute("SELECT COUNT(*) FROM widgets").fetchone())
    assert db.revision == before  # the logs, and a write that changed nothing
    slug = alice.create_widget("http", "Watched", visibility="public")["slug"]
    assert db.revision > before
    moved = db.revision
    db.write_now(lambda d: d.execute("UPDATE widgets SET title = 'x' WHERE slug = ?", [slug]))
    assert db.revision == moved + 1

    def fails(d: Any) -> None:
        d.execute("UPDATE widgets SET title = 'y' WHERE slug = ?", [slug])
        raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        db.write_now(fails)
    assert db.revision >= moved + 1  # counting a rollback is harmless; missing a write is not


def test_a_read_overtaken_by_a_write_is_not_kept(server: Server, alice: Browser) -> None:
    """A save that commits while a request reads the widget: what that read saw is kept
    under the older revision, so the next request reads again and sees the save."""
    slug = alice.create_widget("http", "Raced", visibility="public")["slug"]
    assert alice.save(slug, answering("old"), 1).status_code == 201
    runner = server.app.state.runner
    saved = []

    def code_then_save(d: Any, widget: Widget) -> Code:
        code = runner.code_in(d, widget)
        if not saved:  # the save commits between this read and the cache keeping it
            server.db.write_now(widgets.update, widget, "Raced again")
            saved.append(True)
        return code

    heads = Heads(server.db, code_then_save)
    first = server.call(heads.get, slug)
    assert first.widget.title == "Raced"
    second = server.call(heads.get, slug)
    assert second.widget.title == "Raced again"
    assert server.call(heads.get, slug) is second  # and now it is kept


def test_another_process_writes_are_seen_after_max_age(
    server: Server, alice: Browser, tmp_path: Path
) -> None:
    slug = alice.create_widget("http", "Elsewhere", visibility="public")["slug"]
    now = [0.0]
    heads = Heads(server.db, server.app.state.runner.code_in, clock=lambda: now[0])
    assert server.call(heads.get, slug).widget.title == "Elsewhere"
    other = Database(server.db.path)  # its own writer: this process's revision stays
    try:
        widget = other.read_now(widgets.find, slug)
        other.write_now(widgets.update, widget, "Changed elsewhere")
    finally:
        other.close()
    assert server.call(heads.get, slug).widget.title == "Elsewhere"
    now[0] += MAX_AGE
    assert server.call(heads.get, slug).widget.title == "Changed elsewhere"


def test_only_so_many_widgets_are_kept(
    server: Server, alice: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heads_module, "MAX_ENTRIES", 2)
    slugs = [alice.create_widget("http", f"Kept {n}")["slug"] for n in range(3)]
    heads = Heads(server.db, server.app.state.runner.code_in)
    for slug in slugs:
        server.call(heads.get, slug)
    assert list(heads._entries) == slugs[1:]
    assert server.call(heads.get, "no-such-widget") is None
    assert "no-such-widget" not in heads._entries
