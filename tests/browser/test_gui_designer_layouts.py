"""The designer's containers in Chromium (issue 19, section 4), with real drag and drop: a
ColumnPanel's rows and columns (beside a component: a new column; above or below: a new row
or its column; moving out empties columns cleanly; column widths dragged and typed), data
bindings, every container dropped from the palette and nested (LinearPanel, FlowPanel,
GridPanel, XYPanel at the drop point, HtmlTemplate slots, a Link holding components), a
DataGrid's columns edited and a RepeatingPanel's new item template (a nested form whose
DataRowPanel holds a component in a column). Each test saves, reads the saved YAML as data
and checks it is Anvil's format, then checks the live preview draws it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import FrameLocator, Locator, Page, expect

from tests.browser._helpers import set_editor_text
from tests.browser.conftest import ARTIFACTS, IDE, Visitor

pytestmark = pytest.mark.browser

START_TIMEOUT_MS = 60_000
ID = re.compile(r"^[A-Z]{6}$")
EMPTY = "container: {type: ColumnPanel}\ncomponents: []\nis_package: true\n"
FORM_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(item={"name": "Ada", "age": "36"}, **properties)
"""
TEMPLATE = "client_code/Form1/form_template.yaml"
SHOTS = Path(os.environ.get("WIDGETBOX_DESIGNER_SHOTS") or ARTIFACTS / "designer")

# the canvas's (or the app's) ColumnPanel as rows of columns of what each column holds
GRID = """(panel) => [...panel.querySelectorAll(':scope > .anvil-cp-section > .anvil-cp-row')].map(
    (row) => [...row.querySelectorAll(':scope > .anvil-cp-col')].map(
        (col) => [...col.querySelectorAll(':scope > .wb-holder')].map(
            (holder) => holder.dataset.name ?? holder.textContent.trim() ?? '')))"""


def make_app(ide: IDE, title: str) -> tuple[Visitor, Page, str]:
    owner = ide.visitor("designer", viewport={"width": 1400, "height": 1000})
    owner.signup()
    widget = {"kind": "gui", "title": title, "visibility": "public"}
    slug = owner.api("POST", "/api/widgets", widget)["slug"]
    files = {
        "server.py": "import anvil.server\n",
        TEMPLATE: EMPTY,
        "client_code/Form1/__init__.py": FORM_CODE,
        "app.json": '{"startup_form": "Form1", "runtime": "brython"}',
    }
    owner.api("POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": files})
    return owner, owner.goto(f"/widgets/{slug}"), slug


def palette(page: Page, kind: str) -> Locator:
    return page.locator(f".wb-palette-item[data-type={kind}]")


def slot(page: Page, name: str) -> Locator:
    return page.locator(f'.wb-d-slot[data-name="{name}"]')


def drop(page: Page, source: Locator, target: Locator, side: str = "middle") -> None:
    """Drag `source` (a palette item or a component) onto `target` at `side`: its left or
    right edge, its top or bottom edge, its middle, or its bottom inside ("end")."""
    box = target.bounding_box()
    assert box is not None
    w, h = box["width"], box["height"]
    x, y = {
        "left": (3, h / 2),
        "right": (w - 3, h / 2),
        "above": (w / 2, 3),
        "below": (w / 2, h - 3),
        "upper": (w / 2, h / 4),
        "middle": (w / 2, h / 2),
        "end": (w / 2, h - 4),
    }[side]
    source.drag_to(target, target_position={"x": x, "y": y})


def field(page: Page, label: str) -> Locator:
    return page.locator(".wb-inspector").get_by_label(label, exact=True)


def commit(locator: Locator, value: str) -> None:
    """Type a value into an inspector field and leave it (which saves it)."""
    locator.fill(value)
    locator.blur()


def save(owner: Visitor, page: Page, slug: str, version: int) -> dict[str, Any]:
    """Save (a screenshot of the designer first), and the widget's files as saved."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"layouts-{slug}.png"), full_page=True)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".save-state")).to_have_text(f"Saved · version {version}")
    return owner.api("GET", f"/api/widgets/{slug}")["files"]  # type: ignore[no-any-return]


def grid_of(components: list[dict[str, Any]]) -> list[list[list[str]]]:
    """Rows of columns of names from the saved grid_position values, in Anvil's order (a
    row or column comes where its first member comes)."""
    rows: dict[str, dict[str, list[str]]] = {}
    for node in components:
        position = node.get("layout_properties", {}).get("grid_position", "")
        row, col = position.split(",")
        rows.setdefault(row, {}).setdefault(col, []).append(node["name"])
    return [list(cols.values()) for cols in rows.values()]


def walk(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every component of a design, nested ones too."""
    found = []
    for node in components:
        found.append(node)
        found += walk(node.get("components", []))
    return found


def preview(page: Page) -> FrameLocator:
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".wb-preview-state")).to_contain_text("Running", timeout=START_TIMEOUT_MS)
    return page.frame_locator(".wb-preview iframe")


def test_columnpanel_rows_and_columns_widths_and_data_bindings(ide: IDE) -> None:
    owner, page, slug = make_app(ide, "Rows and columns")
    form = page.locator(".wb-d-form")

    # a label on the empty form; a button at its right edge and a text box at its left: one
    # row of three columns
    drop(page, palette(page, "Label"), form)
    drop(page, palette(page, "Button"), slot(page, "label_1"), "right")
    drop(page, palette(page, "TextBox"), slot(page, "label_1"), "left")
    assert form.evaluate(GRID) == [[["text_box_1"], ["label_1"], ["button_1"]]]
    # below the label, in a row of three: its column; at the form's end: a new row
    drop(page, palette(page, "CheckBox"), slot(page, "label_1"), "below")
    drop(page, palette(page, "TextArea"), form, "end")
    assert form.evaluate(GRID) == [
        [["text_box_1"], ["label_1", "check_box_1"], ["button_1"]],
        [["text_area_1"]],
    ]
    # above the text area, alone in its row: a row of its own
    drop(page, palette(page, "DatePicker"), slot(page, "text_area_1"), "above")
    assert form.evaluate(GRID)[1:] == [[["date_picker_1"]], [["text_area_1"]]]

    # the button moves out of its column (to the right of the date picker): its column goes
    drop(page, slot(page, "button_1"), slot(page, "date_picker_1"), "right")
    assert form.evaluate(GRID) == [
        [["text_box_1"], ["label_1", "check_box_1"]],
        [["date_picker_1"], ["button_1"]],
        [["text_area_1"]],
    ]

    # the boundary between the text box's and the label's columns, dragged to a third
    first = page.locator(".wb-d-form > .anvil-cp-section").first
    handle = first.locator(".wb-d-col-handle")
    expect(handle).to_have_count(1)
    row = first.locator(".anvil-cp-row").bounding_box()
    grip = handle.bounding_box()
    assert row is not None
    assert grip is not None
    page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
    page.mouse.down()
    page.mouse.move(row["x"] + row["width"] / 3, grip["y"] + 5, steps=5)
    page.mouse.up()
    boundary = page.locator(".wb-d-form > .anvil-cp-section").first.locator(".wb-d-col-handle")
    expect(boundary).to_have_attribute("aria-valuenow", "20")
    boundary.press("ArrowLeft")  # and with the keyboard: one sixtieth to the left
    expect(boundary).to_have_attribute("aria-valuenow", "19")
    expect(boundary).to_be_focused()
    # the date picker's column: 45 of 60, typed in the inspector
    slot(page, "date_picker_1").click()
    commit(field(page, "column width"), "45")
    expect(field(page, "column width")).to_have_value("45")

    # data bindings: the label shows the item's name; the text box writes its age back
    slot(page, "label_1").click()
    page.get_by_role("button", name="Add data binding").click()
    expect(field(page, "Property of data binding 1")).to_have_value("text")
    commit(field(page, "Code of data binding 1"), "self.item['name']")
    slot(page, "text_box_1").click()
    page.get_by_role("button", name="Add data binding").click()
    page.get_by_role("button", name="Add data binding").click()
    field(page, "Property of data binding 2").select_option("placeholder")
    commit(field(page, "Code of data binding 2"), "'age'")
    commit(field(page, "Code of data binding 1"), "self.item['age']")
    page.locator(".wb-i-binding").first.get_by_label("write back").check()
    page.get_by_role("button", name="Remove data binding 2").click()
    expect(page.locator(".wb-i-binding")).to_have_count(1)

    # saved as Anvil writes it
    files = save(owner, page, slug, 3)
    text = files[TEMPLATE]
    saved = yaml.safe_load(text)
    components = saved["components"]
    assert grid_of(components) == [
        [["text_box_1"], ["label_1", "check_box_1"]],
        [["date_picker_1"], ["button_1"]],
        [["text_area_1"]],
    ]
    for node in components:
        row, col = node["layout_properties"]["grid_position"].split(",")
        assert ID.match(row), node
        assert ID.match(col), node
    by_name = {node["name"]: node for node in components}
    widths = {
        by_name[name]["layout_properties"]["grid_position"].split(",")[1]: weight
        for name, weight in (
            ("text_box_1", 19),
            ("label_1", 41),
            ("date_picker_1", 45),
            ("button_1", 15),
        )
    }
    assert yaml.safe_load(saved["container"]["properties"]["col_widths"]) == widths
    assert by_name["label_1"]["data_bindings"] == [
        {"property": "text", "code": "self.item['name']", "writeback": False}
    ]
    assert by_name["text_box_1"]["data_bindings"] == [
        {"property": "text", "code": "self.item['age']", "writeback": True}
    ]
    assert list(by_name["button_1"]) == ["type", "properties", "name", "layout_properties"]
    assert "- { property: text, code: \"self.item['name']\", writeback: false }" in text

    # the preview draws the same rows and columns, the binding filled in
    frame = preview(page)
    app_form = frame.locator("#wb-app .anvil-columnpanel").first
    expect(frame.locator(".anvil-label")).to_have_text("Ada")
    expect(frame.locator(".anvil-textbox")).to_have_value("36")
    cells = app_form.evaluate(
        """(panel) => [...panel.querySelectorAll(':scope > .anvil-cp-section > .anvil-cp-row')].map(
            (row) => [...row.querySelectorAll(':scope > .anvil-cp-col')].map(
                (col) => Math.round(
                    col.querySelector(':scope > .wb-holder').getBoundingClientRect().width)))"""
    )
    assert [len(row) for row in cells] == [2, 2, 1]
    assert abs(cells[0][1] * 19 - cells[0][0] * 41) <= 4 * 41  # 19 : 41
    assert abs(cells[1][0] - 3 * cells[1][1]) <= 4  # 45 : 15


CONTAINERS_CODE = (
    FORM_CODE
    + """\
        self.repeating_panel_1.items = [{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}]
"""
)
HTML = '<div anvil-slot="top"><b>Top</b></div><div anvil-slot="bottom"></div>'


def test_every_container_placed_nested_and_configured(ide: IDE) -> None:
    owner, page, slug = make_app(ide, "Containers")
    page.get_by_role("tab", name=re.compile(r"^Form1\.py")).click()
    set_editor_text(page, CONTAINERS_CODE)
    page.get_by_role("tab", name=re.compile(r"^Form1 design")).click()
    form = page.locator(".wb-d-form")
    for kind in (
        "LinearPanel",
        "FlowPanel",
        "GridPanel",
        "XYPanel",
        "Link",
        "HtmlTemplate",
        "DataGrid",
    ):
        drop(page, palette(page, kind), form, "end")
    assert form.evaluate(GRID) == [
        [[name]]
        for name in ("linear_panel_1", "flow_panel_1", "grid_panel_1", "xy_panel_1", "link_1",
                     "html_template_1", "data_grid_1")
    ]  # fmt: skip

    # LinearPanel: one below the other, in the order dropped
    drop(page, palette(page, "Label"), slot(page, "linear_panel_1"))
    drop(page, palette(page, "Button"), slot(page, "label_1"), "upper")
    # FlowPanel: side by side
    drop(page, palette(page, "CheckBox"), slot(page, "flow_panel_1"))
    drop(page, palette(page, "RadioButton"), slot(page, "check_box_1"), "left")
    # GridPanel: beside a component, the row is shared
    drop(page, palette(page, "Label"), slot(page, "grid_panel_1"))
    drop(page, palette(page, "TextBox"), slot(page, "label_2"), "right")
    # XYPanel: where it is dropped, then moved
    area = slot(page, "xy_panel_1").locator(".anvil-xy-area")
    palette(page, "Button").drag_to(area, target_position={"x": 60, "y": 40})
    button = slot(page, "button_2").bounding_box()
    assert button is not None
    slot(page, "button_2").drag_to(
        area, target_position={"x": 120 + button["width"] / 2, "y": 30 + button["height"] / 2}
    )
    # a Link holding a component
    drop(page, palette(page, "Label"), slot(page, "link_1"))
    # HtmlTemplate: its own HTML, and a label in its "bottom" slot
    slot(page, "html_template_1").click()
    commit(field(page, "html"), HTML)
    drop(page, palette(page, "Label"), slot(page, "html_template_1").locator("[anvil-slot=bottom]"))
    bottom = slot(page, "html_template_1").locator("[anvil-slot=bottom] .wb-d-slot")
    expect(bottom).to_have_attribute("data-name", "label_4")

    # DataGrid: its columns edited in the inspector
    slot(page, "data_grid_1").click()
    commit(field(page, "Column 1 title"), "Name")
    commit(field(page, "Column 1 data key"), "name")
    commit(field(page, "Column 2 title"), "Age")
    commit(field(page, "Column 2 data key"), "age")
    commit(field(page, "Column 2 width"), "80")
    page.get_by_role("button", name="Remove column 3").click()
    page.get_by_role("button", name="Add column").click()
    page.get_by_role("button", name="Move column 3 up").click()
    commit(field(page, "Column 2 title"), "Actions")
    expect(slot(page, "data_grid_1").locator(".anvil-dg-title")).to_have_text(
        ["Name", "Actions", "Age"]
    )
    # a RepeatingPanel in it, with a new item template: Form1.RowTemplate1, a DataRowPanel
    drop(page, palette(page, "RepeatingPanel"), slot(page, "data_grid_1"))
    page.get_by_role("button", name="New item template").click()
    expect(field(page, "item template")).to_have_value("Form1.RowTemplate1")
    expect(slot(page, "repeating_panel_1")).to_contain_text("Form1.RowTemplate1")
    # a DataRowPanel of its own above it (a header row), a label in its last column
    drop(page, palette(page, "DataRowPanel"), slot(page, "data_grid_1"), "upper")
    drop(
        page,
        palette(page, "Label"),
        slot(page, "data_row_panel_1").locator(".anvil-drp-cell").nth(2),
    )
    expect(field(page, "column")).to_have_value(re.compile(r"^[A-Z]{6}$"))
    page.get_by_role("tab", name="Form1.RowTemplate1 design").click()
    cells = page.locator(".wb-d-form .anvil-drp-cell")
    expect(cells).to_have_count(3)
    drop(page, palette(page, "Button"), cells.nth(1))
    expect(field(page, "column")).to_have_value(re.compile(r"^[A-Z]{6}$"))
    expect(cells.nth(1).locator(".wb-d-slot")).to_have_attribute("data-name", "button_1")

    files = save(owner, page, slug, 3)
    form1 = yaml.safe_load(files[TEMPLATE])
    nodes = {node["name"]: node for node in walk(form1["components"])}

    def inner(name: str) -> list[tuple[str, Any]]:
        return [(c["name"], c.get("layout_properties")) for c in nodes[name]["components"]]

    assert inner("linear_panel_1") == [("button_1", {}), ("label_1", {})]
    assert inner("flow_panel_1") == [("radio_button_1", {}), ("check_box_1", {})]
    (label, label_layout), (box, box_layout) = inner("grid_panel_1")
    assert (label, box) == ("label_2", "text_box_1")
    assert ID.match(label_layout["row"])
    assert label_layout == {**box_layout, "width_xs": 6}
    [(name, xy_layout)] = inner("xy_panel_1")
    assert name == "button_2"
    assert abs(xy_layout["x"] - 120) <= 1  # the pointer's pixel
    assert abs(xy_layout["y"] - 30) <= 1
    [(name, layout)] = inner("link_1")
    assert name == "label_3"
    assert re.match(r"^[A-Z]{6},[A-Z]{6}$", layout["grid_position"])
    assert inner("html_template_1") == [("label_4", {"slot": "bottom"})]
    assert nodes["html_template_1"]["properties"]["html"] == HTML
    columns = nodes["data_grid_1"]["properties"]["columns"]
    assert [{k: v for k, v in c.items() if k != "id"} for c in columns] == [
        {"title": "Name", "data_key": "name"},
        {"title": "Actions", "data_key": "column_3"},
        {"title": "Age", "data_key": "age", "width": 80},
    ]
    assert all(ID.match(c["id"]) for c in columns)
    assert len({c["id"] for c in columns}) == 3
    assert inner("data_grid_1") == [("data_row_panel_1", {}), ("repeating_panel_1", {})]
    assert inner("data_row_panel_1") == [("label_5", {"column": columns[2]["id"]})]
    assert nodes["repeating_panel_1"]["properties"] == {"item_template": "Form1.RowTemplate1"}
    assert "components" not in nodes["repeating_panel_1"]
    row = yaml.safe_load(files["client_code/Form1/RowTemplate1/form_template.yaml"])
    assert row["container"] == {"type": "DataRowPanel"}
    assert [(c["name"], c["layout_properties"]) for c in row["components"]] == [
        ("button_1", {"column": columns[1]["id"]})
    ]
    assert (
        "class RowTemplate1(RowTemplate1Template):"
        in files["client_code/Form1/RowTemplate1/__init__.py"]
    )

    # the preview draws it all
    page.get_by_role("tab", name="Form1 design").click()
    frame = preview(page)
    expect(frame.locator(".anvil-dg-title")).to_have_text(["Name", "Actions", "Age"])
    rows = frame.locator(".anvil-dg-body .anvil-datarowpanel")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator(".anvil-drp-cell")).to_have_text(["", "", "Label"])
    expect(rows.nth(1).locator(".anvil-drp-cell")).to_have_text(["Ada", "Button", "36"])
    expect(frame.locator(".anvil-linearpanel .anvil-button")).to_have_text("Button")
    xy = frame.locator(".anvil-xy-slot")
    expect(xy).to_have_css("left", f"{xy_layout['x']}px")
    expect(xy).to_have_css("top", f"{xy_layout['y']}px")
    expect(frame.locator("[anvil-slot=bottom] .anvil-label")).to_have_text("Label")
    expect(frame.locator("a.anvil-link .anvil-label")).to_have_text("Label")
    flow = frame.locator(".anvil-flowpanel .anvil-fp-item")
    expect(flow.first.locator(".anvil-radiobutton")).to_have_count(1)
    grid = frame.locator(".anvil-gp-row .anvil-gp-slot")
    expect(grid).to_have_count(2)
    one, two = grid.nth(0).bounding_box(), grid.nth(1).bounding_box()
    assert one is not None
    assert two is not None
    assert abs(one["y"] - two["y"]) < 2
    assert two["x"] > one["x"] + one["width"] - 20


def test_every_palette_item_is_dropped_configured_and_bound(ide: IDE) -> None:
    owner, page, slug = make_app(ide, "Every component")
    form = page.locator(".wb-d-form")
    kinds: list[str] = page.locator(".wb-palette-item").evaluate_all(
        "els => els.map(e => e.dataset.type)"
    )
    names: list[str] = []
    for kind in kinds:
        # each below the last one drawn on the form (a Timer is not)
        shown = [name for name in names if name != "timer_1"]
        if shown:
            drop(page, palette(page, kind), slot(page, shown[-1]), "below")
        else:
            drop(page, palette(page, kind), form)
        name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", kind)
        name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower() + "_1"
        names.append(name)
        # selected, with its properties and a data binding section of its own properties
        expect(page.locator(".wb-i-title")).to_contain_text(name)
        expect(page.locator(".wb-inspector [aria-label='Data bindings']")).to_be_visible()
    expect(page.locator(".wb-d-tray .wb-d-chip")).to_have_text(["timer_1 (Timer)"])
    assert page.locator(".wb-d-unknown").count() == 0

    # a RichText: its content, a data binding, and a label in its {name} slot
    slot(page, "rich_text_1").click()
    commit(field(page, "content"), "Hello {name}")
    page.get_by_role("button", name="Add data binding").click()
    field(page, "Property of data binding 1").select_option("data")
    commit(field(page, "Code of data binding 1"), "self.item")
    drop(page, palette(page, "Label"), slot(page, "rich_text_1").locator(".anvil-rt-slot"))

    files = save(owner, page, slug, 3)
    saved = yaml.safe_load(files[TEMPLATE])["components"]
    shown = [(node["name"], node["type"]) for node in saved if node["type"] != "Timer"]
    assert shown == [pair for pair in zip(names, kinds, strict=True) if pair[1] != "Timer"]
    assert ("timer_1", "Timer") in [(node["name"], node["type"]) for node in saved]
    rich = next(node for node in saved if node["name"] == "rich_text_1")
    assert rich["properties"]["content"] == "Hello {name}"
    assert rich["data_bindings"] == [{"property": "data", "code": "self.item", "writeback": False}]
    assert [(c["name"], c["layout_properties"]) for c in rich["components"]] == [
        ("label_2", {"slot": "name"})
    ]
