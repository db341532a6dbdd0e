"""Data Tables used by widget code through the real app, over HTTP: a script's runs keep
rows between them; an HTTP API reads and writes them per request; a GUI app's server
functions read them and hand rows to the browser and back; the owner's Data page sees
what code wrote and code sees what the owner wrote; the `[tables]` settings reach every
run; columns that code creates become a new version of the widget's `tables.yaml`."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from tests.server._client import Browser
from tests.server._runs import start_run, wait_for_run
from tests.server.conftest import Server
from tests.server.test_gui_apps import app_url
from widgetbox.host.tables.store import TablesStore
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.server

SCHEMA = """\
tables:
  people:
    client: search
    columns:
      - {name: name, type: string}
      - {name: age, type: number}
      - {name: photo, type: media}
"""

VISITS = """\
import anvil, anvil.tables
from anvil.tables import app_tables, order_by

people = app_tables.people
with anvil.tables.Transaction():
    n = len(people.search()) + 1
    people.add_row(name=f"visit {n}", age=n, photo=anvil.BlobMedia("text/plain", b"v%d" % n))
for row in people.search(order_by("age", ascending=False)):
    photo = row["photo"]
    print(row["name"], row["age"], photo.get_bytes().decode() if photo else "-")
"""


def files(main: str, schema: str = SCHEMA, kind: str = "script") -> dict[str, str]:
    if kind == "gui":
        return {**TEMPLATES["gui"], "server.py": textwrap.dedent(main), "tables.yaml": schema}
    return {"main.py": textwrap.dedent(main), "tables.yaml": schema}


def make(browser: Browser, kind: str, found: dict[str, str], visibility: str = "private") -> str:
    slug: str = browser.create_widget(kind, f"Tables {kind}", visibility=visibility)["slug"]
    saved = browser.save(slug, found, 1)
    assert saved.status_code == 201, saved.text
    return slug


def run(browser: Browser, slug: str) -> dict[str, Any]:
    detail = wait_for_run(browser, start_run(browser, slug)["id"])
    assert detail["status"] == "ok", detail
    return detail


def rows_of(browser: Browser, slug: str, table: str = "people") -> dict[str, Any]:
    response = browser.get(f"/api/widgets/{slug}/tables/{table}/rows")
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def add_row_as_owner(browser: Browser, slug: str, **text: str) -> dict[str, Any]:
    response = browser.post(f"/api/widgets/{slug}/tables/people/rows", json={"text": text})
    assert response.status_code == 201, response.text
    row: dict[str, Any] = response.json()
    return row


def test_a_scripts_runs_keep_their_rows(alice: Browser) -> None:
    slug = make(alice, "script", files(VISITS))
    assert run(alice, slug)["stdout"] == "visit 1 1 v1\n"
    assert run(alice, slug)["stdout"] == "visit 2 2 v2\nvisit 1 1 v1\n"
    page = rows_of(alice, slug)
    assert page["total"] == 2
    assert [r["values"]["name"] for r in page["rows"]] == ["visit 1", "visit 2"]
    # what the owner adds on the Data page, the next run sees
    add_row_as_owner(alice, slug, name="by hand", age="10")
    assert run(alice, slug)["stdout"].splitlines() == [
        "by hand 10 -",
        "visit 4 4 v4",
        "visit 2 2 v2",
        "visit 1 1 v1",
    ]


def test_another_widget_of_the_same_owner_has_tables_of_its_own(alice: Browser) -> None:
    first = make(alice, "script", files(VISITS))
    second = make(alice, "script", files(VISITS))
    run(alice, first)
    run(alice, first)
    assert run(alice, second)["stdout"] == "visit 1 1 v1\n"


API = """\
import anvil.server
from anvil.tables import app_tables, order_by


@anvil.server.route("/people", methods=["GET", "POST"])
def people(**params):
    if anvil.server.request.method == "POST":
        body = anvil.server.request.body_json
        row = app_tables.people.add_row(name=body["name"], age=body.get("age"))
        return {"id": row.get_id(), "name": row["name"]}
    return [r["name"] for r in app_tables.people.search(order_by("name"))]


@anvil.server.route("/people/:name")
def person(name, **params):
    row = app_tables.people.get(name=name)
    if row is None:
        return anvil.server.HttpResponse(404, {"error": f"no {name}"})
    return {"name": row["name"], "age": row["age"], "id": row.get_id()}
"""


def test_an_http_api_reads_and_writes_rows_per_request(
    server: Server, alice: Browser, anon: Browser
) -> None:
    slug = make(alice, "http", files(API), visibility="public")
    assert anon.get(f"/w/{slug}/people").json() == []
    added = anon.client.post(f"/w/{slug}/people", json={"name": "Ann", "age": 30})
    assert added.status_code == 200, added.text
    assert added.json()["name"] == "Ann"
    anon.client.post(f"/w/{slug}/people", json={"name": "Bob"})
    add_row_as_owner(alice, slug, name="Cy", age="7")
    assert anon.get(f"/w/{slug}/people").json() == ["Ann", "Bob", "Cy"]
    ann = anon.get(f"/w/{slug}/people/Ann").json()
    assert ann == {"name": "Ann", "age": 30, "id": added.json()["id"]}
    assert anon.get(f"/w/{slug}/people/Cy").json()["age"] == 7
    missing = anon.client.get(f"/w/{slug}/people/Dee")
    assert (missing.status_code, missing.json()) == (404, {"error": "no Dee"})
    assert rows_of(alice, slug)["total"] == 3


TOLD = """\
import anvil.server
from anvil.tables import _transport, app_tables

SENT = []
_send = _transport.call
_transport.call = lambda op: SENT.append(op["op"]) or _send(op)


def names():
    before = list(SENT)
    try:
        app_tables.ghosts
    except AttributeError as e:
        missing = str(e)
    return {"before": before, "missing": missing, "sent": SENT}


@anvil.server.route("/names")
def route(**params):
    app_tables.people.get(name="Ann")
    return names()


if __name__ == "__main__":
    app_tables.people.get(name="Ann")
    print(names())
"""


def test_every_run_is_told_its_table_names_with_its_job(alice: Browser, anon: Browser) -> None:
    """`app_tables.people` costs no host call in the app's runs: the table names come with
    the job (`Services.guest_services`), so the run's one call is its `get`."""
    expected = {"before": ["get"], "missing": "No such app table: 'ghosts'", "sent": ["get"]}
    api = make(alice, "http", files(TOLD), visibility="public")
    assert anon.get(f"/w/{api}/names").json() == expected
    script = make(alice, "script", files(TOLD))
    assert run(alice, script)["stdout"] == f"{expected}\n"


SERVER = """\
import anvil.server
from anvil.tables import app_tables, order_by


@anvil.server.callable
def names():
    return [r["name"] for r in app_tables.people.search(order_by("name"))]


@anvil.server.callable
def oldest():
    return app_tables.people.search(order_by("age", ascending=False))[0]


@anvil.server.callable
def everyone():
    return app_tables.people.search(order_by("name"))


@anvil.server.callable
def names_of(found):
    return len(found), [r["name"] for r in found]


@anvil.server.callable
def older(row, years):
    row["age"] = row["age"] + years
    return row["name"], row["age"]
"""


def call(browser: Browser, server: Server, slug: str, name: str, *args: Any) -> Any:
    response = browser.client.post(
        app_url(server, slug, "/_/call"),
        json={"name": name, "args": list(args), "kwargs": {}},
        headers={"origin": app_url(server, slug, "").rstrip("/")},
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_gui_apps_server_functions_read_rows_and_pass_them_to_the_browser_and_back(
    server: Server, alice: Browser, anon: Browser
) -> None:
    slug = make(alice, "gui", files(SERVER, kind="gui"), visibility="public")
    for name, age in (("Ann", "30"), ("Bob", "40")):
        add_row_as_owner(alice, slug, name=name, age=age)
    assert call(anon, server, slug, "names") == {"value": ["Ann", "Bob"]}
    oldest = call(anon, server, slug, "oldest")["value"]
    assert oldest["$wb"] == "row"
    record = oldest["v"]
    assert record["table"] == "people"
    assert record["values"]["name"] == "Bob"
    assert record["values"]["age"] == 40
    everyone = call(anon, server, slug, "everyone")["value"]
    assert everyone["$wb"] == "search"
    assert [r["values"]["name"] for r in everyone["v"]["rows"]] == ["Ann", "Bob"]
    # they come back from the browser: server code reads them again (the row by its id,
    # the search by running it)
    assert call(anon, server, slug, "names_of", everyone) == {"value": [2, ["Ann", "Bob"]]}
    assert call(anon, server, slug, "older", oldest, 2) == {"value": ["Bob", 42]}
    assert [r["values"]["age"] for r in rows_of(alice, slug)["rows"]] == [30, 42]


def test_columns_code_creates_become_a_new_version_of_tables_yaml(alice: Browser) -> None:
    code = """\
    from anvil.tables import app_tables
    row = app_tables.people.add_row(name="Ann", email="ann@example.com", score=3)
    print(row["email"], row["score"])
    """
    slug = make(alice, "script", files(code))
    head = alice.widget(slug)["head_version"]
    assert run(alice, slug)["stdout"] == "ann@example.com 3\n"
    widget = alice.widget(slug)
    assert widget["head_version"] == head + 1
    schema = yaml.safe_load(widget["files"]["tables.yaml"])
    columns = schema["tables"]["people"]["columns"]
    assert columns[-2:] == [
        {"name": "email", "type": "string"},
        {"name": "score", "type": "number"},
    ]
    versions = alice.get(f"/api/widgets/{slug}/versions").json()["versions"]
    assert versions[0]["message"] == "Data Tables: added columns email, score to table people"
    # the next run, on the new version, reads them; nothing new is saved
    again = """\
    from anvil.tables import app_tables
    print([r["email"] for r in app_tables.people.search()])
    """
    files_now = {**widget["files"], "main.py": textwrap.dedent(again)}
    assert alice.save(slug, files_now, widget["head_version"]).status_code == 201
    assert run(alice, slug)["stdout"] == "['ann@example.com']\n"
    assert alice.widget(slug)["head_version"] == head + 2


def test_auto_create_off_in_tables_yaml_saves_nothing(alice: Browser) -> None:
    code = """\
    import anvil.tables
    from anvil.tables import app_tables
    try:
        app_tables.people.add_row(name="Ann", email="ann@example.com")
    except anvil.tables.NoSuchColumnError as e:
        print("refused:", e)
    print(len(app_tables.people.search()))
    """
    schema = "auto_create_columns: false\n" + SCHEMA
    slug = make(alice, "script", files(code, schema))
    head = alice.widget(slug)["head_version"]
    assert run(alice, slug)["stdout"] == "refused: No such column 'email'\n0\n"
    assert alice.widget(slug)["head_version"] == head


LIMITS = """\
import anvil.tables
from anvil.tables import app_tables, _transport
sent = []
send = _transport.call
_transport.call = lambda op: sent.append(op["op"]) or send(op)
people = app_tables.people
for i in range(5):
    people.add_row(name=str(i))
found = people.search()
print(len(found._first), sent.count("search"), len(list(iter(found))), sent.count("search"))
try:
    people.add_row(name="one too many")
except anvil.tables.TableError as e:
    print(type(e).__name__, e)
"""

QUOTA = """\
import anvil.tables
from anvil.tables import app_tables
written = 0
try:
    while True:
        app_tables.people.add_row(name="x" * 20_000 + str(written))
        written += 1
except anvil.tables.QuotaExceededError as e:
    print(written, len(app_tables.people.search()), e)
"""


def test_the_tables_settings_reach_every_run(make_server: Callable[..., Server]) -> None:
    server = make_server(
        tables_ops_per_run=7,
        tables_page_rows=3,
        tables_max_bytes=150_000,
        tables_op_seconds=2.5,
    )
    store: TablesStore = server.app.state.tables
    assert (
        store.limits.ops_per_run,
        store.limits.page_rows,
        store.limits.storage_bytes,
        store.limits.op_seconds,
    ) == (7, 3, 150_000, 2.5)
    owner = server.user("owner")
    slug = make(owner, "script", files(LIMITS))
    # 5 rows, a search in pages of 3 (2 pages; iterating reuses the first): 7 (the table's
    # name came with the run: no describe)
    assert run(owner, slug)["stdout"].splitlines() == [
        "3 1 5 2",
        "TableError A run may make at most 7 Data Tables operations",
    ]
    slug = make(owner, "script", files(QUOTA))
    written, counted, message = run(owner, slug)["stdout"].split(" ", 2)
    assert int(written) == int(counted) > 0
    assert message == (
        "Datatable database size limit exceeded: this widget's tables may hold at most 150 kB\n"
    )
    assert store.open(owner.widget(slug)["id"]).size() <= 150_000


def test_a_run_that_fails_mid_transaction_writes_nothing(alice: Browser) -> None:
    code = """\
    import anvil.tables
    from anvil.tables import app_tables

    @anvil.tables.in_transaction
    def both():
        app_tables.people.add_row(name="first")
        app_tables.people.add_row(name="second", age="not a number")

    print(len(app_tables.people.search()))
    both()
    """
    slug = make(alice, "script", files(code))
    detail = wait_for_run(alice, start_run(alice, slug)["id"])
    assert detail["status"] == "error"
    assert detail["stdout"] == "0\n"
    assert "Column 'age' is a number - cannot set it to a string" in json.dumps(detail)
    assert rows_of(alice, slug)["total"] == 0
