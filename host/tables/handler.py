"""The bridge handler `tables`: every `anvil.tables` request of server code, answered by the
run's session (`call.context["tables"]`). Domain errors become the guest's typed errors here,
once. `register` offers it on a `Bridge` and returns it."""

from __future__ import annotations

from typing import Any

from widgetbox.host.tables.errors import TablesError
from widgetbox.host.tables.session import TablesSession
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
