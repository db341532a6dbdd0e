"""The server's health for load balancers, orchestrators and Prometheus.

probes.py     what readiness means: the interpreter ready, the database writable, the
              sandbox processes up or a NATS worker healthy (`readiness`: the reasons it
              is not; `workers`: the workers' state, which /readyz shows)
metrics.py    `Metrics`: the Prometheus registry of one app, counted as work happens
              (requests, runs, refusals) and read at each scrape from the live objects
              (queue, sandbox processes and their pools, database, disk)
requests.py   the middleware that counts and times every routed request
api.py        `/healthz`, `/readyz`, `/metrics` (for the admin)
metrics_port.py  the metrics on a port of their own (`metrics_port`)
"""

from widgetbox.host.health.api import ROUTES
from widgetbox.host.health.metrics import Metrics
from widgetbox.host.health.metrics_port import MetricsPort
from widgetbox.host.health.requests import RequestMetrics

__all__ = ["ROUTES", "Metrics", "MetricsPort", "RequestMetrics"]
