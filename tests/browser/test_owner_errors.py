"""Errors where the owner is looking (issue 17), at laptop and phone widths: a failing
request tried from the try-it panel shows its traceback there with the failing line marked
in the editor; a SyntaxError shows its caret line in the run console; a GUI app's server
exception keeps its name, with the server's traceback in the owner's notice and a plain
notice for a visitor."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser._chromium import LAPTOP, PHONE
from tests.browser.conftest import IDE, Visitor
from tests.browser.test_gui_apps import APP_READY, START_TIMEOUT_MS, app_url

pytestmark = pytest.mark.browser

AUDIT = Path(__file__).with_name("audit.js").read_text()
"""Returns the problems found on the page (see audit.js)."""
WIDTHS = pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])

FAILING_API = """\
import anvil.server


def helper(n):
    return 10 // n


@anvil.server.route("/divide")
def divide(**params):
    return str(helper(int(params.get("n", "0"))))
"""


@WIDTHS
def test_a_failing_request_shows_its_traceback_in_the_try_it_panel(
    ide: IDE, viewport: dict[str, int]
) -> None:
    owner = ide.visitor("tryer", viewport=viewport)
    owner.signup()
    widget = owner.api("POST", "/api/widgets", {"kind": "http", "title": "Divider"})
    slug = widget["slug"]
    owner.api("POST", f"/api/widgets/{slug}/versions",
              {"base_version": 1, "files": {"main.py": FAILING_API}})  # fmt: skip
    page = owner.goto(f"/widgets/{slug}")
    owner.watch.expect_error("status of 500")
    page.locator(".routes button").first.click()
    page.get_by_role("button", name="Send request").click()
    response = page.locator(".tryit .response")
    expect(response.locator("[data-field=status]")).to_have_text("500 Internal Server Error")
    # the public's generic answer, and below it what only the owner sees
    expect(response.locator(".body")).to_contain_text("its owner can see why")
    traceback = response.locator(".traceback")
    expect(traceback).to_be_visible()
    expect(traceback.locator(".error-title")).to_have_text("ZeroDivisionError: division by zero")
    expect(traceback.locator("pre")).to_contain_text('File "main.py", line 5, in helper')
    log = traceback.get_by_role("link", name=re.compile(r"^Request #\d+ in the log$"))
    expect(log).to_have_attribute("href", re.compile(rf"^/widgets/{slug}/runs/\d+$"))
    # the failing line is marked in the editor
    marked = page.locator(".cm-error-line")
    expect(marked).to_have_text("    return 10 // n")
    # (audited before a click scrolls the panel: the audit does not see what a scroll clips)
    page.locator(".side-pane").evaluate("el => el.scrollTo(0, 0)")
    assert page.evaluate(AUDIT) == []
    goto = traceback.get_by_role("button", name="Show main.py line 5 in the editor")
    goto.click()
    expect(page.locator(".cm-content")).to_be_focused()

    # a request that works clears it
    page.get_by_label("Query").fill("n=5")
    page.get_by_role("button", name="Send request").click()
    expect(response.locator("[data-field=status]")).to_have_text("200 OK")
    expect(traceback).to_be_hidden()
    expect(page.locator(".cm-error-line")).to_have_count(0)


@WIDTHS
def test_a_syntax_error_shows_its_caret_in_the_run_console(
    ide: IDE, viewport: dict[str, int]
) -> None:
    owner = ide.visitor("typo", viewport=viewport)
    owner.signup()
    widget = owner.api("POST", "/api/widgets", {"kind": "script", "title": "Typo"})
    slug = widget["slug"]
    owner.api("POST", f"/api/widgets/{slug}/versions",
              {"base_version": 1, "files": {"main.py": "x = 1\nprint('x'\n"}})  # fmt: skip
    page = owner.goto(f"/widgets/{slug}")
    page.get_by_role("button", name="Run").click()
    traceback = page.locator(".console .traceback")
    expect(traceback).to_be_visible()
    expect(traceback.locator(".error-title")).to_have_text("SyntaxError: '(' was never closed")
    expect(traceback.locator("pre")).to_have_text(
        "  File \"main.py\", line 2\n    print('x'\n         ^\nSyntaxError: '(' was never closed\n"
    )
    expect(page.locator(".cm-error-line")).to_have_text("print('x'")
    assert page.evaluate(AUDIT) == []


# -- GUI apps -------------------------------------------------------------------------------

SERVER = """\
import anvil.server


@anvil.server.callable
def fails():
    raise ValueError("bad value")
"""

FORM = {
    "container": {"type": "ColumnPanel"},
    "components": [
        {"name": "fail", "type": "Button", "properties": {"text": "Fail"},
         "event_bindings": {"click": "fail_click"}},
        {"name": "caught", "type": "Label", "properties": {"text": ""}},
        {"name": "catch", "type": "Button", "properties": {"text": "Catch"},
         "event_bindings": {"click": "catch_click"}},
    ],
}  # fmt: skip

FORM_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)

    def fail_click(self, **event_args):
        anvil.server.call("fails")

    def catch_click(self, **event_args):
        try:
            anvil.server.call("fails")
        except anvil.server.AnvilWrappedError as e:
            self.caught.text = f"{e.error_obj['type']}: {e.message} / {e!r}"
"""


def failing_app(owner: Visitor, title: str) -> str:
    new = {"kind": "gui", "title": title, "visibility": "public"}
    slug: str = owner.api("POST", "/api/widgets", new)["slug"]
    files = {
        "server.py": SERVER,
        "forms/Form1.json": json.dumps(FORM),
        "forms/Form1.py": FORM_CODE,
        "app.json": json.dumps({"startup_form": "Form1", "runtime": "brython"}),
    }
    owner.api("POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": files})
    return slug


@WIDTHS
def test_a_server_exception_shows_the_owner_its_traceback_and_a_visitor_a_notice(
    ide: IDE, viewport: dict[str, int]
) -> None:
    owner = ide.visitor("appowner", viewport=viewport)
    owner.signup()
    slug = failing_app(owner, "Failing app")

    # the owner opens their app from Widgetbox (the handover makes them known to it)
    page = owner.page
    page.goto(f"{ide.base}/widgets/{slug}/app")
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    assert page.url == app_url(ide, slug)
    owner.watch.expect_error("bad value")
    page.get_by_role("button", name="Catch", exact=True).click()
    expect(page.get_by_text("ValueError: bad value / AnvilWrappedError(")).to_have_text(
        "ValueError: bad value / AnvilWrappedError(ValueError('bad value'))"
    )
    page.get_by_role("button", name="Fail", exact=True).click()
    notice = page.get_by_role("alert")
    expect(notice.locator(".wb-notice-text")).to_have_text("ValueError: bad value")
    trace = notice.locator("details")
    expect(trace).to_contain_text("only you, the owner, see this")
    trace.locator("summary").click()
    expect(trace.locator("pre")).to_contain_text('File "server.py", line 6, in fails')
    expect(trace.locator("pre")).to_be_visible()
    box = notice.bounding_box()
    assert box is not None
    assert 0 <= box["x"] <= box["x"] + box["width"] <= viewport["width"]

    # a visitor: the same name and message, no traceback
    visitor = ide.visitor("appvisitor", viewport=viewport)
    seen = visitor.page
    visitor.watch.expect_error("bad value")
    seen.goto(app_url(ide, slug))
    seen.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    seen.get_by_role("button", name="Fail", exact=True).click()
    plain = seen.get_by_role("alert")
    expect(plain.locator(".wb-notice-text")).to_have_text("ValueError: bad value")
    expect(plain.locator("details")).to_have_count(0)
    expect(plain).not_to_contain_text("server.py")
