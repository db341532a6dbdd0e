"""Widgets' tables files on disk: made on first use, the catalogue kept in step with the
schema without losing data, deadlines and the storage limit, deleting, copying, and the
bound on open files."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests._timing import by_deadline
from widgetbox.host.tables import catalogue as catalogues
from widgetbox.host.tables.errors import QuotaExceeded, TableError, TablesError
from widgetbox.host.tables.limits import TableLimits
from widgetbox.host.tables.session import TablesSession
from widgetbox.host.tables.store import TablesStore
from widgetbox.host.tables.tables_yaml import parse

pytestmark = pytest.mark.unit

V1 = """
tables:
  people:
    columns:
      - {name: name, type: string}
      - {name: age, type: number}
  pets:
    columns:
      - {name: owner, type: link_single, target: people}
"""


def schema_with(columns: str, tables: str = "") -> str:
    return f"tables:\n  people:\n    columns: [{columns}]\n{tables}"


def add(session: TablesSession, table: str = "people", **values: Any) -> dict[str, Any]:
    result: dict[str, Any] = session.call({"op": "add_row", "table": table, "values": values}, 5)
    return result


def columns(session: TablesSession, table: str = "people") -> list[tuple[str, str]]:
    described = session.call({"op": "describe"}, 5)
    return [(c["name"], c["type"]) for c in described["tables"][table]["columns"]]


def test_the_file_is_made_on_first_use_only(tmp_path: Path) -> None:
    store = TablesStore(tmp_path)
    path = store.path(7)
    assert path == tmp_path / "tables" / "7.db"
    session = TablesSession(store, 7, V1)
    assert not path.exists()
    assert not (tmp_path / "tables").exists()
    add(session, name="Ann")
    assert path.exists()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"_wb_meta", "_wb_tables", "_wb_columns", "_wb_media", "t1", "t2"} <= names
    # one index per scalar column, named by id only
    assert {"i1", "i2", "i3"} <= names
    assert all(not name.startswith(("people", "pets")) for name in names)


def test_retired_columns_keep_their_data_and_come_back(tmp_path: Path) -> None:
    store = TablesStore(tmp_path)
    first = TablesSession(
        store, 1, schema_with("{name: name, type: string}, {name: age, type: number}")
    )
    ann = add(first, name="Ann", age=30)
    without = TablesSession(store, 1, schema_with("{name: name, type: string}"))
    assert columns(without) == [("name", "string")]
    assert without.call({"op": "row", "id": ann["id"]}, 5)["values"] == {"name": "Ann"}
    back = TablesSession(
        store, 1, schema_with("{name: name, type: string}, {name: age, type: number}")
    )
    assert back.call({"op": "row", "id": ann["id"]}, 5)["values"]["age"] == 30
    # a type change makes a new column and keeps the old one's data aside
    retyped = TablesSession(
        store, 1, schema_with("{name: name, type: string}, {name: age, type: string}")
    )
    assert retyped.call({"op": "row", "id": ann["id"]}, 5)["values"]["age"] is None
    add(retyped, name="Bob", age="thirty")
    again = TablesSession(
        store, 1, schema_with("{name: name, type: string}, {name: age, type: number}")
    )
    assert again.call({"op": "row", "id": ann["id"]}, 5)["values"]["age"] == 30


def test_retired_tables_come_back_with_their_rows(tmp_path: Path) -> None:
    store = TablesStore(tmp_path)
    first = TablesSession(store, 1, V1)
    ann = add(first, name="Ann")
    only_pets = TablesSession(store, 1, "tables:\n  pets: {}\n")
    with pytest.raises(TablesError) as caught:
        only_pets.call({"op": "count", "table": "people"}, 5)
    assert caught.value.kind == "NoSuchTable"
    assert caught.value.message == "No such app table: 'people'"
    back = TablesSession(store, 1, V1)
    assert back.call({"op": "row", "id": ann["id"]}, 5)["values"]["name"] == "Ann"


def test_an_unchanged_schema_costs_no_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = TablesStore(tmp_path)
    add(TablesSession(store, 1, V1), name="Ann")
    synced: list[object] = []
    real = catalogues.sync
    monkeypatch.setattr(
        catalogues, "sync", lambda conn, schema: synced.append(1) or real(conn, schema)
    )
    for _ in range(3):
        TablesSession(store, 1, V1).call({"op": "count", "table": "people"}, 5)
    assert synced == []
    # and after a restart (a new store) the digest in the file says so too
    TablesSession(TablesStore(tmp_path), 1, V1).call({"op": "count", "table": "people"}, 5)
    assert synced == []


def test_a_broken_schema_fails_every_operation_with_its_problems(tmp_path: Path) -> None:
    session = TablesSession(TablesStore(tmp_path), 1, "tables:\n  people:\n    client: maybe\n")
    with pytest.raises(TableError, match=r"tables\.people\.client: 'maybe'"):
        session.call({"op": "describe"}, 5)


def test_sqlite_work_stops_at_the_deadline(tmp_path: Path) -> None:
    store = TablesStore(tmp_path)
    add(TablesSession(store, 1, V1), name="Ann")
    tables = store.open(1)
    endless = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    )
    for write in (False, True):
        started = time.monotonic()
        with (
            pytest.raises(TableError, match="took longer than its time limit"),
            tables.work(started + 0.2, write=write) as work,
        ):
            work.conn.execute(endless).fetchone()
        assert by_deadline(time.monotonic() - started, 0.2)
    # the writer is usable again, and not left in a transaction
    add(TablesSession(store, 1, V1), name="Bob")
    assert not store.open(1)._writer.in_transaction  # type: ignore[union-attr]


def test_a_write_past_the_storage_limit_is_undone(tmp_path: Path) -> None:
    store = TablesStore(tmp_path, TableLimits(storage_bytes=400_000))
    session = TablesSession(store, 1, V1)
    add(session, name="small")
    with pytest.raises(QuotaExceeded, match=r"size limit exceeded.*400 kB"):
        add(session, name="x" * 300_000)
    assert session.call({"op": "count", "table": "people"}, 5) == 1
    # deleting makes room again (free pages are not counted)
    many = [{"name": "y" * 10_000} for _ in range(12)]
    session.call({"op": "add_rows", "table": "people", "rows": many}, 5)
    with pytest.raises(QuotaExceeded):
        session.call({"op": "add_rows", "table": "people", "rows": many}, 5)
    session.call({"op": "delete_where", "table": "people", "query": {"like": ["name", "y%"]}}, 5)
    session.call({"op": "add_rows", "table": "people", "rows": many}, 5)


def test_delete_removes_the_file_and_refuses_runs_of_the_deleted_widget(tmp_path: Path) -> None:
    store = TablesStore(tmp_path)
    old_run = TablesSession(store, 3, V1)
    add(old_run, name="Ann")
    old_run.call({"op": "begin"}, 5)
    store.delete(3)  # the open transaction is rolled back first
    assert not list((tmp_path / "tables").iterdir())
    with pytest.raises(TableError, match="This transaction has expired"):
        add(old_run, name="Bob")
    with pytest.raises(TableError, match="have been deleted"):
        add(old_run, name="Bob")
    assert not store.path(3).exists()
    new_run = TablesSession(store, 3, V1)  # a new widget with the same id
    assert new_run.call({"op": "count", "table": "people"}, 5) == 0
    store.delete(99)  # no file: nothing to do


def test_copy_is_consistent_and_replaces_the_target(tmp_path: Path) -> None:
    store = TablesStore(tmp_path)
    source = TablesSession(store, 1, V1)
    ann = add(source, name="Ann", age=30)
    target = TablesSession(store, 2, V1)
    add(target, name="Old")
    source.call({"op": "begin"}, 5)
    add(source, name="Uncommitted")
    store.copy(1, 2)
    source.call({"op": "rollback"}, 5)
    fork = TablesSession(store, 2, V1)
    found = fork.call({"op": "search", "table": "people"}, 5)["rows"]
    assert [row["values"]["name"] for row in found] == ["Ann"]
    assert found[0]["id"] == ann["id"]
    store.copy(5, 2)  # nothing to copy: the target has no tables
    assert not store.path(2).exists()
    assert not [p for p in (tmp_path / "tables").iterdir() if p.name.startswith(".")]


def test_only_so_many_files_stay_open(tmp_path: Path) -> None:
    store = TablesStore(tmp_path, TableLimits(open_files=2))
    sessions = [TablesSession(store, n, V1) for n in range(1, 5)]
    for session in sessions:
        add(session, name="x")
    assert [store.open(n).is_open for n in (1, 2)] == [False, False]
    assert store.open(1) is store.open(1)  # one object per widget: one writer lock
    assert sessions[0].call({"op": "count", "table": "people"}, 5) == 1  # reopens


def test_a_file_with_a_transaction_is_not_closed(tmp_path: Path) -> None:
    store = TablesStore(tmp_path, TableLimits(open_files=1))
    busy = TablesSession(store, 1, V1)
    busy.call({"op": "begin"}, 5)
    add(busy, name="in a transaction")
    add(TablesSession(store, 2, V1), name="other")
    assert store.open(1).is_open
    busy.call({"op": "commit"}, 5)
    assert busy.call({"op": "count", "table": "people"}, 5) == 1


def test_the_hosts_own_reads(tmp_path: Path) -> None:
    store = TablesStore(tmp_path)
    session = TablesSession(store, 1, V1)
    for n in range(5):
        add(session, name=f"p{n}", age=n)
    tables = store.open(1)
    page = tables.rows("people", offset=1, limit=2, order=[["age", False]])
    assert page.total == 5
    assert [row["values"]["name"] for row in page.rows] == ["p3", "p2"]
    assert set(tables.describe()["tables"]) == {"people", "pets"}
    assert tables.size() > 0
    assert store.open(42).size() == 0


def test_the_catalogue_ddl_only_uses_ids(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    catalogues.create(conn)
    hostile = 'x"; DROP TABLE _wb_meta; --'
    text = f"tables:\n  t:\n    columns:\n      - name: '{hostile}'\n        type: string\n"
    found = catalogues.sync(conn, parse(text))
    assert hostile in found.tables["t"].columns
    sql = " ".join(
        row[0] for row in conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")
    )
    assert "DROP" not in sql
