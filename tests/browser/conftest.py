"""The browser tier's fixtures: one real server (uvicorn in a thread, the real sandbox) and
one headless Chromium for the whole tier; a fresh browser context per visitor. The
server's package index is a local one (tests/package_index.py) that the tests fill; its
downloads are slowed down a little, so an install's progress can be watched.

Every page a test opens is watched: any console error the test did not declare fails it.
When a test fails, a screenshot of each of its open pages and their console logs are saved
under test-results/browser/<test>/ and the folder is named in the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser._chromium import LAPTOP, chromium
from tests.browser._helpers import REPO, PageWatch, api_signup, call, goto
from tests.package_index import PackageIndex
from tests.server._live import Live, serve

ARTIFACTS = Path(os.environ.get("WIDGETBOX_BROWSER_ARTIFACTS") or REPO / "test-results" / "browser")
"""Where failures leave their screenshots and console logs (git-ignored)."""
TIMEOUT_MS = 10_000
"""How long any one expectation or action may wait."""
INDEX_DELAY = 0.02
"""Seconds the tier's package index waits before each 16 KiB of a file it sends."""
REPORT = pytest.StashKey[pytest.TestReport]()
_NUMBERS = itertools.count(1)

expect.set_options(timeout=TIMEOUT_MS)


class TestClock:
    """The scheduler's clock in this tier: real time plus a shift the test sets, so a test
    can make a schedule due without waiting for it. Its sleeps are short, so a new shift is
    seen within a tenth of a second."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    async def sleep(self, seconds: float, wake: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), min(max(0.0, seconds), 0.1))


class Visitor:
    """One person in their own browser context (cookies), with the pages they opened."""

    def __init__(self, ide: IDE, name: str, **options: Any) -> None:
        self.ide = ide
        self.name = name
        self.context: BrowserContext = ide.browser.new_context(
            base_url=ide.base, viewport=options.pop("viewport", LAPTOP), **options
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.pages: list[tuple[Page, PageWatch]] = []
        self._page: Page | None = None

    @property
    def page(self) -> Page:
        """The visitor's first page (opened on first use)."""
        if self._page is None:
            self._page = self.new_page()
        return self._page

    @property
    def watch(self) -> PageWatch:
        return next(watch for page, watch in self.pages if page is self.page)

    def new_page(self) -> Page:
        page = self.context.new_page()
        self.pages.append((page, PageWatch(page)))
        return page

    def goto(self, path: str, page: Page | None = None) -> Page:
        page = page or self.page
        goto(page, self.ide.base + path)
        return page

    def signup(self, username: str | None = None) -> str:
        """Sign up through the JSON API (the sign-up form has its own test)."""
        username = username or self.ide.username(self.name)
        api_signup(self.context, self.ide.base, username)
        return username

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return call(self.context, self.ide.base, method, path, body)


class Server:
    """The tier's server, the clock of its scheduler and its package index."""

    def __init__(self, live: Live, clock: TestClock, index: PackageIndex, wheels: Path) -> None:
        self.live = live
        self.clock = clock
        self.index = index
        self.wheels = wheels
        """A folder for the wheels tests publish on the index."""


class IDE:
    """The server and the browser, and the visitors of the current test."""

    def __init__(self, server: Server, browser: Browser) -> None:
        self.live = server.live
        self.base = server.live.base
        self.browser = browser
        self.clock = server.clock
        self.index = server.index
        self.wheels = server.wheels
        self.visitors: list[Visitor] = []

    def visitor(self, name: str = "visitor", **options: Any) -> Visitor:
        found = Visitor(self, name, **options)
        self.visitors.append(found)
        return found

    def username(self, hint: str) -> str:
        """A username no other test uses (the server lives for the whole session)."""
        return f"{re.sub(r'[^a-z0-9]', '', hint.lower())[:16] or 'user'}-{next(_NUMBERS)}"

    def close(self) -> None:
        for visitor in self.visitors:
            visitor.context.close()
        self.visitors.clear()


# Package scope, not session: Playwright's sync API keeps an event loop running on the main
# thread until it stops, and tests after this tier call asyncio.run().
@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a loopback port; the admin account exists, so every test's users are
    ordinary users."""
    clock = TestClock()
    folder = tmp_path_factory.mktemp("browser")
    wheels = folder / "wheels"
    wheels.mkdir()
    index = PackageIndex(delay=INDEX_DELAY)
    with index.serving(), serve(folder / "data", package_index=index.url) as live:
        live.app.state.scheduler.clock = clock
        admin = live.client()
        admin.signup("admin")
        yield Server(live, clock, index, wheels)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with chromium() as started:
        yield started


@pytest.fixture
def ide(server: Server, browser: Browser, request: pytest.FixtureRequest) -> Iterator[IDE]:
    found = IDE(server, browser)
    try:
        yield found
        report = request.node.stash.get(REPORT, None)
        failed = report is not None and report.failed
        problems = [
            f"{visitor.name} on {page.url}: {error}"
            for visitor in found.visitors
            for page, watch in visitor.pages
            for error in watch.unexpected()
        ]
        if problems and not failed:
            folder = save_artifacts(request.node, found)
            pytest.fail(
                "console errors:\n  " + "\n  ".join(problems) + f"\nscreenshots and logs: {folder}"
            )
    finally:
        server.clock.shift = timedelta(0)
        found.close()


def save_artifacts(item: pytest.Item, ide: IDE) -> Path:
    """A screenshot of every open page of the test and every page's console log."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for visitor in ide.visitors:
        for number, (page, watch) in enumerate(visitor.pages, 1):
            stem = f"{visitor.name}-{number}"
            log = [f"page: {page.url}", *watch.messages]
            if not page.is_closed():
                try:
                    page.screenshot(path=str(folder / f"{stem}.png"), full_page=True, timeout=5000)
                except Exception as e:  # a crashed page still gets its log saved
                    log.append(f"(no screenshot: {e})")
            (folder / f"{stem}-console.log").write_text("\n".join(log) + "\n")
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[REPORT] = report
        ide = item.funcargs.get("ide") if isinstance(item, pytest.Function) else None
        if report.failed and isinstance(ide, IDE):
            folder = save_artifacts(item, ide)
            report.sections.append(("browser", f"screenshots and console logs: {folder}"))
    return report
