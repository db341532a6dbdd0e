"""How a Data Tables operation reaches the host: one op dict out, its answer back.

Inside the sandbox an op goes through the bridge (`_widgetbox.bridge.call("tables", op)`). In a
browser there is no bridge: the client's `anvil` package offers a function,
`anvil._tables_transport` (taken when this module loads; `set_transport(fn)` replaces it), that
POSTs the same dict to `/_/tables` and returns the answer as a frame, `{"ok": value}` or
`{"error": {"kind": kind, "message": text}}`. Either way, a refusal is raised here as the
`anvil.tables` exception of its kind.
"""

import anvil
from anvil.tables._errors import TableError, error_for

BRIDGE_OP = "tables"

_send = getattr(anvil, "_tables_transport", None)


def set_transport(fn):
    """Carry operations with `fn(op) -> answer frame` (the browser client; None: the bridge)."""
    global _send
    _send = fn


def in_browser():
    """Whether operations go through an installed transport rather than the bridge."""
    return _send is not None


def call(op):
    """Perform one operation and return its answer, or raise the exception of its refusal."""
    if _send is not None:
        return _answer(_send(op))
    from _widgetbox import bridge

    try:
        return bridge.call(BRIDGE_OP, op)
    except bridge.UnknownOperation:
        raise TableError("Data Tables are not available on this server") from None
    except bridge.HostCallError as e:
        found = error_for(e.kind, str(e))
        if found is None:
            raise
        raise found from None


def _answer(frame):
    if isinstance(frame, dict) and "error" in frame:
        error = frame["error"] if isinstance(frame["error"], dict) else {}
        kind = str(error.get("kind", "TableError"))
        message = str(error.get("message", kind))
        raise error_for(kind, message) or TableError(message)
    if isinstance(frame, dict) and "ok" in frame:
        return frame["ok"]
    raise TableError("the server's answer to a Data Tables operation could not be read")
