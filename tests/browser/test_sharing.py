"""Sharing: a public widget is listed on Explore; another user reads it but cannot edit or
run it (neither in the page nor through the API), forks it, and runs the fork, which links
back to the original."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser._helpers import PASSWORD, editor_text
from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

ORIGINAL = 'print("hello from the original")\n'
RUN_FROM_PAGE = """async (slug) => {
    const token = document.cookie.match(/wb_csrf=([^;]+)/)[1];
    const response = await fetch(`/api/widgets/${slug}/runs`, {
        method: "POST", headers: {"x-csrf-token": token, "content-type": "application/json"},
        body: "{}"});
    return [response.status, (await response.json()).error.code];
}"""


def test_another_user_reads_a_public_widget_forks_it_and_runs_the_fork(ide: IDE) -> None:
    owner = ide.visitor("owner")
    owner_name = owner.signup()
    widget = owner.api(
        "POST", "/api/widgets", {"kind": "script", "title": "Greeting card", "visibility": "public"}
    )
    slug = widget["slug"]
    owner.api(
        "POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": {"main.py": ORIGINAL}}
    )

    reader = ide.visitor("reader")
    reader.signup()
    page = reader.goto("/explore")
    card = page.locator(".widget-card", has_text="Greeting card")
    expect(card).to_contain_text(f"by {owner_name}")
    card.get_by_role("link", name="Greeting card").click()
    expect(page).to_have_url(re.compile(rf"/widgets/{slug}$"))

    # read-only: no run button, no save, no tabs; typing changes nothing
    expect(page.locator(".banner.info")).to_contain_text(f"You are reading {owner_name}'s widget")
    expect(page.get_by_role("button", name="Run")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.locator("nav.tabs")).to_have_count(0)
    content = page.locator(".cm-content")
    expect(content).to_have_attribute("contenteditable", "false")
    content.click()
    page.keyboard.type("oops")
    assert editor_text(page) == ORIGINAL

    # the server refuses too
    reader.watch.expect_error(r"status of 403")
    assert page.evaluate(RUN_FROM_PAGE, slug) == [403, "not_owner"]
    for path in (f"/widgets/{slug}/settings", f"/widgets/{slug}/runs"):
        response = page.goto(reader.ide.base + path)
        assert response is not None
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("Not yours")

    # the header shows the address as it is (global), the owner beside it
    page.goto(reader.ide.base + f"/widgets/{slug}")
    expect(page.locator(".widget-title .meta > .address")).to_have_text(slug)
    expect(page.locator(".widget-title .owner")).to_have_text(f"by {owner_name}")

    # fork it, at an address of the reader's choosing (a free one suggested; a taken one
    # refused in the dialog): the copy is the reader's, private, linked to the original
    page.get_by_role("button", name="Fork").click()
    dialog = page.get_by_role("dialog")
    address = dialog.get_by_label("Address of your copy")
    expect(address).to_have_value(re.compile(rf"^{slug}-"))
    address.fill(slug)
    reader.watch.expect_error(r"status of 409")
    dialog.get_by_role("button", name="Fork").click()
    expect(dialog.get_by_role("alert")).to_contain_text("is taken")
    address.fill(f"{slug}-copy")
    expect(dialog).to_contain_text(f"/widgets/{slug}-copy")
    dialog.get_by_role("button", name="Fork").click()
    expect(page).to_have_url(re.compile(rf"/widgets/{slug}-copy$"))
    expect(page.get_by_role("status")).to_contain_text("is your own copy")
    expect(page.locator(".widget-title .meta > .address")).to_have_text(f"{slug}-copy")
    forked_from = page.locator(".forked a")
    expect(forked_from).to_have_text(slug)
    expect(page.locator(".forked")).to_have_text(f"Forked from {slug} by {owner_name}")
    expect(forked_from).to_have_attribute("href", f"/widgets/{slug}")
    expect(page.locator(".widget-title .visibility")).to_have_text("Private")
    expect(page.locator(".cm-content")).to_have_attribute("contenteditable", "true")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".run-info .badge")).to_have_text("OK")
    expect(page.locator(".console .output")).to_contain_text("hello from the original")

    # the original is untouched and has no runs of the reader's
    assert owner.api("GET", f"/api/widgets/{slug}/runs")["runs"] == []


def test_visitors_who_are_not_signed_in_can_read_public_widgets_and_are_asked_to_log_in(
    ide: IDE,
) -> None:
    owner = ide.visitor("publisher")
    owner.signup()
    widget = owner.api(
        "POST", "/api/widgets", {"kind": "http", "title": "Open data", "visibility": "public"}
    )
    anonymous = ide.visitor("anonymous")
    page = anonymous.goto(f"/widgets/{widget['slug']}")
    expect(page.locator(".cm-content")).to_have_attribute("contenteditable", "false")
    expect(page.locator(".routes button")).to_have_text(
        ["GET, POST /hello", "GET, POST /add/:a/:b"]
    )
    page.get_by_role("link", name="Log in to fork").click()
    expect(page).to_have_url(re.compile(r"/\?next=/widgets/"))

    # a private page sends them to log in, and back afterwards
    anonymous.goto("/new")
    expect(page).to_have_url(re.compile(r"/\?next=/new$"))
    name = ide.username("returning")
    other = ide.visitor("other")
    other.signup(name)
    form = page.locator("form[data-form=login]")
    form.get_by_label("Username").fill(name)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/new$"))
    expect(page.get_by_role("heading", name="New widget")).to_be_visible()
