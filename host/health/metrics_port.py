"""The metrics on a port of their own (`metrics_port`), apart from the app's routes: for a
scraper on the machine or behind the operator's own network rules (`/metrics` on the app's
port then answers 404: api.py)."""

from __future__ import annotations

import logging
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

from widgetbox.host.config import Config
from widgetbox.host.health.metrics import Metrics

log = logging.getLogger("widgetbox.host")


class MetricsPort:
    """The metrics served on their own port (`metrics_port`), by prometheus-client's own
    small HTTP server in a thread, without authentication: who may reach the port decides."""

    def __init__(self, config: Config, metrics: Metrics) -> None:
        self._config = config
        self._metrics = metrics
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        port = self._config.server.metrics_port
        if port is None:
            return
        host = self._config.server.metrics_host
        self._server, self._thread = start_http_server(
            port, addr=host, registry=self._metrics.registry
        )
        log.info("metrics at http://%s:%d/metrics", host, port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
