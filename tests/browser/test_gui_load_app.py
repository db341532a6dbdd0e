"""A GUI app opened through one of its routes, in Chromium, on Brython and on Pyodide, as
Anvil's `FormResponse` and `AppResponder` open it: the form the route chose, made with its
arguments, reading `anvil.server.startup_data` (a date and a Data Tables row among it; the
row read further from the browser), under the page title the route set; and the same app
from its own page, at its startup form with `startup_data` None."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import IDE, Visitor

pytestmark = pytest.mark.browser

APP_READY = "html[data-app-ready]"
START_TIMEOUT_MS = 60_000

SERVER = """\
import datetime

import anvil.server
from anvil.tables import app_tables


@anvil.server.route("/open/:n")
def open_item(n, **query):
    note = app_tables.notes.get(text="hello") or app_tables.notes.add_row(text="hello")
    data = {"when": datetime.date(2026, 12, 5), "note": note}
    meta = {"title": f"Item {n}", "description": "one item"}
    return anvil.server.AppResponder(data=data, meta=meta).load_form(
        "Item", int(n), colour=query.get("colour")
    )
"""
SCHEMA = """\
tables:
  notes:
    client: none
    columns:
      - {name: text, type: string}
"""
LABEL = {"name": "out", "type": "Label", "properties": {"text": "waiting"}}
START_CODE = """\
import json

import anvil.server
from ._anvil_designer import StartTemplate


class Start(StartTemplate):
    def __init__(self, **properties):
        self.init_components(**properties)
        self.out.text = json.dumps(["start", anvil.server.startup_data])
"""
ITEM_CODE = """\
import json

import anvil.server
from ._anvil_designer import ItemTemplate


class Item(ItemTemplate):
    def __init__(self, n, colour=None, **properties):
        self.init_components(**properties)
        data = anvil.server.startup_data
        self.out.text = json.dumps(
            ["item", n, colour, data["when"].isoformat(), data["note"]["text"]]
        )
"""


def make_app(owner: Visitor, runtime: str) -> str:
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": f"Items {runtime}",
                                                "visibility": "public"})  # fmt: skip
    files = {
        "server.py": SERVER,
        "tables.yaml": SCHEMA,
        "app.json": json.dumps({"startup_form": "Start", "runtime": runtime}),
        "forms/Start.json": json.dumps({"components": [LABEL]}),
        "forms/Start.py": START_CODE,
        "forms/Item.json": json.dumps({"components": [LABEL]}),
        "forms/Item.py": ITEM_CODE,
    }
    body = {"base_version": widget["head_version"], "files": files}
    owner.api("POST", f"/api/widgets/{widget['slug']}/versions", body)
    slug: str = widget["slug"]
    return slug


def shown(page: Page, url: str) -> list[object]:
    page.goto(url)
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    label = page.locator(".anvil-label")
    expect(label).not_to_have_text("waiting")
    found: list[object] = json.loads(label.inner_text())
    return found


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_a_route_opens_the_app_at_a_form_with_startup_data(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, runtime)
    origin = f"http://{slug}.{ide.live.config.apps_host}"
    page = ide.visitor("visitor").page
    assert shown(page, origin + "/_/api/open/7?colour=red") == [
        "item",
        7,
        "red",
        "2026-12-05",
        "hello",  # a row of a `client: none` table, readable because the route handed it over
    ]
    expect(page).to_have_title("Item 7")
    assert shown(page, origin + "/") == ["start", None]
    expect(page).to_have_title(f"Items {runtime}")
