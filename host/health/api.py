"""`/healthz`, `/readyz` and `/metrics`: the health domain's HTTP API, for load balancers,
orchestrators and Prometheus rather than people (the separate metrics port is
`metrics_port.py`).

- `/healthz` is liveness: 200 whenever the event loop answers; it touches nothing, so a
  busy server is never restarted for being busy.
- `/readyz` is readiness (`probes.readiness`): 200, or 503 with the reasons, for a load
  balancer to send traffic elsewhere until it is ready again; with NATS workers
  configured, either answer says how they are (`probes.workers`: connected, how many
  healthy).
- `/metrics` is Prometheus's text format. It tells how busy the server is and how its runs
  end, which is nobody's business but the operator's: by default only the admin's browser
  session may read it here (others get 404, as for anything they may not see); with
  `metrics_port` set it is served on that port of `metrics_host` instead (loopback by
  default, for a scraper on the machine or behind the operator's own network rules), and
  not here at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import MediaType, Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST

from widgetbox.host.errors import NotFound
from widgetbox.host.health.metrics import Metrics
from widgetbox.host.health.probes import readiness, workers
from widgetbox.host.web.dependencies import ConfigDep, Viewer

NO_STORE = {"Cache-Control": "no-store"}
METRICS_TYPE = CONTENT_TYPE_LATEST.replace("; charset=utf-8", "")
"""Prometheus's text format; Litestar adds the charset to every text/ type itself."""


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> Response[dict[str, str]]:
    return Response({"status": "ok"}, headers=NO_STORE, media_type=MediaType.JSON)


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[dict[str, Any]]:
    reasons = await readiness(state)
    body: dict[str, Any] = {"status": "not ready", "reasons": reasons} if reasons else {}
    runtime = state.get("runtime")
    remote = workers(runtime) if runtime is not None else None
    if remote is not None:
        body["workers"] = remote
    if reasons:
        return Response(body, status_code=503, headers=NO_STORE, media_type=MediaType.JSON)
    body = {"status": "ready", **body}
    return Response(body, headers=NO_STORE, media_type=MediaType.JSON)


@get("/metrics", include_in_schema=False)
async def metrics(state: State, viewer: Viewer, config: ConfigDep) -> Response[bytes]:
    if config.server.metrics_port is not None or viewer is None or not viewer.is_admin:
        raise NotFound("not_found", "There is nothing here.")
    found: Metrics = state.metrics
    text = await asyncio.to_thread(found.exposition)
    return Response(text, headers=NO_STORE, media_type=METRICS_TYPE)


ROUTES = [healthz, readyz, metrics]
