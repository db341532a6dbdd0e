"""The admin's page: accounts searched, disabled and enabled, made admins; a set-password
link made and shown once; limits saved and reset; the server's health read from the live
server; and the page fits a laptop and a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser._chromium import PHONE
from tests.browser.conftest import IDE
from tests.browser.test_pages import _audit
from tests.server._client import PASSWORD

pytestmark = pytest.mark.browser

STICKING_OUT = """() => [...document.querySelectorAll("main *")]
  .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map((element) => element.outerHTML.slice(0, 80))"""
"""The page's own elements that stick out of the window on the right."""


def _in_header(problem: str) -> bool:
    return "scrolls sideways" in problem or 'href="/admin" aria-current="page"' in problem


def test_the_admin_searches_disables_and_makes_admins(ide: IDE) -> None:
    hint = ide.username("zed")  # a prefix no other test's users share
    people = {}
    for name in ("alpha", "beta"):
        person = ide.visitor(name)
        people[name] = (person, person.signup(f"{hint}-{name}"))
    beta, beta_name = people["beta"]
    alpha_name = people["alpha"][1]

    admin = ide.visitor("admin")
    admin.api("POST", "/api/auth/login", {"username": "admin", "password": PASSWORD})
    page = admin.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Admin")

    # the server's health, from the running server
    health = page.locator("dl.health")
    expect(health).to_contain_text("Runs running")
    expect(health).to_contain_text("Disk free")
    processes = page.locator("table.processes tbody tr")
    expect(processes.first).to_contain_text("Running")
    assert processes.count() >= 2

    # search
    page.get_by_label("Search by username").fill(hint)
    rows = page.locator("table.users tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".users-count")).to_have_text("2 of 2 accounts")
    page.get_by_label("Search by username").fill(f"{hint}-be")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text(beta_name)
    expect(row).to_contain_text("User")
    page.get_by_label("Search by username").fill(f"{hint}-nobody")
    expect(page.locator(".no-users")).to_be_visible()
    page.get_by_label("Search by username").fill(hint)
    expect(rows).to_have_count(2)

    # disable beta: signed out at once, and the row says so
    assert beta.api("GET", "/api/session")["user"]["username"] == beta_name
    beta_row = page.locator(f"tr[data-username='{beta_name}']")
    beta_row.get_by_role("button", name=f"Disable {beta_name}").click()
    expect(beta_row.locator(".badge")).to_have_text("Disabled")
    expect(beta_row.get_by_role("button", name=f"Enable {beta_name}")).to_be_visible()
    assert beta.api("GET", "/api/session")["user"] is None
    beta.goto("/")
    expect(
        beta.page.get_by_role("link", name="Log in").or_(beta.page.locator("form"))
    ).not_to_have_count(0)

    # make alpha an admin: their next page has the Admin link
    alpha, _ = people["alpha"]
    alpha_row = page.locator(f"tr[data-username='{alpha_name}']")
    alpha_row.get_by_role("button", name=f"Make admin {alpha_name}").click()
    expect(alpha_row.locator("td.role")).to_contain_text("Admin")
    expect(alpha_row.get_by_role("button", name=f"Remove admin {alpha_name}")).to_be_visible()
    alpha.goto("/")
    expect(
        alpha.page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")
    ).to_be_visible()

    # a reload shows the same: stored, not just drawn
    page.reload()
    page.get_by_label("Search by username").fill(hint)
    expect(rows).to_have_count(2)
    expect(page.locator(f"tr[data-username='{beta_name}'] .badge")).to_have_text("Disabled")
    expect(page.locator(f"tr[data-username='{alpha_name}'] td.role")).to_contain_text("Admin")

    # a set-password link, shown once
    page.locator(f"tr[data-username='{beta_name}']").get_by_role(
        "button", name=f"Password link {beta_name}"
    ).click()
    link = page.locator("#password-link-value")
    expect(link).to_have_text(re.compile(r"/set-password#[A-Za-z0-9_-]{20,}$"))
    page.get_by_role("button", name="I have sent it").click()
    expect(link).to_be_hidden()

    # undo, so the shared server stays as it was
    page.locator(f"tr[data-username='{beta_name}']").get_by_role(
        "button", name=f"Enable {beta_name}"
    ).click()
    expect(page.locator(f"tr[data-username='{beta_name}'] .badge")).to_have_count(0)
    page.locator(f"tr[data-username='{alpha_name}']").get_by_role(
        "button", name=f"Remove admin {alpha_name}"
    ).click()
    expect(page.locator(f"tr[data-username='{alpha_name}'] td.role")).to_have_text("User")
    assert admin.api("GET", f"/api/admin/users?q={beta_name}")["users"][0]["disabled"] is False

    # on a laptop and on a phone, the page reads well
    assert _audit(page) == []
    phone = admin.new_page()
    phone.set_viewport_size(PHONE)
    admin.goto("/admin", phone)
    expect(phone.locator("table.processes tbody tr").first).to_be_visible()
    # the header's links are base.html's, audited by test_pages: here, the page's own
    assert [problem for problem in _audit(phone) if not _in_header(problem)] == []
    sticking_out = phone.evaluate(STICKING_OUT)
    assert sticking_out == []


def test_limits_are_saved_and_reset_in_the_page(ide: IDE) -> None:
    admin = ide.visitor("admin")
    admin.api("POST", "/api/auth/login", {"username": "admin", "password": PASSWORD})
    page = admin.goto("/admin")
    field = page.get_by_label("Emails per widget per day")
    setting = field.input_value()
    field.fill("7")
    page.get_by_role("button", name="Save limits").click()
    expect(page.get_by_role("button", name=re.compile(r"Reset to \d+"))).to_be_visible()
    listed = {item["name"]: item for item in admin.api("GET", "/api/admin/limits")["limits"]}
    assert listed["email_per_widget_per_day"]["value"] == 7
    assert ide.live.app.state.site_limits.value("email_per_widget_per_day") == 7

    field.fill("-1")
    admin.watch.expect_error(r"status of 422")  # the refusal, shown in the form
    page.get_by_role("button", name="Save limits").click()
    expect(page.locator("[data-form=limits] .error")).to_contain_text("email_per_widget_per_day")

    page.get_by_role("button", name=f"Reset to {setting}").click()
    expect(page.get_by_label("Emails per widget per day")).to_have_value(setting)
    expect(page.get_by_role("button", name=re.compile(r"Reset to"))).to_have_count(0)
    listed = {item["name"]: item for item in admin.api("GET", "/api/admin/limits")["limits"]}
    assert listed["email_per_widget_per_day"]["overridden"] is False
