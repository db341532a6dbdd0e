"""Every page at laptop and phone widths: it fits the width (no sideways scrolling), every
control has an accessible name, text meets WCAG AA contrast, there is one main heading, and
keyboard focus is always visible. (Console errors fail any test in this tier.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser._chromium import LAPTOP, PHONE
from tests.browser._helpers import PASSWORD
from tests.browser.conftest import IDE, Visitor
from tests.package_index import wheel

pytestmark = pytest.mark.browser

AUDIT = Path(__file__).with_name("audit.js").read_text()
"""Returns the problems found on the page (see audit.js)."""

FOCUS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return "nothing focused";
    const style = getComputedStyle(el);
    const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
    const editor = el.classList.contains("cm-content")
        && getComputedStyle(el.closest(".editor")).boxShadow !== "none";
    return ring || editor ? "" : `no visible focus on ${el.outerHTML.slice(0, 100)}`;
}"""


def _settled(visitor: Visitor, slug: str) -> None:
    deadline = time.monotonic() + 30
    while visitor.api("GET", f"/api/widgets/{slug}/packages")["status"] == "pending":
        assert time.monotonic() < deadline, "the install did not finish"
        time.sleep(0.05)


def _pages(ide: IDE, visitor: Visitor) -> list[str]:
    """A user with a widget of each kind, a run, a schedule, a version to compare, and
    packages that installed and that failed."""
    slugs = {}
    for kind in ("script", "scheduled", "http", "gui"):
        # long titles (and so long addresses), as people write them
        title = f"A {kind} widget with a title long enough to wrap on a phone"
        widget = visitor.api("POST", "/api/widgets", {"kind": kind, "title": title})
        slugs[kind] = widget["slug"]
    script = slugs["script"]
    ide.index.add(wheel(ide.wheels, "audit-lib", "1.0"))
    files = {"main.py": "print('hi')\n", "requirements.txt": "not-on-the-index\n"}
    visitor.api("POST", f"/api/widgets/{script}/versions", {"base_version": 1, "files": files})
    requirements = {"requirements": "audit-lib\n"}
    visitor.api("PUT", f"/api/widgets/{slugs['http']}/packages/requirements", requirements)
    _settled(visitor, script)
    _settled(visitor, slugs["http"])
    run = visitor.api("POST", f"/api/widgets/{script}/runs")
    visitor.api("PUT", f"/api/widgets/{slugs['scheduled']}/schedule",
                {"type": "interval", "every": 1, "unit": "days", "at": "08:00"})  # fmt: skip
    return [
        "/",
        "/welcome",
        "/new",
        "/explore",
        "/settings",
        f"/widgets/{script}",
        f"/widgets/{script}/runs",
        f"/widgets/{script}/runs/{run['id']}",
        f"/widgets/{script}/versions",
        f"/widgets/{script}/settings",
        f"/widgets/{slugs['scheduled']}",
        f"/widgets/{slugs['scheduled']}/schedule",
        f"/widgets/{slugs['http']}",
        f"/widgets/{slugs['http']}/logs",
        f"/widgets/{slugs['gui']}",
    ]


def _audit(page: Page) -> list[str]:
    problems: list[str] = page.evaluate(AUDIT)
    return [f"{page.url}: {problem}" for problem in problems]


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_fits_is_labelled_and_readable(ide: IDE, size: dict[str, int]) -> None:
    visitor = ide.visitor("auditor", viewport=size)
    visitor.signup()
    problems: list[str] = []
    for path in _pages(ide, visitor):
        problems += _audit(visitor.goto(path))
    public = visitor.api("POST", "/api/widgets",
                         {"kind": "script", "title": "Shared", "visibility": "public"})  # fmt: skip
    anonymous = ide.visitor("anonymous", viewport=size)
    for path in ("/", "/explore", f"/widgets/{public['slug']}"):
        problems += _audit(anonymous.goto(path))
    reader = ide.visitor("reader", viewport=size)
    reader.signup()
    problems += _audit(reader.goto(f"/widgets/{public['slug']}"))
    reader.watch.expect_error(r"status of 40[34]")
    problems += _audit(reader.goto("/widgets/no-such-widget"))
    private_app = visitor.api("POST", "/api/widgets", {"kind": "gui", "title": "Mine alone"})
    problems += _audit(reader.goto(f"/widgets/{private_app['slug']}/app"))  # "is private"
    admin = ide.visitor("admin", viewport=size)
    admin.api("POST", "/api/auth/login", {"username": "admin", "password": PASSWORD})
    problems += _audit(admin.goto("/admin"))
    assert problems == []


def test_keyboard_focus_is_always_visible(ide: IDE) -> None:
    visitor = ide.visitor("keyboard")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Keys"})
    for path in ("/", "/new", f"/widgets/{widget['slug']}", f"/widgets/{widget['slug']}/settings"):
        page = visitor.goto(path)
        problems = []
        for step in range(14):
            page.keyboard.press("Tab")
            problem = page.evaluate(FOCUS)
            if problem == "nothing focused" and step > 3:
                break  # past the last control, focus left the page
            if problem:
                problems.append(f"{path}: {problem}")
        assert problems == []


def test_the_skip_link_leads_to_the_content(ide: IDE) -> None:
    visitor = ide.visitor("skipper")
    visitor.signup()
    page = visitor.goto("/explore")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_the_audit_catches_what_it_looks_for(ide: IDE) -> None:
    """The checks above can fail: a page with each problem planted is caught."""
    page = ide.visitor("planter").goto("/")
    page.evaluate("""() => {
        const add = (tag, text, style = {}) => {
            const el = document.createElement(tag);
            el.textContent = text;
            Object.assign(el.style, style);  // through the CSSOM: the CSP allows no inline styles
            document.querySelector("main").append(el);
            return el;
        };
        add("p", "faint text", { color: "#bbb" });
        add("input", "").className = "planted";
        add("div", "wide", { width: "2000px" });
        add("h1", "second h1");
        const clip = add("div", "", { overflow: "hidden", width: "100px" });
        clip.append(Object.assign(document.createElement("span"), { className: "hidden-wide" }));
        Object.assign(clip.firstChild.style, { display: "block", width: "5000px", height: "1px" });
        add("button", "New widget");
        add("a", "New widget").href = "/new";
        const pile = add("div", "", { position: "relative", height: "3rem" });
        for (const name of ["under", "over"]) {
            const button = Object.assign(document.createElement("button"), { textContent: name });
            Object.assign(button.style, { position: "absolute", left: "0", top: "0" });
            pile.append(button);
        }
    }""")
    problems = "\n".join(_audit(page))
    assert "contrast" in problems
    assert "faint text" in problems
    assert "no accessible name" in problems
    assert "planted" in problems
    assert "scrolls sideways" in problems
    assert "sticks out of the window" in problems
    assert "hidden-wide" in problems
    assert "not exactly one h1" in problems
    assert '2 "New widget" buttons' in problems
    assert "overlap: <button" in problems
    assert ">under</button> and <button" in problems
