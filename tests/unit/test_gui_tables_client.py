"""`anvil.tables` in a GUI app's browser, on CPython: the guest package with the browser's
transport against the real engine, as `/_/tables` answers it (`host/gui/client_tables.py`), and
server code's rows and searches carried both ways through the host's codec and capabilities,
as `/_/call` carries them. (The browser tier runs the same on Brython and Pyodide.)"""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.unit._client_dom import FakeAdapter, forget_modules, install_package
from widgetbox.host.gui import client_tables
from widgetbox.host.gui.capabilities import Capabilities, WidgetCapabilities
from widgetbox.host.tables import TablesError, TablesSession, TablesStore
from widgetbox.runtime import decode_value, encode_value

pytestmark = pytest.mark.unit

SCHEMA = """\
tables:
  people:
    client: full
    columns:
      - {name: name, type: string}
      - {name: age, type: number}
  secrets:
    client: none
    columns:
      - {name: word, type: string}
      - {name: n, type: number}
      - {name: owner, type: link_single, target: hidden}
      - {name: file, type: media}
  hidden:
    client: none
    columns:
      - {name: label, type: string}
"""
WIDGET = 1


@dataclass
class App:
    """One widget's tables, its server code's session and the browser's door to them."""

    store: TablesStore
    session: TablesSession
    signer: WidgetCapabilities
    requests: list[dict[str, Any]]

    def door(self, frame: bytes) -> bytes:
        """The bridge, for server code."""
        request = json.loads(frame)
        assert request["op"] == "tables"
        try:
            answer = {"ok": self.session.call(request["data"], 5.0)}
        except TablesError as e:
            answer = {"error": {"kind": e.kind, "message": e.message}}
        return json.dumps(answer).encode()

    def tables_request(self, op: dict[str, Any]) -> Any:
        """`/_/tables`, for browser code (JSON both ways)."""
        request = json.loads(json.dumps(op))
        self.requests.append(json.loads(json.dumps(op)))
        frame = client_tables.answer(self.store, WIDGET, SCHEMA, self.signer, request)
        return json.loads(json.dumps(frame))

    def as_server(self) -> None:
        self._switch(None)

    def as_browser(self) -> None:
        self._switch(self.tables_request)

    def _switch(self, transport: Any) -> None:
        """Server code or browser code from now on (each knows its own tables)."""
        from anvil.tables import _transport, app_tables

        _transport.set_transport(transport)
        object.__setattr__(app_tables, "_tables", None)

    def to_browser(self, value: Any) -> Any:
        """A server function's result, as `/_/call` hands it to the browser."""
        from anvil import _serialize

        self.as_server()
        text = json.dumps(_serialize.encode(value))
        sent = json.dumps(encode_value(self.signer.seal(decode_value(json.loads(text)))))
        self.as_browser()
        self.requests.clear()
        return _serialize.decode(json.loads(sent))

    def to_server(self, value: Any) -> Any:
        """A server function's argument, as `/_/call` hands it to server code."""
        from anvil import _serialize

        self.as_browser()
        text = json.dumps(_serialize.encode(value))
        sent = json.dumps(encode_value(self.signer.check(decode_value(json.loads(text)))))
        self.as_server()
        return _serialize.decode(json.loads(sent))


@pytest.fixture
def app(tmp_path: Path, guest_modules: None) -> Iterator[App]:
    from _widgetbox import bridge

    store = TablesStore(tmp_path)
    session = TablesSession(store, WIDGET, SCHEMA)
    made = App(store, session, Capabilities("key").of(WIDGET, "2026-12-04T00:00:00.000Z"), [])
    bridge.set_door(made.door)
    try:
        yield made
    finally:
        made.as_server()
        bridge.set_door(None)
        session.end()
        store.close()


@pytest.fixture
def tables(app: App) -> types.ModuleType:
    import anvil
    import anvil.tables
    from anvil.tables import app_tables

    app.as_server()
    for name, age in [("Ann", 30), ("Bob", 17), ("Cy", 65)]:
        app_tables.people.add_row(name=name, age=age)
    hidden = app_tables.hidden.add_row(label="deep")
    for n in range(5):
        media = anvil.BlobMedia("text/plain", f"file {n}".encode(), name=f"{n}.txt")
        app_tables.secrets.add_row(word=f"w{n}", n=n, owner=hidden, file=media)
    return anvil.tables


def test_the_browser_uses_the_tables_its_client_level_allows(app: App, tables: Any) -> None:
    import anvil.server

    app.as_browser()
    people = tables.app_tables.people
    assert sorted(row["name"] for row in people.search()) == ["Ann", "Bob", "Cy"]
    added = people.add_row(name="Di", age=40)
    added["age"] += 1
    assert people.get(name="Di")["age"] == 41
    added.delete()
    assert len(people.search()) == 3
    with pytest.raises(AttributeError, match="No such app table: 'secrets'"):
        tables.app_tables.secrets  # noqa: B018 - hidden from the browser
    with pytest.raises(anvil.server.PermissionDenied, match="Cannot read from table 'secrets'"):
        tables.Table("secrets", tables.app_tables).search()
    refused = pytest.raises(tables.TableError, match="only perform table transactions from")
    with refused, tables.Transaction():
        pass
    assert all("cap" not in op for op in app.requests)  # nothing to show for its own reads


def test_a_returned_row_of_a_hidden_table_reads_its_links_and_media(app: App, tables: Any) -> None:
    import anvil.server

    app.as_server()
    row = app.to_browser(tables.app_tables.secrets.get(n=2))
    assert (row["word"], row["n"]) == ("w2", 2)
    assert app.requests == []  # its values came with it
    assert row["owner"]["label"] == "deep"  # a link, read with its capability
    assert row["file"].get_bytes() == b"file 2"
    row.update()  # forget the values, read again
    assert row["word"] == "w2"
    assert [op["op"] for op in app.requests] == ["row", "media", "row"]
    assert all(op["cap"].startswith("read.") for op in app.requests)
    with pytest.raises(anvil.server.PermissionDenied, match="Cannot write to table 'secrets'"):
        row["word"] = "changed"
    with pytest.raises(anvil.server.PermissionDenied):
        row.delete()


def test_a_returned_search_of_a_hidden_table_reads_its_later_pages(app: App, tables: Any) -> None:
    q = tables.query
    app.as_server()
    found = tables.app_tables.secrets.search(tables.order_by("n"), q.page_size(2))
    there = app.to_browser(found)
    assert [row["word"] for row in there] == ["w0", "w1", "w2", "w3", "w4"]
    assert len(there) == 5
    assert [(op["op"], op.get("offset")) for op in app.requests] == [
        ("search", 2),
        ("search", 4),
        ("count", None),
    ]
    assert all(op["cap"].startswith("read.") for op in app.requests)
    # a later page's rows are readable further too
    later = list(there)[4]
    later.update()
    assert later["owner"]["label"] == "deep"


def test_rows_and_searches_go_back_to_server_code(app: App, tables: Any) -> None:
    app.as_browser()
    people = tables.app_tables.people
    ann = people.get(name="Ann")
    back = app.to_server(ann)
    assert isinstance(back, tables.Row)
    assert back["age"] == 30
    app.as_browser()
    found = app.to_server(people.search(age=tables.query.greater_than(18)))
    assert sorted(row["name"] for row in found) == ["Ann", "Cy"]
    # and what server code handed over goes back as well
    app.as_server()
    secret = app.to_browser(tables.app_tables.secrets.get(n=4))
    assert app.to_server([secret])[0]["word"] == "w4"
    linked = app.to_server(secret["owner"])
    assert linked["label"] == "deep"


def test_the_client_offers_its_transport_through_anvil(guest_modules: None) -> None:
    import anvil

    sent = []

    def transport(op: dict[str, Any]) -> dict[str, Any]:
        sent.append(op)
        return {"ok": {"tables": {}, "auto_create": False}}

    anvil._tables_transport = transport  # as the browser's `anvil` package does
    from anvil.tables import _transport, app_tables

    assert _transport.in_browser()
    assert list(app_tables) == []
    assert sent == [{"op": "describe"}]


# -- the client package's transport ---------------------------------------------------------


@pytest.fixture
def page(tmp_path: Path) -> Iterator[FakeAdapter]:
    """The browser's `anvil` package as the build bundles it (with the guest's `anvil.tables`),
    behind a fake page."""
    saved = forget_modules()
    install_package(tmp_path)
    sys.path.insert(0, str(tmp_path))
    adapter = FakeAdapter()
    try:
        import anvil._platform

        anvil._platform.current = adapter
        yield adapter
    finally:
        sys.path.remove(str(tmp_path))
        forget_modules()
        sys.modules.update(saved)


def test_the_browser_package_posts_each_operation_to_its_apps_tables(page: FakeAdapter) -> None:
    described = {"tables": {"people": {"id": 1, "client": "full", "columns": []}}}
    answers = iter(
        [
            (200, json.dumps({"ok": described})),
            (200, json.dumps({"ok": {"rows": [], "more": False, "cap": "pass.x"}})),
            (200, json.dumps({"error": {"kind": "PermissionDenied", "message": "Cannot"}})),
            (429, json.dumps({"error": {"status": 429, "message": "Too many requests"}})),
            (0, ""),
        ]
    )
    page.answer = lambda payload: next(answers)
    import anvil.server
    import anvil.tables
    from anvil.tables import app_tables

    found = app_tables.people.search()
    assert list(found) == []
    assert page.requests == [
        ("/_/tables", {"op": "describe"}),
        ("/_/tables", {"op": "search", "table": "people", "query": {"all": []}, "order": [],
                       "page_size": None, "offset": 0, "fetch_only": None}),
    ]  # fmt: skip
    with pytest.raises(anvil.server.PermissionDenied, match="Cannot"):
        app_tables.people.add_row(name="x")
    with pytest.raises(anvil.server.QuotaExceededError, match="Too many requests"):
        len(app_tables.people.search())
    with pytest.raises(anvil.server.AppOfflineError):
        app_tables.people.get(name="x")


def test_the_browser_package_has_anvil_tz(page: FakeAdapter) -> None:
    import datetime

    import anvil.tz

    when = datetime.datetime(2026, 12, 4, 12, tzinfo=anvil.tz.tzutc())
    assert when.astimezone(anvil.tz.tzoffset(hours=1)).hour == 13
