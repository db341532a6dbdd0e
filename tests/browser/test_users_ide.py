"""The Users service in the IDE: turned on from the widget's settings page (its options
written to services.yaml with the code), and its users on the Data page: listed, searched
by email, disabled, confirmed and removed."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser


def test_turn_the_service_on_and_manage_its_users(ide: IDE) -> None:
    owner = ide.visitor("usersowner")
    owner.signup()
    widget = owner.api(
        "POST", "/api/widgets", {"kind": "gui", "title": "Club", "visibility": "public"}
    )
    slug = widget["slug"]

    page = owner.goto(f"/widgets/{slug}/settings")
    card = page.locator("[data-form=users-service]")
    enabled = card.get_by_label("Users service")
    expect(enabled).not_to_be_checked()
    expect(card.get_by_label("Shortest password")).to_be_disabled()
    enabled.check()
    card.get_by_label("Shortest password").fill("10")
    card.get_by_label("Visitors may sign up").uncheck()
    card.get_by_role("button", name="Save users settings").click()
    expect(page.get_by_role("status")).to_contain_text("Users service saved")
    found = owner.api("GET", f"/api/widgets/{slug}/users/settings")
    assert found["enabled"] is True
    assert found["settings"]["min_password_length"] == 10
    assert found["settings"]["allow_signup"] is False
    page.reload()
    expect(card.get_by_label("Shortest password")).to_have_value("10")

    # two users, added as the owner would from the Data page's grid
    for email in ("ann@example.com", "bob@example.com"):
        owner.api(
            "POST",
            f"/api/widgets/{slug}/tables/users/rows",
            {"values": {"email": email, "enabled": True, "confirmed_email": False}},
        )

    page = owner.goto(f"/widgets/{slug}/data")
    panel = page.locator(".users-panel")
    expect(panel).to_be_visible()
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(panel.locator(".users-info")).to_have_text("2 of 2 users")

    panel.get_by_label("Search users by email").fill("BOB")
    panel.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    bob = rows.first
    expect(bob).to_contain_text("bob@example.com")
    bob.get_by_role("button", name="Disable bob@example.com").click()
    expect(rows.first.locator("td").nth(1)).to_have_text("No")
    rows.first.get_by_role("button", name="Confirm bob@example.com").click()
    expect(rows.first.locator("td").nth(2)).to_have_text("Yes")
    listed = owner.api("GET", f"/api/widgets/{slug}/users?q=bob")["users"]
    assert [(u["enabled"], u["confirmed_email"]) for u in listed] == [(False, True)]

    page.once("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name="Remove bob@example.com").click()
    expect(rows).to_have_count(0)
    remaining = owner.api("GET", f"/api/widgets/{slug}/users")["users"]
    assert json.dumps([u["email"] for u in remaining]) == '["ann@example.com"]'
