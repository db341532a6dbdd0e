"""The theme in Chromium, on Brython and on Pyodide: an app with roles (one, and a list of
two), theme colours in colour properties and a border, and its own theme (colours in
theme/parameters.yaml, a standard-page.html and a theme.css among its assets) drawn with the
right computed styles; a colour's new value shown without drawing anything again; and a
colour changed in the design page's app settings: the canvas follows at once, and after the
save the app does."""

from __future__ import annotations

import re

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

APP_READY = "html[data-app-ready]"
START_TIMEOUT_MS = 60_000

DESIGN = """\
container:
  type: HtmlTemplate
  properties: {html: '@theme:standard-page.html'}
components:
- name: heading
  type: Label
  properties: {text: Themed, role: headline, foreground: 'theme:Primary'}
  layout_properties: {slot: default}
- name: go
  type: Button
  properties: {text: Go, role: filled-button}
  layout_properties: {slot: default}
- name: both
  type: Button
  properties: {text: Both, role: [tonal-button, wide]}
  layout_properties: {slot: default}
- name: card
  type: ColumnPanel
  properties: {role: outlined-card}
  layout_properties: {slot: default}
  components:
  - name: inside
    type: Label
    properties: {text: In a card, border: '3px solid theme:Tertiary'}
    layout_properties: {grid_position: 'ROWAAA,COLAAA'}
is_package: true
"""
CODE = """\
from ._anvil_designer import Form1Template
from anvil import *


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)
"""
PARAMETERS = """\
# the app's own colours
color_scheme:
  colors:
  - {name: Primary, color: '#00897B'}
  - {name: Brand, color: '#123456'}
"""
MY_PAGE = '<div class="my-page"><p anvil-slot="default"></p></div>'
TEAL, PINK = "rgb(0, 137, 123)", "rgb(194, 24, 91)"


def files(runtime: str) -> dict[str, str]:
    return {
        "server.py": "import anvil.server\n",
        "app.json": f'{{"startup_form": "Form1", "runtime": "{runtime}"}}\n',
        "client_code/Form1/__init__.py": CODE,
        "client_code/Form1/form_template.yaml": DESIGN,
        "theme/parameters.yaml": PARAMETERS,
        "theme/assets/standard-page.html": MY_PAGE,
        "theme/assets/theme.css": ".my-page { border-top: 5px solid %color:Primary%; }\n",
    }


def check_app(page: Page, primary: str) -> None:
    """What the theme draws in the app, with `primary` the app's Primary."""
    expect(page.locator(".my-page")).to_have_css("border-top-color", primary)  # its own page
    heading = page.locator(".anvil-label", has_text="Themed")
    expect(heading).to_have_class(re.compile(r"\banvil-role-headline\b"))
    expect(heading).to_have_css("font-size", "32px")
    expect(heading).to_have_css("color", primary)
    go = page.get_by_role("button", name="Go")
    expect(go).to_have_css("background-color", primary)
    expect(go).to_have_css("color", "rgb(255, 255, 255)")  # On Primary
    both = page.locator(".anvil-button", has_text="Both")
    expect(both).to_have_class(re.compile(r"\banvil-role-tonal-button anvil-role-wide\b"))
    expect(both.locator("button")).to_have_css("background-color", "rgb(232, 222, 248)")
    card = page.locator(".anvil-columnpanel.anvil-role-outlined-card")
    expect(card).to_have_css("border-top-left-radius", "12px")
    expect(card).to_have_css("border-top-color", "rgb(202, 196, 208)")  # Outline Variant
    inside = page.locator(".anvil-label", has_text="In a card")
    expect(inside).to_have_css("border-top-color", "rgb(125, 82, 96)")  # Tertiary
    expect(inside).to_have_css("border-top-width", "3px")


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_roles_and_theme_colours_are_drawn_and_changed_in_the_settings(
    ide: IDE, runtime: str
) -> None:
    owner = ide.visitor("owner", viewport={"width": 1400, "height": 1000})
    owner.signup()
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": f"Theme {runtime}",
                                                "visibility": "public"})  # fmt: skip
    slug = widget["slug"]
    body = {"base_version": widget["head_version"], "files": files(runtime)}
    owner.api("POST", f"/api/widgets/{slug}/versions", body)

    visitor = ide.visitor("visitor", viewport={"width": 1280, "height": 900})
    app = visitor.page
    app.goto(f"http://{slug}.{ide.live.config.apps_host}/")
    app.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    check_app(app, TEAL)
    # a colour's new value shows where it is used, with nothing drawn again
    app.evaluate(
        "document.documentElement.style.setProperty('--anvil-theme-primary', 'rgb(1, 2, 3)')"
    )
    expect(app.locator(".anvil-label", has_text="Themed")).to_have_css("color", "rgb(1, 2, 3)")
    expect(app.get_by_role("button", name="Go")).to_have_css("background-color", "rgb(1, 2, 3)")

    # the owner changes Primary in the app's settings: the canvas follows, then the save
    page = owner.goto(f"/widgets/{slug}")
    canvas_heading = page.locator(".wb-canvas .anvil-label", has_text="Themed")
    expect(canvas_heading).to_have_css("color", TEAL)
    page.get_by_text("Theme colours", exact=True).click()
    primary = page.get_by_label("Primary (theme colour)", exact=True)
    expect(primary).to_have_value("#00897B")
    primary.fill("#C2185B")
    primary.press("Enter")
    expect(canvas_heading).to_have_css("color", PINK)
    expect(page.locator(".wb-canvas").get_by_role("button", name="Go")).to_have_css(
        "background-color", PINK
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".save-state")).to_have_text("Saved · version 3")
    saved = owner.api("GET", f"/api/widgets/{slug}")["files"]["theme/parameters.yaml"]
    assert saved.startswith("# the app's own colours\n")  # edited in place
    colors = yaml.safe_load(saved)["color_scheme"]["colors"]
    assert colors == [
        {"name": "Primary", "color": "#C2185B"},
        {"name": "Brand", "color": "#123456"},
    ]

    app.reload()
    app.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    check_app(app, PINK)
