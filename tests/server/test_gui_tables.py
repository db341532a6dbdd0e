"""A GUI app's Data Tables from the browser, over HTTP: `/_/tables` answers each operation with
the table's client access (none: PermissionDenied for everything; search: reads only; full:
reads and writes; never transactions), with the checks, bounds and rate of `/_/call`. Rows and
searches that server code returns carry capabilities: the browser can read them further (later
pages, links, media) even from a `client: none` table and pass them back, and cannot make one
up, alter one, or take one to another app."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.server._client import Browser, assert_error, assert_error_shape, tampered
from tests.server.conftest import Server
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.server

SERVER = """\
import anvil
import anvil.server
import anvil.tables as tables
from anvil.tables import app_tables


@anvil.server.callable
def seed():
    for name, age in [("Ann", 30), ("Bob", 17), ("Cy", 65)]:
        app_tables.people.add_row(name=name, age=age)
    app_tables.notes.add_row(text="hello")
    hidden = app_tables.hidden.add_row(label="deep")
    for n in range(5):
        app_tables.secrets.add_row(
            word=f"w{n}", n=n, owner=hidden,
            file=anvil.BlobMedia("text/plain", f"file {n}".encode(), name=f"{n}.txt"),
        )


@anvil.server.callable
def secret(n):
    return app_tables.secrets.get(n=n)


@anvil.server.callable
def secrets(page):
    return app_tables.secrets.search(tables.order_by("n"), tables.query.page_size(page))


@anvil.server.callable
def words(found):
    return [row["word"] for row in found]


@anvil.server.callable
def word(row):
    return row["word"]


@anvil.server.callable
def ages(rows):
    return {row["name"]: row["age"] for row in rows}
"""

SCHEMA = """\
tables:
  people:
    client: full
    columns:
      - {name: name, type: string}
      - {name: age, type: number}
  notes:
    client: search
    columns:
      - {name: text, type: string}
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

EVERYTHING = {"all": []}
READS = ("search", "get", "get_by_id", "count", "row")


def app_url(server: Server, slug: str, path: str = "/") -> str:
    return f"http://{slug}.{server.config.apps_host}{path}"


def origin(server: Server, slug: str) -> dict[str, str]:
    return {"origin": app_url(server, slug, "")}


def make_app(owner: Browser, title: str, schema: str = SCHEMA, **extra: str) -> str:
    slug: str = owner.create_widget("gui", title, visibility="public")["slug"]
    files = {**TEMPLATES["gui"], "server.py": SERVER, "tables.yaml": schema, **extra}
    response = owner.post(f"/api/widgets/{slug}/versions", json={"base_version": 1, "files": files})
    assert response.status_code == 201, response.text
    return slug


def call(browser: Browser, server: Server, slug: str, name: str, *args: Any) -> httpx.Response:
    return browser.client.post(
        app_url(server, slug, "/_/call"),
        json={"name": name, "args": list(args), "kwargs": {}},
        headers=origin(server, slug),
    )


def value(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "value" in answer, answer
    return answer["value"]


def post(browser: Browser, server: Server, slug: str, request: Any) -> httpx.Response:
    return browser.client.post(
        app_url(server, slug, "/_/tables"), json=request, headers=origin(server, slug)
    )


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"ok"}, answer
    return answer["ok"]


def refusal(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"error"}, answer
    return answer["error"]["kind"], answer["error"]["message"]


@pytest.fixture
def app(server: Server, alice: Browser) -> str:
    slug = make_app(alice, "Tables app")
    value(call(alice, server, slug, "seed"))
    return slug


def ids(browser: Browser, server: Server, slug: str, table: str) -> list[str]:
    page = ok(post(browser, server, slug, {"op": "search", "table": table}))
    return [record["id"] for record in page["rows"]]


# -- client access ---------------------------------------------------------------------------


def test_describe_lists_only_the_tables_the_browser_may_use(
    server: Server, anon: Browser, app: str
) -> None:
    described = ok(post(anon, server, app, {"op": "describe"}))
    assert {name: info["client"] for name, info in described["tables"].items()} == {
        "people": "full",
        "notes": "search",
    }


def test_no_client_access_refuses_every_operation(
    server: Server, anon: Browser, alice: Browser, app: str
) -> None:
    secret = value(call(alice, server, app, "secret", 1))["v"]
    row_id, ref = secret["id"], secret["values"]["file"]["v"]["ref"]
    row = {"word": "x"}
    for request in (
        {"op": "search", "table": "secrets"},
        {"op": "get", "table": "secrets", "query": EVERYTHING},
        {"op": "get_by_id", "table": "secrets", "id": row_id},
        {"op": "count", "table": "secrets"},
        {"op": "row", "id": row_id},
        {"op": "add_row", "table": "secrets", "values": row},
        {"op": "add_rows", "table": "secrets", "rows": [row]},
        {"op": "update", "id": row_id, "values": row},
        {"op": "delete", "id": row_id},
        {"op": "delete_where", "table": "secrets", "query": EVERYTHING},
        {"op": "delete_all", "table": "secrets"},
    ):
        kind, message = refusal(post(anon, server, app, request))
        assert kind == "PermissionDenied", request
        verb = "read from" if request["op"] in READS else "write to"
        assert message == f"Cannot {verb} table 'secrets' from client code.", request
    # its media neither, and nothing changed
    assert refusal(post(anon, server, app, {"op": "media", "ref": ref})) == (
        "TableError",
        "Media object deleted",
    )
    assert value(call(alice, server, app, "word", {"$wb": "row", "v": secret})) == "w1"


def test_search_access_reads_and_never_writes(server: Server, anon: Browser, app: str) -> None:
    (note,) = ids(anon, server, app, "notes")
    assert ok(post(anon, server, app, {"op": "count", "table": "notes"})) == 1
    found = ok(post(anon, server, app, {"op": "get", "table": "notes",
                                        "query": {"eq": ["text", "hello"]}}))  # fmt: skip
    assert (found["id"], found["values"]) == (note, {"text": "hello"})
    assert ok(post(anon, server, app, {"op": "row", "id": note}))["values"] == {"text": "hello"}
    assert ok(post(anon, server, app, {"op": "get_by_id", "table": "notes", "id": note}))
    for request in (
        {"op": "add_row", "table": "notes", "values": {"text": "x"}},
        {"op": "update", "id": note, "values": {"text": "x"}},
        {"op": "delete", "id": note},
        {"op": "delete_where", "table": "notes", "query": EVERYTHING},
        {"op": "delete_all", "table": "notes"},
    ):
        assert refusal(post(anon, server, app, request)) == (
            "PermissionDenied",
            "Cannot write to table 'notes' from client code.",
        ), request
    assert ok(post(anon, server, app, {"op": "count", "table": "notes"})) == 1


def test_full_access_reads_and_writes(server: Server, anon: Browser, app: str) -> None:
    added = ok(post(anon, server, app, {"op": "add_row", "table": "people",
                                        "values": {"name": "Di", "age": 40}}))  # fmt: skip
    assert added["values"] == {"name": "Di", "age": 40}
    more = ok(post(anon, server, app, {"op": "add_rows", "table": "people",
                                       "rows": [{"name": "Ed"}, {"name": "Flo"}]}))  # fmt: skip
    assert [record["values"]["name"] for record in more] == ["Ed", "Flo"]
    updated = ok(post(anon, server, app, {"op": "update", "id": added["id"],
                                          "values": {"age": 41}}))  # fmt: skip
    assert updated["values"]["age"] == 41
    assert ok(post(anon, server, app, {"op": "delete", "id": added["id"]})) is None
    assert refusal(post(anon, server, app, {"op": "delete", "id": added["id"]}))[0] == "RowDeleted"
    deleted = ok(post(anon, server, app, {"op": "delete_where", "table": "people",
                                          "query": {"lt": ["age", 18]}}))  # fmt: skip
    assert deleted == 1
    page = ok(post(anon, server, app, {"op": "search", "table": "people",
                                       "order": [["name", True]]}))  # fmt: skip
    assert [record["values"]["name"] for record in page["rows"]] == ["Ann", "Cy", "Ed", "Flo"]
    assert ok(post(anon, server, app, {"op": "delete_all", "table": "people"})) is None
    assert ok(post(anon, server, app, {"op": "count", "table": "people"})) == 0


def test_browser_code_never_creates_columns(server: Server, anon: Browser, app: str) -> None:
    request = {"op": "add_row", "table": "people", "values": {"name": "x", "email": "x@y"}}
    assert refusal(post(anon, server, app, request)) == ("NoSuchColumn", "No such column 'email'")


def test_transactions_are_refused(server: Server, anon: Browser, app: str) -> None:
    for op in ("begin", "commit", "rollback"):
        assert refusal(post(anon, server, app, {"op": op})) == (
            "TableError",
            "You can only perform table transactions from server modules. You can't use them here.",
        )


def test_the_latest_schema_decides(server: Server, alice: Browser, anon: Browser, app: str) -> None:
    assert ok(post(anon, server, app, {"op": "count", "table": "notes"})) == 1
    files = alice.widget(app)["files"]
    files["tables.yaml"] = SCHEMA.replace("client: search", "client: none")
    saved = alice.post(f"/api/widgets/{app}/versions", json={"base_version": 2, "files": files})
    assert saved.status_code == 201, saved.text
    assert refusal(post(anon, server, app, {"op": "count", "table": "notes"}))[0] == (
        "PermissionDenied"
    )


def test_malformed_operations_are_refused_as_data(server: Server, anon: Browser, app: str) -> None:
    for request, kind in (
        ({"op": "nope"}, "BadRequest"),
        ({"op": "search"}, "BadRequest"),
        ({"op": "search", "table": "people", "extra": 1}, "BadRequest"),
        ({"op": "search", "table": "nothing"}, "NoSuchTable"),
        ({"op": "row", "id": "[999,1]"}, "NoSuchTable"),
        ({"op": "row", "id": "nope"}, "TableError"),
        ({"op": "search", "table": "people", "query": {"eq": ["nope", 1]}}, "NoSuchColumn"),
    ):
        assert refusal(post(anon, server, app, request))[0] == kind, request


# -- the door: the same checks, bounds and rate as server calls ------------------------------


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{", 400, "bad_call"),
        (b"[1, 2]", 400, "bad_call"),
        (b'{"op": NaN}', 400, "bad_call"),
        (b'{"op": "describe", "x": "' + b"x" * (1024 * 1024) + b'"}', 413, "too_large"),
        (b"{" + b",".join(b'"k%d": 1' % i for i in range(20_000)) + b"}", 413, "too_large"),
    ],
)
def test_malformed_requests_are_refused(
    server: Server, anon: Browser, app: str, content: bytes, status: int, code: str
) -> None:
    response = anon.client.post(
        app_url(server, app, "/_/tables"),
        content=content,
        headers={"content-type": "application/json"},
    )
    assert_error(response, status, code)


def test_requests_must_come_from_the_apps_own_page(
    server: Server, anon: Browser, alice: Browser, app: str
) -> None:
    other = make_app(alice, "Other app")
    describe = {"op": "describe"}
    for headers in (
        {"origin": "https://evil.example"},
        {"origin": app_url(server, other, "")},  # another app, same site
        {"sec-fetch-site": "cross-site"},
    ):
        response = anon.client.post(
            app_url(server, app, "/_/tables"), json=describe, headers=headers
        )
        assert_error(response, 403, "cross_origin")
    form = anon.client.post(app_url(server, app, "/_/tables"), data={"op": "describe"})
    assert_error(form, 415, "unsupported_media_type")
    assert_error(anon.client.post(f"/_apps/{app}/_/tables", json=describe), 404)
    assert_error(post(anon, server, "no-such-app", describe), 404, "not_found")


def test_a_private_apps_tables_are_closed_to_visitors(
    server: Server, alice: Browser, anon: Browser
) -> None:
    slug = make_app(alice, "Private tables")
    alice.patch(f"/api/widgets/{slug}", json={"visibility": "private"})
    assert_error(post(anon, server, slug, {"op": "describe"}), 404, "not_found")


def test_tables_requests_share_the_rate_of_server_calls(
    make_server: Callable[..., Server],
) -> None:
    server = make_server(app_calls_per_minute=3)
    owner = server.user("admin")
    slug = make_app(owner, "Limited")
    visitor = server.browser()
    assert post(visitor, server, slug, {"op": "describe"}).status_code == 200
    assert call(visitor, server, slug, "ages", []).status_code == 200
    assert post(visitor, server, slug, {"op": "describe"}).status_code == 200
    refused = post(visitor, server, slug, {"op": "describe"})
    assert_error_shape(refused)
    assert refused.status_code == 429


# -- capabilities: what server code hands the browser ----------------------------------------


def test_rows_and_searches_from_server_code_carry_capabilities(
    server: Server, anon: Browser, app: str
) -> None:
    row = value(call(anon, server, app, "secret", 2))
    assert row["$wb"] == "row"
    record = row["v"]
    assert record["values"]["word"] == "w2"
    assert record["cap"].startswith("read.")
    owner = record["values"]["owner"]["v"]
    assert set(record["links"]) == {owner}
    assert record["values"]["file"]["v"]["cap"].startswith("read.")
    search = value(call(anon, server, app, "secrets", 2))["v"]
    assert search["cap"].startswith("read.")
    assert [r["values"]["word"] for r in search["rows"]] == ["w0", "w1"]
    assert all(r["cap"].startswith("read.") for r in search["rows"])


def test_a_returned_row_of_a_hidden_table_can_be_read_further(
    server: Server, anon: Browser, app: str
) -> None:
    record = value(call(anon, server, app, "secret", 3))["v"]
    again = ok(post(anon, server, app, {"op": "row", "id": record["id"], "cap": record["cap"]}))
    assert again["values"]["word"] == "w3"
    # its link
    owner = record["values"]["owner"]["v"]
    linked = ok(post(anon, server, app, {"op": "row", "id": owner,
                                         "cap": record["links"][owner]}))  # fmt: skip
    assert linked["values"] == {"label": "deep"}
    # its media
    media = record["values"]["file"]["v"]
    data = ok(post(anon, server, app, {"op": "media", "ref": media["ref"], "cap": media["cap"]}))
    assert base64.b64decode(data["data"]) == b"file 3"
    # but not another row, another link or another media with it
    other = {"op": "row", "id": record["id"].replace(",4]", ",1]"), "cap": record["cap"]}
    assert refusal(post(anon, server, app, other))[0] == "PermissionDenied"
    elsewhere = {"op": "media", "ref": media["ref"] + 1, "cap": media["cap"]}
    assert refusal(post(anon, server, app, elsewhere)) == ("TableError", "Media object deleted")
    # and never to write
    update = {"op": "update", "id": record["id"], "values": {"word": "x"}, "cap": record["cap"]}
    assert refusal(post(anon, server, app, update))[0] == "PermissionDenied"


def test_a_returned_search_of_a_hidden_table_reads_its_later_pages(
    server: Server, anon: Browser, app: str
) -> None:
    search = value(call(anon, server, app, "secrets", 2))["v"]
    request = {"op": "search", "table": "secrets", "query": search["query"],
               "order": search["order"], "page_size": 2, "offset": 2}  # fmt: skip
    page = ok(post(anon, server, app, {**request, "cap": search["cap"]}))
    assert [r["values"]["word"] for r in page["rows"]] == ["w2", "w3"]
    assert page["more"] is True
    assert all(r["cap"].startswith("read.") for r in page["rows"])
    count = {"op": "count", "table": "secrets", "query": search["query"], "cap": search["cap"]}
    assert ok(post(anon, server, app, count)) == 5
    # the capability is for that search only
    narrower = {**request, "query": {"eq": ["n", 4]}, "cap": search["cap"]}
    assert refusal(post(anon, server, app, narrower))[0] == "PermissionDenied"
    assert refusal(post(anon, server, app, request))[0] == "PermissionDenied"


def test_what_the_browser_read_itself_passes_back_but_grants_nothing(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    order = [["name", True]]
    page = ok(post(anon, server, app, {"op": "search", "table": "people", "order": order}))
    assert page["cap"].startswith("pass.")
    assert all(record["cap"].startswith("pass.") for record in page["rows"])
    rows = [{"$wb": "row", "v": record} for record in page["rows"]]
    assert value(call(anon, server, app, "ages", rows)) == {"Ann": 30, "Bob": 17, "Cy": 65}
    search = {"table": "people", "query": EVERYTHING, "order": order,
              "rows": page["rows"], "more": False, "cap": page["cap"]}  # fmt: skip
    answer = value(call(anon, server, app, "ages", {"$wb": "search", "v": search}))
    assert answer == {"Ann": 30, "Bob": 17, "Cy": 65}
    # a pass capability reads nothing the table's client level does not allow
    (note,) = ids(anon, server, app, "notes")
    note_cap = ok(post(anon, server, app, {"op": "row", "id": note}))["cap"]
    files = alice.widget(app)["files"]
    files["tables.yaml"] = SCHEMA.replace("client: search", "client: none")
    alice.post(f"/api/widgets/{app}/versions", json={"base_version": 2, "files": files})
    hidden = {"op": "row", "id": note, "cap": note_cap}
    assert refusal(post(anon, server, app, hidden))[0] == "PermissionDenied"


def test_rows_and_searches_handed_back_reach_server_code(
    server: Server, anon: Browser, app: str
) -> None:
    row = value(call(anon, server, app, "secret", 4))
    assert value(call(anon, server, app, "word", row)) == "w4"
    search = value(call(anon, server, app, "secrets", 2))
    assert value(call(anon, server, app, "words", search)) == ["w0", "w1", "w2", "w3", "w4"]
    # the values a browser sends along are not what server code reads
    row["v"]["values"]["word"] = "forged"
    assert value(call(anon, server, app, "word", row)) == "w4"


def _refused_call(response: httpx.Response) -> None:
    error = assert_error(response, 400, "invalid_capability")
    assert error["message"].startswith("Invalid capability")


def test_made_up_or_altered_rows_and_searches_are_refused(
    server: Server, anon: Browser, app: str
) -> None:
    record = value(call(anon, server, app, "secret", 0))["v"]
    other_id = record["id"].replace(",1]", ",2]")
    for forged in (
        {"id": other_id},
        {"id": other_id, "cap": record["cap"]},
        {**record, "cap": None},
        {**record, "cap": tampered(record["cap"])},
        {**record, "cap": "read." + "é" * 22},
        {**record, "cap": "write" + record["cap"][4:]},
        "[1,1]",
    ):
        _refused_call(call(anon, server, app, "word", {"$wb": "row", "v": forged}))
    search = value(call(anon, server, app, "secrets", 2))["v"]
    for forged in (
        {**search, "cap": None},
        {**search, "query": {"eq": ["n", 1]}},
        {**search, "table": "people"},
        {**search, "cap": search["cap"].replace("read.", "pass.")},
        {"table": "secrets", "query": EVERYTHING},
    ):
        _refused_call(call(anon, server, app, "words", {"$wb": "search", "v": forged}))
    # deep inside the arguments too
    nested = {"a": [1, {"b": {"$wb": "row", "v": {"id": other_id}}}]}
    _refused_call(call(anon, server, app, "ages", nested))


def test_capabilities_are_bound_to_their_app(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    other = make_app(alice, "Another app")
    value(call(alice, server, other, "seed"))
    record = value(call(anon, server, app, "secret", 1))
    _refused_call(call(anon, server, other, "word", record))
    read = {"op": "row", "id": record["v"]["id"], "cap": record["v"]["cap"]}
    assert refusal(post(anon, server, other, read))[0] == "PermissionDenied"
    # a new app that takes a deleted one's id and address: old capabilities open nothing
    before = value(call(anon, server, other, "secret", 1))["v"]
    old = alice.widget(other)
    assert alice.delete(f"/api/widgets/{other}").status_code == 204
    again = make_app(alice, "Another app")
    assert (alice.widget(again)["id"], again) == (old["id"], other)
    value(call(alice, server, again, "seed"))
    now = value(call(anon, server, again, "secret", 1))["v"]
    assert now["id"] == before["id"]
    stale = {"op": "row", "id": before["id"], "cap": before["cap"]}
    assert refusal(post(anon, server, again, stale))[0] == "PermissionDenied"
    assert ok(post(anon, server, again, {**stale, "cap": now["cap"]}))["values"]["word"] == "w1"
