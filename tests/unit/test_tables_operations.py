"""The Data Tables operations through a run's session: each operation, strict request shapes,
auto-created columns, access levels for browser code, limits, transactions between runs on
two threads, and the bridge handler."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._timing import LOADED_MARGIN, by_deadline
from widgetbox.host import tables
from widgetbox.host.services import end_run_context
from widgetbox.host.tables.errors import TablesError
from widgetbox.host.tables.limits import TableLimits
from widgetbox.host.tables.session import TablesSession, client_call
from widgetbox.host.tables.store import TablesStore
from widgetbox.runtime import Bridge, HostCall, HostCallError

pytestmark = pytest.mark.unit

SCHEMA = """
tables:
  people:
    client: full
    columns:
      - {name: name, type: string}
      - {name: age, type: number}
      - {name: photo, type: media}
      - {name: friends, type: link_multiple, target: people}
  notes:
    client: search
    columns:
      - {name: text, type: string}
      - {name: by, type: link_single, target: people}
      - {name: file, type: media}
  secret:
    client: none
    columns:
      - {name: key, type: string}
"""


@pytest.fixture
def store(tmp_path: Path) -> TablesStore:
    return TablesStore(tmp_path, TableLimits(lock_wait=0.3))


@pytest.fixture
def session(store: TablesStore) -> Iterator[TablesSession]:
    session = TablesSession(store, 1, SCHEMA)
    yield session
    session.end()


def call(session: TablesSession, op: str, **args: Any) -> Any:
    return session.call({"op": op, **args}, 5)


def fails(kind: str, message: str | None = None) -> Any:
    return _Fails(kind, message)


class _Fails:
    def __init__(self, kind: str, message: str | None) -> None:
        self.kind, self.message = kind, message

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        assert isinstance(exc, TablesError), f"expected {self.kind}, got {exc!r}"
        assert exc.kind == self.kind, (exc.kind, exc.message)
        if self.message is not None:
            assert exc.message == self.message
        return True


def ref(record: dict[str, Any]) -> dict[str, Any]:
    return {"$wb": "row", "v": record["id"]}


def media(data: bytes, name: str | None = "a.txt") -> dict[str, Any]:
    encoded = base64.b64encode(data).decode()
    return {"$wb": "media", "v": {"content_type": "text/plain", "name": name, "data": encoded}}


# -- each operation --------------------------------------------------------------------------


def test_rows_in_and_out(session: TablesSession) -> None:
    ann = call(session, "add_row", table="people", values={"name": "Ann", "age": 30})
    assert ann == {
        "id": ann["id"],
        "table": "people",
        "values": {"name": "Ann", "age": 30, "photo": None, "friends": None},
    }
    assert call(session, "get", table="people", query={"eq": ["name", "Ann"]}) == ann
    assert call(session, "get", table="people", query={"eq": ["name", "Zed"]}) is None
    assert call(session, "get_by_id", table="people", id=ann["id"]) == ann
    assert call(session, "get_by_id", table="notes", id=ann["id"]) is None  # another table's id
    with fails("TableError"):
        call(session, "get_by_id", table="people", id="[1,x]")
    assert call(session, "row", id=ann["id"], fetch_only=["age"])["values"] == {"age": 30}
    updated = call(session, "update", id=ann["id"], values={"age": 31, "friends": [ref(ann)]})
    assert updated["values"]["friends"] == [ref(ann)]
    assert call(session, "count", table="people") == 1
    call(session, "delete", id=ann["id"])
    with fails("RowDeleted", "This row has been deleted"):
        call(session, "row", id=ann["id"])
    with fails("RowDeleted"):
        call(session, "update", id=ann["id"], values={"age": 1})
    with fails("RowDeleted"):
        call(session, "delete", id=ann["id"])


def test_more_than_one_match_for_get(session: TablesSession) -> None:
    call(session, "add_rows", table="people", rows=[{"name": "A"}, {"name": "A"}])
    with fails("TableError", "More than one row matched this query"):
        call(session, "get", table="people", query={"eq": ["name", "A"]})


def test_search_pages_by_offset_and_says_when_there_is_more(session: TablesSession) -> None:
    call(
        session,
        "add_rows",
        table="people",
        rows=[{"name": f"p{n:02}", "age": n % 3} for n in range(25)],
    )
    seen = []
    offset = 0
    while True:
        page = call(
            session, "search", table="people", order=[["age", True]], page_size=10, offset=offset
        )
        seen += [row["values"]["name"] for row in page["rows"]]
        offset += len(page["rows"])
        if not page["more"]:
            break
    assert len(seen) == 25 == len(set(seen))
    assert seen[:3] == ["p00", "p03", "p06"]  # ties in id order: pages are stable
    with fails("TableError", "Page size must be a positive number."):
        call(session, "search", table="people", page_size=0)
    big = call(session, "search", table="people", page_size=10**9)
    assert len(big["rows"]) == 25
    assert big["more"] is False
    assert call(session, "count", table="people", query={"eq": ["age", 0]}) == 9


def test_delete_where_and_delete_all(session: TablesSession) -> None:
    call(session, "add_rows", table="people", rows=[{"name": "a"}, {"name": "b"}, {"name": "ab"}])
    assert call(session, "delete_where", table="people", query={"like": ["name", "a%"]}) == 2
    assert call(session, "count", table="people") == 1
    assert call(session, "delete_all", table="people") is None
    assert call(session, "count", table="people") == 0


def test_media_is_stored_copied_and_freed(session: TablesSession, store: TablesStore) -> None:
    row = call(session, "add_row", table="people", values={"photo": media(b"one")})
    photo = row["values"]["photo"]["v"]
    assert photo == {
        "ref": photo["ref"],
        "content_type": "text/plain",
        "name": "a.txt",
        "length": 3,
    }
    got = call(session, "media", ref=photo["ref"])
    assert base64.b64decode(got["data"]) == b"one"
    assert got["name"] == "a.txt"
    copy = call(session, "add_row", table="notes", values={"file": row["values"]["photo"]})
    assert copy["values"]["file"]["v"]["ref"] != photo["ref"]  # each row owns its media
    call(session, "update", id=row["id"], values={"photo": media(b"two", None)})
    with fails("TableError", "Media object deleted"):
        call(session, "media", ref=photo["ref"])
    call(session, "delete_all", table="people")
    conn = store.open(1)
    with conn.work(time.monotonic() + 5, write=False) as work:
        assert work.conn.execute("SELECT count(*) FROM _wb_media").fetchone()[0] == 1  # the note's


def test_links_must_point_at_live_rows_of_the_target(session: TablesSession) -> None:
    ann = call(session, "add_row", table="people", values={"name": "Ann"})
    note = call(session, "add_row", table="notes", values={"by": ref(ann)})
    assert note["values"]["by"] == ref(ann)
    with fails(
        "TableError",
        "Column 'by' is a Row from 'people' table - cannot set it to a Row from 'notes' table",
    ):
        call(session, "add_row", table="notes", values={"by": ref(note)})
    call(session, "delete", id=ann["id"])
    with fails("RowDeleted"):
        call(session, "add_row", table="notes", values={"by": ref(ann)})
    assert call(session, "row", id=note["id"])["values"]["by"] == ref(ann)  # left dangling


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ([], 'a Data Tables request is {"op": name, ...}'),
        ({"op": "drop"}, "unknown Data Tables operation 'drop'"),
        ({"op": "count"}, "'count' needs table"),
        ({"op": "count", "table": "people", "sneaky": 1}, "'count' takes no 'sneaky'"),
        ({"op": "count", "table": 5}, "'count': table is text"),
        ({"op": "add_row", "table": "people", "values": []}, "'add_row': values is an object"),
        ({"op": "search", "table": "people", "offset": -1}, "'search': offset is a whole number"),
        (
            {"op": "search", "table": "people", "page_size": True},
            "'search': page_size is a whole number or null",
        ),
        (
            {"op": "search", "table": "people", "fetch_only": [1]},
            "'search': fetch_only is a list of column names or null",
        ),
        (
            {"op": "add_rows", "table": "people", "rows": [1]},
            "'add_rows': rows is a list of objects",
        ),
        ({"op": "begin", "x": 1}, "'begin' takes nothing but its name"),
    ],
)
def test_requests_are_checked_strictly(session: TablesSession, request_: Any, message: str) -> None:
    with fails("BadRequest", message):
        session.call(request_, 5)


def test_unknown_tables_and_columns(session: TablesSession) -> None:
    with fails("NoSuchTable", "No such app table: 'ghosts'"):
        call(session, "count", table="ghosts")
    with fails("NoSuchColumn", "No such column 'nope'"):
        call(session, "search", table="people", fetch_only=["nope"])
    with fails("TableError", "Column 'age' is a number - cannot set it to a string"):
        call(session, "add_row", table="people", values={"age": "old"})


# -- auto-created columns ---------------------------------------------------------------------


def test_unknown_columns_are_created_from_their_values(store: TablesStore) -> None:
    reported: list[tuple[int, str, list[Any]]] = []
    session = TablesSession(store, 1, SCHEMA, on_new_columns=lambda *a: reported.append(a))
    ann = call(session, "add_row", table="people", values={"name": "Ann"})
    call(
        session,
        "add_row",
        table="people",
        values={
            "email": "a@b.c",
            "born": {"$wb": "date", "v": "2000-01-01"},
            "tags": ["x"],
            "boss": ref(ann),
            "team": [ref(ann)],
            "ok": True,
        },
    )
    assert reported == [
        (
            1,
            "people",
            [
                ("people", "email", "string", None),
                ("people", "born", "date", None),
                ("people", "tags", "simpleObject", None),
                ("people", "boss", "link_single", "people"),
                ("people", "team", "link_multiple", "people"),
                ("people", "ok", "bool", None),
            ],
        )
    ]
    described = call(session, "describe")["tables"]["people"]["columns"]
    assert {"name": "boss", "type": "link_single", "target": "people"} in described
    with fails("NoSuchColumn", "No such column 'nothing'"):  # None says no type
        call(session, "add_row", table="people", values={"nothing": None})
    with fails("NoSuchColumn"):
        call(session, "add_row", table="people", values={"empty": []})
    with fails("TableError"):
        call(session, "add_row", table="people", values={"bad\x00name": 1})


def test_auto_create_can_be_turned_off(store: TablesStore) -> None:
    session = TablesSession(store, 1, "auto_create_columns: false\n" + SCHEMA)
    with fails("NoSuchColumn", "No such column 'email'"):
        call(session, "add_row", table="people", values={"email": "x"})


def test_columns_made_in_a_transaction_are_reported_when_it_commits(store: TablesStore) -> None:
    reported: list[Any] = []
    session = TablesSession(store, 1, SCHEMA, on_new_columns=lambda *a: reported.append(a))
    call(session, "begin")
    call(session, "add_row", table="people", values={"rolled": 1})
    call(session, "rollback")
    assert reported == []
    assert ("rolled", "number") not in [
        (c["name"], c["type"]) for c in call(session, "describe")["tables"]["people"]["columns"]
    ]
    call(session, "begin")
    call(session, "add_row", table="people", values={"kept": 1})
    assert reported == []
    call(session, "commit")
    assert reported == [(1, "people", [("people", "kept", "number", None)])]


# -- browser code ---------------------------------------------------------------------------


def browser(store: TablesStore, op: str, **args: Any) -> Any:
    return client_call(store, 1, SCHEMA, {"op": op, **args})


def test_browser_code_gets_each_tables_client_level(
    session: TablesSession, store: TablesStore
) -> None:
    ann = call(session, "add_row", table="people", values={"name": "Ann", "photo": media(b"p")})
    note = call(session, "add_row", table="notes", values={"text": "hi", "file": media(b"n")})
    secret = call(session, "add_row", table="secret", values={"key": "k"})
    assert set(browser(store, "describe")["tables"]) == {"people", "notes"}
    # full
    assert (
        browser(store, "add_row", table="people", values={"name": "Bob"})["values"]["name"] == "Bob"
    )
    browser(store, "update", id=ann["id"], values={"age": 3})
    # search
    assert browser(store, "count", table="notes") == 1
    assert browser(store, "row", id=note["id"])["values"]["text"] == "hi"
    with fails("PermissionDenied", "Cannot write to table 'notes' from client code."):
        browser(store, "add_row", table="notes", values={"text": "x"})
    with fails("PermissionDenied"):
        browser(store, "delete", id=note["id"])
    # none
    with fails("PermissionDenied", "Cannot read from table 'secret' from client code."):
        browser(store, "search", table="secret")
    with fails("PermissionDenied"):
        browser(store, "row", id=secret["id"])
    # no transactions, no new columns
    with fails("TableError"):
        browser(store, "begin")
    with fails("NoSuchColumn"):
        browser(store, "add_row", table="people", values={"new": 1})
    # media only through a row the browser may read
    assert browser(store, "media", ref=note["values"]["file"]["v"]["ref"])["data"] == "bg=="
    assert browser(store, "media", ref=ann["values"]["photo"]["v"]["ref"])["data"] == "cA=="


def test_browser_code_cannot_fetch_media_of_hidden_tables(store: TablesStore) -> None:
    text = SCHEMA + "      - {name: blob, type: media}\n"
    session = TablesSession(store, 1, text)
    hidden = call(session, "add_row", table="secret", values={"blob": media(b"secret")})
    with pytest.raises(TablesError, match="Media object deleted"):
        client_call(store, 1, text, {"op": "media", "ref": hidden["values"]["blob"]["v"]["ref"]})
    stolen = hidden["values"]["blob"]  # nor copy it into a table it may write
    with pytest.raises(TablesError, match="Media object deleted"):
        client_call(
            store, 1, text, {"op": "add_row", "table": "people", "values": {"photo": stolen}}
        )
    mine = call(session, "add_row", table="people", values={"photo": media(b"shared")})
    copied = client_call(
        store,
        1,
        text,
        {"op": "add_row", "table": "people", "values": {"photo": mine["values"]["photo"]}},
    )
    assert copied["values"]["photo"]["v"]["length"] == 6
    session.end()


# -- limits ---------------------------------------------------------------------------------


def test_operations_per_run(tmp_path: Path) -> None:
    session = TablesSession(TablesStore(tmp_path, TableLimits(ops_per_run=3)), 1, SCHEMA)
    for _ in range(3):
        call(session, "count", table="people")
    with fails("TableError", "A run may make at most 3 Data Tables operations"):
        call(session, "count", table="people")


def test_an_ended_session_answers_nothing(session: TablesSession) -> None:
    session.end()
    with fails("TableError", "This run has ended"):
        call(session, "count", table="people")


def test_add_rows_is_all_or_nothing(session: TablesSession) -> None:
    with fails("TableError"):
        call(session, "add_rows", table="people", rows=[{"name": "a"}, {"age": "b"}])
    assert call(session, "count", table="people") == 0


# -- transactions ---------------------------------------------------------------------------


def test_transaction_basics(session: TablesSession) -> None:
    with fails("TableError", "No transaction currently running"):
        call(session, "commit")
    call(session, "begin")
    with fails("TableError", "You already have a transaction open here"):
        call(session, "begin")
    call(session, "add_row", table="people", values={"name": "a"})
    # a failed operation inside is undone alone; the transaction goes on
    with fails("TableError"):
        call(session, "add_rows", table="people", rows=[{"name": "b"}, {"age": "x"}])
    assert call(session, "count", table="people") == 1
    call(session, "commit")
    assert call(session, "count", table="people") == 1


def test_another_runs_write_waits_then_conflicts(store: TablesStore) -> None:
    first = TablesSession(store, 1, SCHEMA)
    second = TablesSession(store, 1, SCHEMA)
    call(first, "begin")
    call(first, "add_row", table="people", values={"name": "mine"})
    errors: list[BaseException] = []

    def write() -> None:
        try:
            call(second, "add_row", table="people", values={"name": "theirs"})
        except BaseException as e:
            errors.append(e)

    started = time.monotonic()
    thread = threading.Thread(target=write)
    thread.start()
    thread.join(0.3 + LOADED_MARGIN)
    waited = time.monotonic() - started
    assert [getattr(e, "kind", e) for e in errors] == ["TransactionConflict"]
    assert errors[0].args[0] == "Another transaction has changed this data; aborting"
    assert by_deadline(waited, 0.3)  # the store's lock_wait
    assert call(second, "count", table="people") == 0  # reads go on, without the uncommitted row
    call(first, "commit")
    assert call(second, "count", table="people") == 1


def test_a_waiting_writer_gets_the_lock_when_the_transaction_commits(store: TablesStore) -> None:
    store = TablesStore(store.folder.parent, TableLimits(lock_wait=5))
    first = TablesSession(store, 1, SCHEMA)
    second = TablesSession(store, 1, SCHEMA)
    call(first, "begin")
    done = threading.Event()

    def write() -> None:
        call(second, "add_row", table="people", values={"name": "theirs"})
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.2)
    assert not done.is_set()
    call(first, "add_row", table="people", values={"name": "mine"})
    call(first, "commit")
    thread.join(5)
    assert done.is_set()
    assert call(second, "count", table="people") == 2


def test_ending_the_run_rolls_back_and_releases(store: TablesStore) -> None:
    first = TablesSession(store, 1, SCHEMA)
    call(first, "begin")
    call(first, "add_row", table="people", values={"name": "lost"})
    end_run_context({"tables": first, "widget_id": 1})
    second = TablesSession(store, 1, SCHEMA)
    call(second, "add_row", table="people", values={"name": "kept"})  # no conflict
    assert call(second, "count", table="people") == 1


def test_ending_during_an_operation_rolls_back_when_it_finishes(store: TablesStore) -> None:
    first = TablesSession(store, 1, SCHEMA)
    call(first, "begin")
    tables_ = store.open(1)
    transaction = first._transaction
    assert transaction is not None
    with tables_.work(time.monotonic() + 5, write=True, transaction=transaction) as work:
        work.conn.execute("INSERT INTO t1 DEFAULT VALUES")
        first.end()  # a run that ended while its handler was still busy
        assert tables_.writer_lock.locked()
    assert not tables_.writer_lock.locked()
    assert call(TablesSession(store, 1, SCHEMA), "count", table="people") == 0


def test_a_transaction_left_open_too_long_is_ended_by_a_waiting_writer(tmp_path: Path) -> None:
    store = TablesStore(tmp_path, TableLimits(lock_wait=1, transaction_seconds=0.2))
    first = TablesSession(store, 1, SCHEMA)
    second = TablesSession(store, 1, SCHEMA)
    call(first, "begin")
    call(first, "add_row", table="people", values={"name": "stale"})
    time.sleep(0.25)
    call(second, "add_row", table="people", values={"name": "fresh"})
    with fails("TableError", "This transaction has expired"):
        call(first, "add_row", table="people", values={"name": "late"})
    call(first, "add_row", table="people", values={"name": "on its own"})  # no transaction now
    assert call(second, "count", table="people") == 2


# -- the bridge handler ----------------------------------------------------------------------


def test_the_handler_turns_refusals_into_typed_guest_errors(session: TablesSession) -> None:
    bridge = Bridge(max_workers=2)
    try:
        handler = tables.register(bridge)
        context = {"tables": session}
        answer = handler(
            HostCall(op=tables.OP, context=context, timeout=5), {"op": "count", "table": "people"}
        )
        assert answer == 0
        with pytest.raises(HostCallError) as caught:
            handler(
                HostCall(op=tables.OP, context=context, timeout=5), {"op": "count", "table": "x"}
            )
        assert (caught.value.kind, caught.value.message) == (
            "NoSuchTable",
            "No such app table: 'x'",
        )
        with pytest.raises(HostCallError) as caught:
            handler(HostCall(op=tables.OP, context={}, timeout=5), {"op": "describe"})
        assert caught.value.kind == "NotFound"
        frame = bridge.dispatch(tables.OP, {"op": "describe"}, HostCall(tables.OP, context, 5))
        assert frame.startswith(b'{"ok": {"tables": {"people"') or b'"people"' in frame
    finally:
        bridge.close()


@pytest.mark.parametrize(
    ("op", "args"),
    [
        ("add_row", {"table": "notes", "values": {"text": "a\ud800b"}}),
        ("add_row", {"table": "notes", "values": {"new \udc00 column": "x"}}),
        ("search", {"table": "notes", "query": {"eq": ["text", "\ud800"]}}),
        ("search", {"table": "notes", "query": {"like": ["text", "%\udfff%"]}}),
        ("add_rows", {"table": "people", "rows": [{"name": "ok"}, {"name": "\ud800"}]}),
    ],
)
def test_text_that_is_not_unicode_is_a_bad_request(
    store: TablesStore, session: TablesSession, op: str, args: dict[str, Any]
) -> None:
    """JSON's escapes carry a lone surrogate, which SQLite can neither store nor compare (the
    fuzzer's find: UnicodeEncodeError, the bridge's generic HostError, from server code and
    the Users service alike, and a 500 from browser code). Nothing is written."""
    with pytest.raises(TablesError) as refused:
        call(session, op, **args)
    assert refused.value.kind == "BadRequest"
    with pytest.raises(TablesError):
        client_call(store, 1, SCHEMA, {"op": op, **args})
    assert call(session, "count", table="notes") == 0
    assert call(session, "count", table="people") == 0
