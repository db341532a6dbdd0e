"""Helpers for driving the IDE in Chromium: watching a page's console, signing up and
setting up data through the JSON API from a browser context (its cookies, its CSRF token),
and reading and writing the CodeMirror editor the way a person does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Locator, Page, expect

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
READY = "html[data-ready]"


@dataclass
class PageWatch:
    """Everything a page printed to its console, and its uncaught errors.

    A test may declare the errors it provokes on purpose (`expect_error`); any other error
    fails it. Chromium reports every HTTP error answer a script receives as a console error
    ("Failed to load resource: ... 409"), so a test that makes the API refuse something
    expects that status."""

    page: Page
    messages: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._console)
        self.page.on("pageerror", self._page_error)

    def _console(self, message: ConsoleMessage) -> None:
        where = message.location.get("url", "") if message.location else ""
        text = f"[{message.type}] {message.text}" + (f" ({where})" if where else "")
        self.messages.append(text)
        if message.type in ("error", "assert"):
            self.errors.append(text)

    def _page_error(self, error: Exception) -> None:
        text = f"[uncaught] {error}"
        self.messages.append(text)
        self.errors.append(text)

    def expect_error(self, pattern: str) -> None:
        """Errors matching `pattern` (a regular expression) are expected from now on."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


def wait_ready(page: Page) -> None:
    """The page's script has set everything up."""
    page.wait_for_selector(READY, state="attached")


def goto(page: Page, url: str) -> None:
    page.goto(url)
    wait_ready(page)


# -- the JSON API from a browser context -------------------------------------------------


def csrf(context: BrowserContext, base: str) -> str:
    for cookie in context.cookies(base):
        if cookie["name"] in ("wb_csrf", "__Host-wb_csrf"):
            return cookie["value"]
    context.request.get(f"{base}/api/session")
    for cookie in context.cookies(base):
        if cookie["name"] in ("wb_csrf", "__Host-wb_csrf"):
            return cookie["value"]
    raise AssertionError("no CSRF cookie after a GET")


def call(context: BrowserContext, base: str, method: str, path: str, body: Any = None) -> Any:
    """A JSON API call with the context's cookies; fails the test on an error answer."""
    headers = {"x-csrf-token": csrf(context, base)}
    response = context.request.fetch(
        f"{base}{path}",
        method=method,
        headers=headers,
        data=body if body is not None else ({} if method != "GET" else None),
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()[:300]}"
    return response.json() if response.status != 204 else None


def api_signup(context: BrowserContext, base: str, username: str) -> None:
    call(context, base, "POST", "/api/auth/signup", {"username": username, "password": PASSWORD})


def create_widget(
    context: BrowserContext,
    base: str,
    kind: str,
    title: str,
    files: dict[str, str] | None = None,
    visibility: str = "private",
) -> dict[str, Any]:
    widget: dict[str, Any] = call(
        context,
        base,
        "POST",
        "/api/widgets",
        {"kind": kind, "title": title, "visibility": visibility},
    )
    if files is not None:
        saved = call(
            context,
            base,
            "POST",
            f"/api/widgets/{widget['slug']}/versions",
            {"base_version": widget["head_version"], "files": files},
        )
        widget["head_version"] = saved["version"]
    return widget


# -- the editor ---------------------------------------------------------------------------


def editor_text(page: Page) -> str:
    """The text of the open file, as CodeMirror holds it (one `.cm-line` per line; lines
    scrolled far out of view are not rendered, so keep test files short)."""
    lines: list[str] = page.locator(".cm-content .cm-line").all_inner_texts()
    return "\n".join(line.replace("\u200b", "").rstrip("\n") for line in lines)


PASTE = """(text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    document.querySelector(".cm-content").dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
}"""


def set_editor_text(page: Page, text: str) -> None:
    """Replace the open file's text as a person would: select all, paste (CodeMirror takes
    the pasted text as it is: no auto-indent, no closing brackets)."""
    page.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.evaluate(PASTE, text)
    expect(page.locator(".save-state")).to_have_attribute("data-state", "dirty")


def tab(page: Page, name: str) -> Locator:
    """One of the widget's tabs (Code, Runs, Schedule, Requests, Versions, Settings)."""
    return page.locator("nav.tabs").get_by_role("link", name=name, exact=True)
