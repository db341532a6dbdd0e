"""The bridge handler `tables`: every `anvil.tables` request of server code, answered by the
run's session (`call.context["tables"]`). Domain errors become the guest's typed errors here,
once. `register` offers it on a `Bridge` and returns it; `names_for_guest` is what a run's
guest is told up front, so `app_tables.<name>` needs no request."""

from __future__ import annotations

from typing import Any

from widgetbox.host.tables.errors import TablesError
from widgetbox.host.tables.session import TablesSession
from widgetbox.host.tables.tables_yaml import SchemaError, parse
from widgetbox.runtime import Bridge, HostCall, HostCallError

OP = "tables"
"""The bridge operation `anvil.tables` calls."""


class TablesHandler:
    """`tables`: one Data Tables operation of the run's widget."""

    def __call__(self, call: HostCall, data: Any) -> Any:
        session = call.context.get("tables")
        if not isinstance(session, TablesSession):
            raise HostCallError("NotFound", "Data Tables belong to widgets, and this run has none.")
        try:
            return session.call(data, call.timeout)
        except TablesError as e:
            raise HostCallError(e.kind, e.message) from None


def register(bridge: Bridge) -> TablesHandler:
    """Offer `tables` to guests on `bridge`; returns the handler."""
    handler = TablesHandler()
    bridge.register(OP, handler)
    return handler


def names_for_guest(schema_text: str | None) -> list[str] | None:
    """The table names a run's guest is given with its job (`Job.services[OP]`), from the
    run's `tables.yaml`: those its operations find, since the widget's file is synced to
    that schema before each one. None when the schema has problems: the guest then asks
    (`describe`), and the answer lists them."""
    try:
        return list(parse(schema_text).tables)
    except SchemaError:
        return None
