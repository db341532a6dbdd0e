"""Packages on the code page: the owner writes the widget's requirements.txt in the editor,
saves, and watches the install go from resolving through downloading to ready with its
lock; a failed install says why and can be tried again. The tier's server installs from a
local package index whose downloads are slowed down, so the progress can be seen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser._helpers import editor_text, set_editor_text
from tests.browser.conftest import IDE
from tests.package_index import wheel

pytestmark = pytest.mark.browser

RECORD = """() => {
    // every text the install's state line shows, in order (the test reads them at the end)
    const state = document.querySelector(".packages [data-field=state]");
    window.seen = [];
    new MutationObserver(() => window.seen.push(state.textContent)).observe(
        state, { childList: true, characterData: true, subtree: true });
}"""


def test_requirements_are_edited_on_the_code_page_and_the_install_is_followed_to_ready(
    ide: IDE,
) -> None:
    ide.index.add(wheel(ide.wheels, "chart-kit", "2.1", requires=["tiny-colors>=1", "numpy>=2"],
                        padding=1_500_000))  # fmt: skip
    ide.index.add(wheel(ide.wheels, "tiny-colors", "1.3"))
    visitor = ide.visitor("packager")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Charts"})
    slug = widget["slug"]
    page = visitor.goto(f"/widgets/{slug}")
    panel = page.locator(".packages")
    badge = panel.locator(".packages-head .badge")
    state = panel.locator("[data-field=state]")
    expect(badge).to_have_text("None")
    expect(badge).to_have_class("badge idle")  # a package state's own tone, not a run's
    expect(state).to_contain_text("built-in")

    # the button opens a new requirements.txt in the editor; it is not installed until saved
    panel.get_by_role("button", name="Add requirements.txt").click()
    requirements = page.locator("button.file[data-file='requirements.txt']")
    expect(requirements).to_have_attribute("aria-current", "true")
    expect(page.locator(".cm-content")).to_be_focused()
    assert editor_text(page).startswith("# One package")
    set_editor_text(page, "# for the charts\nchart-kit>=2\n")
    expect(panel.locator("[data-field=unsaved]")).to_be_visible()
    expect(requirements.locator(".dirty")).to_be_visible()

    # saving installs them in the background; the state line follows every phase
    page.evaluate(RECORD)
    page.keyboard.press("ControlOrMeta+s")
    expect(page.locator(".save-state")).to_have_text("Saved · version 2")
    expect(panel.locator("[data-field=unsaved]")).to_be_hidden()
    expect(badge).to_have_text("Installing")
    expect(panel.locator("[data-field=note]")).to_have_text(
        "Runs keep the packages of version 1 until these are ready."
    )
    expect(panel.locator("progress")).to_be_visible()
    expect(state).to_contain_text(
        re.compile(r"Downloading [01] of 2 files · [\d.]+ (bytes|kB|MB) of 1.5\d* MB")
    )
    expect(badge).to_have_text("Ready", timeout=30_000)
    expect(state).to_have_text("2 packages installed, ready for runs.")
    expect(panel.locator("progress")).to_be_hidden()
    expect(panel.locator("[data-field=note]")).to_be_hidden()
    seen: list[str] = page.evaluate("window.seen")
    phases = [text.split(" ")[0].rstrip(":") for text in seen]
    # the phases come in order (a quick one may be missed between two polls on a busy machine)
    order = ["Waiting", "Resolving", "Downloading", "Installing", "2"]
    assert set(phases) <= set(order), seen
    assert [order.index(p) for p in phases] == sorted(order.index(p) for p in phases), seen
    assert "Downloading" in phases, seen
    assert seen[-1] == "2 packages installed, ready for runs.", seen
    downloaded = [text for text in seen if text.startswith("Downloading")]
    assert len(set(downloaded)) > 1, seen  # the byte count moved while it downloaded

    # the lock: what was installed, with sizes, and numpy from the interpreter
    locked = panel.locator(".locked li")
    expect(locked).to_have_count(3)
    texts = sorted(locked.all_inner_texts())
    assert texts[0].startswith("chart-kit 2.1 · 1.5"), texts
    assert texts[1].startswith("numpy 2."), texts
    assert texts[1].endswith("· built in"), texts
    assert texts[2].startswith("tiny-colors 1.3 · "), texts
    status = visitor.api("GET", f"/api/widgets/{slug}/packages")
    assert (status["version"], status["status"]) == (2, "ready")

    # after a reload the page asks the server again
    page.reload()
    expect(badge).to_have_text("Ready")
    expect(locked).to_have_count(3)
    expect(panel.get_by_role("button", name="Edit requirements.txt")).to_be_visible()


def test_a_failed_install_says_why_and_can_be_tried_again(ide: IDE) -> None:
    visitor = ide.visitor("retrier")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "http", "title": "Soon"})
    page = visitor.goto(f"/widgets/{widget['slug']}")
    panel = page.locator(".packages")
    badge = panel.locator(".packages-head .badge")

    # a package the index does not have yet
    panel.get_by_role("button", name="Add requirements.txt").click()
    set_editor_text(page, "coming-soon==1.0\n")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(badge).to_have_text("Failed", timeout=30_000)
    expect(badge).to_have_class("badge bad")
    message = panel.locator("[data-field=message]")
    expect(message).to_be_visible()
    expect(message).to_contain_text("coming-soon")
    expect(panel.locator(".locked")).to_be_hidden()

    # published meanwhile: trying again installs it
    ide.index.add(wheel(ide.wheels, "coming-soon", "1.0"))
    panel.get_by_role("button", name="Try the install again").click()
    expect(badge).to_have_text("Ready", timeout=30_000)
    expect(message).to_be_hidden()
    expect(panel.get_by_role("button", name="Try the install again")).to_be_hidden()
    expect(panel.locator(".locked li")).to_have_text([re.compile(r"^coming-soon 1\.0 · ")])


def test_others_do_not_see_the_packages_panel(ide: IDE) -> None:
    owner = ide.visitor("shower")
    owner.signup()
    widget = owner.api(
        "POST", "/api/widgets", {"kind": "script", "title": "Shown", "visibility": "public"}
    )
    reader = ide.visitor("looker")
    reader.signup()
    page = reader.goto(f"/widgets/{widget['slug']}")
    expect(page.locator(".cm-content")).to_have_attribute("contenteditable", "false")
    expect(page.locator(".packages")).to_have_count(0)
