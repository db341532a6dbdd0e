"""The server's health for load balancers, orchestrators and Prometheus.

probes.py     what readiness means: the interpreter ready, the database writable, the
              sandbox processes up or a NATS worker healthy (`readiness`: the reasons it
              is not; `workers`: the workers' state, which /readyz shows)
metrics.py    `Metrics`: the Prometheus registry of one app, counted as work happens
              (requests, runs, refusals) and read at each scrape from the live objects
              (queue, sandbox processes and their pools, database, disk)
requests.py   the middleware that counts and times every routed request
web.py        `/healthz`, `/readyz`, `/metrics` (for the admin), and the separate metrics
              port (`metrics_port`)
"""

from widgetbox.host.health.metrics import Metrics
from widgetbox.host.health.requests import RequestMetrics
from widgetbox.host.health.web import ROUTES, MetricsPort

__all__ = ["ROUTES", "Metrics", "MetricsPort", "RequestMetrics"]
