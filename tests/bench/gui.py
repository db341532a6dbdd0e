"""GUI apps in headless Chromium against the production server: time to interactive on
Brython and Pyodide (a fresh browser context each time, so nothing is cached; then a reload
with the HTTP cache warm), the bytes transferred, and the round trip of `anvil.server.call`
from client code, against the same request made by plain JavaScript in the same page; and
the time to interactive of a form written as Anvil writes them, 50 components with a
RepeatingPanel of 200 rows, on both runtimes (target on the default runtime, Pyodide)."""

from __future__ import annotations

import json
from typing import Any

from tests.browser._chromium import chromium

from ._http import Session, widgetbox_server
from ._report import Figure, median, percentile

SERVER = """\
import anvil.server


@anvil.server.callable
def echo(value):
    return value
"""

DESIGN = {
    "components": [
        {"name": "count_box", "type": "TextBox", "properties": {"text": "10"}},
        {"name": "bench_button", "type": "Button", "properties": {"text": "Bench"},
         "event_bindings": {"click": "bench_click"}},
        {"name": "result", "type": "Label"},
    ]
}  # fmt: skip

CODE = """\
import time

from ._anvil_designer import Form1Template
from anvil import *
import anvil.server


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)

    def bench_click(self, **event_args):
        times = []
        for i in range(int(self.count_box.text)):
            started = time.perf_counter()
            anvil.server.call("echo", i)
            times.append((time.perf_counter() - started) * 1000)
        self.result.text = ",".join(f"{t:.3f}" for t in times)
"""

BIG_ROWS = 200
BIG_COMPONENTS = 50


def _big_template() -> str:
    """A ColumnPanel of 50 components in Anvil's YAML (Labels, TextBoxes, Buttons, a
    DropDown, CheckBoxes, a card with a RepeatingPanel)."""
    lines = ["container: {type: ColumnPanel}", "components:"]
    kinds = ["Label", "TextBox", "Button", "CheckBox", "DropDown"]
    for i in range(BIG_COMPONENTS - 2):
        kind = kinds[i % len(kinds)]
        prop = "placeholder" if kind == "TextBox" else "text"
        lines.append(
            f"- {{type: {kind}, name: c{i}, properties: {{{prop}: 'item {i}'}}, "
            f"layout_properties: {{grid_position: 'R{i // 3},C{i % 3}'}}}}"
        )
    lines += [
        "- type: ColumnPanel",
        "  name: card",
        "  properties: {role: card}",
        "  layout_properties: {grid_position: 'LIST,A', full_width_row: true}",
        "  components:",
        "  - {type: RepeatingPanel, name: rows, properties: {item_template: Form1.Row},"
        " layout_properties: {grid_position: 'ROWS,A'}}",
    ]
    return "\n".join(lines) + "\n"


ROW_TEMPLATE = """\
container: {type: ColumnPanel}
components:
- {type: Label, name: name_label, properties: {}, layout_properties: {grid_position: 'A,a'},
   data_bindings: [{property: text, code: "self.item['name']"}]}
- {type: Label, name: score_label, properties: {}, layout_properties: {grid_position: 'A,b'},
   data_bindings: [{property: text, code: "str(self.item['score'])"}]}
"""

BIG_CODE = f"""\
from ._anvil_designer import Form1Template


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)
        self.rows.items = [{{"name": f"row {{i}}", "score": i * 7}} for i in range({BIG_ROWS})]
"""

ROW_CODE = """\
from ._anvil_designer import RowTemplate


class Row(RowTemplate):
    def __init__(self, **properties):
        self.init_components(**properties)
"""

READY = "html[data-app-ready]"
INTERACTIVE = """() => performance.getEntriesByName("wb-interactive")[0].startTime"""
TRANSFERRED = """() => [
    ...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")
].reduce((sum, entry) => sum + entry.transferSize, 0)"""
PLAIN_CALLS = """(count) => {
    const times = [];
    for (let i = 0; i < count; i++) {
        const started = performance.now();
        const request = new XMLHttpRequest();
        request.open("POST", "/_/call", false);
        request.setRequestHeader("content-type", "application/json");
        request.send(JSON.stringify({name: "echo", args: [i], kwargs: {}}));
        if (request.status !== 200) throw new Error(request.responseText);
        times.push(performance.now() - started);
    }
    return times;
}"""
TARGETS = {"brython": 1000.0, "pyodide": 5000.0}
DEFAULT_RUNTIME = "pyodide"
BIG_TARGET_MS = 1500.0


def _make_app(session: Session, runtime: str) -> str:
    widget: Any = session.call(
        "POST", "/api/widgets", {"kind": "gui", "title": f"Bench {runtime}", "visibility": "public"}
    )
    files = {
        "server.py": SERVER,
        "forms/Form1.json": json.dumps(DESIGN),
        "forms/Form1.py": CODE,
        "app.json": json.dumps({"startup_form": "Form1", "runtime": runtime}),
    }
    body = {"base_version": widget["head_version"], "files": files}
    session.call("POST", f"/api/widgets/{widget['slug']}/versions", body)
    return str(widget["slug"])


def _make_big_app(session: Session, runtime: str) -> str:
    widget: Any = session.call(
        "POST", "/api/widgets", {"kind": "gui", "title": f"Big {runtime}", "visibility": "public"}
    )
    files = {
        "server.py": SERVER,
        "client_code/Form1/form_template.yaml": _big_template(),
        "client_code/Form1/__init__.py": BIG_CODE,
        "client_code/Form1/Row/form_template.yaml": ROW_TEMPLATE,
        "client_code/Form1/Row/__init__.py": ROW_CODE,
        "app.json": json.dumps({"startup_form": "Form1", "runtime": runtime}),
    }
    body = {"base_version": widget["head_version"], "files": files}
    session.call("POST", f"/api/widgets/{widget['slug']}/versions", body)
    return str(widget["slug"])


def _big_form(browser: Any, url: str, runtime: str, samples: int) -> list[Figure]:
    cold, warm = [], []
    for _ in range(samples):
        context = browser.new_context()
        page = context.new_page()
        ms, _ = _open(page, url)
        rows = page.locator(".anvil-rp-item .anvil-label").count()
        assert rows == 2 * BIG_ROWS, f"{rows} row labels drawn, not {2 * BIG_ROWS}"
        cold.append(ms)
        warm.append(_open(page, url)[0])
        context.close()
    target = BIG_TARGET_MS if runtime == DEFAULT_RUNTIME else None
    shown = f"<= {BIG_TARGET_MS:.0f} ms" if target else ""
    return [
        Figure(
            f"{runtime}: 50 components + RepeatingPanel of 200 rows, interactive, cold, p50",
            median(cold),
            "ms",
            target=shown,
            met=median(cold) <= target if target else None,
            note=f"samples: {', '.join(f'{v:.0f}' for v in cold)}",
        ),
        Figure(
            f"{runtime}: 50 components + RepeatingPanel of 200 rows, interactive, warm, p50",
            median(warm),
            "ms",
            target=shown,
            met=median(warm) <= target if target else None,
            note=f"samples: {', '.join(f'{v:.0f}' for v in warm)}",
        ),
    ]


def _open(page: Any, url: str) -> tuple[float, int]:
    """Load the app; its time to interactive (ms since navigation) and bytes transferred."""
    page.goto(url)
    page.wait_for_selector(READY, state="attached", timeout=120_000)
    return float(page.evaluate(INTERACTIVE)), int(page.evaluate(TRANSFERRED))


def _startup(browser: Any, url: str, runtime: str, samples: int) -> list[Figure]:
    cold, warm, sizes, warm_sizes = [], [], [], []
    for _ in range(samples):
        context = browser.new_context()
        page = context.new_page()
        ms, size = _open(page, url)
        cold.append(ms)
        sizes.append(size)
        ms, size = _open(page, url)  # again, with the HTTP cache
        warm.append(ms)
        warm_sizes.append(size)
        context.close()
    target = TARGETS[runtime]
    return [
        Figure(
            f"{runtime}: time to interactive, cold cache, p50",
            median(cold),
            "ms",
            target=f"<= {target:.0f} ms",
            met=median(cold) <= target,
            note=f"samples: {', '.join(f'{v:.0f}' for v in cold)}",
        ),
        Figure(
            f"{runtime}: time to interactive, warm cache, p50",
            median(warm),
            "ms",
            target=f"<= {target:.0f} ms",
            met=median(warm) <= target,
        ),
        Figure(f"{runtime}: bytes transferred, cold cache", median(sizes) / 1024, "KiB"),
        Figure(f"{runtime}: bytes transferred, warm cache", median(warm_sizes) / 1024, "KiB"),
    ]


def _calls(browser: Any, url: str, runtime: str, count: int) -> list[Figure]:
    context = browser.new_context()
    page = context.new_page()
    _open(page, url)
    plain = [float(t) for t in page.evaluate(PLAIN_CALLS, count)]
    page.get_by_role("textbox").fill(str(count))
    page.get_by_role("button", name="Bench").click()
    label = page.locator(".anvil-label")
    label.filter(has_text=",").wait_for(timeout=120_000)
    through = [float(t) for t in label.inner_text().split(",")]
    context.close()
    p50 = median(through)
    return [
        Figure(
            f"{runtime}: anvil.server.call round trip, p50",
            p50,
            "ms",
            "the same request from plain JavaScript, p50",
            median(plain),
            target="p50 <= 15 ms",
            met=p50 <= 15,
            note=f"{count} calls one after another",
        ),
        Figure(f"{runtime}: anvil.server.call round trip, p99", percentile(through, 99), "ms"),
        Figure(f"{runtime}: plain JavaScript request, p99", percentile(plain, 99), "ms"),
    ]


def run(quick: bool = False) -> list[Figure]:
    samples = 2 if quick else 5
    count = 50 if quick else 300
    figures: list[Figure] = []
    settings = {"WIDGETBOX_APP_CALLS_PER_MINUTE": "1000000"}
    with widgetbox_server(settings) as base, chromium() as browser:
        session = Session(base)
        session.call(
            "POST", "/api/auth/signup", {"username": "bench", "password": "bench password"}
        )
        port = base.rsplit(":", 1)[1]
        for runtime in ("brython", "pyodide"):
            url = f"http://{_make_app(session, runtime)}.localhost:{port}/"
            figures += _startup(browser, url, runtime, samples)
            figures += _calls(browser, url, runtime, count)
        for runtime in ("brython", "pyodide"):
            url = f"http://{_make_big_app(session, runtime)}.localhost:{port}/"
            figures += _big_form(browser, url, runtime, samples)
    return figures
