"""`/healthz`, `/readyz` and `/metrics` over real HTTP: liveness, readiness and its failures
(the database locked by another process, the sandbox processes killed), and the metrics'
figures and who may read them."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server._live import Live, serve

pytestmark = pytest.mark.server

SCRIPT = "print('counted')\n"
API = "import anvil.server\n\n@anvil.server.route('/hi')\ndef hi(**params):\n    return 'hi'\n"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("health") / "data") as running:
        yield running


def wait_for(check: object, what: str, deadline: float = 20.0) -> httpx.Response:
    until = time.monotonic() + deadline
    while True:
        response = check()  # type: ignore[operator]
        if response is not None:
            return response  # type: ignore[no-any-return]
        assert time.monotonic() < until, f"never {what}"
        time.sleep(0.02)


def test_healthz_and_readyz_answer_when_all_is_well(live: Live) -> None:
    client = live.client()
    alive = client.get("/healthz")
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    assert alive.headers["cache-control"] == "no-store"
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_readyz_fails_while_another_process_holds_the_database(live: Live) -> None:
    client = live.client()
    other = sqlite3.connect(live.config.database_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the write lock, as a stuck tool would hold it
        started = time.monotonic()
        answer = client.get("/readyz")
        waited = time.monotonic() - started
        assert answer.status_code == 503
        assert answer.json()["status"] == "not ready"
        (reason,) = answer.json()["reasons"]
        assert reason.startswith("database: no write transaction within 2 s"), reason
        assert waited < 10  # the probe gives up; it does not wait for SQLite's busy timeout
        assert client.get("/healthz").status_code == 200  # alive all the same
    finally:
        other.execute("ROLLBACK")
        other.close()
    # the writer's abandoned attempt finishes once the lock is free; then it is ready again
    wait_for(lambda: r if (r := client.get("/readyz")).status_code == 200 else None, "ready again")


def test_readyz_fails_until_killed_sandbox_processes_are_replaced(live: Live) -> None:
    client = live.client()
    runtime = live.app.state.runtime
    requests = [p for p in runtime.sandbox_status() if p.lane == "interactive"]
    assert requests
    assert all(p.alive for p in requests)
    for process in requests:
        os.kill(process.pid, signal.SIGKILL)

    down = wait_for(
        lambda: r if (r := client.get("/readyz")).status_code == 503 else None, "not ready"
    )
    assert down.json()["reasons"] == [
        f"sandbox: no requests process is running ({len(requests)} being replaced)"
    ]
    wait_for(
        lambda: r if (r := client.get("/readyz")).status_code == 200 else None,
        "ready after the replacement",
    )
    killed = {process.pid for process in requests}

    def replaced() -> bool | None:
        now = [p for p in runtime.sandbox_status() if p.lane == "interactive"]
        fresh = len(now) == len(requests) and all(p.alive and p.pid not in killed for p in now)
        return True if fresh else None

    wait_for(replaced, "every killed process replaced")


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series of Prometheus text (0 when it is absent)."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match[3])
    return 0.0


def test_metrics_count_requests_runs_and_read_the_sandbox(live: Live) -> None:
    admin = live.user("admin")
    alice = live.user("alice")
    before = admin.get("/metrics").text
    script = alice.widget_with("script", {"main.py": SCRIPT}, title="Counted")
    assert alice.run_script(script)["status"] == "ok"
    api = alice.widget_with("http", {"main.py": API}, visibility="public", title="Hi")
    assert alice.get(f"/w/{api}/hi").text == "hi"

    answer = admin.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    text = answer.text
    for lane in ("interactive", "batch"):
        grown = sample(text, "widgetbox_runs_total", lane=lane, status="ok") - sample(
            before, "widgetbox_runs_total", lane=lane, status="ok"
        )
        assert grown == 1, lane
        assert sample(text, "widgetbox_run_duration_seconds_count", lane=lane) >= 1
        assert sample(text, "widgetbox_sandbox_processes", lane=lane, state="up") >= 1
        assert sample(text, "widgetbox_queue_waiting", lane=lane) == 0
    widget_api = [
        line
        for line in text.splitlines()
        if line.startswith('widgetbox_http_requests_total{method="GET",route="/w/{slug}/{path}"')
    ]
    assert widget_api, text  # by the route's template, never the path asked for
    assert f"/w/{api}/hi" not in text
    assert sample(text, "widgetbox_http_requests_total", route="/metrics", status="200") >= 1
    assert sample(text, "widgetbox_pool_size") == live.config.sandbox.pool_size
    assert sample(text, "widgetbox_pool_guests", lane="batch") <= 1
    assert sample(text, "widgetbox_queue_slots") == live.config.run_workers
    assert sample(text, "widgetbox_database_bytes") > 0
    assert sample(text, "widgetbox_data_free_bytes") > 0
    assert sample(text, "process_resident_memory_bytes") > 0
    assert "_created" not in text


def test_metrics_are_the_admins_only(live: Live) -> None:
    anonymous = live.client()
    assert anonymous.get("/metrics").status_code == 404
    someone = live.user("mallory")
    refused = someone.get("/metrics")
    assert refused.status_code == 404
    assert "widgetbox_" not in refused.text
    token = someone.get("/metrics", headers={"authorization": "Bearer wbt_" + "a" * 43})
    assert token.status_code in {401, 403, 404}
    assert "widgetbox_" not in token.text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_metrics_port_serves_them_apart_and_only_there(tmp_path: Path) -> None:
    port = free_port()
    with serve(tmp_path / "data", metrics_port=port, pool_size=0) as running:
        admin = running.user("admin")
        assert admin.get("/metrics").status_code == 404  # not on the public port at all
        scraped = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        assert scraped.status_code == 200
        assert sample(scraped.text, "widgetbox_pool_size") == 0
        assert sample(scraped.text, "widgetbox_sandbox_processes", lane="batch", state="up") == 1
    with pytest.raises(httpx.ConnectError):  # stopped with the app
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
