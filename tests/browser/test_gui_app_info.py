"""`anvil.app` in client code, in Chromium, on Brython and on Pyodide: the app's id, branch
and environment as the host gives them; `theme_colors` (the default theme's values, the
app's own in their place, an older theme's name such as 'Primary 500' following the colour
it names), a known colour given a new value shown on the page, unknown ones refused;
`get_asset` of an asset the app has (its bytes fetched from the app's origin) and of one it
has not (ValueError, as Anvil); setting an attribute refused (AttributeError); and the same
in the designer's live preview, in the designer's environment."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import IDE, Visitor

pytestmark = pytest.mark.browser

APP_READY = "html[data-app-ready]"
START_TIMEOUT_MS = 60_000

DESIGN = """\
container: {type: ColumnPanel}
components:
- name: out
  type: Label
  properties: {text: waiting}
  layout_properties: {grid_position: 'A,B'}
is_package: true
"""
CODE = """\
import json

import anvil
from ._anvil_designer import Form1Template


def refused(fn, kind):
    try:
        fn()
    except kind as e:
        return str(e) or type(e).__name__
    return "not refused"


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)
        app = anvil.app
        colors = app.theme_colors
        found = {
            "id": app.id,
            "branch": app.branch,
            "environment": [app.environment.name, app.environment.tags],
            "package": app.package_name,
            "primary": colors["Primary"],
            "primary_500": colors["Primary 500"],
            "secondary": colors["Secondary"],
            "brand": colors.get("Brand"),
            "same": anvil.app.theme_colors is colors,
            "set_id": refused(lambda: setattr(app, "id", "x"), AttributeError),
            "set_env": refused(lambda: setattr(app.environment, "name", "x"), AttributeError),
            "unknown": refused(lambda: app.no_such_thing, AttributeError),
            "new_color": refused(lambda: colors.__setitem__("Nope", "#fff"), KeyError),
            "del_color": refused(lambda: colors.__delitem__("Primary"), TypeError),
            "missing": refused(lambda: app.get_asset("missing.png"), ValueError),
        }
        media = app.get_asset("img/logo.svg")
        found["asset"] = [media.get_bytes().decode(), media.content_type, media.name]
        colors["Primary"] = "#C2185B"
        found["changed"] = [colors["Primary"], colors["Primary 500"]]
        self.out.text = json.dumps(found)
"""
SVG = "<svg xmlns='http://www.w3.org/2000/svg'/>"
PARAMETERS = """\
color_scheme:
  colors:
  - {name: Primary, color: '#2196F3'}
  - {name: Brand, color: '#123456'}
"""
DEFAULT_PRIMARY, DEFAULT_SECONDARY = "#6750A4", "#625B71"  # client/src/gui/theme.json


def make_app(owner: Visitor, runtime: str, title: str, own_theme: bool) -> tuple[str, str]:
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": title,
                                                "visibility": "public"})  # fmt: skip
    files = {
        "server.py": "import anvil.server\n",
        "app.json": f'{{"startup_form": "Form1", "runtime": "{runtime}"}}\n',
        "client_code/Form1/__init__.py": CODE,
        "client_code/Form1/form_template.yaml": DESIGN,
        "theme/assets/img/logo.svg": SVG,
    }
    if own_theme:
        files["theme/parameters.yaml"] = PARAMETERS
    body = {"base_version": widget["head_version"], "files": files}
    owner.api("POST", f"/api/widgets/{widget['slug']}/versions", body)
    return widget["slug"], str(widget["id"])


def facts(ide: IDE, page: Page, slug: str) -> dict[str, Any]:
    page.goto(f"http://{slug}.{ide.live.config.apps_host}/")
    page.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
    label = page.locator(".anvil-label")
    expect(label).not_to_have_text("waiting")
    found: dict[str, Any] = json.loads(label.inner_text())
    return found


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_anvil_app_in_client_code(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("owner", viewport={"width": 1400, "height": 1000})
    owner.signup()
    slug, widget_id = make_app(owner, runtime, f"Info {runtime}", own_theme=True)
    page = ide.visitor("visitor").page
    found = facts(ide, page, slug)
    assert found == {
        "id": widget_id,
        "branch": "master",
        "environment": ["Published", []],
        "package": "client_code",
        "primary": "#2196F3",  # the app's own
        "primary_500": "#2196F3",  # an older theme's name, following Primary
        "secondary": DEFAULT_SECONDARY,  # the default theme's, not replaced
        "brand": "#123456",  # a colour of the app's own naming
        "same": True,
        "set_id": "This object is read-only",
        "set_env": "This object is read-only",
        "unknown": found["unknown"],
        "new_color": "'Nope'",
        "del_color": "cannot delete a theme color",
        "missing": "Asset not found: missing.png",
        "asset": [SVG, "image/svg+xml", "logo.svg"],
        "changed": ["#C2185B", "#C2185B"],
    }
    assert "no_such_thing" in found["unknown"]
    # the new value is the page's: the colour's CSS variable, so what uses it follows
    variable = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--anvil-theme-primary')"
    )
    assert variable.strip().lower() == "#c2185b"

    # the designer's live preview: its environment, the same id, the colours as edited
    design = owner.goto(f"/widgets/{slug}")
    design.get_by_role("button", name="Preview").click()
    label = design.frame_locator(".wb-preview iframe").locator(".anvil-label")
    expect(label).not_to_have_text("waiting", timeout=START_TIMEOUT_MS)
    preview = json.loads(label.inner_text())
    assert preview["id"] == widget_id
    assert preview["environment"] == ["Designer", ["debug"]]
    assert preview["primary"] == "#2196F3"
    assert preview["asset"] == found["asset"]

    # an app with no theme of its own: the default theme's colours
    slug, widget_id = make_app(owner, runtime, f"Plain {runtime}", own_theme=False)
    found = facts(ide, page, slug)
    assert found["id"] == widget_id
    assert found["primary"] == found["primary_500"] == DEFAULT_PRIMARY
    assert found["brand"] is None
