"""Values as text, for people: a CSV cell read into a column's type, a stored value written
out as a cell, and a value carried over when its column changes type. Values here are in
their wire form (`values.py`: JSON with `{"$wb": tag, "v": ...}` for dates, datetimes, rows,
media and wrapped dicts), so what comes out goes straight into the operations.

Cells:

| type | read from | written as |
|---|---|---|
| string | the text | the text |
| number | `12`, `-3`, `1.5`, `2e10` (no `nan` or `inf`) | the same |
| bool | true/false, yes/no, 1/0 (any case) | `true` / `false` |
| date | `2026-12-04` | the same |
| datetime | ISO 8601 (`2026-12-04T10:30:00+01:00`; no zone: UTC) | ISO 8601 in UTC |
| simpleObject | JSON | JSON |
| link_single | a row id, `[3,17]` | the same |
| link_multiple | row ids separated by spaces | the same |
| media | (cannot be imported) | the file's name |

An empty cell is an empty value (None) whatever the type."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from widgetbox.host.tables.values import DATE, DATETIME, DICT, MEDIA, ROW, ROW_ID, TAG

MAX_INT = 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
NOT_IMPORTABLE = frozenset({"media"})


class CellError(ValueError):
    """A cell or value that does not fit the type; the message says why, for people."""


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


# -- reading a cell ------------------------------------------------------------------------


def read_cell(kind: str, text: str) -> Any:
    """The wire value a CSV cell stands for in a column of `kind`; CellError otherwise."""
    if text == "":
        return None
    reader = _READERS.get(kind)
    if reader is None:
        raise CellError(f"a {kind} column cannot be imported from CSV")
    return reader(text)


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(f"{_shown(text)} is not true or false")


def _date(text: str) -> dict[str, str]:
    try:
        if len(text.strip()) != 10:
            raise ValueError
        return {TAG: DATE, "v": date.fromisoformat(text.strip()).isoformat()}
    except ValueError:
        raise CellError(f"{_shown(text)} is not a date (YYYY-MM-DD)") from None


def _datetime(text: str) -> dict[str, str]:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CellError(f"{_shown(text)} is not a date and time (ISO 8601)") from None
    return {TAG: DATETIME, "v": _utc(moment)}


def _json(text: str) -> Any:
    try:
        loaded = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise CellError(f"{_shown(text)} is not JSON") from None
    return _wrap(loaded)


def _link(text: str) -> dict[str, str]:
    match = ROW_ID.fullmatch(text.strip())
    if match is None:
        raise CellError(f"{_shown(text)} is not a row id like [3,17]")
    return {TAG: ROW, "v": f"[{int(match[1])},{int(match[2])}]"}


def _links(text: str) -> list[dict[str, str]]:
    if ROW_ID.sub("", text).strip():
        raise CellError(f"{_shown(text)} is not row ids like [3,17] separated by spaces")
    return [{TAG: ROW, "v": f"[{int(t)},{int(r)}]"} for t, r in ROW_ID.findall(text)]


def _number(text: str) -> int | float:
    stripped = text.strip()
    if _INTEGER.fullmatch(stripped):
        value = int(stripped) if len(stripped) <= 20 else MAX_INT + 1
        if -MAX_INT - 1 <= value <= MAX_INT:
            return value
        raise CellError(f"{_shown(text)} is too large a whole number (64 bits at most)")
    if _DECIMAL.fullmatch(stripped):
        number = float(stripped)
        if math.isfinite(number):
            return number
    raise CellError(f"{_shown(text)} is not a number")


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _wrap(value: Any) -> Any:
    """A simpleObject in its wire form: dicts with a `"$wb"` key of their own wrapped."""
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    if isinstance(value, dict):
        inner = {key: _wrap(item) for key, item in value.items()}
        return {TAG: DICT, "v": inner} if TAG in inner else inner
    return value


def _unwrap(value: Any) -> Any:
    """The plain JSON of a simpleObject's wire form."""
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    if isinstance(value, dict):
        if set(value) == {TAG, "v"} and value[TAG] == DICT and isinstance(value["v"], dict):
            value = value["v"]
        return {key: _unwrap(item) for key, item in value.items()}
    return value


_READERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "number": _number,
    "bool": _bool,
    DATE: _date,
    DATETIME: _datetime,
    "simpleObject": _json,
    "link_single": _link,
    "link_multiple": _links,
}


# -- writing a cell ------------------------------------------------------------------------


def cell_text(kind: str, value: Any) -> str:
    """A stored value (wire form) as a CSV cell; `read_cell` reads it back the same."""
    if value is None:
        return ""
    if kind == "string":
        return str(value)
    if kind == "number":
        return repr(value) if isinstance(value, float) else str(value)
    if kind == "bool":
        return "true" if value else "false"
    if kind in (DATE, DATETIME, "link_single"):
        return str(value["v"])
    if kind == "simpleObject":
        return json.dumps(_unwrap(value), ensure_ascii=False, separators=(",", ":"))
    if kind == "link_multiple":
        return " ".join(str(item["v"]) for item in value)
    if kind == MEDIA:
        return str(value["v"].get("name") or "")
    return str(value)


# -- changing a column's type --------------------------------------------------------------

NEVER = frozenset({"media", "link_single", "link_multiple"})
"""Types whose values mean nothing as another type: only an empty column changes from or to
one of these."""


def convert(value: Any, old: str, new: str) -> Any:
    """`value` (wire form, of type `old`) as a value of type `new`; CellError saying why
    when it does not convert without loss."""
    if value is None or old == new:
        return value
    if old in NEVER or new in NEVER:
        raise CellError(f"a {old} value cannot become a {new}")
    if new == "string":
        if old == "simpleObject" and isinstance(value, str):
            return value
        return cell_text(old, value)
    if old == "string":
        return value if new == "simpleObject" else read_cell(new, value)
    if new == "simpleObject":
        if old in ("number", "bool"):
            return value
        raise CellError(f"a {old} is not a simple object")
    if old == "simpleObject":
        return _from_simple_object(value, new)
    if (old, new) == (DATE, DATETIME):
        return {TAG: DATETIME, "v": f"{value['v']}T00:00:00+00:00"}
    if (old, new) == (DATETIME, DATE):
        moment = datetime.fromisoformat(value["v"]).astimezone(UTC)
        if moment.time() != datetime.min.time():
            raise CellError(f"{value['v']} has a time of day, which a date would lose")
        return {TAG: DATE, "v": moment.date().isoformat()}
    raise CellError(f"a {old} cannot become a {new}")


def _from_simple_object(value: Any, new: str) -> Any:
    if new == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if new == "bool" and isinstance(value, bool):
        return value
    if isinstance(value, str):
        return read_cell(new, value)
    raise CellError(f"{_shown(cell_text('simpleObject', value))} is not a {new}")
