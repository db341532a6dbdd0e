"""Values of Data Tables: from the wire to Python, checked against a column's type, into
SQLite, and back out to the wire.

On the wire (both ways) values are JSON with tags, `{"$wb": tag, "v": ...}`: `date`,
`datetime`, `row` (`"[table_id,row_id]"`), `media` (with its bytes on the way in, a `ref`
on the way out), and `dict` around a simpleObject dict that has a `"$wb"` key of its own.
The tags have one source, the guest's `anvil/tables/_wire.py`, which the runtime loads here
by path (`load_guest_file`): what it decodes, the host checks and stores.

In SQLite, by column type: string TEXT; number INTEGER or REAL as given; bool 0/1; date
`YYYY-MM-DD`; datetime UTC text of fixed width (`YYYY-MM-DDTHH:MM:SS.ffffff+00:00`, so text
order is time order; a naive datetime is taken as UTC); simpleObject JSON text; media an id
in `_wb_media`; link_single a row id; link_multiple a JSON list of row ids.

Type messages follow Anvil's ("Column 'age' is a number - cannot set it to a string")."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from widgetbox.host.tables.catalogue import Catalogue, Column
from widgetbox.host.tables.errors import BadRequest, TableError
from widgetbox.runtime import load_guest_file

_wire = load_guest_file("anvil/tables/_wire.py", "widgetbox.host.tables._wire")
"""The wire's one source (the guest imports it as `anvil.tables._wire`)."""

TAG: str = _wire.TAG
"""The key that marks a tagged value (the same as the server-call codec's)."""
DATE, DATETIME, ROW, MEDIA, DICT = "date", "datetime", "row", "media", "dict"
"""The tags, as `_wire` spells them (its tests and the host's run against each other)."""

MAX_INT = 2**63 - 1
ROW_ID = re.compile(r"\[\s*([0-9]{1,18})\s*,\s*([0-9]{1,18})\s*\]")
"""A row id this host can have made, `[table_id,row_id]` (checked with `fullmatch`)."""
MAX_CONTENT_TYPE = 255
MAX_MEDIA_NAME = 1000
MAX_SHOWN = 200
"""Characters of a wire problem passed on (a bad datetime's text may be long)."""


@dataclass(frozen=True)
class RowRef:
    """A row of a table, as the guest names it (a link, or the row being written)."""

    table_id: int
    row_id: int

    @property
    def text(self) -> str:
        return row_id_text(self.table_id, self.row_id)


@dataclass(frozen=True)
class NewMedia:
    """Media with its bytes, to store."""

    content_type: str
    name: str | None
    data: bytes


@dataclass(frozen=True)
class StoredMedia:
    """Media already in this file (read from a row and written back): copied, so every row
    owns its own."""

    ref: int


Media = NewMedia | StoredMedia


def row_id_text(table_id: int, row_id: int) -> str:
    text: str = _wire.format_row_id(table_id, row_id)
    return text


def parse_row_id(text: Any) -> RowRef:
    """The row an id names; TableError when it is not one (or not one this host makes: ids
    fit in 64 bits)."""
    if isinstance(text, str) and ROW_ID.fullmatch(text):
        try:
            table_id, row_id = _wire.parse_row_id(text.replace(" ", ""))
            return RowRef(table_id, row_id)
        except _wire.WireError:
            pass
    shown = repr(text[:40]) if isinstance(text, str) else type(text).__name__
    raise TableError(f"Invalid row id: {shown}")


# -- from the wire ----------------------------------------------------------------------------


def check_unicode(request: Any) -> None:
    """BadRequest for a request holding text (a name or a value, anywhere in it) that is not
    valid Unicode: JSON's escapes carry a lone surrogate, which SQLite can neither store nor
    compare. Linear in the request."""
    pending = [request]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not item.isascii():
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise BadRequest(
                        "Text with a lone surrogate (not valid Unicode) cannot be stored or "
                        "searched for"
                    ) from None
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def decode(value: Any) -> Any:
    """The Python value a wire value stands for: tags become `date`, `datetime` (aware:
    a naive one is UTC), `RowRef`, `NewMedia` or `StoredMedia`. BadRequest for a malformed
    tag. Linear in the value (the bridge has bounded its depth and size)."""
    try:
        return _wire.decode(value, row=_row, media=_media)
    except _wire.WireError as e:
        raise BadRequest(str(e)[:MAX_SHOWN]) from None


def _row(payload: str) -> RowRef:
    try:
        return parse_row_id(payload)
    except TableError as e:
        raise BadRequest(e.message) from None


def _media(payload: dict[str, Any]) -> Media:
    if "ref" in payload:
        ref = payload["ref"]
        if not set(payload) <= {"ref", "content_type", "name", "length"} or not _is_id(ref):
            raise BadRequest('stored media is {"ref": int, ...}')
        return StoredMedia(ref)
    if set(payload) != {"content_type", "name", "data"}:
        raise BadRequest('new media is {"content_type": str, "name": str|None, "data": base64}')
    content_type, name = payload["content_type"], payload["name"]
    if not isinstance(content_type, str) or len(content_type) > MAX_CONTENT_TYPE:
        raise BadRequest(f"a media's content type is text of at most {MAX_CONTENT_TYPE} characters")
    if name is not None and (not isinstance(name, str) or len(name) > MAX_MEDIA_NAME):
        raise BadRequest(f"a media's name is None or text of at most {MAX_MEDIA_NAME} characters")
    try:
        data: bytes = _wire.media_data(payload)
    except _wire.WireError as e:
        raise BadRequest(str(e)[:MAX_SHOWN]) from None
    return NewMedia(content_type, name, data)


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_INT


# -- types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueType:
    """What a value would be as a column: a type and, for links, the table (or an error)."""

    type: str
    target: int | None = None
    error: str | None = None


UNRESOLVED = ValueType("unresolved")
UNRESOLVED_LIST = ValueType("unresolvedArray")
_NOT_STORABLE = (
    "You can only store strings, numbers, dates, references to other table rows, "
    "or simple objects in a table"
)


def type_of(value: Any) -> ValueType:
    """The column type a value fits (how auto-created columns get theirs)."""
    if value is None:
        return UNRESOLVED
    if isinstance(value, bool):
        return ValueType("bool")
    if isinstance(value, (int, float)):
        return ValueType("number")
    if isinstance(value, str):
        return ValueType("string")
    if isinstance(value, datetime):
        return ValueType("datetime")
    if isinstance(value, date):
        return ValueType("date")
    if isinstance(value, RowRef):
        return ValueType("link_single", value.table_id)
    if isinstance(value, (NewMedia, StoredMedia)):
        return ValueType("media")
    if isinstance(value, list):
        return _list_type(value)
    if isinstance(value, dict) and _jsonable(value):
        return ValueType("simpleObject")
    return ValueType("error", error=_NOT_STORABLE)


def _list_type(value: list[Any]) -> ValueType:
    if not value:
        return UNRESOLVED_LIST
    if isinstance(value[0], RowRef):
        table_id = value[0].table_id
        if all(isinstance(item, RowRef) and item.table_id == table_id for item in value):
            return ValueType("link_multiple", table_id)
        return ValueType(
            "error", error="All elements of a table-row list must be rows from the same table"
        )
    if _jsonable(value):
        return ValueType("simpleObject")
    return ValueType(
        "error",
        error="The only lists you can store in a data table are lists of simple objects "
        "or lists of table rows",
    )


def _jsonable(value: Any) -> bool:
    """Plain JSON all the way down (no dates, rows or media inside)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif not (item is None or isinstance(item, (str, int, float))):
            return False
    return True


def type_name(catalogue: Catalogue, kind: str, target: int | None) -> str:
    """A type as Anvil's messages name it."""
    if kind == "link_single":
        return f"Row from '{catalogue.table_name(target)}' table"
    if kind == "link_multiple":
        return f"List of rows from '{catalogue.table_name(target)}' table"
    if kind == "unresolved":
        return "Unresolved (None)"
    if kind == "unresolvedArray":
        return "Unresolved (empty list)"
    return kind


def fits(column: Column, value: Any) -> bool:
    """Whether `value` may be stored in (or compared with) `column`."""
    if value is None:
        return True
    if value == [] and column.type in ("link_multiple", "simpleObject"):
        return True
    if column.type == "simpleObject":
        return isinstance(value, (dict, list, str, int, float)) and _jsonable(value)
    found = type_of(value)
    return found.type == column.type and found.target == column.target


def type_error(catalogue: Catalogue, column: Column, value: Any) -> TableError:
    found = type_of(value)
    why = found.error or f"cannot set it to a {type_name(catalogue, found.type, found.target)}"
    kind = type_name(catalogue, column.type, column.target)
    return TableError(f"Column '{column.name}' is a {kind} - {why}")


# -- into SQLite ----------------------------------------------------------------------------


def to_sql(column: Column, value: Any) -> Any:
    """The SQLite value for `value` in `column` (checked by `fits` first). Media is the
    caller's to store: it arrives here as the media row's id."""
    if value is None:
        return None
    kind = column.type
    if kind == "number":
        return number(column.name, value)
    if kind == "bool":
        return 1 if value else 0
    if kind == "date":
        return value.isoformat()
    if kind == "datetime":
        return datetime_text(value)
    if kind == "simpleObject":
        return simple_object_text(value)
    if kind == "link_single":
        return value.row_id
    if kind == "link_multiple":
        return json.dumps([ref.row_id for ref in value], separators=(",", ":"))
    return value  # string, and media (its id)


def number(name: str, value: int | float) -> int | float:
    if isinstance(value, int) and not -MAX_INT - 1 <= value <= MAX_INT:
        raise TableError(
            f"The number for column '{name}' is too large to store "
            "(whole numbers are stored in 64 bits)"
        )
    if isinstance(value, float) and not math.isfinite(value):  # the bridge refuses these already
        raise TableError("Cannot store NaN in a data table")
    return value


def datetime_text(value: datetime) -> str:
    """UTC, fixed width: text order is time order."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "+00:00"


def simple_object_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


# -- out to the wire -------------------------------------------------------------------------


def from_sql(column: Column, value: Any) -> Any:
    """The wire form of a stored value (media: see `media_out`)."""
    if value is None:
        return None
    kind = column.type
    if kind == "bool":
        return bool(value)
    if kind in (DATE, DATETIME):
        return {TAG: kind, "v": value}
    if kind == "simpleObject":
        loaded = json.loads(value)
        return _wire.encode(loaded) if f'"{TAG}"' in value else loaded
    if kind == "link_single":
        return _wire.row_form(row_id_text(column.target or 0, value))
    if kind == "link_multiple":
        target = column.target or 0
        return [_wire.row_form(row_id_text(target, row)) for row in json.loads(value)]
    return value


def media_out(ref: int | None, described: str | None) -> Any:
    """A stored media's wire form from its id and `json_array(content_type, name, length)`."""
    if ref is None or described is None:
        return None
    content_type, name, length = json.loads(described)
    return _wire.media_ref_form(ref, content_type, name, length)
