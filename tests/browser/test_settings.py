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
    page.get_by_label("Address").fill(new_slug)
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(rf"/widgets/{new_slug}/settings$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New name")
    expect(page.get_by_role("status")).to_contain_text("Settings saved")

    # an address that is not allowed says why, and nothing changes
    visitor.watch.expect_error(r"status of 422")
    page.get_by_label("Address").fill("Not Allowed!")
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
