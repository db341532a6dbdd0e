"""The browser's transport for `anvil.tables` (the guest's package, bundled from
wasm-python/anvil/tables/): each operation is a synchronous POST to the app's `/_/tables`,
as `anvil.server.call` makes its calls. The host answers `{"ok": answer}` or `{"error":
{"kind", "message"}}`, which the package raises as its `anvil.tables` class (or
`anvil.server.PermissionDenied`); a request refused before it reached the tables (the
visitor's rate, the connection) raises the `anvil.server` exception `anvil.server.call`
would. `anvil/__init__.py` offers it as `anvil._tables_transport`, which the package takes
when it is first imported, so an app that never uses its tables never loads them."""

TABLES_URL = "/_/tables"


def transport(op):
    from .server import _post

    return _post(TABLES_URL, op)
