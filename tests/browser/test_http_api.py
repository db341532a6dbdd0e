"""HTTP API widgets: created from the example, their routes listed, called from the "try it"
panel (method, path, query, JSON body; status, headers and body shown) and with a plain HTTP
client at the public URL, and every request found in the widget's request log."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser._helpers import set_editor_text, tab
from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

ECHO = """\
import anvil.server


@anvil.server.route("/hello")
def hello(name="world", **params):
    return {"message": f"Hello, {name}!"}


@anvil.server.route("/echo", methods=["POST"])
def echo(**params):
    return {"got": anvil.server.request.body_json, "params": params}
"""


def test_an_http_api_is_tried_in_the_panel_and_called_with_a_plain_client(ide: IDE) -> None:
    visitor = ide.visitor("apiwriter", permissions=["clipboard-read", "clipboard-write"])
    visitor.signup()
    page = visitor.goto("/new?kind=http")
    page.get_by_label("Title").fill("Greeter")
    page.get_by_role("button", name="Create widget").click()
    expect(page).to_have_url(re.compile(r"/widgets/greeter"))
    slug = page.url.rsplit("/", 1)[-1]

    # the public URL, with a working copy button
    url = page.locator("#public-url")
    expect(url).to_have_text(re.compile(rf"^http://[^/]+/w/{slug}$"))
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_contain_text("Copied to the clipboard")
    assert page.evaluate("navigator.clipboard.readText()") == url.inner_text()

    # the example's routes, found in its code; choosing one fills the form
    routes = page.locator(".routes button")
    expect(routes).to_have_text(["GET, POST /hello", "GET, POST /add/:a/:b"])
    routes.nth(1).click()
    path = page.get_by_label("Path")
    expect(path).to_have_value("/add/:a/:b")
    expect(path).to_be_focused()
    path.fill("/add/2/40")
    page.get_by_role("button", name="Send request").click()
    response = page.locator(".tryit .response")
    expect(response.locator("[data-field=status]")).to_have_text("200 OK")
    expect(response.locator("[data-field=status]")).to_have_class("badge ok")  # its tone
    expect(response.locator(".body")).to_have_text('{\n  "sum": 42\n}')
    response.get_by_text("Headers").click()
    expect(response.locator(".headers")).to_contain_text("application/json")

    # a route that reads a JSON body; "try it" saves the change first
    set_editor_text(page, ECHO)
    expect(routes).to_have_text(["GET, POST /hello", "GET, POST /add/:a/:b"])  # not yet saved
    page.get_by_label("Method").select_option("POST")
    path.fill("/echo")
    page.get_by_label("Query").fill("mode=test")
    page.get_by_label("JSON body").fill('{"numbers": [1, 2]}')
    page.get_by_role("button", name="Send request").click()
    expect(response.locator("[data-field=status]")).to_have_text("200 OK")
    expect(response.locator(".body")).to_contain_text('"numbers": [\n      1,\n      2\n    ]')
    expect(response.locator(".body")).to_contain_text('"mode": "test"')
    expect(page.locator(".save-state")).to_have_text("Saved · version 2")
    expect(routes).to_have_text(["GET, POST /hello", "POST /echo"])

    # a body that is not JSON is caught before sending
    page.get_by_label("JSON body").fill("{nope")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("[data-form=try] .error")).to_contain_text("not valid JSON")

    # a plain HTTP client: private answers 404; made public in settings, it answers
    public_url = url.inner_text().replace(ide.live.config.origin, ide.base)
    assert httpx.get(f"{public_url}/hello", params={"name": "Ada"}).status_code == 404
    tab(page, "Settings").click()
    page.get_by_role("radio", name=re.compile(r"^Public")).check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")
    answer = httpx.get(f"{public_url}/hello", params={"name": "Ada"})
    assert answer.status_code == 200
    assert answer.json() == {"message": "Hello, Ada!"}

    # every request is in the widget's log, with its answer
    tab(page, "Requests").click()
    rows = page.locator("table.runs tbody tr")
    expect(rows.first).to_contain_text("GET /hello", timeout=15_000)
    expect(rows.first).to_contain_text("200")
    expect(page.locator("table.runs")).to_contain_text("POST /echo")
    expect(page.locator("table.runs")).to_contain_text("GET /add/2/40")
    rows.first.get_by_role("link").click()
    expect(page.locator(".run-detail")).to_contain_text("HTTP request")
    expect(page.locator(".run-detail")).to_contain_text("GET /hello → 200")
