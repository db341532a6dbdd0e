"""The designer in Chromium: a form designed by dragging a TextBox, a Button and a Label onto
the canvas, properties set and a component renamed in the inspector, undo and redo, the
button's click bound (the handler is added to the client code), the code written, the live
preview used, saved, and the app used by an anonymous visitor on Brython and on Pyodide.
A save that conflicts with a newer version is compared, never overwritten, as on the code
page."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from tests.browser._helpers import PASSWORD, editor_text, set_editor_text
from tests.browser.conftest import ARTIFACTS, IDE

pytestmark = pytest.mark.browser

SERVER = """\
import anvil.server


@anvil.server.callable
def greet(name):
    return f"Hello, {name}!"
"""
EMPTY_FORM = {"container": {"type": "ColumnPanel"}, "components": []}
FORM_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)

    def greet_button_click(self, **event_args):
        self.label_1.text = anvil.server.call("greet", self.text_box_1.text)
"""
SHOTS = Path(os.environ.get("WIDGETBOX_DESIGNER_SHOTS") or ARTIFACTS / "designer")
START_TIMEOUT_MS = 60_000


def palette(page: Page, kind: str) -> Locator:
    return page.locator(f".wb-palette-item[data-type={kind}]")


def drop_below(page: Page, kind: str) -> None:
    """Drag a component from the palette to the bottom of the form (after the others)."""
    form = page.locator(".wb-d-form")
    box = form.bounding_box()
    assert box is not None
    palette(page, kind).drag_to(form, target_position={"x": 30, "y": box["height"] - 8})


def slots(page: Page) -> list[str]:
    names: list[str] = page.locator(".wb-d-slot").evaluate_all(
        "els => els.map(e => e.dataset.name)"
    )
    return names


def inspector_field(page: Page, label: str) -> Locator:
    return page.locator(".wb-inspector").get_by_label(label, exact=True)


@pytest.mark.parametrize("runtime", ["brython", "pyodide"])
def test_design_bind_code_preview_save_and_use_the_app(ide: IDE, runtime: str) -> None:
    owner = ide.visitor("designer", viewport={"width": 1400, "height": 900})
    owner.signup()
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": f"Designed on {runtime}",
                                                "visibility": "public"})  # fmt: skip
    slug = widget["slug"]
    files = {
        "server.py": SERVER,
        "forms/Form1.json": json.dumps(EMPTY_FORM),
        "forms/Form1.py": FORM_CODE.split("    def greet_button_click", maxsplit=1)[0],
        "app.json": '{"startup_form": "Form1", "runtime": "brython"}',
    }
    owner.api("POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": files})
    page = owner.goto(f"/widgets/{slug}")
    expect(page.locator(".wb-d-placeholder")).to_have_text("Drop components here")

    # drag a TextBox, a Button and a Label onto the canvas, one below the other
    palette(page, "TextBox").drag_to(page.locator(".wb-d-form"))
    drop_below(page, "Button")
    drop_below(page, "Label")
    assert slots(page) == ["text_box_1", "button_1", "label_1"]
    expect(page.locator(".wb-d-selected")).to_have_attribute("data-name", "label_1")
    expect(page.locator(".save-state")).to_have_attribute("data-state", "dirty")

    # undo and redo
    page.get_by_role("button", name="Undo").click()
    assert slots(page) == ["text_box_1", "button_1"]
    page.get_by_role("button", name="Redo").click()
    assert slots(page) == ["text_box_1", "button_1", "label_1"]

    # the label: bold and blue, in the inspector
    inspector_field(page, "bold").check()
    inspector_field(page, "foreground").fill("#336699")
    inspector_field(page, "foreground").press("Enter")
    expect(page.locator('.wb-d-slot[data-name="label_1"] .anvil-label')).to_have_css(
        "color", "rgb(51, 102, 153)"
    )

    # the button: its text, a better name, and its click bound to a new handler
    page.locator('.wb-d-slot[data-name="button_1"]').click()
    inspector_field(page, "text").fill("Greet")
    inspector_field(page, "text").press("Enter")
    expect(page.locator('.wb-d-slot[data-name="button_1"] button')).to_have_text("Greet")
    inspector_field(page, "name").fill("greet_button")
    inspector_field(page, "name").press("Enter")
    expect(page.locator(".wb-i-title")).to_contain_text("greet_button")
    assert slots(page) == ["text_box_1", "greet_button", "label_1"]
    inspector_field(page, "name").fill("visible")  # a property of the form: refused
    inspector_field(page, "name").press("Enter")
    expect(page.locator(".wb-i-error").first).to_contain_text("name of a property")
    page.locator('.wb-d-slot[data-name="greet_button"]').click()
    page.get_by_role("button", name="Add a handler for click").click()
    code_tab = page.get_by_role("tab", name=re.compile(r"^Form1\.py"))
    expect(code_tab).to_have_attribute("aria-selected", "true")
    assert "    def greet_button_click(self, **event_args):" in editor_text(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{runtime}-3-handler.png"))

    # the handler's code, then back to the design: the binding is there
    set_editor_text(page, FORM_CODE)
    page.get_by_role("tab", name=re.compile(r"^Form1 design")).click()
    page.locator('.wb-d-slot[data-name="greet_button"]').click()
    expect(inspector_field(page, "click")).to_have_value("greet_button_click")
    page.get_by_label("Runs on").select_option(runtime)
    page.screenshot(path=str(SHOTS / f"{runtime}-1-design.png"))

    # save: a new version whose design holds what was made
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".save-state")).to_have_text("Saved · version 3")
    saved = owner.api("GET", f"/api/widgets/{slug}")["files"]
    design = json.loads(saved["forms/Form1.json"])
    assert [(c["name"], c["type"]) for c in design["components"]] == [
        ("text_box_1", "TextBox"), ("greet_button", "Button"), ("label_1", "Label"),
    ]  # fmt: skip
    assert design["components"][1]["event_bindings"] == {"click": "greet_button_click"}
    assert json.loads(saved["app.json"])["runtime"] == runtime

    # the live preview runs the form on the app's origin
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".wb-preview-state")).to_contain_text(
        "Running Form1", timeout=START_TIMEOUT_MS
    )
    frame = page.frame_locator(".wb-preview iframe")
    frame.get_by_role("textbox").fill("preview")
    frame.get_by_role("button", name="Greet").click()
    expect(frame.locator(".anvil-label")).to_have_text("Hello, preview!")
    page.screenshot(path=str(SHOTS / f"{runtime}-2-preview.png"))

    # and an anonymous visitor uses the app
    app = ide.visitor("visitor").page
    app.goto(f"http://{slug}.{ide.live.config.apps_host}/")
    app.wait_for_selector("html[data-app-ready]", state="attached", timeout=START_TIMEOUT_MS)
    app.get_by_role("textbox").fill("Ada")
    app.get_by_role("button", name="Greet").click()
    answer = app.locator(".anvil-label")
    expect(answer).to_have_text("Hello, Ada!")
    expect(answer).to_have_css("font-weight", "700")


def test_others_read_the_design_but_cannot_change_it(ide: IDE) -> None:
    owner = ide.visitor("owner")
    owner.signup()
    slug = owner.api("POST", "/api/widgets", {"kind": "gui", "title": "Shown app",
                                              "visibility": "public"})["slug"]  # fmt: skip
    reader = ide.visitor("reader")
    reader.signup()
    page = reader.goto(f"/widgets/{slug}")
    assert slots(page) == ["text_box_1", "button_1", "label_1"]
    expect(palette(page, "Button")).to_be_disabled()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    page.locator('.wb-d-slot[data-name="button_1"]').click()
    expect(inspector_field(page, "text")).to_be_disabled()
    expect(page.get_by_role("link", name="Open the app")).to_have_attribute(
        "href", f"/widgets/{slug}/app"
    )


def test_a_conflicting_design_save_is_compared_and_either_side_can_be_kept(ide: IDE) -> None:
    owner = ide.visitor("designer", viewport={"width": 1400, "height": 900})
    username = owner.signup()
    slug = owner.api("POST", "/api/widgets", {"kind": "gui", "title": "Shared app"})["slug"]
    elsewhere = ide.visitor("elsewhere", viewport={"width": 1400, "height": 900})
    elsewhere.api("POST", "/api/auth/login", {"username": username, "password": PASSWORD})
    first = owner.goto(f"/widgets/{slug}")
    second = elsewhere.goto(f"/widgets/{slug}")
    expect(second.locator(".save-state")).to_have_text("Saved · version 1")

    # the first browser adds a Label and saves version 2
    palette(first, "Label").click()
    assert slots(first) == ["text_box_1", "button_1", "label_1", "label_2"]
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.locator(".save-state")).to_have_text("Saved · version 2")

    # the second, still on version 1, changes the button's text: unsaved, on the tab and title
    second.locator('.wb-d-slot[data-name="button_1"]').click()
    inspector_field(second, "text").fill("Send")
    inspector_field(second, "text").press("Enter")
    expect(second.get_by_role("tab", name="Form1 design (unsaved)", exact=True)).to_be_visible()
    expect(second).to_have_title(re.compile(r"^● "))

    # its save is refused, and says so
    elsewhere.watch.expect_error(r"status of 409")
    second.keyboard.press("ControlOrMeta+s")
    banner = second.locator(".conflict")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("version 2 was saved elsewhere")
    expect(banner).to_contain_text("Nothing was overwritten")
    expect(second.locator(".save-state")).to_have_text("Not saved: conflict")
    assert owner.api("GET", f"/api/widgets/{slug}")["head_version"] == 2

    # comparing shows the design's two texts (app.json and the code did not change)
    banner.get_by_role("button", name="Compare").click()
    diff = banner.locator(".diff")
    expect(diff.locator(".hunk")).to_have_count(1)
    expect(diff.locator(".hunk")).to_contain_text("client_code/Form1/form_template.yaml")
    expect(diff.locator(".add")).to_have_text(
        [re.compile(r"^\+ +properties: \{ text: Send, role: null \}$")]
    )
    expect(diff.locator(".del")).to_contain_text(["text: Greet", "name: label_2"])

    # keeping mine makes version 3 (version 2 stays in the history)
    banner.get_by_role("button", name="Save mine as version 3").click()
    expect(banner).to_be_hidden()
    expect(second.locator(".save-state")).to_have_text("Saved · version 3")
    expect(second).not_to_have_title(re.compile(r"^● "))
    files = owner.api("GET", f"/api/widgets/{slug}")["files"]
    saved = yaml.safe_load(files["client_code/Form1/form_template.yaml"])
    assert [c["name"] for c in saved["components"]] == ["text_box_1", "button_1", "label_1"]
    assert saved["components"][1]["properties"]["text"] == "Send"
    versions = owner.api("GET", f"/api/widgets/{slug}/versions")["versions"]
    assert [v["number"] for v in versions] == [3, 2, 1]

    # the first browser's next save conflicts too; it loads the latest instead
    palette(first, "TextBox").click()
    owner.watch.expect_error(r"status of 409")
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.locator(".conflict")).to_be_visible()
    first.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name="Discard mine, load version 3").click()
    expect(first.locator(".save-state")).to_have_text("Saved · version 3")
    expect(first.locator(".conflict")).to_be_hidden()
    assert slots(first) == ["text_box_1", "button_1", "label_1"]
    expect(first.locator('.wb-d-slot[data-name="button_1"] button')).to_have_text("Send")
    expect(first).not_to_have_title(re.compile(r"^● "))
