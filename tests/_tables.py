"""Shared by the Data Tables tests of the sandbox and security tiers: guest code written as
Anvil's documentation writes it runs in the real sandbox, with the real `tables` handler on
the runtime's bridge and a real `TablesSession` on SQLite files in tmp_path, wired as
`Services.run_context` wires it (and ended as `end_run_context` ends it).

Guest code starts with `PRELUDE`: `out(...)` prints one JSON line, `attempt(fn)` gives
`{"value": ...}` or `{"raised": "module.Class", "message": ...}`, `SENT` lists the operations
sent, and `reached`/`gate`/`opened` meet the test at named points (`Gates`)."""

from __future__ import annotations

import contextlib
import json
import re
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from widgetbox.host import tables
from widgetbox.host.services import end_run_context, guest_services
from widgetbox.host.tables import NewColumn, TableLimits, TablesSession, TablesStore
from widgetbox.runtime import Cancel, Code, HostCall, Limits, RunResult, Runtime, Script, Status

SCHEMA = """\
tables:
  people:
    columns:
      - {name: name, type: string}
      - {name: age, type: number}
      - {name: member, type: bool}
      - {name: born, type: date}
      - {name: seen, type: datetime}
      - {name: extra, type: simpleObject}
      - {name: photo, type: media}
      - {name: manager, type: link_single, target: people}
      - {name: friends, type: link_multiple, target: people}
  teams:
    columns:
      - {name: name, type: string}
      - {name: lead, type: link_single, target: people}
  notes:
    columns:
      - {name: text, type: string}
      - {name: owner, type: string}
      - {name: n, type: number}
"""
FIXED = SCHEMA.replace("tables:\n", "auto_create_columns: false\ntables:\n", 1)

PRELUDE = """\
import datetime, json
import anvil, anvil.tables
import anvil.tables.query as q
from anvil.tables import app_tables, order_by
from anvil.tables import _transport
from _widgetbox import bridge

SENT = []
_send = _transport.call

def _counted(op):
    SENT.append(op.get("op"))
    return _send(op)

_transport.call = _counted

def out(*values):
    print(json.dumps(values[0] if len(values) == 1 else list(values), default=repr))

def attempt(fn):
    try:
        return {"value": fn()}
    except Exception as e:
        return {"raised": type(e).__module__ + "." + type(e).__name__, "message": str(e)}

def reached(name):
    bridge.call("test.tables_reached", name)

def gate(name):
    bridge.call("test.tables_gate", name)

def opened(name):
    bridge.call("test.tables_open", name)
"""

GATE_WAIT = 20.0
ROW_ID = re.compile(r"\[\d+,\d+\]")


class Gates:
    """Named meeting points between guest code and the test: `reached(name)` in the guest
    sets `reached[name]`; `gate(name)` sets it and waits until the gate is opened (by the
    test, or by guest code calling `opened(name)`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reached: dict[str, threading.Event] = {}
        self._opened: dict[str, threading.Event] = {}

    def _event(self, events: dict[str, threading.Event], name: str) -> threading.Event:
        with self._lock:
            return events.setdefault(name, threading.Event())

    def register(self, runtime: Runtime) -> None:
        def reach(call: HostCall, data: Any) -> None:
            self._event(self._reached, str(data)).set()

        def gate(call: HostCall, data: Any) -> bool:
            self._event(self._reached, str(data)).set()
            return self._event(self._opened, str(data)).wait(GATE_WAIT)

        def open_(call: HostCall, data: Any) -> None:
            self._event(self._opened, str(data)).set()

        runtime.bridge.register("test.tables_reached", reach)
        runtime.bridge.register("test.tables_gate", gate)
        runtime.bridge.register("test.tables_open", open_)

    def wait_reached(self, name: str) -> None:
        assert self._event(self._reached, name).wait(GATE_WAIT), f"no run reached {name!r}"

    def open(self, name: str) -> None:
        self._event(self._opened, name).set()


@dataclass
class Harness:
    """The runtime with the `tables` handler, a store in tmp_path, and what was reported."""

    runtime: Runtime
    store: TablesStore
    gates: Gates
    new_columns: list[NewColumn] = field(default_factory=list)

    def session(
        self, widget: int = 1, schema: str | None = SCHEMA, limits: TableLimits | None = None
    ) -> TablesSession:
        def record(widget_id: int, table: str, columns: list[NewColumn]) -> None:
            self.new_columns.extend(columns)

        return TablesSession(self.store, widget, schema, limits, on_new_columns=record)

    def run(
        self,
        source: str,
        *,
        widget: int = 1,
        schema: str | None = SCHEMA,
        limits: TableLimits | None = None,
        session: TablesSession | None = None,
        run_limits: Limits | None = None,
        cancel: Cancel | None = None,
        told: bool = False,
    ) -> RunResult:
        """`source` after PRELUDE as a script of `widget`, with its session ended after.
        `told`: the job carries the table names, as the app's runs do (`guest_services`)."""
        files = {"main.py": PRELUDE + textwrap.dedent(source)}
        if schema is not None:
            files["tables.yaml"] = schema
        context = {
            "widget_id": widget,
            "tables": session or self.session(widget, schema, limits),
        }
        try:
            code = Code(files=files, entry="main.py")
            return self.runtime.run(
                Script(code, services=guest_services(code) if told else {}),
                limits=run_limits or Limits.script().with_(timeout=60),
                context=context,
                cancel=cancel,
            )
        finally:
            end_run_context(context)

    def lines(self, source: str, **kwargs: Any) -> list[Any]:
        """What `out(...)` printed, one value per line; the run must end OK."""
        result = self.run(source, **kwargs)
        assert result.status is Status.OK, (result.message, result.stderr, result.stdout)
        return [json.loads(line) for line in result.stdout.splitlines()]

    def with_limits(self, limits: TableLimits, folder: Path) -> Harness:
        """The same runtime on a store of its own with these limits."""
        return Harness(self.runtime, TablesStore(folder, limits), self.gates)

    def count(self, table: str, widget: int = 1, schema: str | None = SCHEMA) -> int:
        """Rows of `table`, as the host sees them (a session of its own)."""
        session = TablesSession(self.store, widget, schema)
        try:
            found: int = session.call({"op": "count", "table": table}, 10.0)
        finally:
            session.end()
        return found


@contextlib.contextmanager
def harness_for(runtime: Runtime, gates: Gates, folder: Path) -> Iterator[Harness]:
    """A harness with a store of its own in `folder` (the handler registered on `runtime`)."""
    tables.register(runtime.bridge)
    store = TablesStore(folder)
    try:
        yield Harness(runtime, store, gates)
    finally:
        store.close()


def raised(kind: str, message: str) -> dict[str, str]:
    return {"raised": kind, "message": message}


TABLE_ERROR = "anvil.tables.TableError"
SERIALIZATION = "anvil.server.SerializationError"
