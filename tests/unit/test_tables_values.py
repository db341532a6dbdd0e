"""Values of Data Tables: wire tags in, column types, SQLite forms, and back out."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from widgetbox.host.tables import values
from widgetbox.host.tables.catalogue import Catalogue, Column, Table
from widgetbox.host.tables.errors import BadRequest, TableError
from widgetbox.host.tables.values import NewMedia, RowRef, StoredMedia

pytestmark = pytest.mark.unit

PEOPLE = Table(3, "people", "none", {})
PETS = Table(4, "pets", "none", {})
CATALOGUE = Catalogue({"people": PEOPLE, "pets": PETS}, {3: PEOPLE, 4: PETS})


def column(kind: str, target: int | None = None, name: str = "col") -> Column:
    return Column(1, 3, name, kind, target)


def row(table_id: int, row_id: int) -> dict[str, Any]:
    return {"$wb": "row", "v": f"[{table_id},{row_id}]"}


def test_the_tags_come_from_the_guests_one_source() -> None:
    source = Path(values._wire.__file__)
    assert source.parts[-3:] == ("anvil", "tables", "_wire.py")
    assert values.TAG == "$wb"
    # what the guest encodes, the host decodes
    moment = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    sent = values._wire.encode({"when": moment, "day": date(2026, 1, 2), "$wb": 1})
    assert values.decode(sent) == {"when": moment, "day": date(2026, 1, 2), "$wb": 1}
    assert values.decode(values._wire.row_form("[3,17]")) == RowRef(3, 17)
    media = values._wire.media_form("text/plain", "a.txt", b"hi")
    assert values.decode(media) == NewMedia("text/plain", "a.txt", b"hi")


def test_plain_json_decodes_to_itself() -> None:
    value = {"a": [1, 2.5, "x", None, True, {"b": []}]}
    assert values.decode(value) == value


def test_tags_decode_to_python_values() -> None:
    assert values.decode({"$wb": "date", "v": "2026-12-04"}) == date(2026, 12, 4)
    moment = values.decode({"$wb": "datetime", "v": "2026-12-04T10:20:30.5+02:00"})
    assert moment == datetime(2026, 12, 4, 8, 20, 30, 500000, tzinfo=UTC)
    assert values.decode(row(3, 17)) == RowRef(3, 17)
    assert values.decode(
        {"$wb": "dict", "v": {"$wb": 1, "d": {"$wb": "date", "v": "2026-01-01"}}}
    ) == {
        "$wb": 1,
        "d": date(2026, 1, 1),
    }
    data = base64.b64encode(b"\x00\x01hello").decode()
    media = {"$wb": "media", "v": {"content_type": "text/plain", "name": None, "data": data}}
    assert values.decode(media) == NewMedia("text/plain", None, b"\x00\x01hello")
    stored = {"$wb": "media", "v": {"ref": 5, "content_type": "a/b", "name": "n", "length": 3}}
    assert values.decode(stored) == StoredMedia(5)


@pytest.mark.parametrize(
    "bad",
    [
        {"$wb": "date"},
        {"$wb": "date", "v": "2026-13-01"},
        {"$wb": "date", "v": 20261201},
        {"$wb": "datetime", "v": "x" * 100},
        {"$wb": "row", "v": "[3,x]"},
        {"$wb": "row", "v": "[1,2,3]"},
        {"$wb": "nope", "v": 1},
        {"$wb": "media", "v": {"content_type": "a", "name": None, "data": "!!!"}},
        {"$wb": "media", "v": {"content_type": 5, "name": None, "data": ""}},
        {"$wb": "media", "v": {"content_type": "a", "data": ""}},
        {"$wb": "media", "v": {"ref": True}},
        {"$wb": "media", "v": {"ref": -1}},
        [{"$wb": "date", "v": None}],
    ],
)
def test_malformed_tags_are_bad_requests(bad: Any) -> None:
    with pytest.raises(BadRequest):
        values.decode(bad)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("[3,17]", True),
        ("[ 3 , 17 ]", True),
        ("[3,17", False),
        ("3,17", False),
        ("[3,-1]", False),
        ("[3,1e3]", False),
        ("[" + "9" * 19 + ",1]", False),
        ("[3,17]; DROP TABLE t", False),
    ],
)
def test_row_ids(text: str, ok: bool) -> None:
    if ok:
        assert values.parse_row_id(text) == RowRef(3, 17)
    else:
        with pytest.raises(TableError, match="Invalid row id"):
            values.parse_row_id(text)
    with pytest.raises(TableError):
        values.parse_row_id(17)


def test_value_types() -> None:
    assert values.type_of(None).type == "unresolved"
    assert values.type_of(True).type == "bool"
    assert values.type_of(3).type == "number"
    assert values.type_of(3.5).type == "number"
    assert values.type_of("x").type == "string"
    assert values.type_of(date(2026, 1, 1)).type == "date"
    assert values.type_of(datetime(2026, 1, 1)).type == "datetime"
    assert values.type_of(RowRef(4, 1)) == values.ValueType("link_single", 4)
    assert values.type_of([RowRef(4, 1), RowRef(4, 2)]) == values.ValueType("link_multiple", 4)
    assert values.type_of([]).type == "unresolvedArray"
    assert values.type_of({"a": [1, {"b": None}]}).type == "simpleObject"
    assert values.type_of([1, "two"]).type == "simpleObject"
    assert values.type_of(StoredMedia(1)).type == "media"
    assert "same table" in (values.type_of([RowRef(4, 1), RowRef(3, 1)]).error or "")
    assert "lists of simple objects" in (values.type_of([1, date(2026, 1, 1)]).error or "")
    assert "You can only store" in (values.type_of({"d": date(2026, 1, 1)}).error or "")


def test_what_fits_a_column() -> None:
    assert values.fits(column("number"), 1)
    assert not values.fits(column("number"), True)
    assert not values.fits(column("number"), "1")
    assert values.fits(column("string"), None)
    assert not values.fits(column("date"), datetime(2026, 1, 1))
    assert values.fits(column("link_single", 4), RowRef(4, 1))
    assert not values.fits(column("link_single", 4), RowRef(3, 1))
    assert values.fits(column("link_multiple", 4), [])
    assert values.fits(column("link_multiple", 4), [RowRef(4, 1)])
    assert values.fits(column("simpleObject"), "just a string")
    assert values.fits(column("simpleObject"), [])
    assert not values.fits(column("simpleObject"), [date(2026, 1, 1)])


def test_type_errors_use_anvils_words() -> None:
    message = values.type_error(CATALOGUE, column("number", name="age"), "x").message
    assert message == "Column 'age' is a number - cannot set it to a string"
    message = values.type_error(CATALOGUE, column("link_single", 4, "pet"), RowRef(3, 1)).message
    assert message == (
        "Column 'pet' is a Row from 'pets' table - cannot set it to a Row from 'people' table"
    )
    message = values.type_error(CATALOGUE, column("string"), [RowRef(4, 1), 2]).message
    assert message.endswith("All elements of a table-row list must be rows from the same table")


def test_datetimes_are_stored_in_utc_with_a_fixed_width() -> None:
    col = column("datetime")
    naive = values.to_sql(col, datetime(2026, 12, 4, 10, 0))
    aware = values.to_sql(col, datetime(2026, 12, 4, 12, 0, tzinfo=timezone(timedelta(hours=2))))
    assert naive == aware == "2026-12-04T10:00:00.000000+00:00"
    early = values.to_sql(col, datetime(5, 1, 1, 0, 0, 0, 1))
    assert early == "0005-01-01T00:00:00.000001+00:00"
    assert len(early) == len(naive)
    assert early < naive  # text order is time order
    assert values.from_sql(col, naive) == {"$wb": "datetime", "v": naive}
    assert datetime.fromisoformat(naive).tzinfo is not None


def test_scalar_round_trips() -> None:
    assert values.to_sql(column("bool"), True) == 1
    assert values.from_sql(column("bool"), 0) is False
    assert values.to_sql(column("date"), date(2026, 1, 2)) == "2026-01-02"
    assert values.from_sql(column("date"), "2026-01-02") == {"$wb": "date", "v": "2026-01-02"}
    assert values.to_sql(column("number"), 2) == 2
    assert isinstance(values.to_sql(column("number"), 2.0), float)
    with pytest.raises(TableError, match="too large"):
        values.to_sql(column("number"), 2**64)
    assert values.from_sql(column("string"), None) is None


def test_links_out_name_their_table() -> None:
    assert values.from_sql(column("link_single", 4), 9) == row(4, 9)
    assert values.to_sql(column("link_multiple", 4), [RowRef(4, 1), RowRef(4, 2)]) == "[1,2]"
    assert values.from_sql(column("link_multiple", 4), "[1,2]") == [row(4, 1), row(4, 2)]


def test_simple_objects_keep_their_own_wb_keys_wrapped() -> None:
    col = column("simpleObject")
    inner = {"$wb": "not a tag", "list": [{"$wb": 2}]}
    stored = values.to_sql(col, inner)
    assert json.loads(stored) == inner
    assert values.from_sql(col, stored) == {
        "$wb": "dict",
        "v": {"$wb": "not a tag", "list": [{"$wb": "dict", "v": {"$wb": 2}}]},
    }
    assert values.decode(values.from_sql(col, stored)) == inner
    assert values.from_sql(col, '{"ü": [1, 2.5]}') == {"ü": [1, 2.5]}


def test_media_out() -> None:
    assert values.media_out(None, None) is None
    assert values.media_out(7, '["image/png", "a.png", 10]') == {
        "$wb": "media",
        "v": {"ref": 7, "content_type": "image/png", "name": "a.png", "length": 10},
    }
