"""`/readyz` with NATS workers configured (`nats_url`, reached over TLS with an nkey:
`nats_ca`, `nats_nkey`), over real HTTP against a real nats-server and a `widgetbox worker`
process: it says how the workers are (connected, how many healthy) in both answers; with
the local sandbox processes down it is ready only while a worker is healthy (a worker
takes either lane's work); with them up, workers coming and going change what it says,
never whether it is ready."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import _certs, _nats
from tests.server._live import Live, serve
from widgetbox.runtime.remote import new_seed
from widgetbox.runtime.remote._auth import HOST_USER

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not _nats.available(), reason="nats-server is not installed"),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_nats.Cluster]:
    """Over TLS with a private CA, the server logging in with an nkey (the worker with a
    password): the nats_* settings reach the runtime."""
    ca = _certs.authority(tmp_path_factory.mktemp("ca"))
    seed = tmp_path_factory.mktemp("seed") / "server.nk"
    new_seed(seed)
    tls = _nats.Tls(ca=ca.cert, server=ca.issue("nats-server"))
    folder = tmp_path_factory.mktemp("nats")
    with _nats.cluster(folder, ["r1"], tls=tls, nkeys={HOST_USER: seed}) as found:
        yield found


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, cluster: _nats.Cluster) -> Iterator[Live]:
    folder: Path = tmp_path_factory.mktemp("readyz")
    access = cluster.access()
    settings = {"nats_url": cluster.url(), "nats_ca": access.ca, "nats_nkey": access.nkey}
    with serve(folder / "data", **settings) as running:
        yield running


def _ready(live: Live) -> httpx.Response:
    return live.client().get("/readyz")


def _until(check: Any, what: str, deadline: float = 30.0) -> httpx.Response:
    until = time.monotonic() + deadline
    while (found := check()) is None:
        assert time.monotonic() < until, f"never {what}"
        time.sleep(0.02)
    return found  # type: ignore[no-any-return]


def _kill_request_processes(live: Live) -> list[int]:
    runtime = live.app.state.runtime
    pids = [p.pid for p in runtime.sandbox_status() if p.lane == "interactive" and p.alive]
    assert pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # it had died and been reaped
            os.kill(pid, signal.SIGKILL)
    return pids


KILL_TRIES = 10


def _answers_while_none_alive(live: Live) -> int:
    """Kill the local request processes and ask /readyz while none is alive (checked
    before and after each answer, which must be ready); how many answers were taken so,
    0 when a replacement came first."""
    _until(lambda: None if _none_alive(live) else True, "a local request process")
    _kill_request_processes(live)
    until = time.monotonic() + 5
    while not _none_alive(live):  # until the runtime has seen them go
        if time.monotonic() > until:
            return 0  # replaced before it was seen
        time.sleep(0.005)
    seen = 0
    while seen < 3 and _none_alive(live):
        answer = _ready(live)
        if _none_alive(live):
            assert answer.status_code == 200, answer.json()
            assert answer.json()["workers"]["healthy"] == 1
            seen += 1
    return seen


def _none_alive(live: Live) -> bool:
    status = live.app.state.runtime.sandbox_status(wait=1.0)
    return not any(p.alive for p in status if p.lane == "interactive")


def _workers(answer: httpx.Response) -> dict[str, Any]:
    found: dict[str, Any] = answer.json().get("workers", {})
    return found


def test_readyz_says_how_the_workers_are(live: Live) -> None:
    answer = _until(
        lambda: r if _workers(r := _ready(live)).get("nats") == "connected" else None,
        "connected to NATS",
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ready",
        "workers": {"nats": "connected", "healthy": 0, "unhealthy": 0},
    }


def test_without_a_healthy_worker_or_a_local_process_it_is_not_ready(live: Live) -> None:
    killed = _kill_request_processes(live)
    down = _until(lambda: r if (r := _ready(live)).status_code == 503 else None, "not ready")
    assert down.json() == {
        "status": "not ready",
        "reasons": [
            f"sandbox: no requests process is running ({len(killed)} being replaced) and no "
            "worker is healthy"
        ],
        "workers": {"nats": "connected", "healthy": 0, "unhealthy": 0},
    }
    _until(lambda: r if (r := _ready(live)).status_code == 200 else None, "ready again")


def test_a_healthy_worker_keeps_it_ready_while_local_processes_are_down(
    live: Live, cluster: _nats.Cluster
) -> None:
    cluster.start_worker("r1")
    up = _until(
        lambda: r if _workers(r := _ready(live))["healthy"] == 1 else None,
        "the worker healthy",
    )
    assert up.status_code == 200
    # each answer taken while no local request process was alive (checked before and
    # after it) must be 200: the worker takes the requests meanwhile. The window lasts
    # until a replacement starts, which on a loaded machine may come before an answer:
    # then the processes are killed again
    seen = 0
    for _ in range(KILL_TRIES):
        seen = _answers_while_none_alive(live)
        if seen:
            break
    assert seen, f"the local processes came back before /readyz was asked, {KILL_TRIES} times"
    # a worker that goes leaves it ready (local processes are back), and says so
    _until(lambda: None if _none_alive(live) else True, "local processes replaced")
    cluster.stop_worker("r1")
    gone = _until(
        lambda: r if _workers(r := _ready(live))["healthy"] == 0 else None,
        "the worker gone",
    )
    assert gone.status_code == 200
    assert gone.json()["workers"]["unhealthy"] == 1


def test_the_admin_health_says_how_nats_is(
    live: Live, cluster: _nats.Cluster, tmp_path: Path
) -> None:
    """Connected here; refused, saying why, for a server whose password is wrong (it runs
    everything locally meanwhile)."""
    admin = live.user("root")  # the first account is the admin
    assert admin.api("GET", "/api/admin/health").json()["nats"] == "connected"
    wrong = cluster.url().replace("@", "wrong@", 1) if "@" in cluster.url() else None
    url = wrong or f"tls://{HOST_USER}:wrong@{cluster.address}:{cluster.port}"
    settings = {"nats_url": url, "nats_ca": cluster.access().ca}
    with serve(tmp_path / "data", **settings) as refused:
        root = refused.user("root")

        def said() -> str | None:
            state = str(root.api("GET", "/api/admin/health").json()["nats"])
            return state if state.startswith("not connected: refused") else None

        state = _until(said, "said why NATS refused it")
        assert "the NATS server refused the credentials" in str(state), state
        assert "wrong" not in str(state)  # no password shown
