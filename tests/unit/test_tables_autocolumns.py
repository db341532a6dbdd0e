"""Columns that server code creates are saved into the widget's `tables.yaml` as a new
version, and a run's services end with it (`services.end_run_context`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from widgetbox.host.accounts.users import create_user, get_user
from widgetbox.host.storage.database import Database
from widgetbox.host.tables.autocolumns import recorder
from widgetbox.host.tables.session import TablesSession
from widgetbox.host.tables.store import TablesStore
from widgetbox.host.tables.tables_yaml import parse
from widgetbox.host.widgets import records as widgets
from widgetbox.host.widgets.records import Widget

pytestmark = pytest.mark.unit

SCHEMA = "tables:\n  people:\n    columns:\n      - {name: name, type: string}\n"
MAIN = "print('hello')\n"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "widgetbox.db")
    yield database
    database.close()


@pytest.fixture
def widget(db: Database) -> Widget:
    owner = db.write_now(create_user, "ann", "x", True)
    files = {"main.py": MAIN, "tables.yaml": SCHEMA}
    return db.write_now(widgets.create, owner, "script", "People", files=files)


def head(db: Database, widget: Widget) -> tuple[int, dict[str, str]]:
    fresh = db.read_now(widgets.fresh, widget)
    return fresh.head_version, db.read_now(widgets.head_files, fresh)


def test_new_columns_become_a_new_version(tmp_path: Path, db: Database, widget: Widget) -> None:
    store = TablesStore(tmp_path)
    session = TablesSession(store, widget.id, SCHEMA, on_new_columns=recorder(db, widget))
    ann = session.call({"op": "add_row", "table": "people", "values": {"name": "Ann"}}, 5)
    session.call(
        {
            "op": "add_row",
            "table": "people",
            "values": {"email": "a@b.c", "boss": {"$wb": "row", "v": ann["id"]}},
        },
        5,
    )
    version, files = head(db, widget)
    assert version == 2
    columns = parse(files["tables.yaml"]).tables["people"].columns
    assert [(c.name, c.type, c.target) for c in columns] == [
        ("name", "string", None),
        ("email", "string", None),
        ("boss", "link_single", "people"),
    ]
    assert files["main.py"] == MAIN
    (latest, *_) = db.read_now(widgets.versions, db.read_now(widgets.fresh, widget))
    assert latest.message == "Data Tables: added columns email, boss to table people"
    # a run of the new version finds them as they are: nothing retired, nothing new
    again = TablesSession(
        store, widget.id, files["tables.yaml"], on_new_columns=recorder(db, widget)
    )
    assert again.call({"op": "get", "table": "people", "query": {"eq": ["email", "a@b.c"]}}, 5)
    assert head(db, widget)[0] == 2


def test_a_column_already_in_the_schema_makes_no_version(
    tmp_path: Path, db: Database, widget: Widget
) -> None:
    store = TablesStore(tmp_path)
    record = recorder(db, widget)
    session = TablesSession(store, widget.id, SCHEMA, on_new_columns=record)
    session.call({"op": "add_row", "table": "people", "values": {"age": 3}}, 5)
    assert head(db, widget)[0] == 2
    # another run of the old version makes the same column: the schema has it already
    other = TablesStore(tmp_path / "other")
    TablesSession(other, widget.id, SCHEMA, on_new_columns=record).call(
        {"op": "add_row", "table": "people", "values": {"age": 4}}, 5
    )
    assert head(db, widget)[0] == 2


def test_a_deleted_widget_or_table_saves_nothing(
    tmp_path: Path, db: Database, widget: Widget
) -> None:
    store = TablesStore(tmp_path)
    owner = db.read_now(get_user, widget.owner_id)
    assert owner is not None
    files = {"main.py": MAIN, "tables.yaml": "tables:\n  pets: {}\n"}
    db.write_now(widgets.save, widget, owner, 1, files)  # the table went meanwhile
    session = TablesSession(store, widget.id, SCHEMA, on_new_columns=recorder(db, widget))
    session.call({"op": "add_row", "table": "people", "values": {"age": 3}}, 5)
    assert head(db, widget)[0] == 2  # the owner's version, no other
    db.write_now(widgets.delete, db.read_now(widgets.fresh, widget))
    session.call({"op": "add_row", "table": "people", "values": {"height": 3}}, 5)  # logged only
