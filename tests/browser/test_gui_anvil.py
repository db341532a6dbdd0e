"""Anvil's own forms in Chromium, on Brython and on Pyodide: an app written as Anvil writes
apps (tests/anvil_app.py: form_template.yaml designs on the standard page, every container and
component Widgetbox draws, data bindings, a form used as a component, nested form packages and
relative imports, a form built in code, an older module form) drawn and used as a visitor
would; and the designer opening such an app, warning about what it does not draw, and saving
it without losing anything.

The short run covers every container and component on both runtimes; the `slow` variant
goes through the other forms on both runtimes as well (`pytest -m slow`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests import anvil_app
from tests.browser.conftest import IDE, Visitor

pytestmark = pytest.mark.browser

APP_READY = "html[data-app-ready]"
START_TIMEOUT_MS = 60_000
YOUTUBE = "https://www.youtube-nocookie.com/**"


def make_app(ide: IDE, runtime: str) -> tuple[Visitor, str]:
    owner = ide.visitor("owner", viewport={"width": 1400, "height": 1000})
    owner.signup()
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": f"Anvil on {runtime}",
                                                "visibility": "public"})  # fmt: skip
    body = {"base_version": widget["head_version"], "files": anvil_app.files(runtime)}
    owner.api("POST", f"/api/widgets/{widget['slug']}/versions", body)
    return owner, widget["slug"]


def open_app(ide: IDE, slug: str) -> tuple[Visitor, Page]:
    visitor = ide.visitor("visitor", viewport={"width": 1280, "height": 1000})
    page = visitor.page
    # the YouTube player's frame is answered here: the tests reach no other host
    page.route(YOUTUBE, lambda route: route.fulfill(body="<html></html>", content_type="text/html"))
    page.goto(f"http://{slug}.{ide.live.config.apps_host}/")
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    return visitor, page


def named(page: Page, text: str) -> Any:
    return page.get_by_text(text, exact=True)


def status(page: Page) -> Any:
    return page.locator(".anvil-label").filter(
        has_text=re.compile(r"^(shown|agree|removed|counter|hash|\w+\.txt)")
    )


def check_form1(page: Page, visitor: Visitor) -> None:
    """Every container and component of Form1, drawn and used."""
    app = page.locator("#wb-app")
    # HtmlTemplate: the standard page's slots
    expect(page.locator(".wb-page-title")).to_contain_text("Anvil showcase")
    expect(page.locator(".wb-page-title .anvil-icon-fa")).to_have_attribute("data-icon", "star")
    expect(page.locator(".wb-page-nav-right").get_by_role("link", name="Home")).to_be_visible()
    nav = page.locator(".wb-page-nav")
    expect(nav.get_by_role("link", name="Second form")).to_be_visible()
    # a Link holding components
    card = nav.locator("a.anvil-link", has_text="Inside a link")
    expect(card).to_have_attribute("href", "https://example.com/docs")
    expect(card).to_have_attribute("title", "a link holding components")

    # ColumnPanel: rows and weighted columns from grid_position and col_widths
    heading = page.locator(".anvil-label", has_text="Hello").first
    expect(heading).to_have_css("color", "rgb(51, 102, 153)")
    expect(heading).to_have_css("font-style", "italic")
    expect(heading).to_have_css("font-family", "serif")
    expect(heading).to_have_css("border-top-style", "solid")
    expect(heading).to_have_class(re.compile(r"\banvil-role-headline\b"))
    expect(heading).to_have_attribute("title", "a heading")
    row = page.locator('.anvil-cp-row[data-wb-row="ROWAAA"]')
    expect(row.locator(":scope > .anvil-cp-col")).to_have_count(2)
    expect(row.locator(':scope > .anvil-cp-col[data-wb-col="COLAAA"]')).to_have_css(
        "flex-grow", "40"
    )
    expect(row.locator(':scope > .anvil-cp-col[data-wb-col="COLBBB"]')).to_have_css(
        "flex-grow", "20"
    )
    expect(row.locator("button")).to_have_text("Greet")
    expect(row.locator("button .anvil-icon")).to_have_attribute("data-icon", "hand")
    section = page.locator('.anvil-cp-section:has(> [data-wb-row="ROWBBB"])')
    expect(section).to_have_class(re.compile(r"\banvil-full-width-row\b"))
    expect(section).to_have_css("background-color", "rgb(238, 246, 255)")
    expect(page.locator(".anvil-columnpanel").nth(1)).to_have_class(
        re.compile(r"\banvil-col-spacing-large\b")
    )

    # data bindings: read from self.item, written back on Enter; refresh_data_bindings
    box = page.get_by_placeholder("Your name")
    expect(box).to_have_value("Ada")
    expect(box).to_have_css("width", "300px")
    expect(named(page, "Name: Ada")).to_be_visible()
    box.fill("Grace")
    box.press("Enter")
    expect(heading).to_have_text("HELLO, GRACE!")  # a relative import: ..Helpers.shout
    expect(named(page, "Name: Grace")).to_be_visible()

    # RichText: Markdown, data slots with a format, a component in a slot
    rich = page.locator(".anvil-richtext")
    expect(rich.locator("h2")).to_have_text("Rich text")
    expect(rich.locator("p").first).to_contain_text("Hello Ada, you are 007.")
    expect(rich.locator("strong")).to_have_text("Ada")
    expect(rich.locator('.anvil-rt-slot[data-wb-slot="button"] button')).to_have_text("In the text")
    expect(rich.locator("li")).to_have_text(["one", "two"])

    # GridPanel, XYPanel
    grid_row = page.locator(".anvil-gp-row")
    expect(grid_row.locator(".anvil-label")).to_have_text(["Grid left", "Grid right"])
    left = grid_row.locator(".anvil-gp-slot").first.bounding_box()
    right = grid_row.locator(".anvil-gp-slot").nth(1).bounding_box()
    assert left is not None
    assert right is not None
    assert right["x"] > left["x"] + left["width"]  # the same row, apart
    xy = page.locator(".anvil-xy-slot")
    expect(xy).to_have_css("left", "30px")
    expect(xy).to_have_css("top", "40px")
    expect(xy).to_have_css("width", "120px")

    # FlowPanel of inputs
    agree = page.get_by_role("checkbox", name="Agree")
    expect(agree).to_be_checked()
    agree.uncheck()
    expect(named(page, "agree: False")).to_be_visible()
    expect(page.get_by_role("radio", name="Tea")).to_be_checked()
    expect(page.locator(".anvil-dropdown select")).to_have_value("Size")
    expect(page.locator(".anvil-datepicker input")).to_have_value("2026-11-24")
    expect(page.locator(".anvil-textarea")).to_have_value("two\nlines")
    expect(page.locator(".anvil-image img")).to_have_attribute("alt", "a dot")

    # DataGrid with a RepeatingPanel of DataRowPanel forms, two rows a page
    grid = page.locator(".anvil-datagrid").first
    expect(grid.locator(".anvil-dg-title")).to_have_text(["Name", "Age", ""])
    shown = grid.locator(".anvil-drp-cells:visible")
    expect(shown.locator('[data-wb-column="NAMECL"]')).to_have_text(["Ada", "Grace"])
    expect(grid.locator(".anvil-dg-page-text")).to_have_text("1\u20132 of 5")
    grid.get_by_role("button", name="Next page").click()
    expect(shown.locator('[data-wb-column="NAMECL"]')).to_have_text(["Alan", "Edsger"])
    shown.filter(has_text="Alan").get_by_role("button", name="Remove").click()  # x-remove
    expect(named(page, "removed Alan")).to_be_visible()
    expect(grid.locator(".anvil-dg-page-text")).to_have_text("3\u20134 of 4")  # still page 2

    # forms used as components: a RepeatingPanel of them, and one in the design
    expect(named(page, "Count: 1")).to_be_visible()
    expect(named(page, "Count: 2")).to_be_visible()
    custom = page.locator(".anvil-columnpanel", has=named(page, "Custom: 5"))
    custom.last.get_by_role("button", name="+1").click()
    expect(named(page, "Custom: 6")).to_be_visible()
    expect(named(page, "counter: 6")).to_be_visible()  # its custom event, bound in the design

    # Plot (plotly.js, loaded for it), Canvas, YouTubeVideo, FileLoader, Timer
    expect(page.locator(".anvil-plot .main-svg").first).to_be_attached(timeout=20_000)
    expect(page.locator(".anvil-plot .gtitle")).to_have_text("A chart")
    pixel = page.locator(".anvil-canvas canvas").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(10, 10, 1, 1).data)"
    )
    assert pixel == [0x33, 0x66, 0x99, 255]
    expect(page.locator(".anvil-youtubevideo iframe")).to_have_attribute(
        "src", re.compile(r"^https://www\.youtube-nocookie\.com/embed/dQw4w9WgXcQ\?")
    )
    page.locator(".anvil-fileloader input").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}
    )
    expect(named(page, "notes.txt: 5 bytes, text/plain")).to_be_visible()  # a Media object
    expect(page.locator(".anvil-fileloader-state")).to_have_text("notes.txt")
    expect(page.get_by_text(re.compile(r"^ticks: ([3-9]|\d\d+)$"))).to_be_visible()

    # the URL's hash
    page.get_by_role("link", name="Home").click()
    expect(named(page, "hash: {'page': 'home', 'n': '1'}")).to_be_visible()
    assert page.url.endswith("#?page=home&n=1")

    # what the design holds that Widgetbox does not use: one warning in the console
    warnings = [m for m in visitor.watch.messages if m.startswith("[warning] Form Form1")]
    assert len(warnings) == 1, visitor.watch.messages
    assert "sparkle_level" in warnings[0]
    assert "no method no_such_method()" in warnings[0]
    assert app.is_visible()


def check_other_forms(page: Page, visitor: Visitor) -> None:
    """A custom HTML form with slots, dialogs, the focused component, the default error
    handling, a form built in code, an older module form."""
    page.get_by_role("link", name="Second form").click()
    custom = page.locator(".custom-page")
    expect(custom.locator("h1")).to_have_text("A custom page")
    expect(named(page, "In the main slot (A custom page)")).to_be_visible()  # dom_nodes
    expect(custom.locator("ul > li")).to_have_text(["First item", "Second item"])
    expect(custom.get_by_text("No footer")).to_be_visible()

    page.get_by_placeholder("Focus me").focus()
    expect(named(page, "focused: focus_box")).to_be_visible()
    page.get_by_role("button", name="Ask").click()
    dialog = page.get_by_role("alertdialog", name="Question")
    expect(dialog.get_by_role("button")).to_have_text(["No", "Yes"])
    dialog.get_by_role("button", name="Yes").click()
    expect(named(page, "answer: True")).to_be_visible()
    page.once("dialog", lambda found: found.accept())
    page.get_by_role("button", name="Confirm").click()
    expect(named(page, "confirm: gone")).to_be_visible()
    page.get_by_role("button", name="Fail").click()
    expect(named(page, "handled: on purpose")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)

    page.get_by_role("button", name="Code form").click()
    expect(page.locator(".wb-page-title")).to_have_text("Built in code")
    built = page.locator(".anvil-datagrid")
    expect(built.locator(".anvil-dg-title")).to_have_text(["Task", "Done"])
    expect(built.locator('[data-wb-column="A"]')).to_have_text(["Write tests", "Ship"])

    page.reload()
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    page.get_by_role("link", name="Second form").click()
    page.get_by_role("button", name="Old form").click()
    expect(named(page, "An older module form")).to_be_visible()


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_an_anvil_app_runs(ide: IDE, runtime: str) -> None:
    _, slug = make_app(ide, runtime)
    visitor, page = open_app(ide, slug)
    check_form1(page, visitor)


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_an_anvil_apps_other_forms_run(ide: IDE, runtime: str) -> None:
    _, slug = make_app(ide, runtime)
    visitor, page = open_app(ide, slug)
    check_other_forms(page, visitor)


def test_the_other_forms_run_on_the_default_runtime(ide: IDE) -> None:
    """The short run's share of the slow variant: the same forms, on Brython only."""
    _, slug = make_app(ide, "brython")
    visitor, page = open_app(ide, slug)
    check_other_forms(page, visitor)


def test_the_designer_edits_an_anvil_design_without_loss(ide: IDE) -> None:
    owner, slug = make_app(ide, "brython")
    page = owner.goto(f"/widgets/{slug}")
    # the standard page, its slots, the grid's rows and columns, as the app draws them
    canvas = page.locator(".wb-canvas")
    expect(canvas.locator(".wb-page-title")).to_contain_text("Anvil showcase")
    expect(canvas.locator('.anvil-cp-row[data-wb-row="ROWAAA"] > .anvil-cp-col')).to_have_count(2)
    expect(canvas.locator('.wb-d-slot[data-name="counter"]')).to_contain_text("Widgets.Counter")
    # what it does not draw is listed, not refused
    warnings = page.locator(".wb-i-warnings")
    expect(warnings).to_contain_text("unknown property sparkle_level (kept)")
    expect(warnings).to_contain_text("no method no_such_method()")
    canvas.locator('.wb-d-slot[data-name="ticks_label"]').click()
    expect(page.locator(".wb-i-kept")).to_contain_text("sparkle level")

    # a form built in code is shown read-only
    page.get_by_role("tab", name=re.compile(r"^Built design")).click()
    expect(page.locator(".wb-d-note-page")).to_contain_text("is built in code")

    # one edit, saved: the saved designs are the originals with that one change
    page.get_by_role("tab", name=re.compile(r"^Form1 design")).click()
    canvas.locator('.wb-d-slot[data-name="heading"]').click()
    text = page.locator(".wb-inspector").get_by_label("text", exact=True)
    text.fill("Welcome")
    text.press("Tab")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".save-state")).to_have_text("Saved · version 3")
    saved = owner.api("GET", f"/api/widgets/{slug}")["files"]
    original = anvil_app.files("brython")
    assert sorted(saved) == sorted(original)
    for path, source in original.items():
        if not path.endswith((".yaml", ".json")):
            assert saved[path] == source, path
            continue
        expected = yaml.safe_load(source)
        if path == "client_code/Form1/form_template.yaml":
            expected["components"][3]["components"][0]["properties"]["text"] = "Welcome"
        found = yaml.safe_load(saved[path])
        assert found == expected, (path, differences(found, expected))


def differences(one: Any, other: Any, where: str = "") -> list[str]:
    """Where two data structures differ (for the assertion's message)."""
    if isinstance(one, dict) and isinstance(other, dict):
        found = []
        for key in sorted(set(one) | set(other), key=str):
            if key not in one or key not in other:
                found.append(f"{where}.{key}: only in one")
            else:
                found.extend(differences(one[key], other[key], f"{where}.{key}"))
        return found
    if isinstance(one, list) and isinstance(other, list) and len(one) == len(other):
        return [d for i, (a, b) in enumerate(zip(one, other, strict=True))
                for d in differences(a, b, f"{where}[{i}]")]  # fmt: skip
    return [] if one == other else [f"{where}: {one!r} != {other!r}"]
