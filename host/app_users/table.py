"""The widget's `users` table, as the Users service reads and writes it: Data Tables
operations with the owner's access (`tables.operations.OWNER`), on the widget's file, shaped
by the `tables.yaml` the caller runs with. Rows go out as the engine's row records (what
`anvil.tables` builds a Row from); the service hides the password hash before anyone else
sees one (`tables/guard.py`).

The service writes only the columns the table has, so a widget whose owner removed one
(`remembered_logins`, say) keeps working without it; it needs `email`, `enabled` and
`password_hash`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from widgetbox.host.tables import TablesError, TablesStore, operations, values
from widgetbox.host.tables.tables_yaml import Schema, SchemaError, TableSpec, parse

USERS = "users"
COLUMNS = {
    "email": "string",
    "enabled": "bool",
    "signed_up": "datetime",
    "last_login": "datetime",
    "password_hash": "string",
    "n_password_failures": "number",
    "confirmed_email": "bool",
    "remembered_logins": "simpleObject",
}
"""Anvil's columns of the Users table, with their types (the IDE adds them)."""
NEEDED = ("email", "enabled", "password_hash")
ANSWER_MARGIN = 0.05


class UsersTableError(Exception):
    """The users table cannot be used; the message says why (for the widget's code)."""


def spec_of(schema_text: str | None) -> tuple[Schema, TableSpec]:
    try:
        schema = parse(schema_text)
    except SchemaError as e:
        raise UsersTableError(str(e)) from None
    spec = schema.tables.get(USERS)
    if spec is None:
        raise UsersTableError(
            "The Users service keeps its users in a table named 'users', and this widget's "
            "tables.yaml has none: turn the Users service off and on again in the widget's "
            "settings to add it."
        )
    have = {column.name: column.type for column in spec.columns}
    missing = [name for name in NEEDED if have.get(name) != COLUMNS[name]]
    if missing:
        raise UsersTableError(
            "The users table needs the columns "
            + ", ".join(f"{name} ({COLUMNS[name]})" for name in missing)
            + ": turn the Users service off and on again in the widget's settings to add them."
        )
    return schema, spec


def value(record: dict[str, Any] | None, column: str) -> Any:
    """A column's value in a row record, dates as aware datetimes."""
    if record is None:
        return None
    found = record.get("values", {}).get(column)
    if isinstance(found, dict) and found.get(values.TAG) == "datetime":
        try:
            parsed = datetime.fromisoformat(str(found.get("v")))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return found


def moment(when: datetime) -> dict[str, str]:
    """A datetime in the wire's form."""
    return {values.TAG: "datetime", "v": when.astimezone(UTC).isoformat()}


class UsersTable:
    """One widget's users table, for one request (`deadline` on the monotonic clock)."""

    def __init__(
        self, store: TablesStore, widget_id: int, schema_text: str | None, deadline: float
    ) -> None:
        self.schema, self.spec = spec_of(schema_text)
        self.columns = {column.name for column in self.spec.columns}
        self.store = store
        self.widget_id = widget_id
        self.deadline = deadline

    def _run(self, request: dict[str, Any]) -> Any:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise UsersTableError("The Users service ran out of time for this request")
        call = operations.Call(
            self.store.open(self.widget_id),
            self.schema,
            operations.OWNER,
            time.monotonic() + max(left - ANSWER_MARGIN, 0.0),
            self.store.limits,
        )
        try:
            return operations.run(call, request).answer
        except TablesError as e:
            raise UsersTableError(e.message) from None

    def find(self, email: str) -> dict[str, Any] | None:
        """The user with this address: as lower-cased first, then as written (Anvil's
        order); None when there is none (or, oddly, more than one)."""
        tried = []
        for candidate in dict.fromkeys((email.lower(), email)):
            tried.append(candidate)
            found = self._run(
                {
                    "op": "search",
                    "table": USERS,
                    "query": {"eq": ["email", candidate]},
                    "page_size": 2,
                }
            )
            if len(found["rows"]) == 1:
                record: dict[str, Any] = found["rows"][0]
                return record
        return None

    def get(self, row_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] | None = self._run(
                {"op": "get_by_id", "table": USERS, "id": row_id}
            )
        except UsersTableError:
            return None
        return found

    def table_id(self) -> int:
        described = self._run({"op": "describe"})
        return int(described["tables"][USERS]["id"])

    def add(self, given: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = self._run(
            {"op": "add_row", "table": USERS, "values": self._only_known(given)}
        )
        return record

    def update(self, row_id: str, given: dict[str, Any]) -> dict[str, Any] | None:
        known = self._only_known(given)
        if not known:
            return self.get(row_id)
        try:
            record: dict[str, Any] = self._run({"op": "update", "id": row_id, "values": known})
        except UsersTableError:
            return None
        return record

    def delete(self, row_id: str) -> None:
        self._run({"op": "delete", "id": row_id})

    def search(self, text: str, offset: int, page: int) -> dict[str, Any]:
        query: dict[str, Any] = {"all": []}
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = {"ilike": ["email", f"%{escaped}%"]}
        found: dict[str, Any] = self._run(
            {
                "op": "search",
                "table": USERS,
                "query": query,
                "order": [["email", True]],
                "page_size": page,
                "offset": offset,
            }
        )
        found["total"] = self._run({"op": "count", "table": USERS, "query": query})
        return found

    def _only_known(self, given: dict[str, Any]) -> dict[str, Any]:
        return {name: item for name, item in given.items() if name in self.columns}
