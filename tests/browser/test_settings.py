"""A widget's settings: title and address, secrets (values go in and never come back out),
and deleting the widget only after typing its address."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser._helpers import tab
from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

SECRET = "sk-live-4242-do-not-show"


def test_settings_rename_keep_secrets_write_only_and_delete_with_confirmation(ide: IDE) -> None:
    visitor = ide.visitor("settler")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Old name"})
    page = visitor.goto(f"/widgets/{widget['slug']}/settings")

    # title and address
    page.get_by_label("Title").fill("New name")
    new_slug = f"{widget['slug']}-renamed"
    page.get_by_label("Address", exact=True).fill(new_slug)
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(rf"/widgets/{new_slug}/settings$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New name")
    expect(page.get_by_role("status")).to_contain_text("Settings saved")

    # an address that is not allowed says why, and nothing changes
    visitor.watch.expect_error(r"status of 422")
    page.get_by_label("Address", exact=True).fill("Not Allowed!")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("[data-form=widget-settings] .error")).to_contain_text("A slug is 3 to 60")
    assert visitor.api("GET", f"/api/widgets/{new_slug}")["title"] == "New name"

    # secrets: set one, see its name only; delete it
    expect(page.locator(".no-secrets")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("API_KEY")
    page.get_by_label("Value").fill(SECRET)
    page.get_by_role("button", name="Set secret").click()
    row = page.locator("table.secrets tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("API_KEY")
    expect(page.get_by_label("Value")).to_have_value("")
    assert SECRET not in page.content()
    page.reload()
    expect(row).to_contain_text("API_KEY")
    assert SECRET not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete API_KEY").click()
    expect(row).to_have_count(0)
    expect(page.locator(".no-secrets")).to_be_visible()
    assert visitor.api("GET", f"/api/widgets/{new_slug}/secrets")["secrets"] == []

    # deleting asks for the address first
    page.get_by_role("button", name="Delete widget…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label(re.compile("to confirm")).fill("something else")
    dialog.get_by_role("button", name="Delete forever").click()
    expect(dialog.locator(".error")).to_contain_text(f"Type {new_slug} exactly")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    tab(page, "Code").click()
    tab(page, "Settings").click()
    page.get_by_role("button", name="Delete widget…").click()
    dialog.get_by_label(re.compile("to confirm")).fill(new_slug)
    dialog.get_by_role("button", name="Delete forever").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text('Deleted "New name"')
    expect(page.get_by_role("heading", name="No widgets yet")).to_be_visible()


COUNTER = """\
import os
import anvil.server

count = 0


@anvil.server.route("/count")
def counted(**params):
    global count
    count += 1
    return {"count": count, "pid": os.getpid()}
"""


def test_persistent_mode_is_switched_on_and_off_with_what_it_means(ide: IDE) -> None:
    visitor = ide.visitor("keeper")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "http", "title": "Counter"})
    slug = widget["slug"]
    visitor.api(
        "POST",
        f"/api/widgets/{slug}/versions",
        {"base_version": widget["head_version"], "files": {"main.py": COUNTER}},
    )
    page = visitor.goto(f"/widgets/{slug}/settings")
    keep = page.get_by_label("Keep the server running")
    expect(keep).not_to_be_checked()
    expect(page.locator("#set-persistent-hint")).to_contain_text(
        "shared between requests and between visitors"
    )

    def save() -> None:
        # the page reloads itself once saved: wait for that navigation, not only for "load"
        # (the old page's load state would let the next goto race the reload)
        with (
            page.expect_navigation(),
            page.expect_response(lambda r: r.request.method == "PATCH") as patched,
        ):
            page.get_by_role("button", name="Save changes").click()
        assert patched.value.ok
        page.wait_for_load_state()
        expect(page.get_by_role("status")).to_contain_text("Settings saved")

    keep.check()
    save()
    expect(page.get_by_label("Keep the server running")).to_be_checked()
    assert visitor.api("GET", f"/api/widgets/{slug}")["persistent"] is True

    def counts() -> dict[int, list[int]]:
        seen: dict[int, list[int]] = {}
        for _ in range(3):
            answer = page.request.get(f"{ide.base}/w/{slug}/count").json()
            seen.setdefault(answer["pid"], []).append(answer["count"])
        return seen

    kept = counts()
    assert all(found == list(range(1, len(found) + 1)) for found in kept.values()), kept
    assert max(max(found) for found in kept.values()) >= 2, kept

    page.get_by_label("Keep the server running").uncheck()
    save()
    expect(page.get_by_label("Keep the server running")).not_to_be_checked()
    assert visitor.api("GET", f"/api/widgets/{slug}")["persistent"] is False
    fresh = counts()
    assert all(set(found) == {1} for found in fresh.values()), fresh

    # scripts always run fresh: their settings have no such switch
    script = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "A script"})
    page = visitor.goto(f"/widgets/{script['slug']}/settings")
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    expect(page.get_by_label("Keep the server running")).to_have_count(0)
