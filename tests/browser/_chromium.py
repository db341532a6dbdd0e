"""Debian's Chromium driven by Playwright: one way to start it, shared by the browser tier,
the screenshot tour and the browser benchmark.

Playwright never downloads a browser here: it starts /usr/bin/chromium, headless, and gives
every launch a fresh, temporary user-data folder (`--user-data-dir=/tmp/playwright_...`,
removed when the browser closes). Each visitor is a `new_context()`: its own cookies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MISSING = f"{CHROMIUM} is missing: run `just chromium` (apt-get install chromium)"


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed (and its profile removed) at the end of the block."""
    if not CHROMIUM.exists():
        raise FileNotFoundError(MISSING)
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
