"""A GUI app's route that answers with the app itself, as Anvil's `FormResponse` and
`AppResponder` do, over HTTP: the app's page on its own origin opening the form the route
chose with its arguments, or the app's start-up, with the startup data (rows signed as in a
call's answer) and the page's title and meta tags, escaped; the visit's cookies set. An
HTTP API widget's route cannot answer so (its owner's log says why), bad meta tags are
refused with every one named, and a forged body of that type is never trusted."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server._client import Browser, set_cookies
from tests.server.conftest import Server
from tests.server.test_gui_apps import app_url, boot_of
from widgetbox.host.widgets.starters import TEMPLATES
from widgetbox.runtime import LOAD_APP_TYPE, encode_value, load_app_in
from widgetbox.runtime._load_app import MAX_META, META_NAME

pytestmark = pytest.mark.server

SERVER = """\
import datetime

import anvil.server
from anvil.tables import app_tables


@anvil.server.route("/item/:n")
def item(n, **query):
    anvil.server.cookies.local["seen"] = n
    return anvil.server.FormResponse("Form1", int(n), colour=query.get("colour"))


@anvil.server.route("/welcome")
def welcome(**query):
    data = {"when": datetime.date(2026, 12, 5), "items": (1, 2)}
    meta = {"title": "Welcome </title><script>x()</script>", "description": 'a "quoted" <b>',
            "og:image": "https://example.com/a.png"}
    return anvil.server.AppResponder(data=data, meta=meta).load_app()


@anvil.server.route("/module")
def module(**query):
    return anvil.server.AppResponder(data="m").load_module("Startup")


@anvil.server.route("/note")
def note(**query):
    return anvil.server.AppResponder(data=app_tables.notes.get(text="hello")).load_form("Form1")


@anvil.server.callable
def seed():
    app_tables.notes.add_row(text="hello")


@anvil.server.callable
def the_note():
    return app_tables.notes.get(text="hello")


@anvil.server.route("/bad-meta")
def bad_meta(**query):
    return anvil.server.AppResponder(meta={"ok": "x", "<no>": "y", "n": 5}).load_app()


@anvil.server.route("/many-meta")
def many_meta(**query):
    return anvil.server.AppResponder(meta={f"m{n}": "" for n in range(65)}).load_app()


@anvil.server.route("/forged")
def forged(**query):
    return anvil.server.HttpResponse(200, "[" * 300 + "]" * 300,
                                     {"content-type": "%s"})


@anvil.server.route("/client-data")
def client_data(**query):
    return anvil.server.startup_data
"""
SCHEMA = """\
tables:
  notes:
    client: none
    columns:
      - {name: text, type: string}
"""


@pytest.fixture
def app(server: Server, alice: Browser) -> str:
    slug: str = alice.create_widget("gui", "Loader", visibility="public")["slug"]
    files = {**TEMPLATES["gui"], "server.py": SERVER % LOAD_APP_TYPE, "tables.yaml": SCHEMA}
    assert alice.save(slug, files, 1).status_code == 201
    return slug


def get(server: Server, who: Browser, slug: str, path: str) -> httpx.Response:
    return who.client.get(app_url(server, slug, "/_/api" + path))


def test_a_form_response_opens_the_form_with_its_arguments(
    server: Server, anon: Browser, app: str
) -> None:
    page = get(server, anon, app, "/item/7?colour=red")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]  # the app's page
    boot = boot_of(page)
    assert boot["startup_form"] == "Form1"
    assert boot["load"] == {
        "form": "Form1",
        "module": None,
        "args": [7],
        "kwargs": {"colour": "red"},
        "data": None,
    }
    assert "wb_local" in set_cookies(page)  # the cookie the route set, as any route sets it


def test_an_app_responder_gives_startup_data_and_meta_tags_escaped(
    server: Server, anon: Browser, app: str
) -> None:
    page = get(server, anon, app, "/welcome")
    assert page.status_code == 200, page.text
    load = boot_of(page)["load"]
    assert (load["form"], load["module"], load["args"], load["kwargs"]) == (None, None, [], {})
    assert load["data"] == encode_value({"when": date(2026, 12, 5), "items": [1, 2]})
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert title is not None
    assert title.group(1) == "Welcome &lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;"
    assert '<meta name="description" content="a &#34;quoted&#34; &lt;b&gt;">' in page.text
    assert '<meta property="og:image" content="https://example.com/a.png">' in page.text
    assert "<script>x()" not in page.text

    module = boot_of(get(server, anon, app, "/module"))["load"]
    assert (module["form"], module["module"], module["data"]) == (None, "Startup", "m")


def test_rows_in_startup_data_are_signed_as_a_calls_answer(
    server: Server, anon: Browser, app: str
) -> None:
    def call(name: str) -> Any:
        answer = anon.client.post(
            app_url(server, app, "/_/call"),
            json={"name": name, "args": [], "kwargs": {}},
            headers={"origin": app_url(server, app, "")},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["value"]

    call("seed")
    row = call("the_note")
    assert row["$wb"] == "row"
    load = boot_of(get(server, anon, app, "/note"))["load"]
    assert load["data"] == row  # the same capability the browser gets from a call


def test_only_a_gui_apps_routes_answer_with_the_app(
    server: Server, alice: Browser, anon: Browser
) -> None:
    slug: str = alice.create_widget("http", "No forms", visibility="public")["slug"]
    code = (
        "import anvil.server\n\n"
        '@anvil.server.route("/x")\n'
        'def x():\n    return anvil.server.FormResponse("Form1")\n'
    )
    assert alice.save(slug, {"main.py": code}, 1).status_code == 201
    answer = alice.get(f"/w/{slug}/x")
    assert answer.status_code == 500
    detail = alice.get(f"/api/runs/{answer.headers['x-widgetbox-run']}").json()
    assert detail["error"]["type"] == "TypeError"
    assert "only a GUI widget's routes" in detail["error"]["message"]


def logged(server: Server, owner: Browser, slug: str, path: str) -> dict[str, Any]:
    """The owner's log entry of a request to `path`, which failed."""
    answer = get(server, owner, slug, path)
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "widget_error"
    logs = owner.get(f"/api/widgets/{slug}/logs", params={"limit": 1})
    (latest,) = logs.json()["runs"]
    assert latest["status"] == "error"
    entry: dict[str, Any] = owner.get(f"/api/runs/{latest['id']}").json()
    return entry


def failed(server: Server, owner: Browser, slug: str, path: str) -> dict[str, Any]:
    """The error the widget's code raised in a request to `path`, from the owner's log."""
    error: dict[str, Any] = logged(server, owner, slug, path)["error"]
    return error


def test_bad_meta_tags_are_refused_all_at_once(server: Server, alice: Browser, app: str) -> None:
    error = failed(server, alice, app, "/bad-meta")
    assert error["type"] == "TypeError"
    assert "'<no>'" in error["message"]
    assert "'n'" in error["message"]
    assert "'ok'" not in error["message"]
    too_many = failed(server, alice, app, "/many-meta")
    assert (too_many["type"], too_many["message"]) == (
        "TypeError",
        "AppResponder takes at most 64 meta tags, not 65",
    )


def test_a_forged_body_of_that_type_is_refused_unread(
    server: Server, alice: Browser, app: str
) -> None:
    entry = logged(server, alice, app, "/forged")
    assert entry["error"] is None  # the code returned; its answer could not be sent
    assert entry["message"] == (
        "The widget's response could not be sent: "
        "the app's startup data nests deeper than 256 levels"
    )


def test_startup_data_is_the_clients_alone(server: Server, alice: Browser, app: str) -> None:
    error = failed(server, alice, app, "/client-data")
    assert (error["type"], error["message"]) == (
        "RuntimeError",
        "anvil.server.startup_data is only available on the client",
    )


def test_the_guest_and_the_host_agree_on_the_type_and_the_meta_tags() -> None:
    routing = (Path(__file__).parents[2] / "wasm-python" / "_widgetbox" / "routing.py").read_text()
    assert f'LOAD_APP_TYPE = "{LOAD_APP_TYPE}"' in routing
    assert f'META_NAME = re.compile(r"{META_NAME.pattern}")' in routing
    assert f"MAX_META = {MAX_META}" in routing


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (b"[" * 300 + b"]" * 300, "deeper"),
        (b"[" + b"[]," * 300_000 + b"[]]", "values"),
        (b'{"form": 1}', "exactly"),
        (b"{", "not valid JSON"),
        (
            b'{"form": 5, "module": null, "args": [], "kwargs": {}, "data": null, "meta": {}}',
            "named by text",
        ),
        (
            b'{"form": null, "module": null, "args": {}, "kwargs": {}, "data": null, "meta": {}}',
            "list and a dict",
        ),
        (
            b'{"form": null, "module": null, "args": [], "kwargs": {}, "data": 1e400, "meta": {}}',
            "not valid JSON",
        ),
        (
            b'{"form": null, "module": null, "args": [], "kwargs": {}, "data": null, '
            b'"meta": {"<no>": "x"}}',
            "meta tags",
        ),
        (
            b'{"form": null, "module": null, "args": [], "kwargs": {}, "data": null, "meta": {'
            + b",".join(b'"m%d": ""' % n for n in range(MAX_META + 1))
            + b"}}",
            "meta tags",
        ),
    ],
)
def test_the_runtime_reads_a_load_app_body_within_a_calls_caps(body: bytes, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        load_app_in(body)
