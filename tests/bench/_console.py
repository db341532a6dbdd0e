"""The live console under a flood of output, in headless Chromium (part of `just bench
browser`): a script printing 100,000 lines as fast as it can, watched in the editor's
console, and an endless printing loop stopped with Stop.

- Responsiveness: the longest main-thread task while the lines stream in (Long Tasks API,
  from the click on Run to the last line on screen), and the input delay of clicks made
  meanwhile (from the event's creation to its handler, `performance.now() - event.timeStamp`):
  what a click on Stop would wait.
- The last line on screen after the run's end (its record's `finished_at`; the page's clock
  and the server's are the same machine's).
- Stop clicked during an endless printing loop, once the console holds its cap of lines:
  its input delay, and the time until the run shows as stopped.
- One more run under a Chromium trace: the CPU time of the main thread's tasks. A task's
  length by the clock (what the Long Tasks API reports) is its CPU time plus the time it
  waited for a core, which a busy machine adds; the notes give the load average.

The baseline is the same 100,000 lines opened as a finished run (its page, rendered by the
server with the whole output): its longest task while loading, and navigation to the
output on screen.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser._chromium import LAPTOP
from tests.browser._helpers import call, create_widget, goto

from ._report import Figure, median

LINES = 100_000
FLOOD = f'for n in range({LINES}):\n    print("line", n)\n'
ENDLESS = 'n = 0\nwhile True:\n    print("line", n)\n    n += 1\n'
LONGEST_TASK_MS = 100.0
LAST_LINE_MS = 1000.0
INPUT_DELAY_MS = 100.0
PROBE_EVERY = 0.1
"""Seconds between the probing clicks made while the lines stream in."""

OBSERVE = """
// before the page's own scripts: long tasks, clicks' input delay, output events received
window.bench = { longTasks: [], delays: [], outputEvents: 0, clickedRun: null };
new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) bench.longTasks.push([entry.startTime, entry.duration]);
}).observe({ type: "longtask", buffered: true });
addEventListener("click", (event) => {
    bench.delays.push(performance.now() - event.timeStamp);
    if (event.target.closest?.("[data-action=run]")) bench.clickedRun = performance.now();
}, { capture: true });
const listen = EventSource.prototype.addEventListener;
EventSource.prototype.addEventListener = function (type, listener, options) {
    const counted = (event) => {
        if (type === "output") bench.outputEvents++;
        return listener(event);
    };
    return listen.call(this, type, counted, options);
};
"""

WATCH_LAST = """(last) => {
    // Date.now() at the first frame painted with `last` at the end of the console's output
    const output = document.querySelector(".console .output");
    bench.delays = [];
    window.lastLine = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
            const block = output.querySelector(".out .block:last-child");
            if (!block || !block.textContent.endsWith(last)) return;
            observer.disconnect();
            requestAnimationFrame(() => setTimeout(() => resolve(Date.now())));
        });
        observer.observe(output, { childList: true, subtree: true, characterData: true });
    });
}"""

AFTER_RUN = """() => ({
    longest: Math.max(0, ...bench.longTasks.filter(([at]) => at >= bench.clickedRun)
                                           .map(([, duration]) => duration)),
    delays: bench.delays,
    events: bench.outputEvents,
    lines: (document.querySelector(".console .out").textContent.match(/\\n/g) || []).length,
    cap: Number(document.querySelector(".console .out").dataset.lineCap),
})"""

PAGE_LOAD = """async () => {
    // time to interactive as the other pages' figures count it; long tasks once reported
    await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 100)));
    const nav = performance.getEntriesByType("navigation")[0];
    const ready = performance.getEntriesByName("wb:ready")[0];
    return { shown: Math.max(nav.domContentLoadedEventEnd, ready ? ready.startTime : 0),
             longest: Math.max(0, ...bench.longTasks.map(([, d]) => d)) };
}"""


def _finished_at(record: dict[str, Any]) -> float:
    """The run's end as milliseconds since the epoch (the clock of `Date.now()`)."""
    return datetime.fromisoformat(record["finished_at"].replace("Z", "+00:00")).timestamp() * 1000


def _flood(page: Page, context: BrowserContext, base: str) -> dict[str, Any]:
    """One run of FLOOD watched in the console, with clicks on the console's heading every
    PROBE_EVERY seconds while it runs."""
    page.evaluate(WATCH_LAST, f"line {LINES - 1}\n")
    page.evaluate("bench.outputEvents = 0")
    page.get_by_role("button", name="Run").click()
    heading = page.get_by_role("heading", name="Console")
    stop = page.locator("[data-action=stop]")
    page.wait_for_selector("[data-action=stop]:enabled")
    while not stop.is_disabled():  # Stop is enabled while the run lasts
        heading.click()
        time.sleep(PROBE_EVERY)
    painted: float = page.evaluate("window.lastLine")
    found: dict[str, Any] = page.evaluate(AFTER_RUN)
    # the link's text is the widget's own run number; its address ends in the run's id
    link = page.locator(".run-info a[data-field=run]").get_attribute("href") or ""
    run_id = link.rsplit("/", 1)[-1]
    record = call(context, base, "GET", f"/api/runs/{run_id}")
    found |= {"lag": painted - _finished_at(record), "wall": record["wall_time"], "run": run_id}
    return found


def _traced_flood(
    browser: Browser, page: Page, context: BrowserContext, base: str
) -> dict[str, float]:
    """One more run of FLOOD under a Chromium trace: the page's main thread, its longest task
    by the clock and by CPU time, and its CPU time in all, from Run to the last line."""
    with tempfile.TemporaryDirectory(prefix="widgetbox-trace-") as folder:
        path = Path(folder) / "trace.json"
        categories = ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel"]
        browser.start_tracing(page=page, path=str(path), categories=categories)
        started = time.perf_counter()
        _flood(page, context, base)
        seconds = time.perf_counter() - started
        browser.stop_tracing()
        trace = json.loads(path.read_text())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    tasks: dict[tuple[int, int], list[dict[str, Any]]] = {main: [] for main in mains}
    for e in events:
        if e.get("name") == "RunTask" and e.get("ph") == "X" and (e["pid"], e["tid"]) in tasks:
            tasks[e["pid"], e["tid"]].append(e)
    page_tasks = max(tasks.values(), key=lambda found: sum(t.get("tdur", 0) for t in found))
    longest = max(page_tasks, key=lambda t: t["dur"])
    return {
        "wall": longest["dur"] / 1000,
        "its_cpu": longest.get("tdur", 0) / 1000,
        "cpu": max(t.get("tdur", 0) for t in page_tasks) / 1000,
        "busy": sum(t.get("tdur", 0) for t in page_tasks) / 1e6 / seconds,
    }


def _stop(page: Page) -> dict[str, float]:
    """ENDLESS run until the console holds its cap of lines and has printed a second more,
    then Stop: the click's input delay, and the time until the run shows as stopped."""
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("[data-action=stop]:enabled")  # started: the console was emptied
    page.wait_for_selector(".console .hidden-lines", timeout=60_000)
    time.sleep(1.0)
    page.evaluate("bench.delays = []")
    started = time.perf_counter()
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector(".run-info .badge:text-is('Stopped')")
    stopped = (time.perf_counter() - started) * 1000
    page.wait_for_selector("[data-action=run]:enabled")
    delays: list[float] = page.evaluate("bench.delays")
    return {"delay": max(delays), "stopped": stopped}


def _finished_page(context: BrowserContext, url: str, samples: int) -> tuple[float, float]:
    """The finished run's page, `samples` loads: (time to interactive p50, longest task)."""
    shown, longest = [], []
    for _ in range(samples):
        page = context.new_page()
        goto(page, url)
        page.wait_for_load_state("load")
        timing = page.evaluate(PAGE_LOAD)
        shown.append(timing["shown"])
        longest.append(timing["longest"])
        page.close()
    return median(shown), max(longest)


def figures(browser: Browser, base: str, owner: BrowserContext, quick: bool) -> list[Figure]:
    floods = 1 if quick else 3
    stops = 3 if quick else 10
    context = browser.new_context(viewport=LAPTOP, storage_state=owner.storage_state())
    context.add_init_script(OBSERVE)
    flood = create_widget(context, base, "script", "bench flood", {"main.py": FLOOD})
    endless = create_widget(context, base, "script", "bench endless", {"main.py": ENDLESS})

    page = context.new_page()
    goto(page, f"{base}/widgets/{flood['slug']}")
    load = os.getloadavg()[0]
    runs = [_flood(page, context, base) for _ in range(floods)]
    traced = _traced_flood(browser, page, context, base)
    page.close()
    shown, loading = _finished_page(
        context, f"{base}/widgets/{flood['slug']}/runs/{runs[-1]['run']}", 3 if quick else 5
    )
    page = context.new_page()
    goto(page, f"{base}/widgets/{endless['slug']}")
    stopped = [_stop(page) for _ in range(stops)]
    page.close()
    context.close()
    load = max(load, os.getloadavg()[0])

    longest = max(run["longest"] for run in runs)
    lag = max(run["lag"] for run in runs)
    delays = sorted(delay for run in runs for delay in run["delays"])
    stop_delay = max(s["delay"] for s in stopped)
    wall = median([run["wall"] for run in runs])
    events = median([run["events"] for run in runs])
    lines, cap = runs[-1]["lines"], runs[-1]["cap"]
    return [
        Figure(
            f"{LINES:,} lines live: longest main-thread task",
            longest,
            "ms",
            "the same output opened as a finished run: longest task loading its page"
            + ("" if loading else " (none reported: all under the API's 50 ms)"),
            loading or None,
            f"<= {LONGEST_TASK_MS:.0f} ms",
            longest <= LONGEST_TASK_MS,
            note=f"worst of {floods} run(s): "
            + ", ".join(f"{run['longest']:.0f}" for run in runs)
            + " ms (Long Tasks API, click on Run to the last line on screen);"
            f" load average {load:.1f} on {os.cpu_count()} cores",
        ),
        Figure(
            f"{LINES:,} lines live: longest main-thread task, CPU time",
            traced["cpu"],
            "ms",
            note=f"one more run under a Chromium trace: the main thread busy"
            f" {traced['busy']:.0%} of the run; its longest task by the clock took"
            f" {traced['wall']:.0f} ms, {traced['its_cpu']:.0f} ms of it on a core",
        ),
        Figure(
            f"{LINES:,} lines live: last line on screen after the run's end",
            lag,
            "ms",
            "the same output opened as a finished run: its page's time to interactive, p50",
            shown,
            f"<= {LAST_LINE_MS:.0f} ms",
            lag <= LAST_LINE_MS,
            note=f"worst of {floods} run(s); the run printed for {wall:.1f} s in the sandbox"
            f" ({LINES / wall:,.0f} lines/s), {events:.0f} output events reached the page",
        ),
        Figure(
            f"{LINES:,} lines live: input delay of clicks meanwhile, max",
            delays[-1],
            "ms",
            target=f"<= {INPUT_DELAY_MS:.0f} ms",
            met=delays[-1] <= INPUT_DELAY_MS,
            note=f"{len(delays)} clicks every {PROBE_EVERY * 1000:.0f} ms while the lines"
            f" streamed in; p50 {median(delays):.1f} ms",
        ),
        Figure(
            f"{LINES:,} lines live: lines in the page at the end",
            lines,
            "lines",
            target=f"<= {cap:,}",
            met=lines <= cap,
            note="the rest behind 'N earlier lines hidden — Show all'",
        ),
        Figure(
            "Stop during an endless print loop: input delay, max",
            stop_delay,
            "ms",
            target=f"<= {INPUT_DELAY_MS:.0f} ms",
            met=stop_delay <= INPUT_DELAY_MS,
            note=f"{stops} runs, each stopped once the console held {cap:,} lines: input delay"
            f" p50 {median([s['delay'] for s in stopped]):.1f} ms; click to 'Stopped' on"
            f" screen p50 {median([s['stopped'] for s in stopped]):.0f} ms",
        ),
    ]
