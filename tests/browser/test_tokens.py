"""API tokens in the account's Settings: made with a name, an expiry and a scope, shown once
(and gone from the page once dismissed), usable by a program without a cookie, and revoked
with a confirmation; the page fits a phone with a token listed."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser._chromium import PHONE
from tests.browser.conftest import IDE
from tests.browser.test_pages import _audit

pytestmark = pytest.mark.browser


def test_a_token_is_made_in_settings_shown_once_and_revoked(ide: IDE) -> None:
    visitor = ide.visitor("tokens")
    username = visitor.signup()
    page = visitor.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.locator(".no-tokens")).to_be_visible()
    expect(page.get_by_label("Expires after")).to_have_value("30")  # the default

    # a name is needed
    page.get_by_role("button", name="Make token").click()
    expect(page.locator("[data-form=token] .error")).to_contain_text("Give the token a name")

    page.get_by_label("Name", exact=True).fill("laptop")
    page.get_by_label("Expires after").select_option(label="90 days")
    page.get_by_role("radio", name=re.compile(r"^\s*Write\b")).check()
    page.get_by_role("button", name="Make token").click()
    shown = page.locator("#new-token-value")
    expect(shown).to_have_text(re.compile(r"^wbt_[A-Za-z0-9]{43}$"))
    value = shown.inner_text()
    expect(page.get_by_role("button", name="Copy")).to_be_focused()
    row = page.locator("table.tokens tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("laptop")
    expect(row).to_contain_text("write")
    expect(row).to_contain_text(f"{value[:8]}…")
    expect(row).to_contain_text("Never")
    expect(page.get_by_label("Name", exact=True)).to_have_value("")  # ready for another

    # a program uses it: no cookie, no CSRF token
    bearer = {"authorization": f"Bearer {value}"}
    who = httpx.get(f"{ide.base}/api/session", headers=bearer, timeout=10)
    assert who.json()["user"]["username"] == username
    [listed] = visitor.api("GET", "/api/tokens")["tokens"]
    assert listed["scope"] == "write"
    assert listed["last_used_at"] is not None

    # shown once: dismissed, it is gone from the page, and no reload brings it back
    page.get_by_role("button", name="I have copied it").click()
    expect(shown).to_be_hidden()
    assert value not in page.content()
    page.reload()
    expect(row).to_have_count(1)
    expect(row).not_to_contain_text("Never")  # its last use, now
    assert value[8:] not in page.content()

    # on a phone, with a token listed and one just made, the page fits and reads well
    phone = visitor.new_page()
    phone.set_viewport_size(PHONE)
    visitor.goto("/settings", phone)
    phone.get_by_label("Name", exact=True).fill("phone")
    phone.get_by_role("button", name="Make token").click()
    expect(phone.locator("#new-token-value")).to_be_visible()
    assert _audit(phone) == []
    assert _audit(page) == []
    phone.get_by_role("button", name="I have copied it").click()

    # revoking asks first, then the token stops working at once
    page.reload()
    expect(row).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke laptop").click()
    expect(row).to_have_count(2)
    assert httpx.get(f"{ide.base}/api/session", headers=bearer, timeout=10).status_code == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke laptop").click()
    expect(row).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text('Token "laptop" revoked')
    refused = httpx.get(f"{ide.base}/api/session", headers=bearer, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke phone").click()
    expect(row).to_have_count(0)
    expect(page.locator(".no-tokens")).to_be_visible()
