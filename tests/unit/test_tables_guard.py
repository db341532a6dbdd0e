"""The columns only the host may see (`tables/guard.py`): the Users service's password
hashes, refused to writes, searches and orders, and hidden in every row read, through the
operations themselves on a real tables file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from widgetbox.host.tables import TablesError, TablesSession, TablesStore, client_call, guard
from widgetbox.host.tables.errors import PermissionDenied

pytestmark = pytest.mark.unit

SCHEMA = """\
tables:
  users:
    client: full
    columns:
      - {name: email, type: string}
      - {name: password_hash, type: string}
  notes:
    columns:
      - {name: author, type: link_single, target: users}
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TablesStore]:
    found = TablesStore(tmp_path)
    yield found
    found.close()


def session(store: TablesStore, guarded: guard.Guard = guard.USERS_PASSWORD) -> TablesSession:
    return TablesSession(store, 1, SCHEMA, guarded=guarded)


def owner_row(store: TablesStore) -> dict[str, Any]:
    plain = session(store, guard.NONE)
    try:
        row: dict[str, Any] = plain.call(
            {"op": "add_row", "table": "users",
             "values": {"email": "a@example.com", "password_hash": "$argon2id$real"}},
            10,
        )  # fmt: skip
    finally:
        plain.end()
    return row


def test_rows_read_show_the_hash_hidden(store: TablesStore) -> None:
    row = owner_row(store)
    assert row["values"]["password_hash"] == "$argon2id$real"
    guarded = session(store)
    try:
        for request in (
            {"op": "row", "id": row["id"]},
            {"op": "get_by_id", "table": "users", "id": row["id"]},
            {"op": "get", "table": "users", "query": {"eq": ["email", "a@example.com"]}},
        ):
            assert guarded.call(request, 10)["values"]["password_hash"] == guard.HIDDEN
        page = guarded.call({"op": "search", "table": "users"}, 10)
        assert [found["values"]["password_hash"] for found in page["rows"]] == [guard.HIDDEN]
        added = guarded.call({"op": "add_row", "table": "users", "values": {"email": "b"}}, 10)
        assert added["values"]["password_hash"] is None  # nothing to hide
    finally:
        guarded.end()


@pytest.mark.parametrize(
    "request_",
    [
        {"op": "add_row", "table": "users", "values": {"password_hash": "mine"}},
        {"op": "add_rows", "table": "users", "rows": [{"email": "x", "password_hash": "m"}]},
        {"op": "search", "table": "users", "query": {"like": ["password_hash", "$%"]}},
        {"op": "search", "table": "users",
         "query": {"any": [{"eq": ["email", "x"]}, {"not": {"gt": ["password_hash", "a"]}}]}},
        {"op": "search", "table": "users", "order": [["password_hash", True]]},
        {"op": "count", "table": "users", "query": {"eq": ["password_hash", None]}},
        {"op": "delete_where", "table": "users", "query": {"ilike": ["password_hash", "%"]}},
    ],
)  # fmt: skip
def test_writes_searches_and_orders_are_refused(store: TablesStore, request_: Any) -> None:
    owner_row(store)
    guarded = session(store)
    try:
        with pytest.raises(PermissionDenied, match="kept by the Users service"):
            guarded.call(request_, 10)
    finally:
        guarded.end()


def test_an_update_of_the_hash_is_refused(store: TablesStore) -> None:
    row = owner_row(store)
    guarded = session(store)
    try:
        with pytest.raises(PermissionDenied):
            guarded.call({"op": "update", "id": row["id"], "values": {"password_hash": "x"}}, 10)
        guarded.call({"op": "update", "id": row["id"], "values": {"email": "c@example.com"}}, 10)
    finally:
        guarded.end()


def test_browsers_never_see_it(store: TablesStore) -> None:
    row = owner_row(store)
    found = client_call(store, 1, SCHEMA, {"op": "row", "id": row["id"]}, capability=True)
    assert found["values"]["password_hash"] == guard.HIDDEN
    with pytest.raises(TablesError):
        client_call(store, 1, SCHEMA, {"op": "search", "table": "users",
                                       "query": {"like": ["password_hash", "$%"]}})  # fmt: skip


def test_other_tables_and_columns_are_untouched() -> None:
    record = {"id": "[1,1]", "table": "notes", "values": {"password_hash": "x"}}
    assert guard.mask(guard.USERS_PASSWORD, record) == record
    guard.check_query(guard.USERS_PASSWORD, "notes", {"eq": ["password_hash", 1]})


@pytest.mark.parametrize(
    "request_",
    [
        {"op": "count", "table": "users", "query": {"eq": [{"$wb": "date", "v": "x"}, 1]}},
        {"op": "search", "table": "users", "order": [[{"a": 1}, True]]},
        {"op": "search", "table": "users", "query": {"not": {"like": [["email"], "%"]}}},
    ],
)
def test_a_column_that_is_not_text_is_refused_as_malformed(
    store: TablesStore, request_: Any
) -> None:
    """The guard reads the request before `query.where` checks it (the fuzzer's find: a
    column given as an object raised TypeError, the bridge's generic HostError)."""
    with pytest.raises(TablesError) as refused:
        session(store).call(request_, 10)
    assert refused.value.kind == "BadRequest"
