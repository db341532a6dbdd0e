"""Query trees (what `app_tables.t.search(...)` sends) into a parameterised SQL condition.

    {"eq": [col, value]}        {"gt"|"lt"|"ge"|"le": [col, value]}
    {"between": [col, low, high, low_inclusive, high_inclusive]}
    {"like": [col, pattern]}    {"ilike": [col, pattern]}     {"fts": [col, text, raw]}
    {"any": [trees]}  {"all": [trees]}  {"none": [trees]}  {"not": tree}

Only integer ids from the catalogue are written into the SQL (`r.c<id>`, `f<id>`); every
value, pattern and text goes in as a `?` parameter. The tree is checked strictly (one key
per node, the right number and types of arguments), at most `MAX_DEPTH` deep and
`MAX_NODES` nodes, and each operator against its column's type, with Anvil's messages. The
main table is `r` in the SQL this builds on."""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from widgetbox.host.tables import values
from widgetbox.host.tables.catalogue import Catalogue, Column, Table
from widgetbox.host.tables.errors import BadRequest, TableError, no_such_column

MAX_DEPTH = 32
MAX_NODES = 1000
MAX_ORDER = 16
"""Columns one `order_by` may name."""

COMPARE = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
ORDERED_TYPES = ("string", "number", "date", "datetime")
_ARITY = {
    "eq": 2,
    "gt": 2,
    "ge": 2,
    "lt": 2,
    "le": 2,
    "between": 5,
    "like": 2,
    "ilike": 2,
    "fts": 3,
}
_GROUPS = {"any": " OR ", "all": " AND ", "none": " OR "}
_EMPTY = {"any": "0", "all": "1", "none": "1"}
_WORD = re.compile(r"\w+")
_END_OF_DAY = "9999-12-31T23:59:59.999999+00:00~"
"""Above every stored datetime: the bound after the last date."""


@dataclass
class Where:
    """A condition on the rows of `r`, its parameters, and the string columns it needs a
    full-text index on."""

    sql: str = "1"
    params: list[Any] = field(default_factory=list)
    fts: set[int] = field(default_factory=set)
    scans: bool = False
    """It tests rows one by one (a pattern, containment): see `order_by`."""


def where(catalogue: Catalogue, table: Table, tree: Any) -> Where:
    """The SQL condition for `tree` on `table`; BadRequest for a malformed tree, NoSuchColumn
    and TableError as Anvil raises them."""
    builder = _Builder(catalogue, table)
    sql = builder.node(tree, 1)
    return Where(sql, builder.params, builder.fts, builder.scans)


def order_by(table: Table, order: Any, scans: bool = False) -> str:
    """`ORDER BY` for `[[col, ascending], ...]`, always ending with the row id (pages stay
    stable). NULLs sort first going up and last going down, as in Anvil.

    With `scans` (the condition tests each row: LIKE and the like) the order's indexes are
    not used (`+col`): walking an index in order while testing rows that may not match
    reads them in random order (100 ms over 100,000 rows when none match); a plain scan and
    a sort of the first page costs about 10 ms, whatever matches."""
    if order is None:
        order = []
    if not isinstance(order, list) or len(order) > MAX_ORDER:
        raise BadRequest(f"order is a list of at most {MAX_ORDER} [column, ascending] pairs")
    terms = []
    for item in order:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[0], str)
            or not isinstance(item[1], bool)
        ):
            raise BadRequest("order is a list of [column, ascending] pairs")
        column = table.columns.get(item[0])
        if column is None:
            raise TableError(f'Cannot sort by nonexistent column "{item[0][:100]}"')
        terms.append(f"{'+' if scans else ''}r.{column.sql} {'ASC' if item[1] else 'DESC'}")
    terms.append("r.id")
    return "ORDER BY " + ", ".join(terms)


class _Builder:
    def __init__(self, catalogue: Catalogue, table: Table) -> None:
        self.catalogue = catalogue
        self.table = table
        self.params: list[Any] = []
        self.fts: set[int] = set()
        self.nodes = 0
        self.scans = False

    def node(self, tree: Any, depth: int) -> str:
        self.nodes += 1
        if depth > MAX_DEPTH:
            raise BadRequest(f"a query nests at most {MAX_DEPTH} levels deep")
        if self.nodes > MAX_NODES:
            raise BadRequest(f"a query has at most {MAX_NODES} parts")
        if not isinstance(tree, dict) or len(tree) != 1:
            raise BadRequest("a query is an object with one operator")
        ((op, args),) = tree.items()
        if op == "not":
            return f"NOT ({self.node(args, depth + 1)})"
        if op in _GROUPS:
            if not isinstance(args, list):
                raise BadRequest(f"'{op}' takes a list of queries")
            if not args:
                return _EMPTY[op]
            joined = _balanced([self.node(arg, depth + 1) for arg in args], _GROUPS[op])
            return f"NOT {joined}" if op == "none" else joined
        return self.leaf(op, args)

    def leaf(self, op: Any, args: Any) -> str:
        arity = _ARITY.get(op) if isinstance(op, str) else None
        if arity is None:
            raise BadRequest(f"unknown query operator {str(op)[:20]!r}")
        if not isinstance(args, list) or len(args) != arity or not isinstance(args[0], str):
            raise BadRequest(f"'{op}' takes [column, ...] ({arity} arguments)")
        column = self.table.columns.get(args[0])
        if column is None:
            raise no_such_column(args[0][:100])
        if op == "eq":
            return self.equal(column, values.decode(args[1]))
        if op in COMPARE:
            return self.compare(column, op, values.decode(args[1]))
        if op == "between":
            return self.between(column, args)
        if op in ("like", "ilike"):
            return self.like(column, op, args[1])
        return self.full_text(column, args[1], args[2])

    def param(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    # -- operators ---------------------------------------------------------------------------

    def equal(self, column: Column, value: Any) -> str:
        c = f"r.{column.sql}"
        if value is None:
            return f"{c} IS NULL"
        if column.type == "media":
            raise TableError("Media columns can only be searched for None")
        if not values.fits(column, value):
            found = values.type_of(value)
            also = (
                ""
                if found.error
                else f" (not a {values.type_name(self.catalogue, found.type, found.target)})"
            )
            raise TableError(
                f"Column '{column.name}' can only be searched with a "
                f"{values.type_name(self.catalogue, column.type, column.target)}{also} "
                f"in table '{self.table.name}'"
            )
        if column.type in ("link_multiple", "simpleObject"):
            self.scans = True
        if column.type == "link_multiple":
            wanted = sorted({ref.row_id for ref in value})
            if not wanted:
                return "1"
            ids = self.param(json.dumps(wanted))
            # every wanted row among the cell's rows
            return (
                f"(SELECT count(DISTINCT j.value) FROM json_each({c}) AS j "
                f"WHERE j.value IN (SELECT w.value FROM json_each({ids}) AS w)) = {len(wanted)}"
            )
        if column.type == "simpleObject":
            # Anvil's simpleObject search is JSON containment (Postgres' @>)
            contained = self.param(values.simple_object_text(value))
            return f"({c} IS NOT NULL AND wb_contains({c}, {contained}))"
        # IS NOT NULL: as in Anvil, not_(col=v) matches rows where col is empty
        return f"({c} IS NOT NULL AND {c} = {self.param(values.to_sql(column, value))})"

    def compare(self, column: Column, op: str, value: Any) -> str:
        c, sign = f"r.{column.sql}", COMPARE[op]
        if column.type not in ORDERED_TYPES:
            raise TableError(
                f"Invalid query: Cannot use inequality operators to query column "
                f"'{column.name}' of type {column.type}"
            )
        found = values.type_of(value)
        if column.type in ("date", "datetime"):
            ok = found.type in ("date", "datetime")
        else:
            ok = found.type == column.type
        if not ok:
            raise TableError(
                f"Invalid query: Cannot query {column.type} column '{column.name}' "
                f"with a value of type {found.type if not found.error else 'object'}"
            )
        if column.type == "datetime" and found.type == "date":
            return _datetime_against_date(c, sign, value, self.param)
        if column.type == "date" and found.type == "datetime":
            return _date_against_datetime(c, sign, value, self.param)
        return f"{c} {sign} {self.param(values.to_sql(column, value))}"

    def between(self, column: Column, args: list[Any]) -> str:
        low_inclusive, high_inclusive = args[3], args[4]
        if not isinstance(low_inclusive, bool) or not isinstance(high_inclusive, bool):
            raise BadRequest("'between' takes [column, low, high, low_inclusive, high_inclusive]")
        low = self.compare(column, "ge" if low_inclusive else "gt", values.decode(args[1]))
        high = self.compare(column, "le" if high_inclusive else "lt", values.decode(args[2]))
        return f"({low} AND {high})"

    def like(self, column: Column, op: str, pattern: Any) -> str:
        if not isinstance(pattern, str):
            raise TableError(f"Invalid query: Argument to the '{op}' operator must be a string.")
        self.check_string(column, op)
        self.scans = True
        c = f"r.{column.sql}"
        if op == "like":  # case-sensitive: GLOB, with the LIKE pattern translated
            return f"{c} GLOB {self.param(like_to_glob(pattern))}"
        check_like(pattern)
        if pattern.isascii():  # SQLite's LIKE folds ASCII letters only
            return f"{c} LIKE {self.param(pattern)} ESCAPE '\\'"
        return f"wb_ilike({c}, {self.param(pattern)})"

    def full_text(self, column: Column, text: Any, raw: Any) -> str:
        if not isinstance(text, str):
            raise TableError(
                "Invalid query: Argument to the 'full_text_match' operator must be a string."
            )
        if not isinstance(raw, bool):
            raise TableError(
                "Invalid query: 'raw' argument to the 'full_text_match' operator must be "
                "True or False."
            )
        self.check_string(column, "full_text_match")
        if raw:
            check_full_text(text)
            match = text
        else:  # every word, each quoted (Postgres' plainto_tsquery: all of them)
            words = _WORD.findall(text)
            if not words:
                return "0"
            match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
        self.fts.add(column.id)
        self.scans = True
        f = f"f{column.id}"
        return f"r.id IN (SELECT rowid FROM {f} WHERE {f} MATCH {self.param(match)})"

    def check_string(self, column: Column, op: str) -> None:
        if column.type != "string":
            kind = values.type_name(self.catalogue, column.type, column.target)
            raise TableError(
                f"Invalid query: Cannot use '{op}' operator on column '{column.name}', "
                f"which is a {kind}."
            )


def _balanced(parts: list[str], separator: str) -> str:
    """`parts` joined by AND or OR as a balanced tree, in parentheses: SQLite parses a flat
    chain as one level per term and refuses expressions deeper than 1,000 levels, which a
    group of `MAX_NODES` parts would be."""
    if len(parts) == 1:
        return f"({parts[0]})"
    middle = len(parts) // 2
    left, right = _balanced(parts[:middle], separator), _balanced(parts[middle:], separator)
    return f"({left}{separator}{right})"


def _datetime_against_date(c: str, sign: str, day: date, param: Callable[[Any], str]) -> str:
    """A datetime column against a date: its UTC date compared, still on the index."""
    start = day.isoformat() + "T00:00:00.000000+00:00"
    try:
        after = (day + timedelta(days=1)).isoformat() + "T00:00:00.000000+00:00"
    except OverflowError:
        after = _END_OF_DAY
    if sign == ">":
        return f"{c} >= {param(after)}"
    if sign == ">=":
        return f"{c} >= {param(start)}"
    if sign == "<":
        return f"{c} < {param(start)}"
    return f"{c} < {param(after)}"


def _date_against_datetime(c: str, sign: str, moment: datetime, param: Callable[[Any], str]) -> str:
    """A date column against a datetime: each date taken as its midnight (UTC)."""
    text = values.datetime_text(moment)
    day, midnight = text[:10], text[11:26] == "00:00:00.000000"
    if sign in (">", "<="):
        return f"{c} {sign} {param(day)}"
    if sign == ">=":
        return f"{c} {'>=' if midnight else '>'} {param(day)}"
    return f"{c} {'<' if midnight else '<='} {param(day)}"


_probes = threading.local()


def check_full_text(text: str) -> None:
    """TableError naming the problem when `text` is not a query SQLite's full-text search
    understands (tried on an empty index of this thread's own)."""
    probe = getattr(_probes, "conn", None)
    if probe is None:
        probe = sqlite3.connect(":memory:")
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
        _probes.conn = probe
    try:
        probe.execute("SELECT rowid FROM probe WHERE probe MATCH ?", [text]).fetchall()
    except sqlite3.Error as e:
        problem = str(e).removeprefix("fts5: ")
        raise TableError(f"Invalid full-text query: {problem}") from None


# -- LIKE patterns ---------------------------------------------------------------------------


def check_like(pattern: str) -> None:
    """Postgres refuses a pattern that ends with its escape character; so do we."""
    stripped = pattern.rstrip("\\")
    if (len(pattern) - len(stripped)) % 2:
        raise TableError("LIKE pattern must not end with escape character")


def like_to_glob(pattern: str) -> str:
    """A LIKE pattern (`%`, `_`, `\\` escapes) as the GLOB pattern that matches the same
    strings, case-sensitively. Linear in the pattern."""
    check_like(pattern)
    out = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(_glob_literal(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(_glob_literal(char))
    return "".join(out)


def _glob_literal(char: str) -> str:
    return f"[{char}]" if char in "*?[" else char


def ilike(value: Any, pattern: Any) -> bool | None:
    """`value ILIKE pattern` with Unicode case folding (the SQL function `wb_ilike`, for
    patterns beyond ASCII). Never backtracks: the pieces between `%`s have fixed lengths
    and are found leftmost, one after another (in C), so it is O(len(value) *
    len(pattern)) at worst."""
    if value is None or pattern is None:
        return None
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    pieces = _like_pieces(pattern)
    text = value.lower()
    if len(pieces) == 1:
        return pieces[0].fullmatch(text) is not None
    first, *middle, last = pieces
    found = first.match(text)
    if found is None:
        return False
    position = found.end()
    at_end = last.search(text, position)
    if at_end is None:
        return False
    end = at_end.start()
    for piece in middle:
        found = piece.search(text, position, end)
        if found is None:
            return False
        position = found.end()
    return True


@functools.lru_cache(maxsize=64)
def _like_pieces(pattern: str) -> list[re.Pattern[str]]:
    """The pattern split at its `%`s: each piece as a regular expression of lower-case
    literals and `.` for `_` (no quantifiers); the last of several must end the text."""
    pieces: list[re.Pattern[str]] = []
    piece: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            piece.append(re.escape(char.lower()))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            pieces.append(re.compile("".join(piece), re.DOTALL))
            piece = []
        else:
            piece.append("." if char == "_" else re.escape(char.lower()))
    last = "".join(piece)
    pieces.append(re.compile(f"(?:{last})\\Z" if pieces else last, re.DOTALL))
    return pieces


def contains(stored: Any, wanted: Any) -> bool:
    """JSON containment as Postgres' `@>` (the SQL function `wb_contains`): an object holds
    every key of the wanted one with a value holding the wanted value; an array holds each
    wanted element somewhere; scalars are equal."""
    if not isinstance(stored, str) or not isinstance(wanted, str):
        return False
    try:
        have, want = json.loads(stored), json.loads(wanted)
    except ValueError:
        return False
    if isinstance(have, list) and not isinstance(want, (list, dict)):
        return any(_holds(item, want) for item in have)  # Postgres' one special case
    return _holds(have, want)


def _holds(have: Any, want: Any) -> bool:
    if isinstance(want, dict):
        return isinstance(have, dict) and all(
            key in have and _holds(have[key], value) for key, value in want.items()
        )
    if isinstance(want, list):
        return isinstance(have, list) and all(
            any(_holds(item, wanted) for item in have) for wanted in want
        )
    if isinstance(want, bool) or isinstance(have, bool):
        return type(want) is type(have) and want == have
    return bool(have == want) and not isinstance(have, (dict, list))
