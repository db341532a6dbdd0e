"""Data Tables in a GUI app, in Chromium on Brython and on Pyodide: a form lists rows, adds and
deletes them with the table's `client: full`; rows and a search of a `client: none` table that
a server function returns are read in the browser (later pages, a link) and passed back to the
server; with `client: none` the same form is refused, visibly."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import IDE, Visitor

pytestmark = pytest.mark.browser

APP_READY = "html[data-app-ready]"
START_TIMEOUT_MS = 60_000
"""Pyodide's first start in a fresh browser context (a 9 MB module to compile)."""

SERVER = """\
import anvil.server
import anvil.tables as tables
import anvil.tables.query as q
from anvil.tables import app_tables


@anvil.server.callable
def seed():
    if len(app_tables.people.search()) == 0:
        for name in ("Ann", "Bob"):
            app_tables.people.add_row(name=name)
        hidden = app_tables.hidden.add_row(label="deep")
        for n in range(5):
            app_tables.secrets.add_row(word=f"w{n}", n=n, owner=hidden)


@anvil.server.callable
def secrets():
    return app_tables.secrets.search(tables.order_by("n"), q.page_size(2))


@anvil.server.callable
def word(row):
    return row["word"]


@anvil.server.callable
def last_person():
    return app_tables.people.search(tables.order_by("name", ascending=False))[0]
"""

SCHEMA = """\
tables:
  people:
    client: {access}
    columns:
      - {{name: name, type: string}}
  secrets:
    client: none
    columns:
      - {{name: word, type: string}}
      - {{name: n, type: number}}
      - {{name: owner, type: link_single, target: hidden}}
  hidden:
    client: none
    columns:
      - {{name: label, type: string}}
"""

FORM1 = {
    "container": {"type": "ColumnPanel"},
    "components": [
        {"name": "rows", "type": "Label", "properties": {"text": "loading"}},
        {"name": "name_box", "type": "TextBox", "properties": {"placeholder": "New name"}},
        {"name": "buttons", "type": "FlowPanel", "components": [
            {"name": "add", "type": "Button", "properties": {"text": "Add"},
             "event_bindings": {"click": "add_click"}},
            {"name": "delete", "type": "Button", "properties": {"text": "Delete first"},
             "event_bindings": {"click": "delete_click"}},
            {"name": "handed", "type": "Button", "properties": {"text": "Delete last"},
             "event_bindings": {"click": "handed_click"}},
            {"name": "secrets_button", "type": "Button", "properties": {"text": "Secrets"},
             "event_bindings": {"click": "secrets_click"}},
        ]},
        {"name": "secrets", "type": "Label"},
        {"name": "status", "type": "Label"},
    ],
}  # fmt: skip

FORM1_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server
import anvil.tables as tables
from anvil.tables import app_tables


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)
        anvil.server.call("seed")
        self.refresh()

    def attempt(self, fn, shown=None):
        try:
            fn()
        except (AttributeError, anvil.server.PermissionDenied) as e:
            (shown or self.status).text = f"{type(e).__name__}: {e}"

    def refresh(self):
        def show():
            found = app_tables.people.search(tables.order_by("name"))
            self.rows.text = "rows: " + ", ".join(row["name"] for row in found)

        self.attempt(show, self.rows)

    def add_click(self, **event_args):
        self.attempt(lambda: app_tables.people.add_row(name=self.name_box.text))
        self.name_box.text = ""
        self.refresh()

    def delete_click(self, **event_args):
        self.attempt(lambda: app_tables.people.search(tables.order_by("name"))[0].delete())
        self.refresh()

    def handed_click(self, **event_args):
        self.attempt(lambda: anvil.server.call("last_person").delete())
        self.refresh()

    def secrets_click(self, **event_args):
        found = anvil.server.call("secrets")
        words = " ".join(row["word"] for row in found)
        first = found[0]
        echoed = anvil.server.call("word", first)
        self.secrets.text = f"{words} | {first['owner']['label']} | {echoed} | {len(found)}"
"""


def make_app(owner: Visitor, title: str, runtime: str, access: str) -> str:
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": title,
                                                "visibility": "public"})  # fmt: skip
    slug: str = widget["slug"]
    files = {
        "server.py": SERVER,
        "tables.yaml": SCHEMA.format(access=access),
        "forms/Form1.json": json.dumps(FORM1),
        "forms/Form1.py": FORM1_CODE,
        "app.json": json.dumps({"startup_form": "Form1", "runtime": runtime}),
    }
    owner.api("POST", f"/api/widgets/{slug}/versions",
              {"base_version": widget["head_version"], "files": files})  # fmt: skip
    return slug


def open_app(ide: IDE, page: Page, slug: str) -> None:
    page.goto(f"http://{slug}.{ide.live.config.apps_host}/")
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def label(page: Page, start: str) -> Locator:
    return page.locator(".anvil-label").filter(has_text=start)


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_a_form_lists_adds_and_deletes_rows(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, f"People on {runtime}", runtime, "full")
    page = ide.visitor("visitor").page
    open_app(ide, page, slug)
    rows = page.locator(".anvil-label").first
    expect(rows).to_have_text("rows: Ann, Bob")

    page.get_by_placeholder("New name").fill("Cy")
    button(page, "Add").click()
    expect(rows).to_have_text("rows: Ann, Bob, Cy")
    button(page, "Delete first").click()
    expect(rows).to_have_text("rows: Bob, Cy")
    button(page, "Delete last").click()  # a row server code handed over, deleted here
    expect(rows).to_have_text("rows: Bob")

    # a search of a client: none table from server code: its later pages and a link read
    # with its capabilities, and a row of it passed back to the server
    button(page, "Secrets").click()
    expect(label(page, "w0")).to_have_text("w0 w1 w2 w3 w4 | deep | w0 | 5")

    page.reload()
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    expect(rows).to_have_text("rows: Bob")  # stored


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_without_client_access_the_form_is_refused(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, f"Closed on {runtime}", runtime, "none")
    page = ide.visitor("visitor").page
    open_app(ide, page, slug)
    rows = page.locator(".anvil-label").first
    status = page.locator(".anvil-label").last
    # the table is not even listed for the browser (host/tables: `none` is hidden); Brython
    # words an AttributeError from __getattr__ its own way
    expect(rows).to_have_text(re.compile(r"^AttributeError: .*'people'$"))
    button(page, "Delete last").click()
    expect(status).to_have_text(
        "PermissionDenied: Cannot write to table 'people' from client code."
    )
    # what server code hands over stays readable
    button(page, "Secrets").click()
    expect(label(page, "w0")).to_have_text("w0 w1 w2 w3 w4 | deep | w0 | 5")
    stored = owner.api("GET", f"/api/widgets/{slug}/tables/people/rows")["rows"]
    assert [row["values"]["name"] for row in stored] == ["Ann", "Bob"]  # nothing deleted
