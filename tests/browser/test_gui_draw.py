"""One drawing of the components (client/src/gui/draw.js), on Brython and on Pyodide: every
catalogue component with properties set is drawn with the same elements, classes, attributes,
styles and values by the designer's canvas and by the running app, whether the app draws a
component with its properties (made from the design) or applies them one by one later
(client code setting attributes). Containers place their children the same way too (a
ColumnPanel's rows and columns, a GridPanel's rows, an HtmlTemplate's slots, an XYPanel's
positions, a RichText's slots, a Link's body).

Left out of the comparison, and checked in tests/browser/test_gui_anvil.py instead: what only
the running app can draw (a Plot's chart, a YouTubeVideo's player, a RepeatingPanel's copies
of its template, a DataRowPanel's cells from its grid's columns); the canvas shows a note for
each."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

START_TIMEOUT_MS = 60_000
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
    "YAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

# every catalogue component (and each container as a child of the others), properties set
COMPONENTS: list[dict[str, Any]] = [
    {"name": "label", "type": "Label",
     "properties": {"text": "Label text", "align": "center", "font_size": 18, "bold": True,
                    "italic": True, "underline": True, "foreground": "#336699",
                    "background": "#eeeeee", "font": "serif", "tooltip": "a tip",
                    "role": "title", "spacing_above": "large", "spacing_below": "none"}},
    {"name": "button", "type": "Button",
     "properties": {"text": "Go", "enabled": False, "align": "right", "bold": True}},
    {"name": "text_box", "type": "TextBox",
     "properties": {"text": "typed", "placeholder": "Your name", "type": "email",
                    "font_size": 14}},
    {"name": "secret", "type": "TextBox", "properties": {"text": "pw", "hide_text": True}},
    {"name": "text_area", "type": "TextArea",
     "properties": {"text": "two\nlines", "placeholder": "More", "height": 90}},
    {"name": "check_box", "type": "CheckBox",
     "properties": {"text": "Agree", "checked": True, "foreground": "#993366"}},
    {"name": "radio", "type": "RadioButton",
     "properties": {"text": "Tea", "selected": True, "value": "tea", "group_name": "tea"}},
    {"name": "radio_in_group", "type": "RadioButton",
     "properties": {"text": "Coffee", "group_name": "drinks", "value": "coffee"}},
    {"name": "drop_down", "type": "DropDown",
     "properties": {"items": ["tea", ["Coffee", 2]], "include_placeholder": True,
                    "placeholder": "Pick one", "italic": True}},
    {"name": "date_picker", "type": "DatePicker",
     "properties": {"date": "2026-11-24", "min_date": "2026-01-01", "max_date": "2026-12-31",
                    "pick_time": True, "placeholder": "When"}},
    {"name": "image", "type": "Image",
     "properties": {"source": PNG, "height": 40, "display_mode": "zoom_to_fill",
                    "background": "#000000"}},
    {"name": "link", "type": "Link",
     "properties": {"text": "Docs", "url": "https://example.com/", "underline": True}},
    {"name": "plain_link", "type": "Link", "properties": {"text": "No URL"}},
    {"name": "spacer", "type": "Spacer", "properties": {"height": 25}},
    {"name": "timer", "type": "Timer", "properties": {"interval": 0}},
    {"name": "flow", "type": "FlowPanel",
     "properties": {"spacing": "large", "align": "center", "background": "#fafafa"},
     "components": [
         {"name": "flow_label", "type": "Label", "properties": {"text": "wide"},
          "layout_properties": {"width": 120, "expand": True}},
         {"name": "flow_button", "type": "Button", "properties": {"text": "B"}},
     ]},
    {"name": "linear", "type": "LinearPanel", "properties": {"tooltip": "linear"},
     "components": [
         {"name": "linear_label", "type": "Label", "properties": {"text": "L"},
          "layout_properties": {"expand": True}},
     ]},
    {"name": "column", "type": "ColumnPanel",
     "properties": {"foreground": "#111111", "col_widths": '{"CA": 45, "CB": 15}',
                    "col_spacing": "small", "wrap_on": "tablet"},
     "components": [
         {"name": "column_label", "type": "Label", "properties": {"text": "C"},
          "layout_properties": {"full_width_row": True}},
         {"name": "column_left", "type": "Label", "properties": {"text": "left"},
          "layout_properties": {"grid_position": "RA,CA", "row_background": "#eeeeee"}},
         {"name": "column_right", "type": "Button", "properties": {"text": "right"},
          "layout_properties": {"grid_position": "RA,CB"}},
         {"name": "column_nested", "type": "Label", "properties": {"text": "nested"},
          "layout_properties": {"grid_position": "RA,CA RN,CN"}},
     ]},
    {"name": "icon_label", "type": "Label",
     "properties": {"text": "With icon", "icon": "fa:star", "icon_align": "right",
                    "border": "1px solid #000000", "role": ["one", "two"],
                    "spacing": {"margin": [1, 2, 3, 4], "padding": [5, 6, 7, 8]}}},
    {"name": "rich", "type": "RichText",
     "properties": {"content": "# Title\n\nSome **bold** and *em* text, a {slot} and `code`."
                               "\n\n- a\n- b",
                    "format": "markdown"},
     "components": [
         {"name": "rich_button", "type": "Button", "properties": {"text": "in slot"},
          "layout_properties": {"slot": "slot"}},
     ]},
    {"name": "rich_html", "type": "RichText",
     "properties": {"content": '<p style="color: red">red</p><script>x()</script>',
                    "format": "restricted_html"}},
    {"name": "grid", "type": "GridPanel", "properties": {"background": "#fefefe"},
     "components": [
         {"name": "grid_a", "type": "Label", "properties": {"text": "A"},
          "layout_properties": {"row": "R1", "col_xs": 1, "width_xs": 5}},
         {"name": "grid_b", "type": "Label", "properties": {"text": "B"},
          "layout_properties": {"row": "R1", "col_sm": 6, "width_sm": 6}},
     ]},
    {"name": "xy", "type": "XYPanel", "properties": {"height": 80, "width": 300},
     "components": [
         {"name": "xy_label", "type": "Label", "properties": {"text": "XY"},
          "layout_properties": {"x": 10, "y": 20, "width": 50}},
     ]},
    {"name": "html", "type": "HtmlTemplate",
     "properties": {"html": '<div class="box"><b anvil-slot="top"></b>'
                            '<i anvil-slot-repeat="many"></i><p anvil-slot="default"></p></div>'},
     "components": [
         {"name": "html_top", "type": "Label", "properties": {"text": "top"},
          "layout_properties": {"slot": "top"}},
         {"name": "html_one", "type": "Label", "properties": {"text": "one"},
          "layout_properties": {"slot": "many"}},
         {"name": "html_two", "type": "Label", "properties": {"text": "two"},
          "layout_properties": {"slot": "many"}},
         {"name": "html_rest", "type": "Label", "properties": {"text": "rest"}},
     ]},
    {"name": "page", "type": "HtmlTemplate", "properties": {"html": "@theme:standard-page.html"},
     "components": [
         {"name": "page_title", "type": "Label", "properties": {"text": "Title"},
          "layout_properties": {"slot": "title"}},
         {"name": "page_body", "type": "Label", "properties": {"text": "Body"}},
     ]},
    {"name": "link_box", "type": "Link", "properties": {"text": "", "url": "https://example.com/"},
     "components": [
         {"name": "link_inside", "type": "Label", "properties": {"text": "inside"},
          "layout_properties": {"grid_position": "LR,LC"}},
     ]},
    {"name": "table", "type": "DataGrid",
     "properties": {"columns": [{"id": "A", "title": "Name", "data_key": "name"},
                                {"id": "B", "title": "Age", "width": 80}],
                    "rows_per_page": 5}},
    {"name": "loader", "type": "FileLoader",
     "properties": {"text": "Pick", "multiple": True, "file_types": "image/*"}},
    {"name": "sketch", "type": "Canvas", "properties": {"height": 40}},
    {"name": "flow_more", "type": "FlowPanel",
     "properties": {"vertical_align": "bottom", "gap": "large"}},
]  # fmt: skip


def _copy(node: dict[str, Any], prefix: str, keep_properties: bool) -> dict[str, Any]:
    found = {"name": prefix + node["name"], "type": node["type"]}
    if keep_properties:
        found["properties"] = node.get("properties", {})
    if "layout_properties" in node:
        found["layout_properties"] = node["layout_properties"]
    if "components" in node:
        found["components"] = [
            _copy(child, prefix, keep_properties) for child in node["components"]
        ]
    return found


def _properties(nodes: list[dict[str, Any]], prefix: str) -> dict[str, dict[str, Any]]:
    """The properties of the copies; radio buttons in groups of their own (a selected button
    would unselect its original on the same page)."""
    found: dict[str, dict[str, Any]] = {}
    for node in nodes:
        properties = dict(node.get("properties", {}))
        if "group_name" in properties:
            properties["group_name"] = prefix + properties["group_name"]
        found[prefix + node["name"]] = properties
        found.update(_properties(node.get("components", []), prefix))
    return found


# two panels with the same components: `drawn` made with their properties, `updated` made
# with the defaults and given the properties afterwards, one attribute at a time
FORM = {
    "container": {"type": "ColumnPanel", "properties": {"background": "#ffffee"}},
    "components": [
        {"name": "drawn", "type": "ColumnPanel",
         "components": [_copy(node, "a_", True) for node in COMPONENTS]},
        {"name": "updated", "type": "ColumnPanel",
         "components": [_copy(node, "b_", False) for node in COMPONENTS]},
    ],
}  # fmt: skip

FORM_CODE = f"""\
from ._anvil_designer import Form1Template
from anvil import FlowPanel, Image, Label, Link

PROPERTIES = {_properties(COMPONENTS, "b_")!r}


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)
        for name, values in PROPERTIES.items():
            for prop, value in values.items():
                setattr(getattr(self, name), prop, value)
        refused = FlowPanel()
        refused.add_component(Link(text="Script", url=" javascript:alert(1)"))
        refused.add_component(Image(source="JAVASCRIPT:x"))
        refused.add_component(Label(text="hidden", visible=False))
        unstyled = Label(text="unstyled", font_size=18, bold=True)
        unstyled.font_size = None
        unstyled.bold = False
        refused.add_component(unstyled)
        self.add_component(refused)
"""

# An element as a tree of what the drawing decides: tag, classes, attributes, styles, text,
# values. The designer's own additions are left out: its classes (wb-d-*), elements with only
# those (badges, placeholders), and what keeps the canvas still (tabindex, readonly, inert,
# disabled) or names its slots (data-*, aria-*, draggable). Invisible components (Timer: the
# designer lists them under the form) are left out of the app's tree.
SHAPE = """
(root) => {
  // (a Canvas's drawing size is the running app's: it follows the size drawn)
  const ignored = (name, node) => ["class", "style", "tabindex", "readonly", "inert", "disabled",
    "draggable"].includes(name) || name.startsWith("data-") || name.startsWith("aria-") ||
    (node.tagName === "CANVAS" && ["width", "height"].includes(name));
  const designerOnly = (node) =>
    node.classList.length > 0 && [...node.classList].every((c) => c.startsWith("wb-d-"));
  const walk = (node) => {
    const styles = [];
    for (let i = 0; i < node.style.length; i++) {
      styles.push(`${node.style[i]}: ${node.style.getPropertyValue(node.style[i])}`);
    }
    const shape = {
      tag: node.tagName.toLowerCase(),
      classes: [...node.classList].filter((c) => !c.startsWith("wb-d-")).sort(),
      attributes: [...node.attributes].filter((a) => !ignored(a.name, node))
        .map((a) => `${a.name}=${a.value}`).sort(),
      styles: styles.sort(),
      text: [...node.childNodes].filter((child) => child.nodeType === Node.TEXT_NODE)
        .map((child) => child.textContent).join(""),
      children: [...node.children]
        .filter((child) => !designerOnly(child) && !child.classList.contains("anvil-invisible"))
        .map(walk),
    };
    if ("value" in node && node.tagName !== "SELECT" && node.tagName !== "BUTTON") {
      shape.value = node.value;
    }
    if (node.tagName === "INPUT") shape.checked = node.checked;
    return shape;
  };
  return walk(root);
}
"""

# the panels' rows in the form; in each, the panel's element
APP_PANEL = (
    "#wb-app > .anvil-columnpanel > .anvil-cp-section:nth-child({n}) > .anvil-cp-row"
    " > .anvil-cp-col > .anvil-cp-slot > .anvil-columnpanel"
)
CANVAS_PANEL = '.wb-d-slot[data-name="{name}"] > .anvil-columnpanel'


def _differences(one: dict[str, Any], other: dict[str, Any], where: str = "") -> list[str]:
    """Where two shapes differ (readable paths, for the assertion's message)."""
    where = f"{where}/{one['tag']}.{'.'.join(one['classes'])}"
    found = [
        f"{where} {key}: {one.get(key)!r} != {other.get(key)!r}"
        for key in sorted(set(one) | set(other))
        if key != "children" and one.get(key) != other.get(key)
    ]
    if len(one["children"]) != len(other["children"]):
        found.append(f"{where}: {len(one['children'])} != {len(other['children'])} children")
    for mine, theirs in zip(one["children"], other["children"], strict=False):
        found.extend(_differences(mine, theirs, where))
    return found


def _regroup(shape: dict[str, Any], prefix: str) -> dict[str, Any]:
    """`shape` with the copies' radio groups named as the originals'."""
    renamed = [re.sub(f"^name={prefix}", "name=", item) for item in shape["attributes"]]
    children = [_regroup(child, prefix) for child in shape["children"]]
    return {**shape, "attributes": renamed, "children": children}


def _count(shape: dict[str, Any]) -> int:
    return 1 + sum(_count(child) for child in shape["children"])


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_the_designer_and_the_app_draw_every_component_the_same(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("drawing", viewport={"width": 1400, "height": 900})
    owner.signup()
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": f"Drawn on {runtime}",
                                                "visibility": "public"})  # fmt: skip
    slug = widget["slug"]
    files = {
        "server.py": "",
        "forms/Form1.json": json.dumps(FORM),
        "forms/Form1.py": FORM_CODE,
        "app.json": json.dumps({"startup_form": "Form1", "runtime": runtime}),
    }
    owner.api("POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": files})

    page = owner.goto(f"/widgets/{slug}")
    canvas = page.locator(CANVAS_PANEL.format(name="drawn"))
    expect(canvas).to_be_attached()
    designed = canvas.evaluate(SHAPE)

    app: Page = ide.visitor("app visitor").page
    app.goto(f"http://{slug}.{ide.live.config.apps_host}/")
    app.wait_for_selector("html[data-app-ready]", state="attached", timeout=START_TIMEOUT_MS)
    drawn = app.locator(APP_PANEL.format(n=1)).evaluate(SHAPE)
    updated = _regroup(app.locator(APP_PANEL.format(n=2)).evaluate(SHAPE), "b_")

    # every visible component, its slot, and each container's children are in the trees
    assert _count(drawn) > 2 * len(COMPONENTS)
    assert drawn == designed, "\n".join(_differences(drawn, designed))
    assert updated == drawn, "\n".join(_differences(updated, drawn))
    # and a few things the drawing decides, to be sure the trees hold them
    links = app.locator(f"{APP_PANEL.format(n=1)} a.anvil-link")
    expect(links.first).to_have_attribute("href", "https://example.com/")
    expect(links.first).to_have_attribute("target", "_blank")
    expect(links.nth(1)).to_have_attribute("href", "#")
    # URLs that would run script are never drawn
    refused = app.locator("#wb-app > .anvil-columnpanel > .anvil-cp-section:nth-child(3)")
    expect(refused.locator("a.anvil-link")).to_have_attribute("href", "#")
    expect(refused.locator("a.anvil-link")).not_to_have_attribute("target", "_blank")
    expect(refused.locator(".anvil-image img")).not_to_have_attribute("src", re.compile(".*"))
    # what the shapes leave out: a disabled control is disabled in the app (not on the canvas)
    expect(app.get_by_role("button", name="Go").first).to_be_disabled()
    expect(page.locator(".wb-d-slot[data-name=a_button] button")).to_be_enabled()
    # hidden components are hidden; properties set back to none leave no style
    expect(refused.locator(".anvil-label", has_text="hidden")).to_have_class(
        re.compile(r"\banvil-hidden\b")
    )
    expect(refused.locator(".anvil-label", has_text="hidden")).to_be_hidden()
    expect(refused.locator(".anvil-label", has_text="unstyled")).not_to_have_attribute(
        "style", re.compile(".+")
    )
    expect(app.locator(f"{APP_PANEL.format(n=2)} .anvil-label").first).to_have_css(
        "font-size", "18px"
    )
    expect(app.locator(f"{APP_PANEL.format(n=2)} .anvil-datepicker input")).to_have_value(
        "2026-11-24T00:00"
    )
