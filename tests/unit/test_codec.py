"""The value codec: one source, wasm-python/anvil/_serialize.py, which the host loads as
`widgetbox.runtime._codec` (tests/unit/test_codec_parity.py checks that every side runs it).
Beyond the examples, a hand-written table of values and a deterministic, seeded generator of
nested values make the trip."""

from __future__ import annotations

import datetime
import json
import math
import random
from collections.abc import Iterator
from typing import Any

import pytest

from widgetbox.runtime import _codec as codec
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


# -- a table of values and a seeded generator -----------------------------------------------

UTC = datetime.UTC
IST = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
WEST = datetime.timezone(datetime.timedelta(hours=-9, minutes=-30), "Marquesas")
ODD = datetime.timezone(datetime.timedelta(hours=1, seconds=1))


def nested(depth: int, leaf: Any = 0, *, kind: str = "list") -> Any:
    """`leaf` inside `depth` lists (or single-key dicts)."""
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


TABLE: list[Any] = [
    # JSON types as they are
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**100),
    0.0,
    -0.0,
    1.5,
    1e308,
    5e-324,
    "",
    "text",
    "ünïcødé ✓ \U0001f600",
    "\x00 control \n\t chars",
    "$wb",
    '{"$wb": "date"}',
    [],
    {},
    [1, "a", None, True, 2.5],
    {"a": {"b": [1, {"c": None}]}},
    {"": "empty key", " ": "space"},
    # tuples arrive as lists
    (),
    (1, 2),
    (1, (2, (3,))),
    [(), [()]],
    {"t": (datetime.date(2026, 1, 1),)},
    # dates and datetimes, naive and aware
    datetime.date(2026, 11, 24),
    datetime.date(1, 1, 1),
    datetime.date(9999, 12, 31),
    datetime.date(999, 3, 4),
    datetime.datetime(2026, 11, 24, 9, 30),
    datetime.datetime(2026, 11, 24, 9, 30, 15, 123456),
    datetime.datetime(2026, 11, 24, 9, 30, 0, 1),
    datetime.datetime(2026, 11, 24, 23, 59, 59, tzinfo=UTC),
    datetime.datetime(2026, 11, 24, 9, 30, 15, 500, tzinfo=IST),
    datetime.datetime(2026, 11, 24, 9, 30, tzinfo=WEST),
    datetime.datetime(2026, 11, 24, 9, 30, tzinfo=ODD),
    datetime.datetime.min,
    datetime.datetime.max,
    datetime.datetime(2026, 10, 25, 1, 30, fold=1),
    [datetime.date(2026, 1, 2), datetime.datetime(2026, 1, 2, 3, 4, 5)],
    # dicts with their own "$wb" key are wrapped, at any level
    {"$wb": 1},
    {"$wb": None},
    {"$wb": "date", "v": "2026-01-01"},
    {"$wb": "datetime", "v": "2026-01-01T00:00:00"},
    {"$wb": "dict", "v": {"$wb": "dict", "v": {}}},
    {"outer": {"$wb": [1, {"$wb": {"$wb": True}}]}},
    [{"$wb": datetime.date(2026, 5, 6)}],
    # nesting up to the limit
    nested(codec.MAX_DEPTH),
    nested(codec.MAX_DEPTH, kind="dict"),
    nested(codec.MAX_DEPTH - 1, datetime.date(2026, 1, 1)),
    nested(50, {"$wb": 1}),
]


def seeded_values(count: int, seed: int = 20261124) -> Iterator[Any]:
    """Deterministic random nested values made of everything the codec accepts."""
    rng = random.Random(seed)
    zones = [None, UTC, IST, WEST, ODD]

    def leaf() -> Any:
        choice = rng.randrange(9)
        if choice == 0:
            return None
        if choice == 1:
            return rng.random() < 0.5
        if choice == 2:
            return rng.randint(-(2**70), 2**70)
        if choice == 3:
            return rng.uniform(-1e12, 1e12)
        if choice == 4:
            return "".join(rng.choice("ab$wvé\u2603\n ") for _ in range(rng.randrange(6)))
        if choice == 5:
            return datetime.date.fromordinal(rng.randint(1, 3_652_059))
        if choice == 6:
            moment = datetime.datetime(2000, 1, 1) + datetime.timedelta(
                seconds=rng.randint(-(10**9), 10**9), microseconds=rng.randrange(10**6)
            )
            return moment.replace(tzinfo=rng.choice(zones))
        if choice == 7:
            return "$wb"
        return rng.choice(["date", "datetime", "dict", "v"])

    def value(depth: int) -> Any:
        if depth > 5 or rng.random() < 0.3:
            return leaf()
        kind = rng.randrange(3)
        items = [value(depth + 1) for _ in range(rng.randrange(4))]
        if kind == 0:
            return items
        if kind == 1:
            return tuple(items)
        keys = ["$wb", "v", "a", "", "é"]
        return {rng.choice(keys): item for item in items}

    for _ in range(count):
        yield value(0)


VALUES = TABLE + list(seeded_values(300))


def plain(value: Any) -> Any:
    """What a value should decode to, in a form that compares exactly: tuples are lists,
    dates carry their type and ISO text (so naive/aware and date/datetime never mix up),
    floats carry their sign (-0.0)."""
    if isinstance(value, (list, tuple)):
        return ["list", [plain(item) for item in value]]
    if isinstance(value, dict):
        return ["dict", {key: plain(item) for key, item in value.items()}]
    if isinstance(value, datetime.datetime):
        return ["datetime", value.isoformat(), value.utcoffset()]
    if isinstance(value, datetime.date):
        return ["date", value.isoformat()]
    if isinstance(value, float):
        return ["float", value, math.copysign(1.0, value)]
    return [type(value).__name__, value]


def wire(value: Any) -> Any:
    """The encoded form as it crosses the boundary: JSON text and back."""
    return json.loads(json.dumps(value, allow_nan=False, separators=(",", ":")))


@pytest.mark.parametrize("index", range(len(VALUES)))
def test_values_make_the_trip_and_are_encoded_alike_again(index: int) -> None:
    value = VALUES[index]
    encoded = codec.encode(value)
    assert plain(codec.decode(wire(encoded))) == plain(value)
    # A value that made the trip once is encoded the same again.
    assert codec.encode(codec.decode(wire(encoded))) == encoded


def test_the_generator_covers_the_interesting_cases() -> None:
    text = json.dumps([codec.encode(v) for v in VALUES])
    for fragment in ('"$wb": "dict"', '"$wb": "date"', '"$wb": "datetime"', "+05:30", "-09:30"):
        assert fragment in text
    assert any(isinstance(v, tuple) for v in VALUES)


def test_the_format_is_pinned() -> None:
    value = {
        "d": datetime.date(2026, 11, 24),
        "t": datetime.datetime(2026, 11, 24, 9, 30, 1, 5, tzinfo=IST),
        "n": datetime.datetime(2026, 11, 24, 9, 30),
        "w": {"$wb": "x"},
        "l": (1, [2]),
    }
    assert codec.encode(value) == {
        "d": {"$wb": "date", "v": "2026-11-24"},
        "t": {"$wb": "datetime", "v": "2026-11-24T09:30:01.000005+05:30"},
        "n": {"$wb": "datetime", "v": "2026-11-24T09:30:00"},
        "w": {"$wb": "dict", "v": {"$wb": "x"}},
        "l": [1, [2]],
    }
    assert codec.TAG == "$wb"


def test_tuples_become_lists_and_dates_keep_their_type() -> None:
    back = codec.decode(wire(codec.encode((1, (datetime.date(2026, 1, 1),)))))
    assert back == [1, [datetime.date(2026, 1, 1)]]
    assert type(back[1]) is list
    assert type(back[1][0]) is datetime.date


def test_aware_datetimes_keep_their_offset() -> None:
    moment = datetime.datetime(2026, 11, 24, 9, 30, tzinfo=WEST)
    back = codec.decode(wire(codec.encode(moment)))
    assert back == moment
    assert back.utcoffset() == datetime.timedelta(hours=-9, minutes=-30)
    naive = datetime.datetime(2026, 11, 24, 9, 30)
    assert codec.decode(wire(codec.encode(naive))).tzinfo is None


class Thing:
    pass


REFUSED: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    [1, [2, float("nan")]],
    {"a": {"b": float("-inf")}},
    {1: "a"},
    {None: 1},
    {True: 1},
    {(1, 2): 3},
    {b"bytes": 1},
    {"ok": {2.5: "no"}},
    {1, 2},
    frozenset(),
    b"bytes",
    bytearray(b"x"),
    Thing(),
    datetime.time(9, 30),
    datetime.timedelta(days=1),
    1 + 2j,
    nested(codec.MAX_DEPTH + 1),
    nested(codec.MAX_DEPTH + 1, kind="dict"),
    nested(codec.MAX_DEPTH, [datetime.date(2026, 1, 1)]),
    nested(500),
]


@pytest.mark.parametrize("index", range(len(REFUSED)))
def test_what_cannot_cross_is_refused_with_a_reason(index: int) -> None:
    with pytest.raises(codec.SerializationError) as refused:
        codec.encode(REFUSED[index])
    assert isinstance(refused.value, ValueError)
    assert str(refused.value)


def test_the_depth_limit_is_exact() -> None:
    codec.encode(nested(codec.MAX_DEPTH))
    codec.decode(nested(codec.MAX_DEPTH))
    with pytest.raises(codec.SerializationError, match="nested more than 100 levels"):
        codec.encode(nested(codec.MAX_DEPTH + 1))
    with pytest.raises(codec.SerializationError, match="nested more than 100 levels"):
        codec.decode(nested(codec.MAX_DEPTH + 1))


BAD_WIRE: list[Any] = [
    {"$wb": "date", "v": "not a date"},
    {"$wb": "date", "v": "2026-02-30"},
    {"$wb": "datetime", "v": "2026-11-24T25:00"},
    {"$wb": "datetime", "v": 3},
    {"$wb": "date"},
    {"$wb": "dict", "v": [1]},
    {"$wb": "nope", "v": 1},
    {"$wb": 1, "v": 1},
    {"$wb": ""},
    [{"ok": {"$wb": "set", "v": [1]}}],
    nested(codec.MAX_DEPTH + 1),
]


@pytest.mark.parametrize("index", range(len(BAD_WIRE)))
def test_bad_input_is_refused(index: int) -> None:
    with pytest.raises(codec.SerializationError):
        codec.decode(BAD_WIRE[index])


@pytest.mark.parametrize(
    "tagged",
    [{TAG: "date", "v": "9" * 100_000}, {TAG: "x" * 100_000, "v": 1}, {TAG: ["row"] * 50_000}],
)
def test_a_refusal_shows_only_the_start_of_a_long_value(tagged: dict[str, object]) -> None:
    """A browser's or a guest's value may be as long as its request (the fuzzer's find: a
    /_/call of a 5,000-character date answered a 10,000-character message)."""
    with pytest.raises(SerializationError) as refused:
        decode(tagged)
    assert len(str(refused.value)) < 250
