"""Columns only the host may see: the Users service's password hashes.

When a widget's Users service is on, `users.password_hash` holds the Argon2id hashes the
host made (host/app_users/): server code (the `tables` bridge operation) and browsers
(`/_/tables`, capabilities included) may neither write it nor search or order by it (a
pattern search would read a hash out a character at a time), and every row they read shows
`HIDDEN` in its place when it holds a hash. Browsers never see that column at all, Users
service or not. Only the host's own work on the file (the Users service, the owner's Data
page) uses it as it is.

A guard is a set of (table, column) names; `operations.run` applies it."""

from __future__ import annotations

from typing import Any

from widgetbox.host.tables.errors import PermissionDenied

Guard = frozenset[tuple[str, str]]

USERS_PASSWORD: Guard = frozenset({("users", "password_hash")})
NONE: Guard = frozenset()
HIDDEN = "<hidden>"
"""What a guarded column shows where it holds a value."""

_LEAVES = ("eq", "gt", "ge", "lt", "le", "between", "like", "ilike", "fts")


def refuse(table: str, column: str, what: str) -> PermissionDenied:
    return PermissionDenied(
        f"The {column} column of the {table} table is kept by the Users service: code may "
        f"not {what} it (anvil.users sets passwords)."
    )


def check_write(guard: Guard, table: str, columns: Any) -> None:
    for column in columns:
        if (table, column) in guard:
            raise refuse(table, column, "write")


def check_query(guard: Guard, table: str, tree: Any) -> None:
    """Refuse a query tree naming a guarded column. The tree is the request's, not yet
    checked (`query.where` refuses a malformed one afterwards): a column may be anything."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if not isinstance(node, dict):
            continue
        for op, args in node.items():
            if op in _LEAVES and isinstance(args, list) and args:
                if isinstance(args[0], str) and (table, args[0]) in guard:
                    raise refuse(table, str(args[0]), "search by")
            elif op == "not":
                pending.append(args)
            elif isinstance(args, list):
                pending.extend(args)


def check_order(guard: Guard, table: str, order: Any) -> None:
    for item in order if isinstance(order, list) else ():
        if (
            isinstance(item, list)
            and item
            and isinstance(item[0], str)
            and (table, item[0]) in guard
        ):
            raise refuse(table, str(item[0]), "order by")


def mask(guard: Guard, answer: Any) -> Any:
    """An operation's answer with guarded columns hidden in every row record in it (a
    record, a list of them, or a search's page)."""
    if isinstance(answer, list):
        return [mask(guard, item) for item in answer]
    if not isinstance(answer, dict):
        return answer
    if isinstance(answer.get("rows"), list):
        return {**answer, "rows": [mask(guard, record) for record in answer["rows"]]}
    table, found = answer.get("table"), answer.get("values")
    if not isinstance(table, str) or not isinstance(found, dict):
        return answer
    hidden = {
        column: (None if value is None else HIDDEN)
        for column, value in found.items()
        if (table, column) in guard
    }
    return {**answer, "values": {**found, **hidden}} if hidden else answer
