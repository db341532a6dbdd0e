"""GUI apps in Chromium, on Brython and on Pyodide: an app made through the API (a design,
client code that calls a server function) opened by an anonymous visitor on the app's own
origin; properties, alert, Notification, open_form, a Timer, server exceptions as the right
class, an uncaught error's notice; and the wall between the app and Widgetbox's origin."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser._helpers import api_signup, call
from tests.browser.conftest import IDE, Visitor

pytestmark = pytest.mark.browser

APP_READY = "html[data-app-ready]"
START_TIMEOUT_MS = 60_000
"""Pyodide's first start in a fresh browser context (a 9 MB module to compile)."""

SERVER = """\
import anvil.server


@anvil.server.callable
def greet(name):
    return f"Hello, {name}!"


@anvil.server.callable
def fails():
    raise ValueError("bad value")


@anvil.server.callable
def anvil_error():
    raise anvil.server.NoServerFunctionError("on purpose")
"""

FORM1 = {
    "container": {"type": "ColumnPanel", "event_bindings": {"show": "form_show"}},
    "components": [
        {"name": "name_box", "type": "TextBox", "properties": {"placeholder": "Your name"},
         "event_bindings": {"pressed_enter": "greet_click"}},
        {"name": "answer", "type": "Label",
         "properties": {"text": "", "bold": True, "font_size": 20, "foreground": "#336699",
                        "align": "center"}},
        {"name": "secret", "type": "Label", "properties": {"text": "hidden", "visible": False}},
        {"name": "buttons", "type": "FlowPanel", "properties": {"spacing": "small"},
         "components": [
             {"name": "greet", "type": "Button", "properties": {"text": "Greet"},
              "event_bindings": {"click": "greet_click"}},
             {"name": "alert_button", "type": "Button", "properties": {"text": "Alert"},
              "event_bindings": {"click": "alert_click"}},
             {"name": "notify_button", "type": "Button", "properties": {"text": "Notify"},
              "event_bindings": {"click": "notify_click"}},
             {"name": "errors_button", "type": "Button", "properties": {"text": "Server errors"},
              "event_bindings": {"click": "errors_click"}},
             {"name": "next_button", "type": "Button", "properties": {"text": "Next form"},
              "event_bindings": {"click": "next_click"}},
             {"name": "crash_button", "type": "Button", "properties": {"text": "Crash"},
              "event_bindings": {"click": "crash_click"}},
         ]},
        {"name": "ticks", "type": "Label", "properties": {"text": "ticks: 0"}},
        {"name": "ticker", "type": "Timer", "properties": {"interval": 0.2},
         "event_bindings": {"tick": "ticker_tick"}},
        {"name": "errors", "type": "Label"},
    ],
}  # fmt: skip

FORM1_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server


class Form1(Form1Template):
    def __init__(self, **properties):
        self.count = 0
        self.init_components(**properties)

    def form_show(self, **event_args):
        self.answer.text = "ready"

    def greet_click(self, sender, event_name, **event_args):
        self.answer.text = anvil.server.call("greet", self.name_box.text)

    def alert_click(self, **event_args):
        alert("Hello from the app", title="A note")

    def notify_click(self, **event_args):
        Notification("Saved!", title="Done", timeout=1).show()

    def errors_click(self, **event_args):
        seen = []
        for name in ("fails", "anvil_error"):
            try:
                anvil.server.call(name)
            except anvil.server.NoServerFunctionError as e:
                seen.append(f"NoServerFunctionError: {e}")
            except anvil.server.AnvilWrappedError as e:
                seen.append(f"{type(e).__name__}: {e}")
        self.errors.text = " | ".join(seen)

    def next_click(self, **event_args):
        open_form("Form2", greeting="Welcome to form 2")

    def crash_click(self, **event_args):
        raise ValueError("client boom")

    def ticker_tick(self, **event_args):
        self.count += 1
        self.ticks.text = f"ticks: {self.count}"
"""

FORM2 = {
    "container": {"type": "LinearPanel"},
    "components": [
        {"name": "message", "type": "Label"},
        {"name": "back", "type": "Button", "properties": {"text": "Back"},
         "event_bindings": {"click": "back_click"}},
    ],
}  # fmt: skip

FORM2_CODE = """\
from ._anvil_designer import Form2Template
from anvil import *


class Form2(Form2Template):
    def __init__(self, greeting="", **properties):
        self.init_components(**properties)
        self.message.text = greeting

    def back_click(self, **event_args):
        open_form("Form1")
"""


def app_files(runtime: str) -> dict[str, str]:
    return {
        "server.py": SERVER,
        "forms/Form1.json": json.dumps(FORM1),
        "forms/Form1.py": FORM1_CODE,
        "forms/Form2.json": json.dumps(FORM2),
        "forms/Form2.py": FORM2_CODE,
        "app.json": json.dumps({"startup_form": "Form1", "runtime": runtime}),
    }


def make_app(owner: Visitor, title: str, runtime: str, visibility: str = "public") -> str:
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": title,
                                                "visibility": visibility})  # fmt: skip
    slug: str = widget["slug"]
    body = {"base_version": widget["head_version"], "files": app_files(runtime)}
    owner.api("POST", f"/api/widgets/{slug}/versions", body)
    return slug


def app_url(ide: IDE, slug: str) -> str:
    return f"http://{slug}.{ide.live.config.apps_host}/"


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)


def button(page: Page, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_an_anonymous_visitor_uses_the_app(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, f"Greeter on {runtime}", runtime)
    visitor = ide.visitor("visitor")
    page = visitor.page
    open_app(page, app_url(ide, slug))
    expect(page).to_have_title(f"Greeter on {runtime}")
    answer = page.locator(".anvil-label").first

    # the form's show event ran; properties from the design show up
    expect(answer).to_have_text("ready")
    expect(answer).to_have_css("color", "rgb(51, 102, 153)")
    expect(answer).to_have_css("font-weight", "700")
    expect(answer).to_have_css("font-size", "20px")
    expect(answer).to_have_css("text-align", "center")
    expect(page.get_by_placeholder("Your name")).to_be_visible()
    expect(page.get_by_text("hidden", exact=True)).to_be_hidden()

    # type, click, see the server's answer
    page.get_by_placeholder("Your name").fill("Ada")
    button(page, "Greet").click()
    expect(answer).to_have_text("Hello, Ada!")
    page.get_by_placeholder("Your name").fill("Grace")
    page.get_by_placeholder("Your name").press("Enter")
    expect(answer).to_have_text("Hello, Grace!")

    # a Timer ticks while its form is open
    expect(page.get_by_text(re.compile(r"^ticks: ([3-9]|\d\d+)$"))).to_be_visible()

    # server exceptions arrive as the right classes
    button(page, "Server errors").click()
    expect(page.locator(".anvil-label").last).to_have_text(
        "AnvilWrappedError: bad value | NoServerFunctionError: on purpose"
    )

    # alert: a dialog until OK is clicked
    button(page, "Alert").click()
    dialog = page.get_by_role("alertdialog", name="A note")
    expect(dialog).to_contain_text("Hello from the app")
    expect(dialog.get_by_role("button", name="OK")).to_be_focused()
    dialog.get_by_role("button", name="OK").click()
    expect(dialog).to_be_hidden()

    # Notification: shows, then goes by itself
    button(page, "Notify").click()
    toast = page.get_by_role("status")
    expect(toast).to_have_text("DoneSaved!")
    expect(toast).to_be_hidden(timeout=5000)

    # open_form switches forms, with arguments, and back
    button(page, "Next form").click()
    expect(page.get_by_text("Welcome to form 2")).to_be_visible()
    expect(button(page, "Greet")).to_be_hidden()
    button(page, "Back").click()
    expect(button(page, "Greet")).to_be_visible()
    expect(page.get_by_placeholder("Your name")).to_have_value("")  # a new Form1

    # an uncaught error: a dismissible notice, and the traceback in the console
    visitor.watch.expect_error("client boom")
    button(page, "Crash").click()
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("ValueError: client boom")
    assert any("Traceback" in m and "client boom" in m for m in visitor.watch.messages)
    notice.get_by_role("button", name="Dismiss").click()
    expect(notice).to_be_hidden()
    # the app still works afterwards
    page.get_by_placeholder("Your name").fill("Alan")
    button(page, "Greet").click()
    expect(answer).to_have_text("Hello, Alan!")

    # the owner reads the calls in the widget's logs
    logs = owner.api("GET", f"/api/widgets/{slug}/logs")["runs"]
    functions = [entry["request"]["function"] for entry in logs]
    assert {"greet", "fails", "anvil_error"} <= set(functions)


PROBE = """async (ide) => {
    const found = {cookies: document.cookie};
    try {
        const answer = await fetch(ide + "/api/session", {credentials: "include"});
        found.read = await answer.text();
    } catch (error) {
        found.read_error = String(error);
    }
    try {
        await fetch(ide + "/api/widgets", {
            method: "POST", credentials: "include", mode: "no-cors",
            headers: {"content-type": "text/plain"},
            body: JSON.stringify({kind: "script", title: "Planted by an app"}),
        });
        found.posted = true;
    } catch (error) {
        found.post_error = String(error);
    }
    return found;
}"""


@pytest.mark.parametrize("bypass_csp", [False, True])
def test_an_app_cannot_read_widgetboxs_cookies_or_act_as_the_user(
    ide: IDE, bypass_csp: bool
) -> None:
    """The owner is signed in on Widgetbox at localhost (the same site as the app's
    *.localhost); script on the app's page, even with its CSP out of the way, can neither
    see Widgetbox's cookies nor use Widgetbox's API as them."""
    port = ide.live.config.server.port
    ide_origin = f"http://localhost:{port}"
    owner = ide.visitor("owner", bypass_csp=bypass_csp)
    username = ide.username("owner")
    api_signup(owner.context, ide_origin, username)
    widget = call(owner.context, ide_origin, "POST", "/api/widgets",
                  {"kind": "gui", "title": "Probe", "visibility": "public"})  # fmt: skip
    names = {cookie["name"] for cookie in owner.context.cookies(ide_origin)}
    assert {"wb_session", "wb_csrf"} <= names
    page = owner.page
    if not bypass_csp:
        owner.watch.expect_error("Content Security Policy|Refused to connect")
    else:
        # the read is refused by CORS, the planted POST's answer by its resource policy
        owner.watch.expect_error("CORS|net::ERR_FAILED|ERR_BLOCKED_BY_RESPONSE.NotSameOrigin")
    open_app(page, app_url(ide, widget["slug"]))
    found = page.evaluate(PROBE, ide_origin)
    assert "wb_session" not in found["cookies"]
    assert "wb_csrf" not in found["cookies"]
    assert "read" not in found, found  # the answer was never readable
    assert "Failed to fetch" in found["read_error"]
    mine = call(owner.context, ide_origin, "GET", "/api/widgets")["widgets"]
    assert [w["title"] for w in mine] == ["Probe"]  # nothing was planted


def test_a_private_app_opens_for_its_owner_from_widgetbox(ide: IDE) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, "My private app", "brython", visibility="private")
    page = owner.goto(f"/widgets/{slug}")
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Open the app").click()
    app = opened.value
    owner.pages.append((app, type(owner.watch)(app)))
    app.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    assert app.url == app_url(ide, slug)  # the one-time token is gone from the address
    app.get_by_placeholder("Your name").fill("me")
    button(app, "Greet").click()
    expect(app.locator(".anvil-label").first).to_have_text("Hello, me!")
    outsider = ide.visitor("stranger")
    stranger = outsider.page
    outsider.watch.expect_error("status of 403")
    stranger.goto(app_url(ide, slug))
    expect(stranger.get_by_role("heading", level=1)).to_have_text("This app is private")
