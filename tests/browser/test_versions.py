"""Saving and versions: Ctrl-S makes a version (the unsaved-changes indicator says when
there is something to save), a version can be compared and restored, and a save that
conflicts with a newer version is shown, never silently overwritten."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser._helpers import editor_text, set_editor_text, tab
from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

FIRST = 'print("first")\n'


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

    # restoring version 2 saves its files as version 4
    versions.nth(1).click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore version 2").click()
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
