"""A tour of every page, screenshotted at laptop (1280x800) and phone (390x844) widths, for
people to look at: `python -m tests.browser.tour [OUTDIR]` (default test-results/tour).

It starts its own server on a temporary data folder (with a local package index), signs up
two users, creates a widget of each kind, runs them, and visits each page in the states
worth seeing. Console errors are reported at the end (the browser tier fails on them; here
they are only listed).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests import anvil_repo
from tests.browser._chromium import LAPTOP, PHONE, chromium
from tests.browser._helpers import (
    REPO,
    PageWatch,
    api_signup,
    call,
    create_widget,
    goto,
    set_editor_text,
)
from tests.package_index import PackageIndex, wheel
from tests.server._live import serve

TIMEOUT = 10_000

FAILING = 'import math\n\nprint("about to fail")\nvalue = math.sqrt(-1)\nprint(value)\n'
SLOW = 'import time\n\nfor step in range(3):\n    print(f"step {step}")\n    time.sleep(0.2)\n'

Step = Callable[[Page], None]


def _run(page: Page) -> None:
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("button", name="Stop")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled(timeout=15_000)


def _settled(context: BrowserContext, base: str, slug: str) -> None:
    """Waits until the widget's packages are no longer pending."""
    for _ in range(300):
        if call(context, base, "GET", f"/api/widgets/{slug}/packages")["status"] != "pending":
            return
        time.sleep(0.1)


def _try(page: Page) -> None:
    page.get_by_label("Query").fill("name=Ada")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator(".response")).to_be_visible()


def _conflict(page: Page) -> None:
    set_editor_text(page, "print('mine')\n")
    page.keyboard.press("ControlOrMeta+s")
    expect(page.locator(".conflict")).to_be_visible()
    page.get_by_role("button", name="Compare").click()


def _delete_dialog(page: Page) -> None:
    page.get_by_role("button", name="Delete widget…").click()


def _import(page: Page) -> None:
    app = anvil_repo.zipped(anvil_repo.troubled())
    page.get_by_label("Zip file").set_input_files(
        files=[{"name": "troubled.zip", "mimeType": "application/zip", "buffer": app}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".import-result h2")).to_be_visible()


def _fork_dialog(page: Page) -> None:
    page.get_by_role("button", name="Fork").click()
    expect(page.get_by_role("dialog").get_by_label("Address of your copy")).to_be_visible()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("outdir", nargs="?", default=str(REPO / "test-results" / "tour"))
    out = Path(parser.parse_args().outdir)
    problems: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="widgetbox-tour-") as data,
        PackageIndex().serving() as index,
        serve(Path(data) / "data", package_index=index.url) as live,
        chromium() as browser,
    ):
        index.add(wheel(Path(data), "chart-kit", "2.1", requires=["tiny-colors", "numpy"]))
        index.add(wheel(Path(data), "tiny-colors", "1.3"))
        base = live.base
        anon = browser.new_context()
        admin = browser.new_context()
        api_signup(admin, base, "ada")
        other = browser.new_context()
        api_signup(other, base, "grace")
        script = create_widget(admin, base, "script", "Daily numbers", {"main.py": SLOW}, "public")
        failing = create_widget(admin, base, "script", "Square roots", {"main.py": FAILING})
        api = create_widget(admin, base, "http", "Greeting API", visibility="unlisted")
        task = create_widget(admin, base, "scheduled", "Morning report")
        call(admin, base, "PUT", f"/api/widgets/{task['slug']}/schedule",
             {"type": "cron", "cron": "0 9 * * 1-5", "timezone": "Europe/Paris"})  # fmt: skip
        call(admin, base, "PUT", f"/api/widgets/{script['slug']}/secrets/API_KEY", {"value": "s3"})
        run = call(admin, base, "POST", f"/api/widgets/{script['slug']}/runs")
        live_client = live.client()  # a plain HTTP client, for the API's request log
        live_client.get(f"/w/{api['slug']}/hello?name=Linus")
        call(admin, base, "POST", f"/api/widgets/{script['slug']}/versions",
             {"base_version": script["head_version"],
              "files": {"main.py": SLOW.replace("range(3)", "range(5)")}})  # fmt: skip
        app = create_widget(admin, base, "gui", "Greeter app")  # the App starter, private
        conflicted = create_widget(admin, base, "script", "Shared notes", {"main.py": "print(1)\n"})
        files = {"main.py": "print('charts')\n", "requirements.txt": "chart-kit\n"}
        charts = create_widget(admin, base, "script", "Charts", files)
        files = {"main.py": "", "requirements.txt": "no-such-thing>=1\n"}
        broken = create_widget(admin, base, "http", "Broken packages", files)
        _settled(admin, base, charts["slug"])
        _settled(admin, base, broken["slug"])
        # a course: ada teaches, grace joins and starts the published assignment
        course = call(admin, base, "POST", "/api/courses", {"title": "Python 101"})
        assignments = f"/api/courses/{course['id']}/assignments"
        task_one = call(admin, base, "POST", assignments,
                        {"title": "Hello, you", "kind": "script",
                         "instructions": "Read a name, then **greet** it."})  # fmt: skip
        call(admin, base, "PATCH", f"{assignments}/{task_one['id']}", {"published": True})
        call(other, base, "POST", "/api/courses/join", {"code": course["join_code"]})
        call(other, base, "POST", f"{assignments}/{task_one['id']}/start")
        course_page = f"/courses/{course['id']}"

        def bump(page: Page) -> None:  # someone else saves while this page is open
            head = call(admin, base, "GET", f"/api/widgets/{conflicted['slug']}")["head_version"]
            call(admin, base, "POST", f"/api/widgets/{conflicted['slug']}/versions",
                 {"base_version": head, "files": {"main.py": f"print({head})\n"}})  # fmt: skip
            _conflict(page)

        shots: list[tuple[str, BrowserContext, str, Step | None]] = [
            ("landing", anon, "/", None),
            ("welcome", admin, "/welcome", None),
            ("dashboard", admin, "/", None),
            ("dashboard-empty", other, "/", None),
            ("new", admin, "/new", None),
            ("import-report", admin, "/import", _import),
            ("explore", admin, "/explore", None),
            ("admin", admin, "/admin", None),
            ("courses", admin, "/courses", None),
            ("course-teacher", admin, course_page, None),
            ("course-grid", admin, f"{course_page}/grid", None),
            ("assignment-student", other, f"{course_page}/assignments/{task_one['id']}", None),
            ("fork-dialog", other, f"/widgets/{script['slug']}", _fork_dialog),
            ("code-script-run", admin, f"/widgets/{script['slug']}", _run),
            ("code-script-error", admin, f"/widgets/{failing['slug']}", _run),
            ("code-conflict", admin, f"/widgets/{conflicted['slug']}", bump),
            ("code-http-try", admin, f"/widgets/{api['slug']}", _try),
            ("code-scheduled", admin, f"/widgets/{task['slug']}", None),
            ("code-packages", admin, f"/widgets/{charts['slug']}", None),
            ("code-packages-failed", admin, f"/widgets/{broken['slug']}", None),
            ("runs", admin, f"/widgets/{script['slug']}/runs", None),
            ("run", admin, f"/widgets/{script['slug']}/runs/{run['id']}", None),
            ("logs", admin, f"/widgets/{api['slug']}/logs", None),
            ("versions", admin, f"/widgets/{script['slug']}/versions", None),
            ("schedule", admin, f"/widgets/{task['slug']}/schedule", None),
            ("settings", admin, f"/widgets/{script['slug']}/settings", None),
            ("settings-delete", admin, f"/widgets/{failing['slug']}/settings", _delete_dialog),
            ("designer", admin, f"/widgets/{app['slug']}", None),
            ("app-private", other, f"/widgets/{app['slug']}/app", None),
            ("read-only", other, f"/widgets/{script['slug']}", None),
            ("read-only-anonymous", anon, f"/widgets/{script['slug']}", None),
            ("not-found", admin, "/widgets/no-such-widget", None),
        ]
        for size_name, size in (("laptop", LAPTOP), ("phone", PHONE)):
            folder = out / size_name
            folder.mkdir(parents=True, exist_ok=True)
            for name, context, path, step in shots:
                page = context.new_page()
                page.set_default_timeout(TIMEOUT)
                page.set_viewport_size(size)  # type: ignore[arg-type]
                watch = PageWatch(page)
                try:
                    if name == "not-found":
                        page.goto(base + path)
                    else:
                        goto(page, base + path)
                    if step is not None:
                        step(page)
                except Exception as e:  # keep going: the screenshot shows what happened
                    problems.append(f"{size_name}/{name}: {type(e).__name__}: {str(e)[:300]}")
                    problems += [f"{size_name}/{name}:   {m}" for m in watch.messages]
                page.wait_for_timeout(150)  # toasts and transitions settle
                page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
                problems += [f"{size_name}/{name}: {error}" for error in watch.unexpected()]
                page.close()
    print(f"screenshots in {out}")
    for problem in problems:
        print(f"console: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
