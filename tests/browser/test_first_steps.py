"""What a newcomer meets (issue 17), at laptop and phone widths: an App from New widget that
works; a private app opened at its own address by its owner (handed over from Widgetbox)
and by anyone else (a page saying it is private); the routes list with every method,
following saves; fuel explained and shown as CPU time, runs numbered per widget; a task's
next run on the dashboard; the first-run page found again and matching the examples; counts
in words; an empty colour shown empty; toasts that cover no control; the designer stacked
on a phone, its canvas never a sliver. (One "New widget" button per page and nothing
overlapping are checked on every page by the audit, test_pages.py.)"""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser._chromium import LAPTOP, PHONE
from tests.browser._helpers import PASSWORD, api_signup, call, goto, set_editor_text, wait_ready
from tests.browser.conftest import IDE, Visitor
from tests.browser.test_gui_apps import APP_READY, START_TIMEOUT_MS, app_url
from tests.package_index import wheel
from widgetbox.host.widgets.starters import EXAMPLES

pytestmark = pytest.mark.browser

SIZES = pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])

COVERED = """() => {
    // the controls a toast covers (what lib/dom.js keeps it off: big areas that take focus,
    // such as the editor or an output log, aside)
    const toasts = document.querySelector(".toasts").getBoundingClientRect();
    const big = innerWidth * innerHeight * 0.2;
    const controls = "a[href], button, input, select, textarea, summary, "
        + "[tabindex]:not([tabindex='-1'])";
    return [...document.querySelectorAll(controls)].filter((el) => {
        if (el.closest(".toasts")) return false;
        const box = el.getBoundingClientRect();
        if (!box.width || !box.height || box.width * box.height > big) return false;
        return Math.min(box.right, toasts.right) - Math.max(box.left, toasts.left) > 0
            && Math.min(box.bottom, toasts.bottom) - Math.max(box.top, toasts.top) > 0;
    }).map((el) => el.outerHTML.slice(0, 100));
}"""

PIXEL = """async ([png, x, y]) => {
    const image = new Image();
    image.src = "data:image/png;base64," + png;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const [left, top] = [Math.round(x * image.width), Math.round(y * image.height)];
    return [...context.getImageData(left, top, 1, 1).data];
}"""


def signed_up(ide: IDE, name: str, size: dict[str, int]) -> Visitor:
    visitor = ide.visitor(name, viewport=size)
    visitor.signup()
    return visitor


def on_public_origin(ide: IDE, name: str, size: dict[str, int]) -> tuple[Visitor, str]:
    """A visitor signed up on Widgetbox's public origin (`public_url`: localhost here),
    where an app's handover sends its visitors, rather than on the tier's 127.0.0.1."""
    visitor = ide.visitor(name, viewport=size)
    username = ide.username(name)
    api_signup(visitor.context, ide.live.config.origin, username)
    return visitor, username


def expect_toast_clear_of_controls(page: Page, text: str) -> None:
    toast = page.locator(".toasts .toast", has_text=text)
    expect(toast).to_be_visible()
    page.wait_for_timeout(400)  # placed again once the page has laid itself out
    assert page.evaluate(COVERED) == []


def pixel(page: Page, element: Locator, x: float, y: float) -> list[int]:
    """The colour drawn at (x, y), as fractions of the element's box (an about:blank page
    decodes the screenshot)."""
    png = base64.b64encode(element.screenshot()).decode()
    blank = page.context.new_page()
    try:
        found: list[int] = blank.evaluate(PIXEL, [png, x, y])
    finally:
        blank.close()
    return found


# -- apps ---------------------------------------------------------------------------------


@SIZES
def test_new_widget_makes_an_app_whose_owner_opens_it_at_its_address(
    ide: IDE, size: dict[str, int]
) -> None:
    owner, username = on_public_origin(ide, "maker", size)
    origin = ide.live.config.origin
    page = owner.page
    goto(page, f"{origin}/welcome")
    page.get_by_role("link", name=re.compile(r"^App")).click()
    expect(page.get_by_role("radio", name=re.compile(r"^App"))).to_be_checked()
    page.get_by_label("Title").fill("My first app")
    page.get_by_role("button", name="Create widget").click()
    expect(page).to_have_url(re.compile(r"/widgets/my-first-app(-\d+)?$"))
    wait_ready(page)
    expect_toast_clear_of_controls(page, 'Created "My first app" from the app starter')
    expect(page.locator(".wb-d-form")).to_contain_text("Greet")  # the starter's design
    slug = page.url.rsplit("/", 1)[-1]

    # a new widget is private: its address hands its owner over and the app runs
    app = owner.new_page()
    app.goto(app_url(ide, slug))
    expect(app).to_have_url(app_url(ide, slug))  # the one-time token is gone from it
    if size == LAPTOP:  # (Pyodide's start is the same at any width)
        app.wait_for_selector(APP_READY, state="attached", timeout=START_TIMEOUT_MS)
        app.get_by_placeholder("Your name").fill("Ada")
        app.get_by_role("button", name="Greet", exact=True).click()
        expect(app.get_by_text("Hello, Ada!")).to_be_visible()

    # anyone else is told it is private, not that there is none
    stranger, stranger_name = on_public_origin(ide, "stranger", size)
    seen = stranger.page
    stranger.watch.expect_error("status of 403")
    seen.goto(app_url(ide, slug))
    expect(seen.get_by_role("heading", level=1)).to_have_text("This app is private")
    expect(seen.locator("main")).to_contain_text(f"You are signed in as {stranger_name}")
    expect(seen.locator("main")).not_to_contain_text("My first app")
    anonymous = ide.visitor("anonymous", viewport=size)
    seen = anonymous.page
    anonymous.watch.expect_error("status of 403")
    seen.goto(app_url(ide, slug))
    expect(seen.get_by_role("heading", level=1)).to_have_text("This app is private")
    # ...and its owner, in a browser not yet signed in, logs in and lands in the app
    seen.locator("main").get_by_role("link", name="Log in").click()
    form = seen.locator("form[data-form=login]")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Log in").click()
    expect(seen).to_have_url(app_url(ide, slug))


@SIZES
def test_a_forked_app_opens_for_its_new_owner_at_its_address(
    ide: IDE, size: dict[str, int]
) -> None:
    author = signed_up(ide, "author", size)
    original = author.api(
        "POST", "/api/widgets", {"kind": "gui", "title": "Shared greeter", "visibility": "public"}
    )
    forker, _ = on_public_origin(ide, "forker", size)
    fork = call(forker.context, ide.live.config.origin, "POST",
                f"/api/widgets/{original['slug']}/fork", {})  # fmt: skip
    assert fork["visibility"] == "private"
    app = forker.page
    app.goto(app_url(ide, fork["slug"]))
    expect(app).to_have_url(app_url(ide, fork["slug"]))  # the app's page, not "is private"
    expect(app.locator("#wb-boot")).to_be_attached()


# -- HTTP APIs ----------------------------------------------------------------------------


ROUTES = """\
import anvil.server


@anvil.server.route("/hello")
def hello(**params):
    return "hello"


@anvil.server.route("/info", methods=["PUT", "DELETE"])
def info(**params):
    return {}
"""


@SIZES
def test_the_routes_list_shows_every_method_and_follows_saves(
    ide: IDE, size: dict[str, int]
) -> None:
    owner = signed_up(ide, "router", size)
    widget = owner.api("POST", "/api/widgets", {"kind": "http", "title": "Routes"})
    page = owner.goto(f"/widgets/{widget['slug']}")
    routes = page.locator(".tryit .routes li")
    expect(routes).to_have_text(["GET, POST /hello", "GET, POST /add/:a/:b"])
    set_editor_text(page, ROUTES)
    expect(routes).to_have_text(["GET, POST /hello", "GET, POST /add/:a/:b"])  # not saved yet
    page.keyboard.press("ControlOrMeta+s")
    expect(page.locator(".save-state")).to_have_text("Saved · version 2")
    expect(routes).to_have_text(["GET, POST /hello", "PUT, DELETE /info"])
    routes.filter(has_text="/info").get_by_role("button").click()
    expect(page.get_by_label("Method")).to_have_value("PUT")
    expect(page.get_by_label("Path")).to_have_value("/info")


# -- runs ---------------------------------------------------------------------------------


def finished_run(visitor: Visitor, slug: str) -> dict[str, Any]:
    run: dict[str, Any] = visitor.api("POST", f"/api/widgets/{slug}/runs")
    deadline = time.monotonic() + 30
    while run["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.05)
        run = visitor.api("GET", f"/api/runs/{run['id']}")
    return run


@SIZES
def test_fuel_is_explained_as_cpu_time_and_runs_count_per_widget(
    ide: IDE, size: dict[str, int]
) -> None:
    owner = signed_up(ide, "counter", size)
    slugs = [
        owner.api("POST", "/api/widgets", {"kind": "script", "title": title})["slug"]
        for title in ("Counted one", "Counted two")
    ]
    code = {"main.py": "print(sum(i * i for i in range(300_000)))\n"}
    owner.api("POST", f"/api/widgets/{slugs[0]}/versions", {"base_version": 1, "files": code})
    for slug in (slugs[0], slugs[1], slugs[0]):
        last = finished_run(owner, slug)
    page = owner.goto(f"/widgets/{slugs[0]}/runs")
    rows = page.locator("table.runs tbody tr")
    expect(rows.get_by_role("link")).to_have_text(["#2", "#1"])  # this widget's own numbers
    header = page.get_by_role("columnheader", name="Fuel")
    if size == LAPTOP:
        expect(header).to_have_attribute("title", re.compile(r"^Fuel is the work a run's code"))
    cell = rows.first.locator("td[data-label=Fuel] span")
    expect(cell).to_have_text(re.compile(r"^(≈ \d+ ms|< 1 ms) CPU$"))
    expect(cell).to_have_attribute("title", re.compile(r"^[\d.,]+( [MG])? fuel$"))
    expect(page.locator(".table-note")).to_contain_text("shown as the CPU time")

    page = owner.goto(f"/widgets/{slugs[0]}/runs/{last['id']}")
    expect(page.get_by_role("heading", name=re.compile(r"^Run #2"))).to_be_visible()
    label = page.locator(".facts dt", has_text="Fuel")
    expect(label).to_have_attribute("title", re.compile(r"^Fuel is the work"))
    expect(page.locator(".facts dd[data-field=fuel]")).to_have_text(
        re.compile(r"^(≈ \d+ ms|< 1 ms) CPU$")
    )
    page = owner.goto(f"/widgets/{slugs[1]}/runs")
    expect(page.locator("table.runs tbody tr").get_by_role("link")).to_have_text(["#1"])


# -- the dashboard and the first-run page -------------------------------------------------


@SIZES
def test_the_dashboard_shows_next_runs_and_leads_back_to_getting_started(
    ide: IDE, size: dict[str, int]
) -> None:
    owner = signed_up(ide, "planner", size)
    task = owner.api("POST", "/api/widgets", {"kind": "scheduled", "title": "Hourly job"})
    owner.api("POST", "/api/widgets", {"kind": "scheduled", "title": "Unscheduled job"})
    rule = {"type": "interval", "every": 1, "unit": "hours"}
    owner.api("PUT", f"/api/widgets/{task['slug']}/schedule", rule)
    page = owner.goto("/")
    row = page.locator("table.widgets tbody tr", has_text="Hourly job")
    # an hourly rule fires at the top of each hour: seconds away in the hour's last minute
    expect(row.locator(".next-run")).to_have_text(
        re.compile(r"^Next run in (an hour|1 hour|\d+ minutes?|\d+ seconds|a few seconds)$")
    )
    idle = page.locator("table.widgets tbody tr", has_text="Unscheduled job")
    expect(idle.locator(".next-run")).to_have_text("No schedule yet")
    owner.api("POST", f"/api/widgets/{task['slug']}/schedule/pause")
    page.reload()
    wait_ready(page)
    expect(row.locator(".next-run")).to_have_text("Paused")

    page.get_by_role("link", name="Getting started").click()
    expect(page).to_have_url(re.compile(r"/welcome$"))
    cards = page.locator(".kind-cards .kind-card strong")
    expect(cards).to_have_text(["Script", "Scheduled task", "HTTP API", "App"])
    expect(page.locator(".examples")).to_have_count(0)  # only the first account has examples


@SIZES
def test_the_first_run_page_lists_the_examples_the_admin_has(
    ide: IDE, size: dict[str, int]
) -> None:
    admin = ide.visitor("admin", viewport=size)
    admin.api("POST", "/api/auth/login", {"username": "admin", "password": PASSWORD})
    page = admin.goto("/welcome")
    examples = page.locator(".examples li a")
    expect(examples).to_have_text([example.title for example in EXAMPLES])
    expect(page.locator(".examples")).to_contain_text(f"{len(EXAMPLES)} examples to try")
    examples.filter(has_text="Hello, app").click()
    wait_ready(page)
    expect(page.locator(".wb-d-form")).to_be_visible()


# -- counts -------------------------------------------------------------------------------


@SIZES
def test_counts_read_as_words(ide: IDE, size: dict[str, int]) -> None:
    owner = signed_up(ide, "counts", size)
    task = owner.api("POST", "/api/widgets", {"kind": "scheduled", "title": "Counted task"})
    page = owner.goto(f"/widgets/{task['slug']}/schedule")
    every = page.get_by_label("Every")
    unit = page.get_by_label("Unit")
    every.fill("1")
    expect(unit.locator("option")).to_have_text(["minute", "hour", "day", "week"])
    expect(page.locator(".preview .description")).to_have_text("Runs every minute.")
    every.fill("5")
    expect(unit.locator("option")).to_have_text(["minutes", "hours", "days", "weeks"])

    name = f"one-lib-{size['width']}"
    ide.index.add(wheel(ide.wheels, name, "1.0"))
    script = owner.api("POST", "/api/widgets", {"kind": "script", "title": "One package"})
    files = {"main.py": "print(1)\n", "requirements.txt": f"{name}\n"}
    owner.api(
        "POST", f"/api/widgets/{script['slug']}/versions", {"base_version": 1, "files": files}
    )
    page = owner.goto(f"/widgets/{script['slug']}")
    expect(page.locator(".packages [data-field=state]")).to_have_text(
        "1 package installed, ready for runs.", timeout=30_000
    )


# -- the designer -------------------------------------------------------------------------


@SIZES
def test_an_empty_colour_shows_as_empty_not_black(ide: IDE, size: dict[str, int]) -> None:
    owner = signed_up(ide, "colours", size)
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": "Colours"})
    page = owner.goto(f"/widgets/{widget['slug']}")
    row = page.locator(".wb-inspector .wb-i-row", has=page.get_by_label("background", exact=True))
    swatch = row.locator("input[type=color]")
    expect(page.get_by_label("background", exact=True)).to_have_value("")
    expect(swatch).to_have_attribute("data-empty", "none")
    swatch.scroll_into_view_if_needed()
    assert min(pixel(page, swatch, 0.66, 0.33)[:3]) > 200  # white (off its stroke), not black
    page.get_by_label("background", exact=True).fill("#336699")
    page.get_by_label("background", exact=True).press("Enter")
    swatch = page.locator(
        ".wb-inspector .wb-i-row", has=page.get_by_label("background", exact=True)
    )
    expect(swatch.locator("input[type=color]")).to_have_value("#336699")
    expect(swatch.locator("input[type=color]")).not_to_have_attribute("data-empty", re.compile("."))


@pytest.mark.parametrize(
    "size", [LAPTOP, {"width": 760, "height": 900}, PHONE], ids=["laptop", "narrow", "phone"]
)
def test_the_designer_never_squeezes_its_canvas(ide: IDE, size: dict[str, int]) -> None:
    owner = signed_up(ide, "squeeze", size)
    widget = owner.api("POST", "/api/widgets", {"kind": "gui", "title": "Roomy"})
    page = owner.goto(f"/widgets/{widget['slug']}")
    boxes = {
        part: page.locator(selector).bounding_box()
        for part, selector in (
            ("palette", ".wb-palette"),
            ("canvas", ".wb-canvas"),
            ("inspector", ".wb-inspector"),
        )
    }
    assert all(boxes.values()), boxes
    canvas = boxes["canvas"]
    assert canvas is not None
    assert canvas["width"] >= min(500, 0.9 * size["width"]), boxes
    if size["width"] <= 900:  # stacked: palette, then the canvas, then the properties
        palette, inspector = boxes["palette"], boxes["inspector"]
        assert palette is not None
        assert inspector is not None
        assert palette["y"] + palette["height"] <= canvas["y"] + 1
        assert canvas["y"] + canvas["height"] <= inspector["y"] + 1
    # clicking a palette item adds it, at any width
    page.locator(".wb-palette-item[data-type=Button]").click()
    expect(page.locator(".wb-d-slot")).to_have_count(4)


# -- toasts -------------------------------------------------------------------------------


@SIZES
def test_toasts_never_cover_controls(ide: IDE, size: dict[str, int]) -> None:
    owner = signed_up(ide, "toasted", size)
    page = owner.goto("/new")
    page.get_by_label("Title").fill("Toasted script")
    page.get_by_role("button", name="Create widget").click()
    expect(page).to_have_url(re.compile(r"/widgets/toasted-script(-\d+)?$"))
    wait_ready(page)
    expect_toast_clear_of_controls(page, "Created")
    task = owner.api("POST", "/api/widgets", {"kind": "scheduled", "title": "Toasted task"})
    page = owner.goto(f"/widgets/{task['slug']}/schedule")
    page.get_by_role("button", name="Save schedule").click()
    expect_toast_clear_of_controls(page, "Schedule saved")
