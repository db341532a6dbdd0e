"""Query trees into SQL: only ids and `?` in the text, strict shapes and bounds, Anvil's type
checks; then what each operator matches, run on a real file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._timing import GROWTH, grows_linearly, growth, stays_bounded
from widgetbox.host.tables import query
from widgetbox.host.tables.catalogue import Catalogue, Column, Table
from widgetbox.host.tables.errors import BadRequest, NoSuchColumn, TableError
from widgetbox.host.tables.session import TablesSession
from widgetbox.host.tables.store import TablesStore

pytestmark = pytest.mark.unit

HOSTILE = "x'); DROP TABLE t1; --"
COLUMNS = {
    name: Column(i, 1, name, kind, 2 if kind.startswith("link") else None)
    for i, (name, kind) in enumerate(
        [
            ("name", "string"),
            ("age", "number"),
            ("ok", "bool"),
            ("born", "date"),
            ("seen", "datetime"),
            ("data", "simpleObject"),
            ("photo", "media"),
            ("boss", "link_single"),
            ("team", "link_multiple"),
            (HOSTILE, "string"),
        ],
        start=10,
    )
}
PEOPLE = Table(1, "people", "none", COLUMNS)
OTHER = Table(2, "other", "none", {})
CATALOGUE = Catalogue({"people": PEOPLE, "other": OTHER}, {1: PEOPLE, 2: OTHER})
ROW = {"$wb": "row", "v": "[2,5]"}
SAFE_SQL = re.compile(r"[a-zA-Z0-9_ ().,=<>?*'\\]*")
"""What built SQL may hold: ids, keywords, operators, `?` (and the one `'\\'` escape)."""


def build(tree: Any) -> query.Where:
    return query.where(CATALOGUE, PEOPLE, tree)


def test_names_and_values_never_reach_the_sql() -> None:
    tree = {
        "all": [
            {"eq": [HOSTILE, HOSTILE]},
            {"like": ["name", HOSTILE + "%"]},
            {"ilike": ["name", "ÄÖ" + HOSTILE]},
            {"fts": ["name", HOSTILE, False]},
            {"fts": ["name", '"x\'); DROP TABLE t1; --"', True]},
            {"gt": ["age", 5]},
            {"eq": ["data", {"k": HOSTILE}]},
            {"eq": ["team", [ROW]]},
            {"not": {"any": [{"eq": ["boss", ROW]}, {"eq": ["photo", None]}]}},
            {
                "between": [
                    "seen",
                    {"$wb": "date", "v": "2026-01-01"},
                    {"$wb": "date", "v": "2026-02-01"},
                    True,
                    False,
                ]
            },
        ]
    }
    built = build(tree)
    assert SAFE_SQL.fullmatch(built.sql), built.sql
    assert "DROP" not in built.sql
    assert HOSTILE not in built.sql
    assert HOSTILE in built.params
    assert built.fts == {10}


def test_empty_groups() -> None:
    assert build({"all": []}).sql == "1"
    assert build({"any": []}).sql == "0"
    assert build({"none": []}).sql == "1"


@pytest.mark.parametrize(
    "tree",
    [
        [],
        {"eq": ["name", "a"], "gt": ["age", 1]},
        {"equals": ["name", "a"]},
        {"eq": ["name"]},
        {"eq": "name"},
        {"eq": [1, "a"]},
        {"any": {"eq": ["name", "a"]}},
        {"between": ["age", 1, 2, "yes", True]},
        {"eq": ["name", {"$wb": "bogus", "v": 1}]},
    ],
)
def test_malformed_trees_are_bad_requests(tree: Any) -> None:
    with pytest.raises(BadRequest):
        build(tree)


def test_depth_and_size_are_bounded() -> None:
    tree: Any = {"eq": ["name", "a"]}
    for _ in range(31):
        tree = {"not": tree}
    build(tree)  # 32 deep
    with pytest.raises(BadRequest, match="32 levels"):
        build({"not": tree})
    build({"any": [{"eq": ["name", "a"]}] * 999})
    with pytest.raises(BadRequest, match="1000 parts"):
        build({"any": [{"eq": ["name", "a"]}] * 1000})


def test_a_huge_tree_is_refused_quickly() -> None:
    """Refused at its 1,001st part, whatever its size: 8 times the parts take no longer."""
    part = {"eq": ["name", "a"]}
    huge, larger = {"any": [part] * 50_000}, {"any": [part] * 50_000 * GROWTH}

    def refuse(tree: Any) -> None:
        with pytest.raises(BadRequest, match="1000 parts"):
            build(tree)

    ratio = growth(lambda: refuse(huge), lambda: refuse(larger))
    assert stays_bounded(ratio), ratio


def test_unknown_columns() -> None:
    with pytest.raises(NoSuchColumn, match="No such column 'nope'"):
        build({"eq": ["nope", 1]})
    with pytest.raises(TableError, match='Cannot sort by nonexistent column "nope"'):
        query.order_by(PEOPLE, [["nope", True]])


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (
            {"eq": ["age", "x"]},
            "Column 'age' can only be searched with a number (not a string) in table 'people'",
        ),
        (
            {"eq": ["boss", {"$wb": "row", "v": "[1,1]"}]},
            "Column 'boss' can only be searched with a Row from 'other' table "
            "(not a Row from 'people' table) in table 'people'",
        ),
        ({"eq": ["photo", 1]}, "Media columns can only be searched for None"),
        (
            {"gt": ["age", "3"]},
            "Invalid query: Cannot query number column 'age' with a value of type string",
        ),
        (
            {"gt": ["ok", True]},
            "Invalid query: Cannot use inequality operators to query column 'ok' of type bool",
        ),
        (
            {"like": ["age", "%"]},
            "Invalid query: Cannot use 'like' operator on column 'age', which is a number.",
        ),
        ({"like": ["name", 5]}, "Invalid query: Argument to the 'like' operator must be a string."),
        (
            {"fts": ["name", "x", "yes"]},
            "Invalid query: 'raw' argument to the 'full_text_match' operator "
            "must be True or False.",
        ),
        ({"like": ["name", "abc\\"]}, "LIKE pattern must not end with escape character"),
    ],
)
def test_type_checks_use_anvils_words(tree: Any, message: str) -> None:
    with pytest.raises(TableError) as caught:
        build(tree)
    assert caught.value.message == message


def test_order_always_ends_with_the_row_id() -> None:
    assert query.order_by(PEOPLE, None) == "ORDER BY r.id"
    assert query.order_by(PEOPLE, [["age", False], ["name", True]]) == (
        "ORDER BY r.c11 DESC, r.c10 ASC, r.id"
    )
    with pytest.raises(BadRequest):
        query.order_by(PEOPLE, [["age", "desc"]])
    with pytest.raises(BadRequest):
        query.order_by(PEOPLE, [["age", True]] * 17)


@pytest.mark.parametrize(
    ("pattern", "glob"),
    [
        ("a%b_c", "a*b?c"),
        ("100\\%", "100%"),
        ("a*b?[c]", "a[*]b[?][[]c]"),
        ("\\\\x", "\\x"),
        ("\\_", "_"),
    ],
)
def test_like_to_glob(pattern: str, glob: str) -> None:
    assert query.like_to_glob(pattern) == glob


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [
        ("Ärger", "är%", True),
        ("ärger", "ÄR_ER", True),
        ("straße", "%SSE", False),
        ("STRASSE", "%ß%", False),
        ("Überall", "%ALL", True),
        ("a%b", "a\\%b", True),
        ("axb", "a\\%b", False),
        ("ǅemal", "ǆ%", True),
        ("", "%", True),
        ("abc", "%b%", True),
        ("abc", "%d%", False),
    ],
)
def test_ilike_folds_unicode_case(value: str, pattern: str, matches: bool) -> None:
    assert query.ilike(value, pattern) is matches


def test_ilike_never_backtracks() -> None:
    """A pattern that makes a backtracking matcher try every way to place its pieces before
    the missing `b`: the work grows linearly with the text (each piece is found leftmost,
    once)."""
    pattern = "%a%a%a%a%a%a%a%a%a%a%b%é"
    text, longer = "a" * 100_000 + "é", "a" * 100_000 * GROWTH + "é"
    assert not query.ilike(text, pattern)
    ratio = growth(lambda: query.ilike(text, pattern), lambda: query.ilike(longer, pattern))
    assert grows_linearly(ratio), ratio
    assert query.ilike(None, "x") is None


@pytest.mark.parametrize(
    ("stored", "wanted", "holds"),
    [
        ({"a": 1, "b": [1, 2, 3]}, {"a": 1}, True),
        ({"a": 1, "b": [1, 2, 3]}, {"b": [3, 1]}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": {"b": {"c": True}}}, {"a": {"b": {}}}, True),
        ({"a": True}, {"a": 1}, False),
        ([1, 2, 3], 2, True),
        ([1, [2, 3]], [[3]], True),
        ({"a": 1}, [], False),
        ("x", "x", True),
        (1.0, 1, True),
    ],
)
def test_containment_is_postgres_at_greater(stored: Any, wanted: Any, holds: bool) -> None:
    import json

    assert query.contains(json.dumps(stored), json.dumps(wanted)) is holds


# -- on a real file --------------------------------------------------------------------------

SCHEMA = """
tables:
  people:
    columns:
      - {name: name, type: string}
      - {name: age, type: number}
      - {name: born, type: date}
      - {name: seen, type: datetime}
      - {name: data, type: simpleObject}
      - {name: bio, type: string}
      - {name: team, type: link_multiple, target: people}
"""


@pytest.fixture
def session(tmp_path: Path) -> Iterator[TablesSession]:
    store = TablesStore(tmp_path)
    session = TablesSession(store, 1, SCHEMA)
    people = [
        {
            "name": "Ann",
            "age": 30,
            "born": "1996-05-01",
            "seen": "2026-12-04T10:00:00",
            "data": {"tags": ["a", "b"], "n": 1},
            "bio": "Runs quickly through forests",
        },
        {
            "name": "bob",
            "age": 3.5,
            "born": "2023-01-01",
            "seen": "2026-12-04T23:59:59+00:00",
            "data": {"tags": ["b"]},
            "bio": "Likes running and cats",
        },
        {
            "name": "Ánna",
            "age": None,
            "born": None,
            "seen": "2026-12-05T00:00:00",
            "data": None,
            "bio": None,
        },
        {
            "name": None,
            "age": -1,
            "born": "1996-05-02",
            "seen": None,
            "data": [1, 2],
            "bio": "a_b 100%",
        },
    ]
    for person in people:
        given = dict(person)
        for key, tag in (("born", "date"), ("seen", "datetime")):
            if given[key] is not None:
                given[key] = {"$wb": tag, "v": given[key]}
        session.call({"op": "add_row", "table": "people", "values": given}, 5)
    yield session
    session.end()


def names(session: TablesSession, tree: Any) -> list[Any]:
    found = session.call(
        {"op": "search", "table": "people", "query": tree, "order": [["name", True]]}, 5
    )
    return [row["values"]["name"] for row in found["rows"]]


def test_operators_on_a_real_file(session: TablesSession) -> None:
    date = lambda text: {"$wb": "date", "v": text}  # noqa: E731
    moment = lambda text: {"$wb": "datetime", "v": text}  # noqa: E731
    assert names(session, {"eq": ["name", None]}) == [None]
    assert names(session, {"not": {"eq": ["name", "Ann"]}}) == [None, "bob", "Ánna"]
    assert names(session, {"gt": ["age", 3]}) == ["Ann", "bob"]
    assert names(session, {"not": {"gt": ["age", 3]}}) == [None]  # NULL is neither
    assert names(session, {"like": ["name", "A%"]}) == ["Ann"]  # case-sensitive
    assert names(session, {"ilike": ["name", "a%"]}) == ["Ann"]
    assert names(session, {"ilike": ["name", "á%"]}) == ["Ánna"]
    assert names(session, {"like": ["bio", "%\\_b 100\\%"]}) == [None]
    assert names(session, {"like": ["bio", "a_b%"]}) == [None]
    assert names(
        session, {"between": ["born", date("1996-05-01"), date("1996-05-02"), True, False]}
    ) == ["Ann"]
    assert names(session, {"lt": ["born", moment("1996-05-01T12:00:00")]}) == ["Ann"]
    assert names(session, {"le": ["born", moment("1996-05-01T00:00:00")]}) == ["Ann"]
    assert names(session, {"gt": ["born", moment("1996-05-01T00:00:00")]}) == [None, "bob"]
    assert names(session, {"ge": ["seen", date("2026-12-05")]}) == ["Ánna"]
    assert names(session, {"le": ["seen", date("2026-12-04")]}) == ["Ann", "bob"]
    assert names(session, {"gt": ["seen", moment("2026-12-04T12:00:00+02:00")]}) == ["bob", "Ánna"]
    assert names(session, {"eq": ["data", {"tags": ["b"]}]}) == ["Ann", "bob"]
    assert names(session, {"eq": ["data", {"tags": ["a"], "n": 1}]}) == ["Ann"]
    assert names(session, {"eq": ["data", 2]}) == [None]
    assert names(session, {"fts": ["bio", "running", False]}) == ["Ann", "bob"]  # stemmed: run
    assert names(session, {"fts": ["bio", "cats", False]}) == ["bob"]
    assert names(session, {"fts": ["bio", "run", False]}) == ["Ann", "bob"]
    assert names(session, {"fts": ["bio", "cats OR forests", True]}) == ["Ann", "bob"]
    assert names(session, {"fts": ["bio", "", False]}) == []
    assert names(session, {"none": [{"eq": ["name", "Ann"]}, {"eq": ["name", "bob"]}]}) == [
        None,
        "Ánna",
    ]


def test_the_largest_groups_run_on_sqlite(session: TablesSession) -> None:
    # SQLite refuses expressions over 1,000 levels deep: a flat chain of 999 ORs was one
    widest = {"any": [{"eq": ["name", str(i)]} for i in range(998)] + [{"eq": ["name", "Ann"]}]}
    assert names(session, widest) == ["Ann"]
    assert names(session, {"none": widest["any"]}) == [None, "bob", "Ánna"]
    deep: Any = {"any": widest["any"][-900:]}
    for _ in range(3):
        deep = {"all": [deep, {"any": [{"gt": ["age", -5]}] * 8}]}
    assert names(session, deep) == ["Ann"]


def test_a_bad_raw_full_text_query_is_a_table_error(session: TablesSession) -> None:
    from widgetbox.host.tables.errors import TablesError

    with pytest.raises(TablesError, match="Invalid full-text query"):
        names(session, {"fts": ["bio", 'unbalanced "quote', True]})


def test_links_to_many_rows(session: TablesSession) -> None:
    ann = session.call({"op": "get", "table": "people", "query": {"eq": ["name", "Ann"]}}, 5)
    bob = session.call({"op": "get", "table": "people", "query": {"eq": ["name", "bob"]}}, 5)
    a, b = ({"$wb": "row", "v": r["id"]} for r in (ann, bob))
    session.call({"op": "update", "id": ann["id"], "values": {"team": [a, b]}}, 5)
    session.call({"op": "update", "id": bob["id"], "values": {"team": [b]}}, 5)
    assert names(session, {"eq": ["team", [b]]}) == ["Ann", "bob"]
    assert names(session, {"eq": ["team", [a, b]]}) == ["Ann"]
    assert names(session, {"eq": ["team", [b, b, a]]}) == ["Ann"]
    assert len(names(session, {"eq": ["team", []]})) == 4
