"""Sandbox workers on other machines, through NATS: the host stays the control plane.

_messages.py  what the host and its workers say, declared once (kinds, fields, subjects)
_link.py      a NATS connection on a loop thread of its own, for the runtime's threads
_access.py    `Access`: how a client proves itself and checks the server (TLS with a CA
              named, a client certificate, an nkey seed file); `Refused` when it cannot
_workers.py   `Workers`, the host's side: heartbeats, choosing a worker, the work queue of
              scripts, a worker's messages checked again, host calls answered, lost workers
_serve.py     `Worker`, a worker's side (`widgetbox worker --nats URL`): a `Runtime` whose
              bridge forwards every host call to the host
_auth.py      a NATS server configuration with a user per worker and subject permissions

Only imported when NATS is configured (`Runtime(nats=URL)`, the worker command): without
it, sandbox processes are local and nats-py is never loaded.
"""

from ._access import Access, Refused, new_seed, public_key
from ._messages import BEAT_INTERVAL, SILENT_AFTER
from ._serve import Worker, run_worker
from ._workers import WORKER_LOST, Workers, WorkerStatus

__all__ = [
    "BEAT_INTERVAL",
    "SILENT_AFTER",
    "WORKER_LOST",
    "Access",
    "Refused",
    "Worker",
    "WorkerStatus",
    "Workers",
    "new_seed",
    "public_key",
    "run_worker",
]
