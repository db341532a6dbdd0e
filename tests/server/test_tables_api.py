"""The Data Tables API over HTTP: the owner builds tables and columns (each change a new
version of `tables.yaml`), sets the client permission, edits rows typed per column, changes a
column's type only when every value converts, imports CSV all or nothing with every problem
listed by line, and exports it; everyone else is refused as the rest of the API refuses them.
Forks get the schema and empty tables unless the owner copies the data; deleting a widget
deletes its tables file; backups carry every widget's tables and restores put them back
whole or not at all."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from tests.server._client import Browser, assert_error, login
from tests.server.conftest import Server
from widgetbox.host.cli import main
from widgetbox.host.tables.store import TablesStore

pytestmark = pytest.mark.server


def base(slug: str) -> str:
    return f"/api/widgets/{slug}/tables"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def add_table(browser: Browser, slug: str, table: str, /, **columns: str) -> dict[str, Any]:
    """A table with these columns (`type`, or `link_single:target`)."""
    answer = ok(browser.post(base(slug), json={"name": table}), 201)
    for name, spec in columns.items():
        kind, _, target = spec.partition(":")
        body = {"name": name, "type": kind, **({"target": target} if target else {})}
        answer = ok(browser.post(f"{base(slug)}/{table}/columns", json=body), 201)
    return answer


def add_row(browser: Browser, slug: str, table: str, /, **text: str) -> dict[str, Any]:
    row: dict[str, Any] = ok(browser.post(f"{base(slug)}/{table}/rows", json={"text": text}), 201)
    return row


def rows(browser: Browser, slug: str, table: str, **query: Any) -> dict[str, Any]:
    page: dict[str, Any] = ok(browser.get(f"{base(slug)}/{table}/rows", params=query))
    return page


def column(slug: str, table: str, name: str) -> str:
    return f"{base(slug)}/{table}/columns?column={name}"


def schema_of(browser: Browser, slug: str) -> dict[str, Any]:
    files = browser.widget(slug)["files"]
    loaded: dict[str, Any] = yaml.safe_load(files["tables.yaml"])
    return loaded


def tables_file(server: Server, widget_id: int) -> Path:
    return TablesStore(server.config.server.data_dir).path(widget_id)


@pytest.fixture
def slug(alice: Browser) -> str:
    found: str = alice.create_widget(title="Data", visibility="public")["slug"]
    return found


# -- tables and columns ----------------------------------------------------------------------


def test_tables_and_columns_are_saved_as_versions_of_tables_yaml(alice: Browser, slug: str) -> None:
    assert ok(alice.get(base(slug))) == {
        "version": 1,
        "auto_create": True,
        "tables": [],
        "problems": [],
    }
    answer = add_table(
        alice,
        slug,
        "people",
        name="string",
        age="number",
        member="bool",
        born="date",
        seen="datetime",
        extra="simpleObject",
        photo="media",
    )
    add_table(alice, slug, "teams", lead="link_single:people", members="link_multiple:people")
    answer = ok(alice.get(base(slug)))
    assert answer["version"] == 12  # created, then 11 changes
    people, teams = answer["tables"]
    assert people["name"] == "people"
    assert people["client"] == "none"
    assert people["rows"] == 0
    assert [(c["name"], c["type"]) for c in people["columns"]] == [
        ("name", "string"),
        ("age", "number"),
        ("member", "bool"),
        ("born", "date"),
        ("seen", "datetime"),
        ("extra", "simpleObject"),
        ("photo", "media"),
    ]
    assert teams["columns"] == [
        {"name": "lead", "type": "link_single", "target": "people"},
        {"name": "members", "type": "link_multiple", "target": "people"},
    ]
    schema = schema_of(alice, slug)
    assert schema["tables"]["teams"]["columns"][0] == {
        "name": "lead",
        "type": "link_single",
        "target": "people",
    }
    messages = [v["message"] for v in ok(alice.get(f"/api/widgets/{slug}/versions"))["versions"]]
    assert messages[-2:] == ["Data Tables: added table people", "Created"]
    assert "Data Tables: added column lead to table teams" in messages

    # refusals say why
    assert_error(alice.post(base(slug), json={"name": "people"}), 409, "table_exists")
    assert_error(alice.post(base(slug), json={"name": "2bad"}), 422, "invalid_table_name")
    assert_error(
        alice.post(f"{base(slug)}/people/columns", json={"name": "age", "type": "string"}),
        409,
        "column_exists",
    )
    assert_error(
        alice.post(f"{base(slug)}/people/columns", json={"name": "x", "type": "link_single"}),
        422,
        "invalid_column_type",
    )
    assert_error(alice.post(f"{base(slug)}/nope/columns", json={"name": "x", "type": "string"}),
                 404, "no_such_table")  # fmt: skip
    assert (
        alice.post(f"{base(slug)}/people/columns", json={"name": "x", "type": "text"}).status_code
        == 400
    )
    # deleting a table other tables link to is refused until the links go
    error = assert_error(alice.delete(f"{base(slug)}/people"), 409, "table_linked")
    assert error["details"]["columns"] == ["teams.lead", "teams.members"]


def test_auto_create_and_client_permission(alice: Browser, slug: str) -> None:
    add_table(alice, slug, "notes", text="string")
    answer = ok(alice.patch(f"{base(slug)}/notes", json={"client": "search"}))
    assert answer["tables"][0]["client"] == "search"
    assert schema_of(alice, slug)["tables"]["notes"]["client"] == "search"
    answer = ok(alice.patch(f"{base(slug)}/notes", json={"client": "full"}))
    assert answer["tables"][0]["client"] == "full"
    assert alice.patch(f"{base(slug)}/notes", json={"client": "all"}).status_code == 400
    assert_error(alice.patch(f"{base(slug)}/nope", json={"client": "full"}), 404, "no_such_table")

    answer = ok(alice.patch(base(slug), json={"auto_create": False}))
    assert answer["auto_create"] is False
    assert schema_of(alice, slug)["auto_create_columns"] is False
    # asking for what is already so saves no version
    version = answer["version"]
    assert ok(alice.patch(base(slug), json={"auto_create": False}))["version"] == version


def test_renames_keep_the_rows_and_links_follow(alice: Browser, slug: str) -> None:
    add_table(alice, slug, "people", name="string")
    add_table(alice, slug, "teams", lead="link_single:people")
    ada = add_row(alice, slug, "people", name="Ada")
    add_row(alice, slug, "teams", lead=ada["ref"])

    ok(alice.patch(f"{base(slug)}/people", json={"name": "persons"}))
    ok(alice.patch(column(slug, "persons", "name"), json={"name": "full name"}))
    listing = ok(alice.get(base(slug)))
    assert [t["name"] for t in listing["tables"]] == ["persons", "teams"]
    assert listing["tables"][1]["columns"][0]["target"] == "persons"
    page = rows(alice, slug, "persons")
    assert [r["values"] for r in page["rows"]] == [{"full name": "Ada"}]
    assert rows(alice, slug, "teams")["rows"][0]["values"]["lead"] == {
        "$wb": "row",
        "v": ada["ref"],
    }
    assert_error(alice.get(f"{base(slug)}/people/rows"), 404, "no_such_table")

    # a new table under the old name starts empty
    add_table(alice, slug, "people", name="string")
    assert rows(alice, slug, "people")["total"] == 0


def test_what_tables_yaml_drops_by_hand_never_comes_back_under_a_rename(
    alice: Browser, slug: str
) -> None:
    add_table(alice, slug, "people", name="string", note="string")
    add_row(alice, slug, "people", name="Ada", note="first")
    files = alice.widget(slug)["files"]
    kept = {
        **files,
        "tables.yaml": "tables:\n  people:\n    columns:\n      - {name: name, type: string}\n",
    }
    assert alice.save(slug, kept, alice.widget(slug)["head_version"]).status_code == 201
    assert rows(alice, slug, "people")["rows"][0]["values"] == {"name": "Ada"}  # note: retired
    ok(alice.post(f"{base(slug)}/people/columns", json={"name": "remark", "type": "string"}), 201)
    ok(alice.patch(f"{base(slug)}/people/rows/1", json={"text": {"remark": "new"}}))
    ok(alice.patch(column(slug, "people", "remark"), json={"name": "note"}))
    assert rows(alice, slug, "people")["rows"][0]["values"] == {"name": "Ada", "note": "new"}

    files = alice.widget(slug)["files"]
    assert (
        alice.save(
            slug, {**files, "tables.yaml": "tables: {}\n"}, alice.widget(slug)["head_version"]
        ).status_code
        == 201
    )
    assert ok(alice.get(base(slug)))["tables"] == []  # people: retired, with its row
    add_table(alice, slug, "crew", name="string")
    add_row(alice, slug, "crew", name="Bob")
    ok(alice.patch(f"{base(slug)}/crew", json={"name": "people"}))
    assert [r["values"] for r in rows(alice, slug, "people")["rows"]] == [{"name": "Bob"}]


def test_rows_are_typed_per_column_paged_and_sorted(alice: Browser, slug: str) -> None:
    add_table(alice, slug, "people", name="string", age="number", member="bool", born="date",
              seen="datetime", extra="simpleObject")  # fmt: skip
    first = add_row(alice, slug, "people", name="Ada", age="36", member="yes", born="1815-12-10",
                    seen="2026-12-04T10:30:00+01:00", extra='{"langs": ["en"]}')  # fmt: skip
    assert first["id"] == 1
    assert first["ref"].endswith(",1]")
    assert first["values"] == {
        "name": "Ada",
        "age": 36,
        "member": True,
        "born": {"$wb": "date", "v": "1815-12-10"},
        "seen": {"$wb": "datetime", "v": "2026-12-04T09:30:00.000000+00:00"},
        "extra": {"langs": ["en"]},
    }
    assert first["text"]["member"] == "true"
    assert first["text"]["extra"] == '{"langs":["en"]}'
    # values in their wire form work too
    second = ok(
        alice.post(f"{base(slug)}/people/rows", json={"values": {"name": "Bob", "age": 2.5}}), 201
    )
    assert second["values"]["age"] == 2.5
    assert second["values"]["member"] is None

    # a value that does not fit says which column
    error = assert_error(
        alice.post(f"{base(slug)}/people/rows", json={"text": {"age": "old"}}), 422, "invalid_value"
    )
    assert "age" in error["message"]
    assert error["details"]["column"] == "age"
    error = assert_error(
        alice.post(f"{base(slug)}/people/rows", json={"values": {"age": "old"}}),
        422,
        "invalid_value",
    )
    assert "number" in error["message"]
    assert_error(
        alice.post(f"{base(slug)}/people/rows", json={"values": {"nope": 1}}), 404, "no_such_column"
    )

    # change and delete
    changed = ok(
        alice.patch(f"{base(slug)}/people/rows/2", json={"text": {"age": "", "member": "no"}})
    )
    assert changed["values"]["age"] is None
    assert changed["values"]["member"] is False
    assert changed["values"]["name"] == "Bob"  # left out: kept
    assert ok(alice.delete(f"{base(slug)}/people/rows/2"), 204) is None
    assert_error(alice.delete(f"{base(slug)}/people/rows/2"), 404, "no_such_row")
    assert_error(
        alice.patch(f"{base(slug)}/people/rows/2", json={"text": {"age": "1"}}), 404, "no_such_row"
    )

    # pages and order
    for n in range(3, 10):
        add_row(alice, slug, "people", name=f"p{n}", age=str(n * 7 % 10))
    page = rows(alice, slug, "people", limit=3)
    assert page["total"] == 8
    assert len(page["rows"]) == 3
    assert page["offset"] == 0
    assert [r["values"]["name"] for r in page["rows"]] == ["Ada", "p3", "p4"]
    page = rows(alice, slug, "people", limit=3, offset=6)
    assert [r["values"]["name"] for r in page["rows"]] == ["p8", "p9"]
    page = rows(alice, slug, "people", order="age", descending=True, limit=4)
    assert [r["values"]["age"] for r in page["rows"]] == [36, 9, 8, 6]
    page = rows(alice, slug, "people", order="age")
    assert [r["values"]["age"] for r in page["rows"]][:3] == [1, 2, 3]
    assert_error(
        alice.get(f"{base(slug)}/people/rows", params={"order": "nope"}), 404, "no_such_column"
    )
    assert alice.get(f"{base(slug)}/people/rows", params={"limit": 5000}).status_code == 400
    assert ok(alice.get(base(slug)))["tables"][0]["rows"] == 8


def test_a_type_change_keeps_values_only_when_every_one_converts(alice: Browser, slug: str) -> None:
    add_table(alice, slug, "things", size="string", day="date", label="number")
    add_row(alice, slug, "things", size="12", day="2026-01-02", label="3")
    add_row(alice, slug, "things", size="big", day="2026-01-03", label="4.5")
    add_row(alice, slug, "things", size="huge")
    add_row(alice, slug, "things")
    version = ok(alice.get(base(slug)))["version"]

    error = assert_error(
        alice.patch(column(slug, "things", "size"), json={"type": "number"}),
        422,
        "unsafe_type_change",
    )
    assert error["details"]["count"] == 2
    assert [p["row"].split(",")[1] for p in error["details"]["problems"]] == ["2]", "3]"]
    assert "'big' is not a number" in error["message"]
    # nothing changed: not the schema, not the values
    assert ok(alice.get(base(slug)))["version"] == version
    assert [r["values"]["size"] for r in rows(alice, slug, "things")["rows"]] == [
        "12",
        "big",
        "huge",
        None,
    ]

    ok(alice.patch(f"{base(slug)}/things/rows/2", json={"text": {"size": "7"}}))
    ok(alice.patch(f"{base(slug)}/things/rows/3", json={"text": {"size": "1e3"}}))
    answer = ok(
        alice.patch(column(slug, "things", "size"), json={"type": "number", "name": "count"})
    )
    assert answer["tables"][0]["columns"][0] == {"name": "count", "type": "number", "target": None}
    assert [r["values"]["count"] for r in rows(alice, slug, "things")["rows"]] == [
        12,
        7,
        1000.0,
        None,
    ]
    # back to text, dates to datetimes, numbers to simple objects: always fine
    ok(alice.patch(column(slug, "things", "count"), json={"type": "string"}))
    assert [r["values"]["count"] for r in rows(alice, slug, "things")["rows"]] == [
        "12",
        "7",
        "1000.0",
        None,
    ]
    ok(alice.patch(column(slug, "things", "day"), json={"type": "datetime"}))
    assert rows(alice, slug, "things")["rows"][0]["values"]["day"] == {
        "$wb": "datetime",
        "v": "2026-01-02T00:00:00.000000+00:00",
    }
    ok(alice.patch(column(slug, "things", "label"), json={"type": "simpleObject"}))
    assert [r["values"]["label"] for r in rows(alice, slug, "things")["rows"]] == [
        3,
        4.5,
        None,
        None,
    ]
    # numbers are not true/false; media and links change only while empty
    error = assert_error(
        alice.patch(column(slug, "things", "label"), json={"type": "bool"}),
        422,
        "unsafe_type_change",
    )
    assert "bool" in error["message"]
    link = {"type": "link_single", "target": "things"}
    error = assert_error(
        alice.patch(column(slug, "things", "count"), json=link), 422, "unsafe_type_change"
    )
    assert "cannot become a link_single" in error["message"]
    ok(alice.post(f"{base(slug)}/things/columns", json={"name": "spare", "type": "string"}), 201)
    answer = ok(alice.patch(column(slug, "things", "spare"), json=link))
    assert answer["tables"][0]["columns"][-1] == {
        "name": "spare",
        "type": "link_single",
        "target": "things",
    }


def test_deleting_columns_and_tables_deletes_their_values(alice: Browser, slug: str) -> None:
    add_table(alice, slug, "people", name="string", age="number")
    add_row(alice, slug, "people", name="Ada", age="36")
    answer = ok(alice.delete(column(slug, "people", "age")))
    assert [c["name"] for c in answer["tables"][0]["columns"]] == ["name"]
    assert rows(alice, slug, "people")["rows"][0]["values"] == {"name": "Ada"}
    assert_error(alice.delete(column(slug, "people", "age")), 404, "no_such_column")
    # the same column again starts empty (its old values are gone, not revived)
    ok(alice.post(f"{base(slug)}/people/columns", json={"name": "age", "type": "number"}), 201)
    assert rows(alice, slug, "people")["rows"][0]["values"] == {"name": "Ada", "age": None}

    answer = ok(alice.delete(f"{base(slug)}/people"))
    assert answer["tables"] == []
    assert "people" not in (schema_of(alice, slug)["tables"] or {})
    add_table(alice, slug, "people", name="string")
    assert rows(alice, slug, "people")["total"] == 0
    assert_error(alice.delete(f"{base(slug)}/ghosts"), 404, "no_such_table")


def test_a_broken_tables_yaml_is_reported_and_not_edited(alice: Browser, slug: str) -> None:
    files = alice.widget(slug)["files"]
    saved = alice.save(slug, {**files, "tables.yaml": "tables:\n  people: [1, 2\n"}, 1)
    assert saved.status_code == 201, saved.text
    answer = ok(alice.get(base(slug)))
    assert answer["tables"] == []
    assert answer["problems"]
    error = assert_error(alice.post(base(slug), json={"name": "people"}), 422, "invalid_schema")
    assert error["details"]["problems"] == answer["problems"]


# -- CSV -------------------------------------------------------------------------------------


def test_csv_import_is_all_or_nothing_with_every_problem_by_line(alice: Browser, slug: str) -> None:
    add_table(alice, slug, "people", name="string", age="number", born="date", photo="media")
    text = (
        "name,age,born\n"
        "Ada,36,1815-12-10\n"
        '"Multi\nline",old,1900-01-01\n'  # lines 3-4
        "Bob,4,yesterday\n"  # line 5
        "\n"
        "Cy,5\n"  # line 7
        "Di,,\n"
    )
    error = assert_error(
        alice.post(f"{base(slug)}/people/import", json={"csv": text}), 422, "invalid_csv"
    )
    assert error["details"]["count"] == 3
    assert error["details"]["problems"] == [
        {"line": 3, "column": "age", "message": "'old' is not a number"},
        {"line": 5, "column": "born", "message": "'yesterday' is not a date (YYYY-MM-DD)"},
        {"line": 7, "column": None, "message": "2 values, but the header names 3 columns"},
    ]
    assert "Nothing was imported" in error["message"]
    assert rows(alice, slug, "people")["total"] == 0

    header = assert_error(
        alice.post(
            f"{base(slug)}/people/import", json={"csv": "name,height,photo,name\nA,1,x,B\n"}
        ),
        422,
        "invalid_csv",
    )
    assert [(p["line"], p["column"]) for p in header["details"]["problems"]] == [
        (1, "height"),
        (1, "photo"),
        (1, "name"),
    ]
    assert_error(alice.post(f"{base(slug)}/people/import", json={"csv": ""}), 422, "invalid_csv")

    good = '\ufeffname,age,born\r\nAda,36,1815-12-10\r\n"Lovelace, A.",,\r\n'
    assert ok(alice.post(f"{base(slug)}/people/import", json={"csv": good})) == {"added": 2}
    found = rows(alice, slug, "people")["rows"]
    assert [r["values"]["name"] for r in found] == ["Ada", "Lovelace, A."]
    assert found[1]["values"]["age"] is None


def test_csv_export_streams_what_import_reads_back(alice: Browser, slug: str) -> None:
    add_table(
        alice, slug, "people", name="string", age="number", member="bool", extra="simpleObject"
    )
    add_table(alice, slug, "pets", owner="link_single:people")
    ada = add_row(
        alice, slug, "people", name="Ada, Countess", age="36.5", member="true", extra='{"a": [1]}'
    )
    add_row(alice, slug, "people", name='Say "hi"\nthere')
    add_row(alice, slug, "pets", owner=ada["ref"])

    response = alice.get(f"{base(slug)}/people/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="people.csv"'
    parsed = list(csv.reader(io.StringIO(response.text, newline="")))
    assert parsed == [
        ["name", "age", "member", "extra"],
        ["Ada, Countess", "36.5", "true", '{"a":[1]}'],
        ['Say "hi"\nthere', "", "", ""],
    ]
    assert ok(alice.post(f"{base(slug)}/people/import", json={"csv": response.text})) == {
        "added": 2
    }
    again = [r["values"] for r in rows(alice, slug, "people")["rows"]]
    assert again[2:] == again[:2]
    pets = alice.get(f"{base(slug)}/pets/export").text
    assert list(csv.reader(io.StringIO(pets))) == [["owner"], [ada["ref"]]]
    assert_error(alice.get(f"{base(slug)}/nope/export"), 404, "no_such_table")

    # many rows come out whole, in row order
    lines = "n\n" + "".join(f"{i}\n" for i in range(1, 1201))
    add_table(alice, slug, "numbers", n="number")
    assert ok(alice.post(f"{base(slug)}/numbers/import", json={"csv": lines})) == {"added": 1200}
    out = alice.get(f"{base(slug)}/numbers/export").text.split()
    assert out[0] == "n"
    assert out[1:] == [str(i) for i in range(1, 1201)]


# -- who may ---------------------------------------------------------------------------------

ROUTES = [
    ("GET", "", None),
    ("POST", "", {"name": "taken"}),
    ("PATCH", "", {"auto_create": False}),
    ("PATCH", "/people", {"client": "full"}),
    ("DELETE", "/people", None),
    ("POST", "/people/columns", {"name": "x", "type": "string"}),
    ("PATCH", "/people/columns?column=name", {"name": "x"}),
    ("DELETE", "/people/columns?column=name", None),
    ("GET", "/people/rows", None),
    ("POST", "/people/rows", {"values": {"name": "x"}}),
    ("PATCH", "/people/rows/1", {"values": {"name": "x"}}),
    ("DELETE", "/people/rows/1", None),
    ("POST", "/people/import", {"csv": "name\nx\n"}),
    ("GET", "/people/export", None),
]


@pytest.mark.parametrize("visibility", ["private", "public"])
def test_only_the_owner_reads_or_changes_tables(
    alice: Browser, bob: Browser, anon: Browser, visibility: str
) -> None:
    slug = alice.create_widget(title=f"Mine {visibility}", visibility=visibility)["slug"]
    add_table(alice, slug, "people", name="string")
    add_row(alice, slug, "people", name="Ada")
    before = (ok(alice.get(base(slug))), rows(alice, slug, "people"))
    for method, path, body in ROUTES:
        for who, browser in (("bob", bob), ("anon", anon)):
            response = browser.request(method, base(slug) + path, json=body)
            if visibility == "private":
                assert_error(response, 404, "not_found")
            else:
                assert_error(response, 403, "not_owner" if who == "bob" else "login_required")
            assert "Ada" not in response.text
    assert (ok(alice.get(base(slug))), rows(alice, slug, "people")) == before
    page = bob.client.get(f"/widgets/{slug}/data", follow_redirects=False)
    assert page.status_code == (404 if visibility == "private" else 403)


def test_the_data_page_is_the_owners(alice: Browser, slug: str) -> None:
    page = alice.client.get(f"/widgets/{slug}/data")
    assert page.status_code == 200
    assert "Data" in page.text
    assert 'href="/widgets/' + slug + '/data"' in page.text
    assert "pages/data" in page.text


# -- forks -----------------------------------------------------------------------------------


def test_forks_get_the_schema_and_empty_tables_unless_the_owner_copies_the_data(
    server: Server, alice: Browser, bob: Browser, slug: str
) -> None:
    add_table(alice, slug, "people", name="string")
    add_row(alice, slug, "people", name="Ada")

    theirs = ok(bob.post(f"/api/widgets/{slug}/fork", json={}), 201)
    assert "tables.yaml" in theirs["files"]
    listing = ok(bob.get(base(theirs["slug"])))
    assert [(t["name"], t["rows"]) for t in listing["tables"]] == [("people", 0)]
    assert_error(bob.post(f"/api/widgets/{slug}/fork", json={"copy_data": True}), 403, "not_owner")

    empty = ok(alice.post(f"/api/widgets/{slug}/fork", json={}), 201)
    assert rows(alice, empty["slug"], "people")["total"] == 0
    full = ok(alice.post(f"/api/widgets/{slug}/fork", json={"copy_data": True}), 201)
    assert [r["values"] for r in rows(alice, full["slug"], "people")["rows"]] == [{"name": "Ada"}]
    # from then on they are separate
    add_row(alice, full["slug"], "people", name="Bob")
    assert rows(alice, slug, "people")["total"] == 1
    assert rows(alice, full["slug"], "people")["total"] == 2
    assert tables_file(server, full["id"]).exists()


def test_deleting_a_widget_deletes_its_tables(server: Server, alice: Browser, slug: str) -> None:
    add_table(alice, slug, "people", name="string")
    add_row(alice, slug, "people", name="Ada")
    widget_id = alice.widget(slug)["id"]
    path = tables_file(server, widget_id)
    assert path.exists()
    assert ok(alice.delete(f"/api/widgets/{slug}"), 204) is None
    assert not path.exists()
    assert not Path(f"{path}-wal").exists()
    # a new widget that gets the same id starts with no rows
    again = alice.create_widget(title="Data again")
    assert again["id"] == widget_id
    add_table(alice, again["slug"], "people", name="string")
    assert rows(alice, again["slug"], "people")["total"] == 0


# -- backups ---------------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_backups_carry_every_widgets_tables_and_restore_them_whole(
    server: Server, alice: Browser, make_server: Callable[..., Server], tmp_path: Path
) -> None:
    first = alice.create_widget(title="First")["slug"]
    add_table(alice, first, "people", name="string")
    add_row(alice, first, "people", name="Ada")
    second = alice.create_widget(title="Second")["slug"]
    add_table(alice, second, "notes", text="string")
    for n in range(50):
        add_row(alice, second, "notes", text=f"note {n}")
    alice.create_widget(title="No tables")

    target = tmp_path / "backups" / "copy.db"
    code, output = cli("backup", str(target), "--data-dir", str(server.config.server.data_dir))
    assert code == 0, output
    folder = target.with_name("copy.db.tables")
    ids = sorted(int(p.stem) for p in folder.glob("*.db"))
    assert ids == sorted([alice.widget(first)["id"], alice.widget(second)["id"]])
    copy = sqlite3.connect(target)
    try:
        listed = copy.execute("SELECT widget_id, bytes FROM _wb_backup_tables").fetchall()
    finally:
        copy.close()
    assert sorted(w for w, _ in listed) == ids
    # a second backup to the same name is refused
    code, output = cli("backup", str(target), "--data-dir", str(server.config.server.data_dir))
    assert code == 1
    assert "already exists" in output

    restored = tmp_path / "restored"
    code, output = cli("restore", str(target), "--data-dir", str(restored))
    assert code == 0, output
    assert sorted(int(p.stem) for p in (restored / "tables").glob("*.db")) == ids
    served = make_server(data_dir=restored)
    browser = served.browser()
    assert login(browser, "alice").status_code == 200
    assert [r["values"] for r in rows(browser, first, "people")["rows"]] == [{"name": "Ada"}]
    assert rows(browser, second, "notes")["total"] == 50
    # the restored database does not carry the backup's list
    assert (
        served.db.read_now(
            lambda db: db.execute(
                "SELECT count(*) FROM sqlite_schema WHERE name = '_wb_backup_tables'"
            ).fetchone()[0]
        )
        == 0
    )


def test_a_restore_refuses_a_backup_whose_tables_are_not_whole(
    server: Server, alice: Browser, tmp_path: Path
) -> None:
    slug = alice.create_widget(title="Precious")["slug"]
    add_table(alice, slug, "people", name="string")
    add_row(alice, slug, "people", name="Ada")
    target = tmp_path / "copy.db"
    code, output = cli("backup", str(target), "--data-dir", str(server.config.server.data_dir))
    assert code == 0, output
    tables = next(target.with_name("copy.db.tables").glob("*.db"))

    # damaged
    original = tables.read_bytes()
    tables.write_bytes(original[:-100] + b"\0" * 100)
    code, output = cli("restore", str(target), "--data-dir", str(tmp_path / "one"))
    assert code == 1, output
    assert "not whole" in output
    assert not (tmp_path / "one" / "widgetbox.db").exists()
    assert not (tmp_path / "one" / "tables").exists()

    # missing
    tables.unlink()
    code, output = cli("restore", str(target), "--data-dir", str(tmp_path / "two"))
    assert code == 1, output
    assert "is missing" in output
    assert not (tmp_path / "two" / "widgetbox.db").exists()

    # into a data folder whose tables folder holds files already
    tables.write_bytes(original)
    occupied = tmp_path / "three" / "tables"
    occupied.mkdir(parents=True)
    (occupied / "9.db").write_bytes(b"someone else's")
    code, output = cli("restore", str(target), "--data-dir", str(tmp_path / "three"))
    assert code == 1, output
    assert not (tmp_path / "three" / "widgetbox.db").exists()
    assert (occupied / "9.db").read_bytes() == b"someone else's"

    code, output = cli("restore", str(target), "--data-dir", str(tmp_path / "four"))
    assert code == 0, output
