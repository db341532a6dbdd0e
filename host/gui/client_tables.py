"""Browser code's Data Tables requests (a GUI app's `/_/tables`, routed in apps.py): one
operation with each table's `client` level, or with the capability the request shows for what
server code handed the browser (capabilities.py), answered as the frame the client's transport
takes: `{"ok": answer}` with its rows signed, or `{"error": {"kind", "message"}}`, the refusal
that `anvil.tables` raises as its class. Blocking (SQLite): run it in a thread."""

from __future__ import annotations

from typing import Any

from widgetbox.host.gui.capabilities import WidgetCapabilities
from widgetbox.host.tables import TablesError, TablesStore, client_call


def answer(
    store: TablesStore,
    widget_id: int,
    schema_text: str | None,
    signer: WidgetCapabilities,
    request: dict[str, Any],
) -> dict[str, Any]:
    """The answer frame to one request (a JSON object, already parsed and bounded)."""
    granted = signer.grants(request)
    try:
        found = client_call(store, widget_id, schema_text, request, capability=granted)
    except TablesError as e:
        return {"error": {"kind": e.kind, "message": e.message}}
    return {"ok": signer.seal_answer(request, found, granted=granted)}
