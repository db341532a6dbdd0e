# ruff: noqa: E501 - the design is written as Anvil writes them, one component a line
"""Client Python that waits without freezing the page (Pyodide with JSPI, the default
runtime): a Timer keeps ticking and the loading indicator covers the app during a 2 s server
call; `call_s` shows no indicator; `alert` and `confirm` return the chosen button's value;
`time.sleep` suspends; `anvil.js` calls JavaScript and waits for its promises; a startup
module opens the form; `random` differs per page although Pyodide starts from a snapshot. On Brython, which cannot suspend, `alert` returns at once (its
`on_close` gets the value) and calls still work."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import IDE, Visitor
from tests.browser.test_gui_apps import app_url, button, open_app

pytestmark = pytest.mark.browser

SERVER = """\
import time

import anvil.server


@anvil.server.callable
def slow(seconds):
    time.sleep(seconds)
    return f"slept {seconds}"
"""

TEMPLATE = """\
container:
  type: ColumnPanel
components:
- {type: Label, name: ticks, properties: {text: '0'}, layout_properties: {grid_position: 'A,a'}}
- {type: Label, name: result, properties: {text: ''}, layout_properties: {grid_position: 'B,a'}}
- type: FlowPanel
  name: buttons
  layout_properties: {grid_position: 'C,a'}
  components:
  - {type: Button, name: slow_button, properties: {text: Slow}, event_bindings: {click: slow_click}}
  - {type: Button, name: quiet_button, properties: {text: Quiet}, event_bindings: {click: quiet_click}}
  - {type: Button, name: ask_button, properties: {text: Ask}, event_bindings: {click: ask_click}}
  - {type: Button, name: confirm_button, properties: {text: Confirm}, event_bindings: {click: confirm_click}}
  - {type: Button, name: nap_button, properties: {text: Nap}, event_bindings: {click: nap_click}}
  - {type: Button, name: js_button, properties: {text: JS}, event_bindings: {click: js_click}}
- {type: Link, name: plain_link, properties: {text: Plain link}, layout_properties: {grid_position: 'D,a'}, event_bindings: {click: link_click}}
- type: ColumnPanel
  name: inside
  layout_properties: {grid_position: 'E,a'}
  components:
  - {type: Button, name: dialog_button, properties: {text: Dialog}, event_bindings: {click: dialog_click}}
- {type: Timer, name: timer, properties: {interval: 0.1}, event_bindings: {tick: timer_tick}}
"""

CODE = """\
import random
import time

import anvil.js
import anvil.server
from anvil import *

from ._anvil_designer import Form1Template


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)
        self.count = 0
        self.result.text = f"rolled {random.random()}"

    def timer_tick(self, **event_args):
        self.count += 1
        self.ticks.text = str(self.count)

    def slow_click(self, **event_args):
        self.result.text = anvil.server.call("slow", 2)

    def quiet_click(self, **event_args):
        with anvil.server.no_loading_indicator:
            first = anvil.server.call("slow", 0.5)
        self.result.text = first + " / " + anvil.server.call_s("slow", 0.1)

    def ask_click(self, **event_args):
        chosen = alert("Pick a colour", buttons=[("Red", "red"), ("Blue", "blue")],
                       on_close=self.closed)
        self.result.text = f"chosen {chosen!r}"

    def closed(self, value):
        self.ticks.tag = value
        self.result.text = f"closed with {value!r}"

    def confirm_click(self, **event_args):
        self.result.text = f"confirmed {confirm('Really?')!r}"

    def link_click(self, **event_args):
        self.result.text = "link clicked"

    def dialog_click(self, **event_args):
        box = TextBox(placeholder="inside the dialog")
        chosen = alert(box, title="Type", buttons=[("Done", "done")])
        self.result.text = f"{chosen} {box.text}"

    def nap_click(self, **event_args):
        before = self.count
        time.sleep(1)
        self.result.text = f"napped {self.count - before > 3}"

    def js_click(self, **event_args):
        window = anvil.js.window
        biggest = anvil.js.call("Math.max", 3, 9, 4)
        later = anvil.js.await_promise(window.Promise.resolve(7))
        waited = anvil.js.call(window.wbTest)
        node = anvil.js.get_dom_node(self.result)
        stamp = anvil.js.new(window.Date, 0).getTime()
        self.result.text = f"{biggest} {later} {waited} {stamp} {str(node.tagName).lower()}"
"""

STARTUP = """\
import anvil.js
from anvil import open_form

anvil.js.window.document.title = "started by a module"
open_form("Form1")
"""

# a promise that resolves later, for anvil.js.call to wait for (defined by the test's page)
DEFINE_WB_TEST = (
    """() => { window.wbTest = () => new Promise((ok) => setTimeout(() => ok("late"), 300)); }"""
)


SNAPSHOT_LOADED = """() => performance.getEntriesByType("resource").some(
    (entry) => entry.name.endsWith("/snapshot.bin") && entry.responseStatus === 200)"""


def make_app(owner: Visitor, runtime: str, *, startup_module: bool = False) -> str:
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": f"Waits on {runtime}",
                                                "visibility": "public"})  # fmt: skip
    settings: dict[str, str] = {"startup_form": "Form1", "runtime": runtime}
    files = {
        "server.py": SERVER,
        "client_code/Form1/form_template.yaml": TEMPLATE,
        "client_code/Form1/__init__.py": CODE,
    }
    if startup_module:
        settings["startup_module"] = "Startup"
        files["client_code/Startup.py"] = STARTUP
    files["app.json"] = json.dumps(settings)
    body = {"base_version": widget["head_version"], "files": files}
    owner.api("POST", f"/api/widgets/{widget['slug']}/versions", body)
    return str(widget["slug"])


def ticks(page: Page) -> int:
    return int(page.locator(".anvil-label").first.inner_text() or "0")


def result(page: Page) -> Locator:
    return page.locator(".anvil-label").nth(1)


def test_the_page_stays_alive_while_pyodide_waits(ide: IDE) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, "pyodide", startup_module=True)
    page = ide.visitor("visitor").page
    open_app(page, app_url(ide, slug))
    expect(page).to_have_title("started by a module")
    # Pyodide starts from a snapshot made at build time (client/snapshot.mjs) ...
    assert page.evaluate(SNAPSHOT_LOADED), "the page did not load Pyodide's start-up snapshot"
    # ... and `random` is seeded per page all the same
    rolled = result(page).inner_text()
    other = ide.visitor("other").page
    open_app(other, app_url(ide, slug))
    assert result(other).inner_text().startswith("rolled ")
    assert result(other).inner_text() != rolled

    # a 2 s server call: the indicator covers the app and the Timer goes on ticking
    expect(page.locator(".anvil-label").first).not_to_have_text("0")
    button(page, "Slow").click()
    cover = page.locator(".wb-loading-cover")
    expect(cover).to_be_visible()
    expect(page.get_by_role("progressbar", name="Loading")).to_be_attached()
    during = ticks(page)
    page.wait_for_timeout(1000)
    assert ticks(page) >= during + 4, "the Timer stopped during the server call"
    expect(result(page)).to_have_text("slept 2", timeout=10_000)
    expect(cover).to_be_hidden()

    # without the indicator: no cover at any point
    page.evaluate("""() => {
        window.wbCovered = false;
        new MutationObserver(() => {
            if (document.querySelector('.wb-loading-cover:not([hidden])')) window.wbCovered = true;
        }).observe(document.body, {childList: true, subtree: true, attributes: true});
    }""")
    button(page, "Quiet").click()
    expect(result(page)).to_have_text("slept 0.5 / slept 0.1", timeout=10_000)
    assert page.evaluate("window.wbCovered") is False

    # alert and confirm wait for the answer and return it
    button(page, "Ask").click()
    page.get_by_role("button", name="Blue").click()
    expect(result(page)).to_have_text("chosen 'blue'")
    button(page, "Confirm").click()
    page.get_by_role("button", name="No").click()
    expect(result(page)).to_have_text("confirmed False")

    # what must happen during an event happens then, though handlers run a moment later: a
    # Link without a URL does not follow its "#"; a click inside a dialog does not dismiss it
    page.get_by_role("link", name="Plain link").click()
    expect(result(page)).to_have_text("link clicked")
    assert "#" not in page.url
    button(page, "Dialog").click()
    page.get_by_placeholder("inside the dialog").click()
    page.keyboard.type("typed")
    page.get_by_role("button", name="Done").click()
    expect(result(page)).to_have_text("done typed")

    # time.sleep suspends: the Timer ticks meanwhile
    button(page, "Nap").click()
    expect(result(page)).to_have_text("napped True", timeout=10_000)

    # anvil.js
    page.evaluate(DEFINE_WB_TEST)
    button(page, "JS").click()
    expect(result(page)).to_have_text("9 7 late 0 div", timeout=10_000)


def test_brython_cannot_wait_but_still_answers(ide: IDE) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, "brython")
    visitor = ide.visitor("visitor")
    page = visitor.page
    visitor.watch.expect_error("ExternalError")
    open_app(page, app_url(ide, slug))
    button(page, "Slow").click()
    expect(result(page)).to_have_text("slept 2", timeout=10_000)
    # alert returns at once; on_close gets the chosen value later
    button(page, "Ask").click()
    expect(result(page)).to_have_text("chosen None")
    page.get_by_role("button", name="Red").click()
    expect(result(page)).to_have_text("closed with 'red'")
    # anvil.js cannot wait for a Promise here, and says so
    button(page, "JS").click()
    expect(page.get_by_role("alert")).to_contain_text("ExternalError: this runtime cannot wait")
