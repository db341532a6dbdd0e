"""The IDE in headless Chromium against the production server on localhost: time to
interactive of the dashboard and the editor (Navigation Timing, cold and warm cache), the
bytes of JS and CSS each page loads (Resource Timing), the time from clicking Run to the
first output line on screen, and the live console under a flood of output (`_console.py`).

Time to interactive is the later of DOMContentLoaded's end and the page's `wb:ready` mark,
which each page's script sets when everything is set up (the editor: CodeMirror with the
files); both count from the start of the navigation. Baselines, measured in the same run:
navigating to one small static file of the same server (Chromium's and the network's own
floor), and the Run → first output path through the JSON API alone, without a browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Page

from tests.browser._chromium import LAPTOP, chromium
from tests.browser._helpers import api_signup, call, create_widget, goto

from . import _console
from ._http import Session, widgetbox_server
from ._report import Figure, median, percentile
from .execution import _first_output_ms

PRINT_ONCE = 'print("first line")\n'
TTI_MS = 1000.0
FIRST_OUTPUT_MS = 150.0

TIMING = """() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const ready = performance.getEntriesByName("wb:ready")[0];
    const dcl = nav.domContentLoadedEventEnd;
    return { tti: Math.max(dcl, ready ? ready.startTime : 0), ready: !!ready,
             response: nav.responseEnd, html: nav.transferSize };
}"""

BYTES = """() => {
    const sum = { js: [0, 0, 0], css: [0, 0, 0] };
    for (const entry of performance.getEntriesByType("resource")) {
        const path = new URL(entry.name).pathname;
        const kind = path.endsWith(".js") ? "js" : path.endsWith(".css") ? "css" : null;
        if (!kind) continue;
        sum[kind][0] += entry.transferSize;
        sum[kind][1] += entry.decodedBodySize;
        sum[kind][2] += 1;
    }
    return sum;
}"""

WATCH_RUN = """() => {
    // from the click on Run (seen first, in the capture phase) to the first frame painted
    // after the first output line entered the console
    const output = document.querySelector(".console .output");
    let clicked = null;
    window.firstOutput = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
            const line = output.querySelector(".out");
            if (clicked === null || !line?.textContent.includes("first line")) return;
            observer.disconnect();
            requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - clicked)));
        });
        observer.observe(output, { childList: true, subtree: true, characterData: true });
    });
    window.addEventListener("click", (event) => {
        if (event.target.closest("[data-action=run]")) clicked = performance.now();
    }, { capture: true, once: true });
}"""


def _load(page: Page, url: str) -> dict[str, Any]:
    goto(page, url)
    page.wait_for_load_state("load")
    timing: dict[str, Any] = page.evaluate(TIMING)
    return timing


def _tti(context_for: Callable[[], BrowserContext], url: str, samples: int) -> list[float]:
    """`samples` loads of `url`, each in a fresh page of the context `context_for` gives."""
    found = []
    for _ in range(samples):
        context = context_for()
        page = context.new_page()
        timing = _load(page, url)
        assert timing["ready"], f"{url} never set its wb:ready mark"
        found.append(timing["tti"])
        page.close()
    return found


def _tti_figures(name: str, cold: list[float], warm: list[float], floor: float) -> list[Figure]:
    figures = []
    for label, samples in (("cold cache", cold), ("warm cache", warm)):
        value = median(samples)
        figures.append(
            Figure(
                f"{name} time to interactive, {label}: p50",
                value,
                "ms",
                "navigating to one static file, warm cache, p50",
                floor,
                f"<= {TTI_MS:.0f} ms",
                value <= TTI_MS,
                note=f"p90 {percentile(samples, 90):.0f} ms over {len(samples)} loads",
            )
        )
    return figures


def _bytes_figures(name: str, sizes: dict[str, list[int]]) -> list[Figure]:
    js, css = sizes["js"], sizes["css"]
    return [
        Figure(
            f"{name}: JS sent (gzip)",
            js[0] / 1024,
            "KiB",
            note=f"{js[2]} files, {js[1] / 1024:.0f} KiB unpacked",
        ),
        Figure(
            f"{name}: CSS sent (gzip)",
            css[0] / 1024,
            "KiB",
            note=f"{css[2]} file(s), {css[1] / 1024:.0f} KiB unpacked",
        ),
    ]


def run(quick: bool = False) -> list[Figure]:
    samples = 5 if quick else 20
    runs = 5 if quick else 20
    figures: list[Figure] = []
    settings = {"WIDGETBOX_LOGIN_ATTEMPTS_PER_MINUTE": "10000", "WIDGETBOX_POOL_SIZE": "2"}
    with widgetbox_server(settings) as base, chromium() as browser:
        user = browser.new_context(viewport=LAPTOP)
        api_signup(user, base, "bench")
        widget = create_widget(user, base, "script", "bench script", {"main.py": PRINT_ONCE})
        dashboard, editor = f"{base}/", f"{base}/widgets/{widget['slug']}"
        for _ in range(3):  # warm up: server, sandbox pool, bytecode of the widget
            call(user, base, "POST", f"/api/widgets/{widget['slug']}/runs")

        def cold() -> BrowserContext:
            fresh = browser.new_context(viewport=LAPTOP, storage_state=user.storage_state())
            contexts.append(fresh)
            return fresh

        contexts: list[BrowserContext] = []
        static = user.new_page()
        goto(static, dashboard)
        stylesheet = static.evaluate("document.querySelector('link[rel=stylesheet]').href")
        static.close()
        # the same file every time: cached, as the warm pages' files are
        floor = median([_load_plain(user, stylesheet) for _ in range(samples)])
        for name, url in (("dashboard", dashboard), ("editor", editor)):
            cold_tti = _tti(cold, url, samples)
            warm_tti = _tti(lambda: user, url, samples)
            figures += _tti_figures(name, cold_tti, warm_tti, floor)
            page = cold().new_page()
            _load(page, url)
            figures += _bytes_figures(name, page.evaluate(BYTES))
        for context in contexts:
            context.close()

        # Run → first output line on screen, and the same through the API alone
        page = user.new_page()
        goto(page, editor)
        clicks = []
        for _ in range(runs):
            page.evaluate(WATCH_RUN)
            page.get_by_role("button", name="Run").click()
            clicks.append(page.evaluate("window.firstOutput"))
            page.wait_for_selector("[data-action=stop]:disabled")
        session = Session(base)
        session.call("POST", "/api/auth/login", {"username": "bench", "password": _PASSWORD})
        api = [_first_output_ms(base, session, widget["slug"]) for _ in range(runs)]
        console = _console.figures(browser, base, user, quick)
    value = median(clicks)
    figures += [
        Figure(
            "click Run to first output line on screen: p50",
            value,
            "ms",
            "POST the run + its event stream's first output, no browser, p50",
            median(api),
            f"<= {FIRST_OUTPUT_MS:.0f} ms",
            value <= FIRST_OUTPUT_MS,
            note=f"p90 {percentile(clicks, 90):.0f} ms over {len(clicks)} runs",
        ),
        Figure("click Run to first output line on screen: p90", percentile(clicks, 90), "ms"),
        *console,
    ]
    return figures


_PASSWORD = "correct horse battery staple"  # what tests.browser._helpers.api_signup sets


def _load_plain(context: BrowserContext, url: str) -> float:
    """Navigating to a file that is no page: the response's end, from navigation start."""
    page = context.new_page()
    page.goto(url, wait_until="load")
    ended: float = page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return Math.max(n.domContentLoadedEventEnd, n.responseEnd); }"
    )
    page.close()
    return ended
