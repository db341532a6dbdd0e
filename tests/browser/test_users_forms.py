"""The Users service's built-in forms in a GUI app, in Chromium on Brython and on Pyodide:
`anvil.users.signup_with_form()` and `login_with_form()` are the app's own dialogs (which
return the user on Pyodide, as in Anvil), driven
with the keyboard only (the first field has the focus, Enter moves on and submits, Escape
cancels); a wrong attempt keeps the dialog open with Anvil's message; the login lives in the
app's session, so a reload keeps it, and server code sees the user (`require_user`)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import IDE, Visitor

pytestmark = pytest.mark.browser

APP_READY = "html[data-app-ready]"
START_TIMEOUT_MS = 60_000

SERVER = """\
import anvil.server
import anvil.users


@anvil.server.callable(require_user=True)
def secret():
    return "secret for " + anvil.users.get_user()["email"]
"""

FORM1 = {
    "container": {"type": "ColumnPanel"},
    "components": [
        {"name": "who", "type": "Label", "properties": {"text": "loading"}},
        {"name": "returned", "type": "Label", "properties": {"text": ""}},
        {"name": "buttons", "type": "FlowPanel", "components": [
            {"name": "signup", "type": "Button", "properties": {"text": "Sign up"},
             "event_bindings": {"click": "signup_click"}},
            {"name": "login", "type": "Button", "properties": {"text": "Log in"},
             "event_bindings": {"click": "login_click"}},
            {"name": "secret", "type": "Button", "properties": {"text": "Secret"},
             "event_bindings": {"click": "secret_click"}},
            {"name": "logout", "type": "Button", "properties": {"text": "Log out"},
             "event_bindings": {"click": "logout_click"}},
        ]},
    ],
}  # fmt: skip

FORM1_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server
import anvil.users


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)
        self.show_user(anvil.users.get_user())

    def show_user(self, user):
        self.who.text = "user: " + (user["email"] if user is not None else "nobody")

    def signup_click(self, **event_args):
        anvil.users.signup_with_form(allow_cancel=True, on_close=self.show_user)

    def login_click(self, **event_args):
        user = anvil.users.login_with_form(allow_cancel=True, on_close=self.show_user)
        self.returned.text = "returned " + (user["email"] if user is not None else "None")

    def secret_click(self, **event_args):
        try:
            self.who.text = anvil.server.call("secret")
        except anvil.users.AuthenticationFailed as e:
            self.who.text = f"{type(e).__name__}: {e}"

    def logout_click(self, **event_args):
        anvil.users.logout()
        self.show_user(anvil.users.get_user())
"""


def make_app(owner: Visitor, title: str, runtime: str) -> str:
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": title,
                                                "visibility": "public"})  # fmt: skip
    slug: str = widget["slug"]
    files = {
        "server.py": SERVER,
        "forms/Form1.json": json.dumps(FORM1),
        "forms/Form1.py": FORM1_CODE,
        "app.json": json.dumps({"startup_form": "Form1", "runtime": runtime}),
    }
    owner.api("POST", f"/api/widgets/{slug}/versions",
              {"base_version": widget["head_version"], "files": files})  # fmt: skip
    owner.api("PUT", f"/api/widgets/{slug}/users/settings", {"enabled": True})
    return slug


def open_app(ide: IDE, page: Page, slug: str) -> None:
    page.goto(f"http://{slug}.{ide.live.config.apps_host}/")
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)


def button(page: Page, name: str) -> Locator:
    return page.get_by_role("button", name=name, exact=True)


def dialog(page: Page, title: str) -> Locator:
    return page.get_by_role("alertdialog", name=title)


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_sign_up_and_log_in_with_the_keyboard(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, f"Members on {runtime}", runtime)
    page = ide.visitor("visitor").page
    open_app(ide, page, slug)
    who = page.locator(".anvil-label").first
    expect(who).to_have_text("user: nobody")
    email = f"{runtime}@example.com"

    # sign up: the dialog opens with the email field focused; Enter moves on, then submits
    button(page, "Sign up").click()
    form = dialog(page, "Sign Up")
    expect(form).to_be_visible()
    expect(form.get_by_placeholder("address@example.com")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Enter")
    expect(form.get_by_placeholder("password", exact=True)).to_be_focused()
    page.keyboard.type("a long password")
    page.keyboard.press("Enter")
    expect(form.get_by_placeholder("repeat password")).to_be_focused()
    page.keyboard.type("a different one")
    page.keyboard.press("Enter")
    expect(form.get_by_text("Passwords do not match")).to_be_visible()  # still open
    password, again = (
        form.get_by_placeholder("password", exact=True),
        form.get_by_placeholder("repeat password"),
    )
    # as a person would, each time after seeing where the cursor is: on Pyodide the app's
    # handlers run a moment after the key (able to wait), not during it
    for first, second in (("short", "short"), ("a long password", "a long password")):
        expect(password).to_be_focused()
        page.keyboard.type(first)
        page.keyboard.press("Enter")
        expect(again).to_be_focused()
        page.keyboard.type(second)
        page.keyboard.press("Enter")
        if first == "short":
            expect(form.get_by_text("Passwords must be 8 characters or more")).to_be_visible()
    expect(form).to_be_hidden()
    expect(who).to_have_text(f"user: {email}")
    button(page, "Secret").click()
    expect(who).to_have_text(f"secret for {email}")

    # the login is the app session's: a reload keeps it
    page.reload()
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    expect(who).to_have_text(f"user: {email}")

    # log out, then in: a wrong password keeps the dialog open with Anvil's message
    button(page, "Log out").click()
    expect(who).to_have_text("user: nobody")
    button(page, "Secret").click()
    expect(who).to_have_text(
        "AuthenticationFailed: You must be logged in to call this server function"
    )
    button(page, "Log in").click()
    form = dialog(page, "Log In")
    expect(form.get_by_placeholder("email@address.com")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Enter")
    expect(form.get_by_placeholder("password")).to_be_focused()
    page.keyboard.type("not my password")
    page.keyboard.press("Enter")
    expect(form.get_by_text("Incorrect email address or password")).to_be_visible()
    expect(form.get_by_placeholder("password")).to_be_focused()
    page.keyboard.type("a long password")
    page.keyboard.press("Enter")
    expect(form).to_be_hidden()
    expect(who).to_have_text(f"user: {email}")
    # as in Anvil, the form returns the user where Python can wait (Pyodide); on Brython it
    # returned None when the dialog opened, and on_close had the user
    returned = page.locator(".anvil-label").nth(1)
    expect(returned).to_have_text(f"returned {email}" if runtime == "pyodide" else "returned None")

    # logged in already: login_with_form answers at once, without a dialog
    button(page, "Log in").click()
    expect(who).to_have_text(f"user: {email}")
    expect(dialog(page, "Log In")).to_have_count(0)


def test_escape_cancels_and_the_form_offers_sign_up(ide: IDE) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = make_app(owner, "Members, cancelled", "brython")
    page = ide.visitor("visitor").page
    open_app(ide, page, slug)
    who = page.locator(".anvil-label").first
    button(page, "Log in").click()
    form = dialog(page, "Log In")
    expect(form).to_be_visible()
    expect(form.get_by_role("checkbox", name="Remember me")).to_be_checked()
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()
    expect(who).to_have_text("user: nobody")
    # from the log-in form to the sign-up form, and in
    button(page, "Log in").click()
    dialog(page, "Log In").get_by_text("Sign up for a new account").click()
    signup = dialog(page, "Sign Up")
    expect(signup).to_be_visible()
    page.keyboard.type("via-login@example.com")
    page.keyboard.press("Enter")
    page.keyboard.type("a long password")
    page.keyboard.press("Enter")
    page.keyboard.type("a long password")
    page.keyboard.press("Enter")
    expect(signup).to_be_hidden()
    expect(who).to_have_text("user: via-login@example.com")
