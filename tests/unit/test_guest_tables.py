"""`anvil.tables` as widget code sees it, on the host's CPython with a fake host.

The fake answers the `tables` bridge operation from memory, the way tables-design.md section 3
says the host does, and records every operation sent, so the tests check both what code gets
and that the wire is exactly the design's. Every call of issue 13, section 2, is exercised.
"""

from __future__ import annotations

import base64
import copy
import datetime
import importlib.util
import json
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

GUEST = Path(__file__).resolve().parents[2] / "wasm-python"
UTC = datetime.UTC

SCHEMA: dict[str, dict[str, str]] = {
    "people": {
        "name": "string",
        "age": "number",
        "active": "bool",
        "born": "date",
        "seen": "datetime",
        "info": "simpleObject",
        "photo": "media",
        "boss": "link_single:people",
        "teams": "link_multiple:teams",
    },
    "teams": {"title": "string"},
    "notes": {"text": "string"},
}


class Refusal(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _plain(value: Any) -> Any:
    """A stored wire value as something to compare and sort by."""
    if isinstance(value, dict) and value.get("$wb") == "datetime":
        found = datetime.datetime.fromisoformat(value["v"])
        return found if found.tzinfo else found.replace(tzinfo=UTC)
    if isinstance(value, dict) and value.get("$wb") == "date":
        return datetime.date.fromisoformat(value["v"])
    return value


def _like(pattern: str, text: str, flags: int = 0) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, flags | re.DOTALL) is not None


class FakeHost:
    """The host's side of the `tables` operation, in memory."""

    def __init__(self, schema: dict[str, dict[str, str]], auto_create: bool = True) -> None:
        self.tables: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, dict[int, dict[str, Any]]] = {}
        for number, (name, columns) in enumerate(schema.items(), start=1):
            cols = []
            for column, kind in columns.items():
                entry = {"name": column, "type": kind.split(":")[0]}
                if ":" in kind:
                    entry["target"] = kind.split(":")[1]
                cols.append(entry)
            self.tables[name] = {"id": number, "client": "full", "columns": cols}
            self.rows[name] = {}
        self.auto_create = auto_create
        self.next_row = 1
        self.media: dict[int, dict[str, Any]] = {}
        self.ops: list[dict[str, Any]] = []
        self.snapshot: Any = None
        self.conflicts = 0
        self.refuse: Refusal | None = None

    # -- the door --------------------------------------------------------------------------

    def door(self, frame: bytes) -> bytes:
        request = json.loads(frame)
        assert request["op"] == "tables"
        return json.dumps(self.answer(request["data"])).encode()

    def answer(self, op: dict[str, Any]) -> dict[str, Any]:
        """The answer frame to one operation (what a browser transport returns too)."""
        self.ops.append(copy.deepcopy(op))
        try:
            if self.refuse is not None:
                raise self.refuse
            return {"ok": getattr(self, "op_" + op["op"])(op)}
        except Refusal as e:
            return {"error": {"kind": e.kind, "message": e.message}}

    def names(self) -> list[str]:
        return [op["op"] for op in self.ops]

    # -- helpers ---------------------------------------------------------------------------

    def columns(self, table: str) -> list[str]:
        return [column["name"] for column in self.tables[table]["columns"]]

    def table_of(self, row_id: str) -> tuple[str, int]:
        found = re.fullmatch(r"\[(\d+),(\d+)\]", row_id)
        if not found:
            raise Refusal("TableError", f"Invalid row id {row_id!r}")
        table_id, number = int(found[1]), int(found[2])
        for name, info in self.tables.items():
            if info["id"] == table_id and number in self.rows[name]:
                return name, number
        raise Refusal("RowDeleted", "This row has been deleted")

    def record(self, table: str, number: int, only: list[str] | None = None) -> dict[str, Any]:
        values = self.rows[table][number]
        shown = self.columns(table) if only is None else only
        return {
            "id": f"[{self.tables[table]['id']},{number}]",
            "table": table,
            "values": {column: values.get(column) for column in shown},
        }

    def store(self, table: str, values: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for column, value in values.items():
            if column not in self.columns(table):
                if not self.auto_create:
                    raise Refusal("NoSuchColumn", f"No such column '{column}'")
                self.tables[table]["columns"].append({"name": column, "type": "string"})
            out[column] = value
            if isinstance(value, dict) and value.get("$wb") == "media":
                payload = value["v"]
                if "ref" in payload:  # stored media, copied
                    payload = self.media[payload["ref"]]
                ref = len(self.media) + 1
                self.media[ref] = payload
                data = base64.b64decode(payload["data"])
                out[column] = {
                    "$wb": "media",
                    "v": {
                        "ref": ref,
                        "content_type": payload["content_type"],
                        "name": payload["name"],
                        "length": len(data),
                    },
                }
        return out

    def matches(self, node: dict[str, Any], values: dict[str, Any]) -> bool:
        ((kind, arg),) = node.items()
        if kind in ("all", "any", "none"):
            results = [self.matches(child, values) for child in arg]
            return {"all": all, "any": any, "none": lambda r: not any(r)}[kind](results)
        if kind == "not":
            return not self.matches(arg, values)
        column, stored = arg[0], _plain(values.get(arg[0]))
        if kind == "eq":
            wanted = arg[1]
            if isinstance(stored, list) and isinstance(wanted, list):
                return all(item in stored for item in wanted)
            return stored == _plain(wanted)
        if stored is None:
            return False
        if kind in ("gt", "lt", "ge", "le"):
            other = _plain(arg[1])
            return {
                "gt": stored > other,
                "lt": stored < other,
                "ge": stored >= other,
                "le": stored <= other,
            }[kind]
        if kind == "between":
            low, high = _plain(arg[1]), _plain(arg[2])
            above = stored >= low if arg[3] else stored > low
            below = stored <= high if arg[4] else stored < high
            return above and below
        if kind == "like":
            return _like(arg[1], stored)
        if kind == "ilike":
            return _like(arg[1], stored, re.IGNORECASE)
        if kind == "fts":
            return all(word in stored.lower().split() for word in arg[1].lower().split())
        raise Refusal("BadRequest", f"unknown query node {kind!r} for {column!r}")

    def found(self, table: str, query: dict[str, Any]) -> list[int]:
        if table not in self.tables:
            raise Refusal("NoSuchTable", f"No such app table: '{table}'")
        return [n for n, values in self.rows[table].items() if self.matches(query, values)]

    # -- the operations ----------------------------------------------------------------------

    def op_describe(self, op: dict[str, Any]) -> dict[str, Any]:
        return {"tables": copy.deepcopy(self.tables), "auto_create": self.auto_create}

    def op_add_row(self, op: dict[str, Any]) -> dict[str, Any]:
        number = self.next_row
        self.rows[op["table"]][number] = self.store(op["table"], op["values"])
        self.next_row += 1
        return self.record(op["table"], number)

    def op_add_rows(self, op: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.op_add_row({"table": op["table"], "values": v}) for v in op["rows"]]

    def op_get(self, op: dict[str, Any]) -> dict[str, Any] | None:
        found = self.found(op["table"], op["query"])
        if len(found) > 1:
            raise Refusal("TableError", "More than one row matched this query")
        return self.record(op["table"], found[0]) if found else None

    def op_get_by_id(self, op: dict[str, Any]) -> dict[str, Any] | None:
        try:
            table, number = self.table_of(op["id"])
        except Refusal as e:
            if e.kind == "RowDeleted":
                return None
            raise
        return self.record(table, number) if table == op["table"] else None

    def op_search(self, op: dict[str, Any]) -> dict[str, Any]:
        found = self.found(op["table"], op["query"])
        found.sort()
        for column, ascending in reversed(op["order"]):
            rows = self.rows[op["table"]]
            found.sort(
                key=lambda n, c=column: (rows[n].get(c) is not None, _plain(rows[n].get(c))),
                reverse=not ascending,
            )
        start, size = op["offset"], op["page_size"] or 100  # None: the host's default
        page = found[start : start + size]
        return {
            "rows": [self.record(op["table"], n, op["fetch_only"]) for n in page],
            "more": start + size < len(found),
        }

    def op_count(self, op: dict[str, Any]) -> int:
        return len(self.found(op["table"], op["query"]))

    def op_row(self, op: dict[str, Any]) -> dict[str, Any]:
        return self.record(*self.table_of(op["id"]))

    def op_update(self, op: dict[str, Any]) -> dict[str, Any]:
        table, number = self.table_of(op["id"])
        self.rows[table][number].update(self.store(table, op["values"]))
        return self.record(table, number)

    def op_delete(self, op: dict[str, Any]) -> None:
        table, number = self.table_of(op["id"])
        del self.rows[table][number]

    def op_delete_where(self, op: dict[str, Any]) -> int:
        found = self.found(op["table"], op["query"])
        for number in found:
            del self.rows[op["table"]][number]
        return len(found)

    def op_delete_all(self, op: dict[str, Any]) -> None:
        self.rows[op["table"]].clear()

    def op_media(self, op: dict[str, Any]) -> dict[str, Any]:
        payload = self.media[op["ref"]]
        return {k: payload[k] for k in ("content_type", "name", "data")}

    def op_begin(self, op: dict[str, Any]) -> None:
        if self.snapshot is not None:
            raise Refusal("TableError", "You already have a transaction open here")
        self.snapshot = copy.deepcopy((self.rows, self.media, self.next_row))

    def op_commit(self, op: dict[str, Any]) -> None:
        if self.conflicts:
            self.conflicts -= 1
            self.op_rollback(op)
            raise Refusal("TransactionConflict", "Another transaction changed these rows")
        self.snapshot = None

    def op_rollback(self, op: dict[str, Any]) -> None:
        self.rows, self.media, self.next_row = self.snapshot
        self.snapshot = None


@pytest.fixture
def host(guest_modules: None) -> Iterator[FakeHost]:
    from _widgetbox import bridge

    fake = FakeHost(copy.deepcopy(SCHEMA))
    bridge.set_door(fake.door)
    try:
        yield fake
    finally:
        bridge.set_door(None)


@pytest.fixture
def tables(host: FakeHost) -> types.ModuleType:
    import anvil.tables

    return anvil.tables


@pytest.fixture
def q(host: FakeHost) -> types.ModuleType:
    import anvil.tables.query as q

    return q


@pytest.fixture
def people(tables: types.ModuleType, host: FakeHost) -> Any:
    """`app_tables.people` with three rows, and the ops that made them forgotten."""
    table = tables.app_tables.people
    table.add_row(name="Ann", age=30, active=True)
    table.add_row(name="Bob", age=17, active=False)
    table.add_row(name="Cy", age=65, active=True)
    host.ops.clear()
    return table


EVERYONE = {"all": []}


# -- app_tables ------------------------------------------------------------------------------


def test_tables_by_attribute_and_by_name(tables: types.ModuleType, host: FakeHost) -> None:
    from anvil.tables import app_tables

    assert app_tables.people == app_tables["people"]
    assert isinstance(app_tables.teams, tables.Table)
    assert sorted(app_tables) == ["notes", "people", "teams"]
    assert host.ops == [{"op": "describe"}]  # asked once, lazily, then kept


def test_no_describe_before_a_table_is_needed(tables: types.ModuleType, host: FakeHost) -> None:
    assert host.ops == []


def test_names_sent_with_the_run_answer_app_tables_alone(
    tables: types.ModuleType, host: FakeHost
) -> None:
    from anvil.tables import app_tables

    app_tables._given(["people", "teams", "notes"])
    assert repr(app_tables.people) == "<anvil.tables.Table: people>"
    assert isinstance(app_tables["teams"], tables.Table)
    with pytest.raises(AttributeError, match="No such app table: 'nope'"):
        app_tables.nope  # noqa: B018
    with pytest.raises(KeyError):
        app_tables["nope"]
    assert host.ops == []
    # ids and columns are still asked for when needed, once
    row = app_tables.people.add_row(name="Ann")
    assert app_tables.people.has_row(row)
    assert tables.get_table_by_id(row.get_id()) == app_tables.people
    assert host.names() == ["add_row", "describe", "get_by_id"]


@pytest.mark.parametrize("names", [None, "people", ["people", 1], {"people": {}}])
def test_malformed_names_sent_with_the_run_are_refused(
    tables: types.ModuleType, names: Any
) -> None:
    with pytest.raises(tables.TableError, match="could not be read"):
        tables.app_tables._given(names)


def test_an_unknown_table(tables: types.ModuleType) -> None:
    with pytest.raises(AttributeError) as info:
        tables.app_tables.nope  # noqa: B018
    assert str(info.value) == "No such app table: 'nope'"
    with pytest.raises(KeyError):
        tables.app_tables["nope"]
    assert not hasattr(tables.app_tables, "__wrapped__")


def test_app_tables_is_read_only(tables: types.ModuleType) -> None:
    with pytest.raises(AttributeError, match="read-only"):
        tables.app_tables.people = 1
    assert "people" in dir(tables.app_tables)


def test_tables_cannot_be_iterated(tables: types.ModuleType) -> None:
    with pytest.raises(TypeError, match="search"):
        iter(tables.app_tables.people)


# -- add_row and values on the wire ----------------------------------------------------------


def test_add_row_sends_tagged_values(tables: types.ModuleType, host: FakeHost) -> None:
    import anvil

    boss = tables.app_tables.people.add_row(name="Boss")
    team = tables.app_tables.teams.add_row(title="Red")
    host.ops.clear()
    row = tables.app_tables.people.add_row(
        name="Ann",
        age=30.5,
        active=True,
        born=datetime.date(1990, 5, 17),
        seen=datetime.datetime(2026, 1, 2, 3, 4, 5),
        info={"$wb": "mine", "tags": ("a", "b")},
        photo=anvil.BlobMedia("image/png", b"\x89PNG", name="a.png"),
        boss=boss,
        teams=[team],
    )
    assert host.ops == [
        {
            "op": "add_row",
            "table": "people",
            "values": {
                "name": "Ann",
                "age": 30.5,
                "active": True,
                "born": {"$wb": "date", "v": "1990-05-17"},
                "seen": {"$wb": "datetime", "v": "2026-01-02T03:04:05"},
                "info": {"$wb": "dict", "v": {"$wb": "mine", "tags": ["a", "b"]}},
                "photo": {
                    "$wb": "media",
                    "v": {
                        "content_type": "image/png",
                        "name": "a.png",
                        "data": base64.b64encode(b"\x89PNG").decode(),
                    },
                },
                "boss": {"$wb": "row", "v": boss.get_id()},
                "teams": [{"$wb": "row", "v": team.get_id()}],
            },
        }
    ]
    assert isinstance(row, tables.Row)
    assert row["born"] == datetime.date(1990, 5, 17)
    assert row["seen"] == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert row["seen"].utcoffset() == datetime.timedelta(0)
    assert row["info"] == {"$wb": "mine", "tags": ["a", "b"]}
    assert row["boss"] == boss
    assert row["teams"] == [team]
    assert len(host.ops) == 1  # everything came with the record


def test_values_a_table_cannot_hold(tables: types.ModuleType, host: FakeHost) -> None:
    import anvil.server

    for value in ({1, 2}, {1: "a"}, float("nan"), object()):
        with pytest.raises(anvil.server.SerializationError):
            tables.app_tables.people.add_row(info=value)
    assert [op for op in host.ops if op["op"] == "add_row"] == []


def test_column_names_are_strings(tables: types.ModuleType) -> None:
    with pytest.raises(TypeError, match="strings"):
        tables.app_tables.people.add_rows([{1: "x"}])


def test_add_rows(tables: types.ModuleType, host: FakeHost) -> None:
    rows = tables.app_tables.teams.add_rows([{"title": "A"}, {"title": "B"}])
    assert [row["title"] for row in rows] == ["A", "B"]
    assert host.ops[-1] == {
        "op": "add_rows",
        "table": "teams",
        "rows": [{"title": "A"}, {"title": "B"}],
    }


def test_an_unknown_column_without_auto_create(tables: types.ModuleType, host: FakeHost) -> None:
    host.auto_create = False
    with pytest.raises(tables.NoSuchColumnError, match="No such column 'shoe'"):
        tables.app_tables.people.add_row(shoe=42)


# -- get, get_by_id, has_row -----------------------------------------------------------------


def test_get(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    assert ann["age"] == 30
    assert people.get(name="Zed") is None
    assert host.ops == [
        {"op": "get", "table": "people", "query": {"eq": ["name", "Ann"]}},
        {"op": "get", "table": "people", "query": {"eq": ["name", "Zed"]}},
    ]
    with pytest.raises(tables.TableError, match="More than one row matched this query"):
        people.get(active=True)


def test_get_takes_queries_but_no_order(people: Any, tables: types.ModuleType, q) -> None:
    assert people.get(q.any_of(name="Bob", age=q.greater_than(100)))["name"] == "Bob"
    with pytest.raises(tables.TableError, match="order_by"):
        people.get(tables.order_by("age"), name="Ann")
    with pytest.raises(tables.TableError, match="page_size"):
        people.get(q.page_size(5), name="Ann")


def test_get_by_id(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    host.ops.clear()
    again = people.get_by_id(ann.get_id())
    assert again == ann
    assert again is not ann
    assert host.ops == [{"op": "get_by_id", "table": "people", "id": ann.get_id()}]
    assert tables.app_tables.teams.get_by_id(ann.get_id()) is None  # another table's row
    assert people.get_by_id("[1,999]") is None
    with pytest.raises(tables.TableError, match="Invalid row id"):
        people.get_by_id("rubbish")
    with pytest.raises(TypeError, match="string"):
        people.get_by_id(17)


def test_has_row(people: Any, tables: types.ModuleType) -> None:
    ann = people.get(name="Ann")
    team = tables.app_tables.teams.add_row(title="T")
    assert people.has_row(ann)
    assert ann in people
    assert not people.has_row(team)
    assert not people.has_row("[1,1]")
    ann.delete()
    assert not people.has_row(ann)


def test_get_table_by_id(people: Any, tables: types.ModuleType) -> None:
    ann = people.get(name="Ann")
    assert tables.get_table_by_id(1) == people
    assert tables.get_table_by_id(ann.get_id()) == people
    assert tables.get_table_by_id("2") == tables.app_tables.teams
    assert tables.get_table_by_id(99) is None


# -- search and the query operators ----------------------------------------------------------


def test_search_by_column_values(people: Any, host: FakeHost) -> None:
    found = people.search(active=True)
    assert [row["name"] for row in found] == ["Ann", "Cy"]
    assert host.ops == [
        {
            "op": "search",
            "table": "people",
            "query": {"eq": ["active", True]},
            "order": [],
            "page_size": None,  # the host's default (the `[tables]` setting)
            "offset": 0,
            "fetch_only": None,
        }
    ]


def test_search_of_everything(people: Any, host: FakeHost) -> None:
    assert len(list(people.search())) == 3
    assert host.ops[0]["query"] == EVERYONE


def test_search_happens_at_the_call(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    with pytest.raises(tables.TableError, match="Invalid query"):
        people.search("Ann")
    host.refuse = Refusal("NoSuchColumn", "No such column 'x'")
    with pytest.raises(tables.NoSuchColumnError):
        people.search(x=1)


@pytest.mark.parametrize(
    ("make", "node", "names"),
    [
        (lambda q: {"age": q.greater_than(30)}, {"gt": ["age", 30]}, ["Cy"]),
        (lambda q: {"age": q.less_than(30)}, {"lt": ["age", 30]}, ["Bob"]),
        (lambda q: {"age": q.greater_than_or_equal_to(30)}, {"ge": ["age", 30]}, ["Ann", "Cy"]),
        (lambda q: {"age": q.less_than_or_equal_to(30)}, {"le": ["age", 30]}, ["Ann", "Bob"]),
        (
            lambda q: {"age": q.between(17, 65)},
            {"between": ["age", 17, 65, True, False]},
            ["Ann", "Bob"],
        ),
        (
            lambda q: {"age": q.between(17, 65, min_inclusive=False, max_inclusive=True)},
            {"between": ["age", 17, 65, False, True]},
            ["Ann", "Cy"],
        ),
        (lambda q: {"name": q.like("A%")}, {"like": ["name", "A%"]}, ["Ann"]),
        (lambda q: {"name": q.like("a%")}, {"like": ["name", "a%"]}, []),
        (lambda q: {"name": q.ilike("a%")}, {"ilike": ["name", "a%"]}, ["Ann"]),
        (lambda q: {"name": q.full_text_match("bob")}, {"fts": ["name", "bob", False]}, ["Bob"]),
        (
            lambda q: {"name": q.full_text_match("bob", raw=True)},
            {"fts": ["name", "bob", True]},
            ["Bob"],
        ),
        (
            lambda q: {"age": q.any_of(q.less_than(18), q.greater_than(60))},
            {"any": [{"lt": ["age", 18]}, {"gt": ["age", 60]}]},
            ["Bob", "Cy"],
        ),
        (
            lambda q: {"name": q.any_of("Ann", "Bob")},
            {"any": [{"eq": ["name", "Ann"]}, {"eq": ["name", "Bob"]}]},
            ["Ann", "Bob"],
        ),
        (
            lambda q: {"age": q.all_of(q.greater_than(10), q.less_than(40))},
            {"all": [{"gt": ["age", 10]}, {"lt": ["age", 40]}]},
            ["Ann", "Bob"],
        ),
        (
            lambda q: {"name": q.none_of("Ann", "Bob")},
            {"none": [{"eq": ["name", "Ann"]}, {"eq": ["name", "Bob"]}]},
            ["Cy"],
        ),
        (lambda q: {"name": q.not_("Ann")}, {"none": [{"eq": ["name", "Ann"]}]}, ["Bob", "Cy"]),
        (lambda q: {"name": None}, {"eq": ["name", None]}, []),
    ],
)
def test_query_operators(people: Any, host: FakeHost, q, make, node, names) -> None:
    found = people.search(**make(q))
    assert [row["name"] for row in found] == names
    assert host.ops[0]["query"] == node


def test_combinations_across_columns_and_nested(people: Any, host: FakeHost, q) -> None:
    found = people.search(
        q.any_of(name="Bob", age=q.greater_than(60)),
        q.none_of(q.all_of(name="Cy", active=False)),
        active=q.not_(False),
    )
    assert [row["name"] for row in found] == ["Cy"]
    assert host.ops[0]["query"] == {
        "all": [
            {"any": [{"eq": ["name", "Bob"]}, {"gt": ["age", 60]}]},
            {"none": [{"all": [{"eq": ["name", "Cy"]}, {"eq": ["active", False]}]}]},
            {"none": [{"eq": ["active", False]}]},
        ]
    }


def test_query_mistakes(people: Any, tables: types.ModuleType, q) -> None:
    with pytest.raises(tables.TableError, match="must be the value of a column"):
        people.search(q.greater_than(3))
    with pytest.raises(tables.TableError, match="keyword arguments"):
        people.search(age=q.any_of(name="x"))
    with pytest.raises(tables.TableError, match="positive"):
        q.page_size(0)
    with pytest.raises(TypeError):
        q.fetch_only(3)
    with pytest.raises(TypeError):
        q.fetch_only(group="name")
    with pytest.raises(TypeError):
        tables.order_by(3)
    with pytest.raises(tables.TableError, match="only_cols"):
        people.search(q.only_cols("name"))


def test_query_objects_compare_by_value(tables: types.ModuleType, q) -> None:
    assert q.greater_than(3) == q.greater_than(3)
    assert q.greater_than(3) != q.less_than(3)
    assert len({q.like("a"), q.like("a"), q.ilike("a")}) == 2
    assert q.any_of(1, a=2) == q.any_of(1, a=2)
    assert q.fetch_only("a", b=q.fetch_only("c")) == q.fetch_only("a", b=q.fetch_only("c"))
    assert tables.order_by("a") == tables.order_by("a", ascending=True)
    assert hash(tables.order_by("a")) == hash(tables.order_by("a"))
    assert q.page_size(5) == q.page_size(5)
    assert q.only_cols("b", "a").cols == ("a", "b")
    assert q.not_ is q.none_of


def test_links_and_dates_in_queries(tables: types.ModuleType, host: FakeHost, q) -> None:
    people = tables.app_tables.people
    red = tables.app_tables.teams.add_row(title="Red")
    boss = people.add_row(name="Boss", teams=[red], seen=datetime.datetime(2026, 1, 1, tzinfo=UTC))
    worker = people.add_row(name="W", boss=boss, born=datetime.date(2000, 1, 1))
    host.ops.clear()
    assert list(people.search(boss=boss)) == [worker]
    assert list(people.search(teams=[red])) == [boss]
    assert list(people.search(born=q.less_than(datetime.date(2001, 1, 1)))) == [worker]
    since = datetime.datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert list(people.search(seen=q.greater_than(since))) == [boss]
    queries = [op["query"] for op in host.ops]
    assert queries == [
        {"eq": ["boss", {"$wb": "row", "v": boss.get_id()}]},
        {"eq": ["teams", [{"$wb": "row", "v": red.get_id()}]]},
        {"lt": ["born", {"$wb": "date", "v": "2001-01-01"}]},
        {"gt": ["seen", {"$wb": "datetime", "v": "2025-12-31T23:00:00+00:00"}]},
    ]


def test_order_by(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    found = people.search(tables.order_by("age", ascending=False))
    assert [row["name"] for row in found] == ["Cy", "Ann", "Bob"]
    found = people.search(tables.order_by("active"), tables.order_by("name", ascending=False))
    assert [row["name"] for row in found] == ["Bob", "Cy", "Ann"]
    assert [op["order"] for op in host.ops] == [
        [["age", False]],
        [["active", True], ["name", False]],
    ]


# -- the SearchIterator ----------------------------------------------------------------------


@pytest.fixture
def many(tables: types.ModuleType, host: FakeHost) -> Any:
    """`notes` with 25 rows, text "n00" to "n24"."""
    table = tables.app_tables.notes
    table.add_rows([{"text": f"n{i:02}"} for i in range(25)])
    host.ops.clear()
    return table


def texts(rows: Any) -> list[str]:
    return [row["text"] for row in rows]


def test_pages_are_fetched_as_they_are_reached(
    many: Any, tables: types.ModuleType, q, host: FakeHost
) -> None:
    found = many.search(q.page_size(10), tables.order_by("text"))
    assert [(op["op"], op["offset"], op["page_size"]) for op in host.ops] == [("search", 0, 10)]
    iterator = iter(found)
    assert texts(next(iterator) for _ in range(10)) == [f"n{i:02}" for i in range(10)]
    assert len(host.ops) == 1
    next(iterator)
    assert [op["offset"] for op in host.ops] == [0, 10]
    assert texts(iterator) == [f"n{i:02}" for i in range(11, 25)]
    assert [op["offset"] for op in host.ops] == [0, 10, 20]


def test_iteration_can_be_repeated(many: Any, q, host: FakeHost) -> None:
    found = many.search(q.page_size(10))
    assert texts(found) == texts(found)
    assert len(texts(found)) == 25
    # The first page is kept; the others are fetched again.
    assert [op["offset"] for op in host.ops] == [0, 10, 20, 10, 20, 10, 20]


def test_len(many: Any, people: Any, q, host: FakeHost) -> None:
    host.ops.clear()
    found = many.search(q.page_size(10))
    assert len(found) == 25
    assert host.ops[-1] == {"op": "count", "table": "notes", "query": EVERYONE}
    host.ops.clear()
    assert len(people.search()) == 3  # the first page was all there is: no count
    assert [op["op"] for op in host.ops] == ["search"]


def test_indexing(many: Any, tables: types.ModuleType, q, host: FakeHost) -> None:
    found = many.search(q.page_size(10), tables.order_by("text"))
    assert found[0]["text"] == "n00"
    assert found[9]["text"] == "n09"
    assert len(host.ops) == 1
    assert found[13]["text"] == "n13"
    assert found[17]["text"] == "n17"  # the same page
    assert [op["offset"] for op in host.ops if op["op"] == "search"] == [0, 10]
    assert found[-1]["text"] == "n24"
    assert found[-25]["text"] == "n00"
    for bad in (25, -26, 1000):
        with pytest.raises(IndexError, match="search index out of range"):
            found[bad]
    with pytest.raises(TypeError):
        found["a"]


def test_slicing_gives_an_iterator(many: Any, tables: types.ModuleType, q) -> None:
    found = many.search(q.page_size(10), tables.order_by("text"))
    part = found[5:8]
    assert not isinstance(part, list)
    assert texts(part) == ["n05", "n06", "n07"]
    assert texts(found[8:13]) == ["n08", "n09", "n10", "n11", "n12"]
    assert texts(found[20:]) == ["n20", "n21", "n22", "n23", "n24"]
    assert texts(found[:30:10]) == ["n00", "n10", "n20"]
    assert texts(found[-2:]) == ["n23", "n24"]
    assert texts(found[3:-20]) == ["n03", "n04"]
    assert texts(found[30:]) == []
    with pytest.raises(ValueError, match="positive step"):
        found[::-1]


def test_a_search_is_true_even_when_empty(people: Any) -> None:
    assert bool(people.search(name="nobody")) is True


def test_fetch_only(people: Any, q, host: FakeHost) -> None:
    found = people.search(q.fetch_only("name", boss=q.fetch_only("name")))
    first = found[0]
    assert host.ops[0]["fetch_only"] == ["name", "boss"]
    assert first["name"] == "Ann"
    assert len(host.ops) == 1
    assert first["age"] == 30  # not fetched with the search: read now
    assert host.ops[1] == {"op": "row", "id": first.get_id()}
    assert first["active"] is True
    assert len(host.ops) == 2


def test_search_delete_all_rows(people: Any, q, host: FakeHost) -> None:
    found = people.search(age=q.less_than(40))
    assert found.delete_all_rows() == 2
    assert host.ops[-1] == {"op": "delete_where", "table": "people", "query": {"lt": ["age", 40]}}
    assert texts_of(people) == ["Cy"]
    assert list(found) == []


def texts_of(people: Any) -> list[str]:
    return [row["name"] for row in people.search()]


def test_refresh_searches_again(people: Any, host: FakeHost) -> None:
    found = people.search()
    people.add_row(name="Dee")
    assert len(found) == 3
    found.refresh()
    assert len(found) == 4


def test_to_csv(tables: types.ModuleType, host: FakeHost) -> None:
    import anvil

    teams = tables.app_tables.teams
    red = teams.add_row(title='Red "A"')
    people = tables.app_tables.people
    boss = people.add_row(name="=Boss", age=50, active=True, teams=[red])
    people.add_row(
        name="Ann",
        age=2.5,
        active=False,
        born=datetime.date(2020, 2, 29),
        info={"k": [1]},
        boss=boss,
        photo=anvil.BlobMedia("text/plain", b"x"),
    )
    media = people.search(tables.order_by("name")).to_csv()
    assert isinstance(media, anvil.BlobMedia)
    assert media.content_type == "text/csv"
    assert media.name == "people.csv"
    lines = media.get_bytes().decode().splitlines()
    assert lines[0] == ('"ID","name","age","active","born","seen","info","photo","boss","teams"')
    assert lines[1] == '"[1,2]","=Boss",50,1,,,,,,"#ROWS[[2,1]]"'
    assert lines[2] == '"[1,3]","Ann",2.5,0,"2020-02-29",,"{""k"": [1]}",#MEDIA,"#ROW[1,2]",'
    excel = tables.app_tables.people.to_csv(escape_for_excel=True).get_bytes().decode()
    assert '"\'=Boss"' in excel
    assert teams.to_csv().get_bytes().decode().splitlines()[1] == '"[2,1]","Red ""A"""'


# -- rows ------------------------------------------------------------------------------------


def test_rows_are_mappings(people: Any, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    host.ops.clear()
    assert ann["name"] == "Ann"
    assert dict(ann)["age"] == 30
    assert ann.keys() == ["name", "age", "active", "born", "seen", "info", "photo", "boss", "teams"]
    assert dict(ann.items())["active"] is True
    assert "Ann" in ann.values()
    assert ("name", "Ann") in list(ann)  # iterating gives (column, value), as Anvil's
    assert "age" in ann
    assert "shoe" not in ann
    assert ann.get("age") == 30
    assert ann.get("shoe", "none") == "none"
    assert ann.get("born") is None
    assert host.ops == []  # all from the record


def test_reading_a_column_that_does_not_exist(people: Any, tables: types.ModuleType, host) -> None:
    ann = people.get(name="Ann")
    host.ops.clear()
    with pytest.raises(tables.NoSuchColumnError, match="No such column 'shoe'"):
        ann["shoe"]
    assert host.ops == [{"op": "row", "id": ann.get_id()}]  # it may have been made since
    with pytest.raises(TypeError, match="strings"):
        ann[0]


def test_a_column_made_after_the_row_was_read(people: Any, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    bob = people.get(name="Bob")
    bob["shoe"] = 44  # auto-created
    assert ann["shoe"] is None


def test_setting_a_value_is_one_update(people: Any, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    host.ops.clear()
    ann["age"] = 31
    assert host.ops == [{"op": "update", "id": ann.get_id(), "values": {"age": 31}}]
    assert ann["age"] == 31
    assert len(host.ops) == 1
    with pytest.raises(TypeError):
        ann[1] = 2


def test_update(people: Any, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    host.ops.clear()
    ann.update(age=32, active=False)
    ann.update({"name": "Anne"}, age=33)
    assert host.ops == [
        {"op": "update", "id": ann.get_id(), "values": {"age": 32, "active": False}},
        {"op": "update", "id": ann.get_id(), "values": {"name": "Anne", "age": 33}},
    ]
    assert (ann["name"], ann["age"], ann["active"]) == ("Anne", 33, False)
    with pytest.raises(TypeError):
        ann.update({}, {})


def test_update_without_values_refreshes(people: Any, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    host.rows["people"][1]["age"] = 99  # changed by someone else
    assert ann["age"] == 30
    ann.update()
    host.ops.clear()
    assert ann["age"] == 99
    assert host.ops == [{"op": "row", "id": ann.get_id()}]
    host.rows["people"][1]["age"] = 100
    ann.refresh()
    assert ann["age"] == 100


def test_delete(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    row_id = ann.get_id()
    host.ops.clear()
    ann.delete()
    assert host.ops == [{"op": "delete", "id": row_id}]
    for action in (
        lambda: ann["name"],
        ann.get_id,
        lambda: ann.update(age=1),
        ann.delete,
        lambda: hash(ann),
        lambda: dict(ann),
    ):
        with pytest.raises(tables.RowDeleted, match="This row has been deleted"):
            action()
    assert len(host.ops) == 1
    assert "deleted" in repr(ann)


def test_a_row_deleted_elsewhere(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    ann = people.get(name="Ann")
    people.get(name="Ann").delete()
    with pytest.raises(tables.RowDeleted):
        ann.update(age=3)
    with pytest.raises(tables.RowDeleted):
        ann["age"]  # known to be gone now, without asking again
    assert host.ops[-1]["op"] == "update"


def test_equality_and_hash_by_id(people: Any, tables: types.ModuleType) -> None:
    one, two = people.get(name="Ann"), people.search(name="Ann")[0]
    assert one == two
    assert one is not two
    assert not one.__ne__(two)
    assert len({one, two, people.get(name="Bob")}) == 2
    assert one != "[1,1]"
    assert re.fullmatch(r"\[1,\d+\]", one.get_id())


def test_values_read_are_copies(tables: types.ModuleType) -> None:
    row = tables.app_tables.people.add_row(info={"tags": ["a"]})
    row["info"]["tags"].append("b")
    assert row["info"] == {"tags": ["a"]}


def test_links_are_read_lazily(tables: types.ModuleType, host: FakeHost) -> None:
    people = tables.app_tables.people
    red, blue = tables.app_tables.teams.add_rows([{"title": "Red"}, {"title": "Blue"}])
    boss = people.add_row(name="Boss")
    people.add_row(name="W", boss=boss, teams=[red, blue])
    worker = people.get(name="W")
    host.ops.clear()
    link = worker["boss"]
    assert isinstance(link, tables.Row)
    assert link == boss
    assert host.ops == []
    assert link["name"] == "Boss"
    assert host.ops == [{"op": "row", "id": boss.get_id()}]
    assert [team["title"] for team in worker["teams"]] == ["Red", "Blue"]


def test_row_repr(people: Any) -> None:
    text = repr(people.get(name="Ann"))
    assert text.startswith("<anvil.tables.Row: name='Ann', age=30, active=True")
    assert text.endswith("more columns>")


# -- media -----------------------------------------------------------------------------------


def test_media_read_back_is_fetched_on_demand(tables: types.ModuleType, host: FakeHost) -> None:
    import anvil

    row = tables.app_tables.people.add_row(photo=anvil.BlobMedia("image/png", b"abc", name="p"))
    host.ops.clear()
    photo = row["photo"]
    assert isinstance(photo, anvil.Media)
    assert (photo.content_type, photo.name, photo.length) == ("image/png", "p", 3)
    assert host.ops == []
    assert photo.get_bytes() == b"abc"
    assert photo.get_bytes() == b"abc"
    assert host.ops == [{"op": "media", "ref": 1}]


def test_media_copied_to_another_row(tables: types.ModuleType, host: FakeHost) -> None:
    import anvil

    people = tables.app_tables.people
    first = people.add_row(photo=anvil.BlobMedia("image/png", b"abc", name="a"))
    host.ops.clear()
    second = people.add_row(photo=first["photo"])
    ref = {"ref": 1, "content_type": "image/png", "name": "a", "length": 3}
    assert host.ops == [
        {"op": "add_row", "table": "people", "values": {"photo": {"$wb": "media", "v": ref}}}
    ]  # by reference: the bytes stay on the host
    assert second["photo"].get_bytes() == b"abc"
    assert host.names() == ["add_row", "media"]


# -- delete_all_rows, list_columns -----------------------------------------------------------


def test_delete_all_rows(people: Any, host: FakeHost) -> None:
    people.delete_all_rows()
    assert host.ops == [{"op": "delete_all", "table": "people"}]
    assert list(people.search()) == []


def test_list_columns(tables: types.ModuleType, host: FakeHost) -> None:
    teams = tables.app_tables.teams
    assert teams.list_columns() == [{"name": "title", "type": "string"}]
    teams.add_row(title="x", colour="red")
    assert teams.list_columns() == [
        {"name": "title", "type": "string"},
        {"name": "colour", "type": "string"},
    ]
    assert host.names() == ["describe", "describe", "add_row", "describe"]


# -- views -----------------------------------------------------------------------------------


def test_a_view_restricts_searches_and_gets(people: Any, host: FakeHost, q) -> None:
    view = people.client_readable(active=True)
    assert texts_of(view) == ["Ann", "Cy"]
    assert [row["name"] for row in view.search(age=q.greater_than(40))] == ["Cy"]
    assert view.get(name="Bob") is None
    assert len(view.search()) == 2
    assert host.ops[0]["query"] == {"eq": ["active", True]}
    assert host.ops[1]["query"] == {"all": [{"eq": ["active", True]}, {"gt": ["age", 40]}]}


def test_a_view_looks_rows_up_by_id_within_itself(people: Any, tables: types.ModuleType, q):
    view = people.client_writable(active=True)
    ann, bob = people.get(name="Ann"), people.get(name="Bob")
    assert view.get_by_id(ann.get_id()) == ann
    assert view.get_by_id(bob.get_id()) is None
    assert view.has_row(ann)
    assert not view.has_row(bob)
    narrower = view.client_readable(q.any_of(age=30))
    assert texts_of(narrower) == ["Ann"]
    with pytest.raises(tables.TableError, match="query operators"):
        narrower.get_by_id(ann.get_id())


def test_rows_added_through_a_view_get_its_values(people: Any, tables: types.ModuleType, host):
    view = people.client_writable_cascade(active=False)
    dee = view.add_row(name="Dee")
    assert dee["active"] is False
    assert host.ops[-1]["values"] == {"name": "Dee", "active": False}
    assert [row["active"] for row in view.add_rows([{"name": "E"}])] == [False]
    with pytest.raises(tables.TableError, match="does not match this view"):
        view.add_row(name="F", active=True)
    with pytest.raises(tables.TableError, match="cannot be called on a view"):
        view.delete_all_rows()
    assert view != people
    assert view == people.client_writable_cascade(active=False)


# -- transactions ----------------------------------------------------------------------------


def test_a_transaction_commits(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    with tables.Transaction() as txn:
        assert isinstance(txn, tables.Transaction)
        people.add_row(name="Dee")
    assert host.names() == ["begin", "add_row", "commit"]
    assert host.ops[0] == {"op": "begin"}
    assert "Dee" in texts_of(people)


def test_a_transaction_rolls_back_on_an_exception(people: Any, tables, host: FakeHost) -> None:
    def fail() -> None:
        with tables.Transaction():
            people.add_row(name="Dee")
            raise KeyError("boom")

    with pytest.raises(KeyError):
        fail()
    assert host.names() == ["begin", "add_row", "rollback"]
    assert "Dee" not in texts_of(people)


def test_a_conflict_inside_the_block_is_what_propagates(people: Any, tables, host) -> None:
    def conflict() -> None:
        with tables.Transaction():
            host.refuse = Refusal("TransactionConflict", "conflict")
            people.add_row(name="Dee")

    with pytest.raises(tables.TransactionConflict):
        conflict()  # the refused rollback is not what code sees
    assert host.names() == ["begin", "add_row", "rollback"]


def test_abort(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    with tables.Transaction() as txn:
        people.add_row(name="Dee")
        txn.abort()
    assert host.names()[-1] == "rollback"
    assert "Dee" not in texts_of(people)


def test_transactions_do_not_nest(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    def nest() -> None:
        with tables.Transaction(), tables.Transaction():
            pass

    with pytest.raises(tables.TableError, match="already have a transaction"):
        nest()
    assert host.names() == ["begin", "begin", "rollback"]


@pytest.fixture
def sleeps(tables: types.ModuleType, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    waited: list[int] = []
    monkeypatch.setattr(tables, "_wait_before_retry", waited.append)
    return waited


def test_in_transaction_retries_after_a_conflict(people: Any, tables, host, sleeps) -> None:
    calls = []

    @tables.in_transaction
    def add(name):
        """Adds one."""
        calls.append(name)
        return people.add_row(name=name)

    host.conflicts = 2
    row = add("Dee")
    assert row["name"] == "Dee"
    assert calls == ["Dee"] * 3
    assert sleeps == [1, 2]
    assert texts_of(people).count("Dee") == 1
    assert (add.__name__, add.__doc__) == ("add", "Adds one.")


def test_in_transaction_gives_up(people: Any, tables: types.ModuleType, host, sleeps) -> None:
    @tables.in_transaction(relaxed=True)
    def add():
        people.add_row(name="Dee")

    host.conflicts = 100
    with pytest.raises(tables.TransactionConflict):
        add()
    assert sleeps == [1, 2, 3, 4, 5]
    assert host.names().count("begin") == 6
    assert "Dee" not in texts_of(people)


def test_in_transaction_with_parentheses(people: Any, tables: types.ModuleType, host) -> None:
    @tables.in_transaction()
    def add():
        return people.add_row(name="Dee")

    add()
    assert host.names() == ["begin", "add_row", "commit"]


def test_in_transaction_with_a_server_callable(people: Any, tables, host) -> None:
    import anvil.server

    @anvil.server.callable
    @tables.in_transaction
    def add_person(name):
        return people.add_row(name=name)["name"]

    assert anvil.server.call("add_person", "Eve") == "Eve"
    assert host.names() == ["begin", "add_row", "commit"]


def test_batches_run_their_writes(people: Any, tables: types.ModuleType, host: FakeHost) -> None:
    with tables.batch_update:
        people.get(name="Ann")["age"] = 1
    with tables.batch_delete as batch:
        assert batch is tables.batch_delete
        people.get(name="Bob").delete()
    with tables.batch:
        pass
    assert host.names() == ["get", "update", "get", "delete"]


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("NoSuchTable", "TableError"),
        ("NoSuchColumn", "NoSuchColumnError"),
        ("TableError", "TableError"),
        ("RowDeleted", "RowDeleted"),
        ("TransactionConflict", "TransactionConflict"),
        ("QuotaExceeded", "QuotaExceededError"),
        ("BadRequest", "TableError"),
        ("NotFound", "TableError"),
    ],
)
def test_refusals_raise_anvil_exceptions(tables, host: FakeHost, kind: str, name: str) -> None:
    tables.app_tables.people  # noqa: B018 - describe first
    host.refuse = Refusal(kind, "the host's words")
    with pytest.raises(getattr(tables, name)) as info:
        tables.app_tables.people.add_row(name="x")
    assert type(info.value) is getattr(tables, name)
    assert str(info.value) == "the host's words"


def test_permission_denied(tables: types.ModuleType, host: FakeHost) -> None:
    import anvil.server

    tables.app_tables.people  # noqa: B018
    host.refuse = Refusal("PermissionDenied", "no access")
    with pytest.raises(anvil.server.AnvilWrappedError, match="no access") as info:
        tables.app_tables.people.search()
    assert type(info.value) is anvil.server.PermissionDenied


def test_the_exceptions_are_anvils(tables: types.ModuleType) -> None:
    import anvil.server
    from _widgetbox import errors

    for cls in tables.EXCEPTIONS:
        assert cls.__module__ == "anvil.tables"
        assert issubclass(cls, tables.TableError)
        assert issubclass(cls, anvil.server.AnvilWrappedError)
        assert errors.describe(cls("m"))["qualified_type"] == f"anvil.tables.{cls.__name__}"


def test_without_a_tables_handler(guest_modules: None) -> None:
    from _widgetbox import bridge

    bridge.set_door(lambda frame: _error_frame("UnknownOperation", "no such operation"))
    try:
        import anvil.tables

        with pytest.raises(anvil.tables.TableError, match="not available"):
            anvil.tables.app_tables.people  # noqa: B018
    finally:
        bridge.set_door(None)


def test_bridge_errors_of_other_kinds_pass_through(guest_modules: None) -> None:
    from _widgetbox import bridge

    bridge.set_door(lambda frame: _error_frame("LimitExceeded", "too many calls"))
    try:
        import anvil.tables

        with pytest.raises(bridge.LimitExceeded, match="too many calls"):
            list(anvil.tables.app_tables)
    finally:
        bridge.set_door(None)


def _error_frame(kind: str, message: str) -> bytes:
    return json.dumps({"error": {"kind": kind, "message": message}}).encode()


# -- the browser's transport -----------------------------------------------------------------


@pytest.fixture
def browser(guest_modules: None) -> Iterator[FakeHost]:
    """The package with a transport installed, as the browser client will: no bridge."""
    fake = FakeHost(copy.deepcopy(SCHEMA))
    from anvil.tables import _transport

    _transport.set_transport(fake.answer)
    try:
        yield fake
    finally:
        _transport.set_transport(None)


def test_the_browser_sends_the_same_operations(browser: FakeHost) -> None:
    from anvil.tables import app_tables

    row = app_tables.teams.add_row(title="Red")
    assert app_tables.teams.get(title="Red") == row
    assert browser.ops == [
        {"op": "describe"},
        {"op": "add_row", "table": "teams", "values": {"title": "Red"}},
        {"op": "get", "table": "teams", "query": {"eq": ["title", "Red"]}},
    ]


def test_the_browser_raises_refusals(browser: FakeHost) -> None:
    import anvil.tables
    from anvil.tables import _transport

    browser.refuse = Refusal("RowDeleted", "gone")
    with pytest.raises(anvil.tables.RowDeleted, match="gone"):
        list(anvil.tables.app_tables)
    browser.refuse = Refusal("SomethingNew", "odd")
    with pytest.raises(anvil.tables.TableError, match="odd"):
        list(anvil.tables.app_tables)
    _transport.set_transport(lambda op: "garbage")
    with pytest.raises(anvil.tables.TableError, match="could not be read"):
        list(anvil.tables.app_tables)


# -- rows and searches passed between server and client code ---------------------------------


def test_a_row_returned_to_client_code(people: Any, host: FakeHost) -> None:
    from anvil import _serialize

    ann = people.get(name="Ann")
    form = json.loads(json.dumps(_serialize.encode({"who": ann})))
    assert form == {"who": {"$wb": "row", "v": host.record("people", 1)}}


def test_a_row_with_columns_left_out_is_completed_for_the_client(people: Any, q, host) -> None:
    from anvil import _serialize

    ann = people.search(q.fetch_only("name"))[0]
    form = _serialize.encode(ann)
    assert host.ops[-1] == {"op": "row", "id": ann.get_id()}
    assert form["v"]["values"]["age"] == 30


def test_a_row_passed_back_to_server_code_is_read_again(people: Any, tables, host) -> None:
    from anvil import _serialize

    ann = people.get(name="Ann")
    form = json.loads(json.dumps(_serialize.encode(ann)))
    form["v"]["values"]["age"] = 1000  # a client could send anything
    back = _serialize.decode(form)
    assert isinstance(back, tables.Row)
    assert back == ann
    host.ops.clear()
    assert back["age"] == 30
    assert host.ops == [{"op": "row", "id": ann.get_id()}]


def test_a_row_arrives_before_anvil_tables_is_imported(host: FakeHost) -> None:
    from anvil import _serialize

    form = {"$wb": "row", "v": {"id": "[1,5]", "table": "people", "values": {}}}
    back = _serialize.decode(form)
    assert type(back).__module__ == "anvil.tables._row"
    assert back.get_id() == "[1,5]"


@pytest.mark.parametrize(
    ("payload", "in_the_sandbox_too"),
    [
        (None, True),
        ("[1,1]", True),
        ({"id": 3}, True),
        ({"id": "nope"}, True),
        ({"id": "[1,1]", "values": 3}, False),  # the sandbox does not read the values
    ],
)
def test_malformed_rows_are_refused(tables, payload: Any, in_the_sandbox_too: bool) -> None:
    from anvil import _serialize
    from anvil.tables import _transport

    if in_the_sandbox_too:
        with pytest.raises(_serialize.SerializationError, match="row"):
            _serialize.decode({"$wb": "row", "v": payload})
    _transport.set_transport(lambda op: {"ok": None})
    try:
        with pytest.raises(_serialize.SerializationError, match="row"):
            _serialize.decode({"$wb": "row", "v": payload})
    finally:
        _transport.set_transport(None)


def test_rows_reach_the_browser_with_their_values(people: Any, host: FakeHost) -> None:
    from anvil import _serialize
    from anvil.tables import _transport

    ann = people.get(name="Ann")
    boss = people.add_row(name="Boss")
    ann["boss"] = boss
    form = json.loads(json.dumps(_serialize.encode(ann)))
    _transport.set_transport(host.answer)  # now the browser
    host.ops.clear()
    back = _serialize.decode(form)
    assert (back["name"], back["age"]) == ("Ann", 30)
    assert host.ops == []
    assert back["boss"]["name"] == "Boss"
    assert host.ops == [{"op": "row", "id": boss.get_id()}]


def test_a_search_returned_to_client_code(many: Any, tables, q, host: FakeHost) -> None:
    from anvil import _serialize
    from anvil.tables import _transport

    found = many.search(q.page_size(10), tables.order_by("text"), text=q.like("n%"))
    form = json.loads(json.dumps(_serialize.encode(found)))
    payload = form["v"]
    assert form["$wb"] == "search"
    assert {k: v for k, v in payload.items() if k != "rows"} == {
        "table": "notes",
        "query": {"like": ["text", "n%"]},
        "order": [["text", True]],
        "page_size": 10,
        "fetch_only": None,
        "more": True,
    }
    assert len(payload["rows"]) == 10
    # In the browser: the first page came along; the rest is fetched.
    _transport.set_transport(host.answer)
    host.ops.clear()
    there = _serialize.decode(form)
    assert isinstance(there, tables.SearchIterator)
    assert texts(there[:10]) == [f"n{i:02}" for i in range(10)]
    assert host.ops == []
    assert len(texts(there)) == 25
    assert [op["offset"] for op in host.ops] == [10, 20]
    # Passed back to server code: the search alone, run again.
    _transport.set_transport(None)
    host.ops.clear()
    back = _serialize.decode(form)
    assert host.ops == []
    assert len(texts(back)) == 25
    assert host.ops[0]["query"] == {"like": ["text", "n%"]}


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {"table": 1, "query": {}},
        {"table": "t", "query": []},
        {"table": "t", "query": {}, "page_size": "x"},
    ],
)
def test_malformed_searches_are_refused(tables: types.ModuleType, payload: Any) -> None:
    from anvil import _serialize

    with pytest.raises(_serialize.SerializationError, match="search"):
        _serialize.decode({"$wb": "search", "v": payload})


def test_tables_cannot_be_passed(tables: types.ModuleType) -> None:
    from anvil import _serialize

    for table in (tables.app_tables.people, tables.app_tables.people.client_readable()):
        with pytest.raises(_serialize.SerializationError, match="tables and views"):
            _serialize.encode(table)


def test_server_calls_carry_rows(people: Any, host: FakeHost) -> None:
    import anvil.server

    @anvil.server.callable
    def older(row, years):
        row["age"] += years
        return row

    ann = people.get(name="Ann")
    back = anvil.server.call("older", ann, 5)
    assert back == ann
    assert back["age"] == 35


def test_the_host_passes_rows_and_searches_through_unchanged(people: Any) -> None:
    from anvil import _serialize

    from widgetbox.runtime import _codec

    form = json.loads(json.dumps(_serialize.encode([people.get(name="Ann"), people.search()])))
    carried = _codec.decode(form)
    assert [type(item).__name__ for item in carried] == ["Carried", "Carried"]
    assert _codec.encode(carried) == form
    assert _codec.decode(form) == carried


# -- _wire -----------------------------------------------------------------------------------


@pytest.fixture
def wire(guest_modules: None) -> types.ModuleType:
    from anvil.tables import _wire

    return _wire


def test_wire_values_both_ways(wire: types.ModuleType) -> None:
    value = {
        "d": datetime.date(2026, 12, 4),
        "t": datetime.datetime(2026, 12, 4, 5, 6, 7, 8, tzinfo=UTC),
        "list": (1, 2.5, None, True, "s"),
        "$wb": {"nested": [{"$wb": 1}]},
    }
    form = wire.encode(value)
    assert form == {
        "$wb": "dict",
        "v": {
            "d": {"$wb": "date", "v": "2026-12-04"},
            "t": {"$wb": "datetime", "v": "2026-12-04T05:06:07.000008+00:00"},
            "list": [1, 2.5, None, True, "s"],
            "$wb": {"nested": [{"$wb": "dict", "v": {"$wb": 1}}]},
        },
    }
    assert wire.decode(json.loads(json.dumps(form))) == {**value, "list": [1, 2.5, None, True, "s"]}


def test_wire_naive_datetimes_are_utc(wire: types.ModuleType) -> None:
    back = wire.decode({"$wb": "datetime", "v": "2026-01-02T03:04:05"})
    assert back == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    offset = wire.decode({"$wb": "datetime", "v": "2026-01-02T03:04:05+02:00"})
    assert offset.utcoffset() == datetime.timedelta(hours=2)


def test_wire_rows_and_media_go_to_the_callers_functions(wire: types.ModuleType) -> None:
    ref = {"ref": 4, "content_type": "a/b", "name": None, "length": 3}
    forms = [wire.row_form("[1,2]"), wire.media_ref_form(4, "a/b", None, 3)]
    assert forms == [{"$wb": "row", "v": "[1,2]"}, {"$wb": "media", "v": ref}]
    assert wire.decode(forms) == forms
    assert wire.decode(forms, row=lambda i: ("row", i), media=lambda p: ("m", p)) == [
        ("row", "[1,2]"),
        ("m", ref),
    ]
    assert wire.encode(object, custom=lambda v: wire.row_form("[1,2]")) == forms[0]


def test_wire_media_bytes(wire: types.ModuleType) -> None:
    form = wire.media_form("text/plain", "a.txt", b"\x00hi")
    assert form["v"] == {"content_type": "text/plain", "name": "a.txt", "data": "AGhp"}
    assert wire.media_data(form["v"]) == b"\x00hi"
    for bad in ({}, {"data": 3}, {"data": "!!"}, None):
        with pytest.raises(wire.WireError):
            wire.media_data(bad)


@pytest.mark.parametrize(
    "value", [{1, 2}, {1: "a"}, float("nan"), float("inf"), object(), b"bytes"]
)
def test_wire_refuses_what_a_table_cannot_hold(wire: types.ModuleType, value: Any) -> None:
    with pytest.raises(wire.WireError):
        wire.encode(value)


@pytest.mark.parametrize(
    "form",
    [
        {"$wb": "date", "v": "nope"},
        {"$wb": "datetime", "v": "nope"},
        {"$wb": "date", "v": 3},
        {"$wb": "row", "v": 3},
        {"$wb": "media", "v": "x"},
        {"$wb": "other", "v": 1},
    ],
)
def test_wire_refuses_malformed_tags(wire: types.ModuleType, form: Any) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(form)


def test_wire_depth_is_limited(wire: types.ModuleType) -> None:
    deep: list[Any] = []
    for _ in range(200):
        deep = [deep]
    for step in (wire.encode, wire.decode):
        with pytest.raises(wire.WireError, match="nested"):
            step(deep)


def test_wire_row_ids(wire: types.ModuleType) -> None:
    assert wire.format_row_id(3, 17) == "[3,17]"
    assert wire.parse_row_id("[3,17]") == (3, 17)
    for bad in ("3,17", "[3]", "[a,1]", "[-1,2]", "[1,²]", "[,1]", 5, "[1,2,3]"):
        with pytest.raises(wire.WireError):
            wire.parse_row_id(bad)


def test_wire_loads_by_path_with_only_the_stdlib() -> None:
    """As the host loads it: a file, not a package member, importing only `sys` to load."""
    path = GUEST / "anvil" / "tables" / "_wire.py"
    spec = importlib.util.spec_from_file_location("wire_as_the_host_loads_it", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.decode(module.encode([datetime.date(2026, 1, 1)])) == [datetime.date(2026, 1, 1)]
    import ast

    tree = ast.parse(path.read_text())
    top = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    assert [alias.name for node in top for alias in node.names] == ["sys"]


# -- anvil.tz --------------------------------------------------------------------------------


@pytest.fixture
def tz(guest_modules: None) -> types.ModuleType:
    import anvil.tz

    return anvil.tz


def test_tz(tz: types.ModuleType) -> None:
    when = datetime.datetime(2026, 1, 1, 12, tzinfo=tz.tzoffset(hours=2))
    assert when.utcoffset() == datetime.timedelta(hours=2)
    assert when == datetime.datetime(2026, 1, 1, 10, tzinfo=tz.tzutc())
    assert tz.tzoffset(minutes=90).utcoffset(None) == datetime.timedelta(minutes=90)
    assert tz.tzoffset(seconds=-60).utcoffset(None) == datetime.timedelta(seconds=-60)
    assert tz.tzoffset().utcoffset(None) == datetime.timedelta(0)
    assert tz.tzutc() == tz.UTC
    assert repr(tz.UTC) == "<anvil.tz.tzutc>"
    assert repr(tz.tzoffset(hours=1)) == "<anvil.tz.tzoffset (1.0 hour offset)>"
    assert isinstance(tz.tzlocal().utcoffset(None), datetime.timedelta)
    assert when.dst() == datetime.timedelta(0)
    for bad in ({"hours": 1, "minutes": 1}, {"days": 1}):
        with pytest.raises(TypeError, match="exactly one"):
            tz.tzoffset(**bad)
