from __future__ import annotations

import datetime

import pytest

from widgetbox.runtime._codec import TAG, SerializationError, decode, encode

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "value",
    [None, True, 0, -5, 2**70, 1.5, "", "text", [], [1, "a", None], {}, {"a": {"b": [1]}}],
)
def test_json_values_pass_unchanged(value: object) -> None:
    assert encode(value) == value
    assert decode(encode(value)) == value


def test_tuples_arrive_as_lists() -> None:
    assert decode(encode((1, (2, 3)))) == [1, [2, 3]]


def test_dates_and_datetimes_survive() -> None:
    value = {
        "d": datetime.date(2026, 11, 24),
        "naive": datetime.datetime(2026, 11, 24, 9, 30, 1, 5),
        "aware": datetime.datetime(2026, 11, 24, 9, 30, tzinfo=datetime.UTC),
    }
    back = decode(encode(value))
    assert back == value
    assert type(back["d"]) is datetime.date
    assert back["aware"].tzinfo is not None


def test_a_dict_that_looks_like_a_tag_is_not_mistaken_for_one() -> None:
    value = {TAG: "date", "v": "2026-01-01"}
    assert decode(encode(value)) == value


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({1: "a"}, "keys must be strings"),
        ({1, 2}, "cannot serialize a set"),
        (object(), "cannot serialize a object"),
        (float("nan"), "cannot serialize the float nan"),
        (float("inf"), "cannot serialize the float inf"),
    ],
)
def test_values_that_cannot_cross_are_refused(value: object, words: str) -> None:
    with pytest.raises(SerializationError, match=words):
        encode(value)


def test_depth_is_limited_both_ways() -> None:
    deep: list[object] = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(SerializationError, match="nested"):
        encode(deep)
    with pytest.raises(SerializationError, match="nested"):
        decode(deep)


@pytest.mark.parametrize(
    "tagged",
    [{TAG: "date", "v": "not a date"}, {TAG: "nope", "v": 1}, {TAG: "datetime", "v": 3}],
)
def test_bad_tagged_values_are_refused(tagged: dict[str, object]) -> None:
    with pytest.raises(SerializationError):
        decode(tagged)
