"""Values as text for the Data page and CSV (`host/tables/cells.py`, `transfer.py`): each
type read from a cell and written back the same, conversions between types that keep every
value or say why not, and CSV problems reported by the line they start on."""

from __future__ import annotations

from typing import Any

import pytest

from widgetbox.host.errors import Invalid
from widgetbox.host.tables.cells import CellError, cell_text, convert, read_cell
from widgetbox.host.tables.transfer import line_of_row, read_csv, write_csv

pytestmark = pytest.mark.unit

ROUND_TRIPS = [
    ("string", 'Ada, "the" Countess\nof Lovelace', 'Ada, "the" Countess\nof Lovelace'),
    ("number", "42", 42),
    ("number", "-7", -7),
    ("number", "2.5", 2.5),
    ("number", "1e3", 1000.0),
    ("bool", "YES", True),
    ("bool", "0", False),
    ("date", "2026-12-04", {"$wb": "date", "v": "2026-12-04"}),
    (
        "datetime",
        "2026-12-04T10:30:00+01:00",
        {"$wb": "datetime", "v": "2026-12-04T09:30:00+00:00"},
    ),
    ("datetime", "2026-12-04 10:30", {"$wb": "datetime", "v": "2026-12-04T10:30:00+00:00"}),
    ("simpleObject", '{"a": [1, null, "x"]}', {"a": [1, None, "x"]}),
    ("simpleObject", '{"$wb": "date"}', {"$wb": "dict", "v": {"$wb": "date"}}),
    ("link_single", " [3, 17] ", {"$wb": "row", "v": "[3,17]"}),
    ("link_multiple", "[3,1] [3,2]", [{"$wb": "row", "v": "[3,1]"}, {"$wb": "row", "v": "[3,2]"}]),
]


@pytest.mark.parametrize(("kind", "text", "value"), ROUND_TRIPS)
def test_cells_read_into_their_type_and_back(kind: str, text: str, value: Any) -> None:
    assert read_cell(kind, text) == value
    assert read_cell(kind, cell_text(kind, value)) == value
    assert read_cell(kind, "") is None
    assert cell_text(kind, None) == ""


REFUSED = [
    ("number", "12abc", "'12abc' is not a number"),
    ("number", "nan", "'nan' is not a number"),
    ("number", "inf", "'inf' is not a number"),
    ("number", "9" * 5000, "too large a whole number"),
    ("number", "99999999999999999999", "too large a whole number"),
    ("bool", "maybe", "'maybe' is not true or false"),
    ("date", "04/12/2026", "is not a date (YYYY-MM-DD)"),
    ("date", "2026-02-30", "is not a date"),
    ("datetime", "tomorrow", "is not a date and time"),
    ("simpleObject", "{'a': 1}", "is not JSON"),
    ("simpleObject", "NaN", "is not JSON"),
    ("simpleObject", "[" * 100_000, "is not JSON"),
    ("link_single", "17", "is not a row id like [3,17]"),
    ("link_multiple", "[3,1], [3,2]", "is not row ids"),
    ("media", "photo.png", "cannot be imported"),
]


@pytest.mark.parametrize(("kind", "text", "message"), REFUSED)
def test_cells_that_do_not_fit_say_why(kind: str, text: str, message: str) -> None:
    with pytest.raises(
        CellError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
    ):
        read_cell(kind, text)


def test_a_long_value_is_shown_cut() -> None:
    with pytest.raises(CellError) as caught:
        read_cell("number", "x" * 10_000)
    assert len(str(caught.value)) < 80


CONVERSIONS = [
    (12, "number", "string", "12"),
    (2.5, "number", "string", "2.5"),
    (True, "bool", "string", "true"),
    ({"$wb": "date", "v": "2026-01-02"}, "date", "string", "2026-01-02"),
    ({"a": 1}, "simpleObject", "string", '{"a":1}'),
    ("plain", "simpleObject", "string", "plain"),
    (" 12 ", "string", "number", 12),
    ("no", "string", "bool", False),
    ("2026-01-02", "string", "date", {"$wb": "date", "v": "2026-01-02"}),
    ("text", "string", "simpleObject", "text"),
    (3, "number", "simpleObject", 3),
    (3, "simpleObject", "number", 3),
    ("4", "simpleObject", "number", 4),
    (
        {"$wb": "date", "v": "2026-01-02"},
        "date",
        "datetime",
        {"$wb": "datetime", "v": "2026-01-02T00:00:00+00:00"},
    ),
    (
        {"$wb": "datetime", "v": "2026-01-02T00:00:00.000000+00:00"},
        "datetime",
        "date",
        {"$wb": "date", "v": "2026-01-02"},
    ),
    (None, "media", "string", None),
]


@pytest.mark.parametrize(("value", "old", "new", "expected"), CONVERSIONS)
def test_safe_conversions_keep_the_value(value: Any, old: str, new: str, expected: Any) -> None:
    assert convert(value, old, new) == expected


UNSAFE = [
    ("big", "string", "number"),
    (3, "number", "bool"),
    (True, "bool", "number"),
    ({"a": 1}, "simpleObject", "number"),
    ({"$wb": "datetime", "v": "2026-01-02T10:00:00.000000+00:00"}, "datetime", "date"),
    ({"$wb": "date", "v": "2026-01-02"}, "date", "number"),
    ({"$wb": "row", "v": "[1,2]"}, "link_single", "string"),
    ("[1,2]", "string", "link_single"),
    ({"$wb": "media", "v": {"ref": 1}}, "media", "string"),
]


@pytest.mark.parametrize(("value", "old", "new"), UNSAFE)
def test_unsafe_conversions_are_refused(value: Any, old: str, new: str) -> None:
    with pytest.raises(CellError):
        convert(value, old, new)


COLUMNS = {"name": "string", "age": "number"}


def test_csv_problems_are_listed_by_the_line_they_start_on() -> None:
    text = 'name,age\r\n"two\r\nlines",x\r\n\r\nok,1\r\nshort\r\n'
    with pytest.raises(Invalid) as caught:
        read_csv(text, COLUMNS, "people")
    problems = caught.value.details["problems"]
    assert problems == [
        {"line": 2, "column": "age", "message": "'x' is not a number"},
        {"line": 6, "column": None, "message": "1 values, but the header names 2 columns"},
    ]
    assert line_of_row(text, 0) == 2
    assert line_of_row(text, 1) == 5


def test_csv_that_is_not_csv_is_refused_with_its_line() -> None:
    with pytest.raises(Invalid) as caught:
        read_csv('name,age\nAda,1\n"open,2\n', COLUMNS, "people")
    assert caught.value.details["problems"][0]["message"].startswith("this is not valid CSV")


def test_many_problems_are_counted_and_the_first_listed() -> None:
    text = "age\n" + "x\n" * 500
    with pytest.raises(Invalid) as caught:
        read_csv(text, COLUMNS, "people")
    assert caught.value.details["count"] == 500
    assert len(caught.value.details["problems"]) == 100
    assert "(and 497 more)" in caught.value.message


def test_export_then_import_gives_the_same_rows() -> None:
    records = [{"name": 'Ada, "A"\nL', "age": 36}, {"name": None, "age": 2.5}, {}]
    text = "".join(write_csv(COLUMNS, records))
    assert read_csv(text, COLUMNS, "people") == [
        {"name": 'Ada, "A"\nL', "age": 36},
        {"name": None, "age": 2.5},
        {"name": None, "age": None},
    ]
