"""Saving and versions: Ctrl-S makes a version (the unsaved-changes indicator says when
there is something to save) that can take a message; each version lists the files it
changed with their line counts; any two versions can be compared and one restored after
confirming in the page; a save that conflicts with a newer version is shown, never silently
overwritten."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser._chromium import LAPTOP, PHONE
from tests.browser._helpers import editor_text, set_editor_text, tab
from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

FIRST = 'print("first")\n'
AUDIT = Path(__file__).with_name("audit.js").read_text()
"""Returns the problems found on the page (see audit.js)."""


def test_ctrl_s_saves_a_version_and_an_old_version_can_be_restored(ide: IDE) -> None:
    visitor = ide.visitor("saver")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Notes"})
    slug = widget["slug"]
    visitor.api(
        "POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": {"main.py": FIRST}}
    )
    page = visitor.goto(f"/widgets/{slug}")
    state = page.locator(".save-state")
    expect(state).to_have_text("Saved · version 2")
    assert not page.title().startswith("●")

    # typing shows that there are unsaved changes: beside Save, on the file and in the title
    page.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+End")
    page.keyboard.type('print("second")')
    expect(state).to_have_text("Unsaved changes")
    expect(page.locator("button.file[data-file='main.py'] .dirty")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^● "))

    # Ctrl-S saves a version
    page.keyboard.press("ControlOrMeta+s")
    expect(state).to_have_text("Saved · version 3")
    expect(page.locator("button.file .dirty")).to_have_count(0)
    expect(page).not_to_have_title(re.compile(r"^● "))
    saved = visitor.api("GET", f"/api/widgets/{slug}")
    assert saved["head_version"] == 3
    assert saved["files"]["main.py"] == FIRST + 'print("second")'

    # the versions page compares the previous version with the current one
    tab(page, "Versions").click()
    versions = page.locator(".version-list button")
    expect(versions).to_have_count(3)
    expect(versions.nth(0)).to_contain_text("v3")
    expect(versions.nth(0)).to_contain_text("Current")
    expect(versions.nth(1)).to_have_attribute("aria-pressed", "true")
    diff = page.locator(".diff-view")
    expect(diff.locator(".add")).to_have_text(['+print("second")'])

    # restoring version 2 saves its files as version 4, once confirmed in the page
    versions.nth(1).click()
    page.on("dialog", lambda dialog: pytest.fail(f"a browser dialog: {dialog.message}"))
    page.get_by_role("button", name="Restore version 2").click()
    confirm = page.locator(".restore-confirm")
    expect(confirm).to_contain_text("Restore version 2? Its files are saved as a new version (4)")
    page.keyboard.press("Escape")  # changing one's mind
    expect(confirm).to_be_hidden()
    expect(page.get_by_role("button", name="Restore version 2")).to_be_focused()
    assert visitor.api("GET", f"/api/widgets/{slug}")["head_version"] == 3
    page.get_by_role("button", name="Restore version 2").click()
    confirm.get_by_role("button", name="Yes, restore version 2").click()
    expect(page).to_have_url(re.compile(rf"/widgets/{slug}$"))
    expect(page.get_by_role("status")).to_contain_text("Restored version 2 as version 4")
    expect(state).to_have_text("Saved · version 4")
    assert editor_text(page) == FIRST
    tab(page, "Versions").click()
    expect(page.locator(".version-list button").first).to_contain_text("Restored version 2")


def test_a_conflicting_save_is_shown_and_nothing_is_overwritten(ide: IDE) -> None:
    visitor = ide.visitor("twotabs")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Shared"})
    slug = widget["slug"]
    first = visitor.goto(f"/widgets/{slug}")
    second = visitor.goto(f"/widgets/{slug}", page=visitor.new_page())

    set_editor_text(first, 'print("from the first tab")\n')
    first.keyboard.press("ControlOrMeta+s")
    expect(first.locator(".save-state")).to_have_text("Saved · version 2")

    # the second tab still edits version 1: its save is refused and says so
    visitor.pages[1][1].expect_error(r"status of 409")
    set_editor_text(second, 'print("from the second tab")\n')
    second.keyboard.press("ControlOrMeta+s")
    banner = second.locator(".conflict")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("version 2 was saved elsewhere")
    expect(banner).to_contain_text("Nothing was overwritten")
    expect(second.locator(".save-state")).to_have_text("Not saved: conflict")
    latest = visitor.api("GET", f"/api/widgets/{slug}")
    assert (latest["head_version"], latest["files"]["main.py"]) == (
        2,
        'print("from the first tab")\n',
    )

    # Ctrl-S again does not get round it
    second.keyboard.press("ControlOrMeta+s")
    expect(banner).to_be_visible()
    assert visitor.api("GET", f"/api/widgets/{slug}")["head_version"] == 2

    # comparing shows both texts
    banner.get_by_role("button", name="Compare").click()
    expect(banner.locator(".diff .del")).to_have_text(['- print("from the first tab")'])
    expect(banner.locator(".diff .add")).to_have_text(['+ print("from the second tab")'])

    # keeping mine is an explicit choice, and makes a new version (version 2 stays in history)
    banner.get_by_role("button", name="Save mine as version 3").click()
    expect(banner).to_be_hidden()
    expect(second.locator(".save-state")).to_have_text("Saved · version 3")
    latest = visitor.api("GET", f"/api/widgets/{slug}")
    assert (latest["head_version"], latest["files"]["main.py"]) == (
        3,
        'print("from the second tab")\n',
    )
    versions = visitor.api("GET", f"/api/widgets/{slug}/versions")["versions"]
    assert [v["number"] for v in versions] == [3, 2, 1]

    # the first tab now conflicts, and chooses to load the latest instead
    visitor.pages[0][1].expect_error(r"status of 409")
    set_editor_text(first, 'print("a third idea")\n')
    first.get_by_role("button", name="Save", exact=True).click()
    expect(first.locator(".conflict")).to_be_visible()
    first.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name="Discard mine, load version 3").click()
    expect(first.locator(".save-state")).to_have_text("Saved · version 3")
    assert editor_text(first) == 'print("from the second tab")\n'


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_versions_take_messages_list_their_changes_and_compare_any_two(
    ide: IDE, viewport: dict[str, int]
) -> None:
    visitor = ide.visitor("describer", viewport=viewport)
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Described"})
    slug = widget["slug"]
    page = visitor.goto(f"/widgets/{slug}")
    state = page.locator(".save-state")

    # Ctrl-S saves; Ctrl-S again asks for the version's message, in the page
    set_editor_text(page, FIRST)
    page.keyboard.press("ControlOrMeta+s")
    expect(state).to_have_text("Saved · version 2")
    page.keyboard.press("ControlOrMeta+s")
    message = page.get_by_role("textbox", name="Message for version 2")
    expect(message).to_be_focused()
    message.fill("First <b>print</b>")
    message.press("Enter")
    expect(message).to_have_count(0)
    expect(state).to_have_text("Saved · version 2 · First <b>print</b>")
    expect(page.locator(".cm-content")).to_be_focused()  # back where it was
    assert visitor.api("GET", f"/api/widgets/{slug}/versions/2")["message"] == "First <b>print</b>"

    # the Save button, then "Add a message"; Escape leaves it without one
    set_editor_text(page, FIRST + 'print("second")\n')
    page.get_by_role("button", name="Save", exact=True).click()
    expect(state).to_have_text("Saved · version 3")
    page.get_by_role("button", name="Add a message for version 3").click()
    page.get_by_role("textbox", name="Message for version 3").press("Escape")
    expect(page.get_by_role("textbox", name="Message for version 3")).to_have_count(0)
    assert visitor.api("GET", f"/api/widgets/{slug}/versions/3")["message"] == ""

    # Run saves first: that version says so
    set_editor_text(page, 'print("third")\n')
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".console .run-info a[data-field=run]")).to_have_text("Run #1")
    expect(page.locator(".console .output")).to_contain_text("third")

    tab(page, "Versions").click()
    versions = page.locator(".version-list button")
    expect(versions).to_have_count(4)
    expect(versions.nth(0).locator(".message")).to_have_text("Saved before run #1")
    expect(versions.nth(0).locator(".changes")).to_have_text("main.py +1 \u22122")
    expect(versions.nth(1).locator(".message")).to_have_text("Saved")
    expect(versions.nth(1).locator(".changes")).to_have_text("main.py +1 \u22120")
    expect(versions.nth(2).locator(".message")).to_have_text("First <b>print</b>")  # as text
    expect(versions.nth(2).locator("b")).to_have_count(0)
    assert page.evaluate(AUDIT) == []

    # any two versions: 2 against 3
    page.get_by_label("Compare version", exact=True).select_option("2")
    page.get_by_label("with version", exact=True).select_option("3")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(page.locator("#view-title")).to_have_text("Version 2 compared with version 3")
    view = page.locator(".diff-view")
    expect(view.locator(".add")).to_have_text(['+print("second")'])
    expect(view.locator(".del")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Restore"))).to_be_hidden()
    # and back the other way round
    page.get_by_label("Compare version", exact=True).select_option("3")
    page.get_by_label("with version", exact=True).select_option("2")
    page.get_by_role("button", name="Compare", exact=True).click()
    expect(view.locator(".del")).to_have_text(['-print("second")'])
    assert page.evaluate(AUDIT) == []
