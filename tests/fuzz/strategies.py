"""Hostile inputs for the fuzz targets, as hypothesis strategies.

Frames come from three families: arbitrary bytes; soups of JSON's own tokens (brackets,
quotes, escapes, literals, invalid UTF-8, BOMs); and valid frames (duplicate keys, escapes,
surrogates, big and non-finite numbers) rendered in several styles and then mutated
(truncated, spliced, a span repeated up to hundreds of thousands of times, wrapped in deep
nesting, re-encoded as UTF-16 or 32). Regular shapes sit at and around the caps: nesting up
to 70 and 250 to 262 levels deep, arrays of 9,999 to 250,001 values.

Reports and wire messages are valid shapes with hostile field values (wrong types, huge,
negative and non-finite numbers, texts past their limits, nested junk), fields dropped or
added, and plain junk. Every case prints compactly (`short`), so a falsifying example of a
megabyte stays readable. The other targets' inputs build on these values: the host
handlers' in handler_cases.py, the GUI door's in gui.py, packages' in packages.py.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from typing import Any

from hypothesis import strategies as st

from widgetbox.runtime import Frame, HttpResponse, Limits, RunResult, Status, UserError
from widgetbox.runtime import _outcome as outcome
from widgetbox.runtime._bridge import MAX_DEPTH, MAX_VALUES
from widgetbox.runtime._door import REPORT_CAPS, RESULT_DEPTH
from widgetbox.runtime._wire import result_out

MAX_FRAME = 1_100_000
"""Largest frame generated: a little past the default 1 MiB request limit."""


def short(value: Any, limit: int = 400) -> str:
    """`repr(value)`, its middle cut out past `limit` characters."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit * 2 // 3]} ...[{len(text):,} characters]... {text[-limit // 3 :]}"


def compact(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`strategy` with a one-line repr: hypothesis builds reprs of strategies now and then
    (and warns about long ones, which pytest makes errors)."""
    return st.deferred(lambda: strategy)


def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each `weight` times as likely as a strategy of weight 1
    (`one_of` merges repeated branches); shrinks towards the first."""
    choices = [strategy for weight, strategy in options for _ in range(weight)]
    return compact(st.sampled_from(choices).flatmap(lambda strategy: strategy))


def one_in(n: int) -> st.SearchStrategy[bool]:
    """True one time in `n`, or about (`integers(0, n - 1) == 0` would be true far more
    often: hypothesis favours the bounds of a range)."""
    return weighted((n - 1, st.just(False)), (1, st.just(True)))


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`common` three times in four, `rare` otherwise."""
    return weighted((3, common), (1, rare))


class Case:
    """A generated input; prints its fields, each cut short (see `short`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        names: tuple[str, ...] = self.__slots__
        fields = ", ".join(f"{name}={short(getattr(self, name))}" for name in names)
        return f"{type(self).__name__}({fields})"


# -- JSON values ---------------------------------------------------------------------------

NASTY = '"\\/[]{},:# \t\n\r\x00\x1f\x7f\x85é€😀\u2028\ufeff\ud800\udbff\udc00\udfff'
"""JSON's own marks, control characters, non-ASCII, a BOM and lone surrogates."""
TEXT = compact(st.text(alphabet=st.sampled_from(NASTY), max_size=12) | st.text(max_size=24))
KEYS = TEXT | st.sampled_from(["op", "data", "$wb", "v", "kind", "run", "status", ""])


def pick(values: list[Any]) -> st.SearchStrategy[Any]:
    """One of `values`, with a short repr (some values are thousands of digits long)."""
    return compact(st.sampled_from(values))


def _power(drawn: tuple[bool, int, int]) -> int:
    negative, exponent, mantissa = drawn
    value: int = mantissa * 10**exponent
    return -value if negative else value


HUGE_INTS = compact(
    pick(
        [
            2**31 - 1,
            2**31,
            -(2**31),
            -(2**31) - 1,
            2**53 + 1,
            2**63,
            -(2**63) - 1,
            2**64,
            10**7 + 1,
            10**400,
            -(10**400),
            10**4299,  # 4,300 digits: CPython's limit for int <-> text
        ]
    )
    | st.tuples(st.booleans(), st.integers(0, 600), st.integers(1, 999)).map(_power)
)
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NUMBERS = compact(
    st.integers() | HUGE_INTS | st.floats() | NON_FINITE | st.sampled_from([-0.0, 5e-324])
)
SCALARS = compact(st.none() | st.booleans() | NUMBERS | TEXT)
JSON = compact(
    st.recursive(
        SCALARS,
        lambda children: (
            st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=5)
        ),
        max_leaves=25,
    )
)
"""Any value json.loads can produce (NaN and the infinities included)."""
FINITE_JSON = compact(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=25,
))  # fmt: skip
"""Any value the door lets through (no NaN, no infinity)."""


def nested(depth: int, leaf: Any = 0) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# -- frames --------------------------------------------------------------------------------


class Obj:
    """A JSON object as its members, in order, duplicates kept (a dict would merge them)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs

    def __repr__(self) -> str:
        return f"Obj({self.pairs!r})"


FRAME_SCALARS = weighted(
    (4, TEXT),
    (2, st.none() | st.booleans() | st.integers() | HUGE_INTS),
    (2, st.floats(allow_nan=False, allow_infinity=False)),
    (1, NON_FINITE),
)
"""Mostly what the door accepts; now and then NaN or an infinity."""
FRAME_VALUES = compact(
    st.recursive(
        FRAME_SCALARS,
        lambda children: (
            st.lists(children, max_size=5)
            | st.lists(st.tuples(KEYS, children), max_size=5).map(Obj)
        ),
        max_leaves=30,
    )
)
SEPARATORS = st.sampled_from([(",", ":"), (", ", ": "), (" ,\n\t", " :\r\n"), ("\n,", ":  ")])


def render(value: Any, ascii_only: bool, separators: tuple[str, str]) -> str:
    """`value` as JSON text (NaN and infinities as Python writes them, duplicates kept)."""
    comma, colon = separators
    if isinstance(value, Obj):
        members = (
            json.dumps(key, ensure_ascii=ascii_only) + colon + render(item, ascii_only, separators)
            for key, item in value.pairs
        )
        return "{" + comma.join(members) + "}"
    if isinstance(value, list):
        return "[" + comma.join(render(item, ascii_only, separators) for item in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


OPS = st.sampled_from(
    ["x", "fuzz.echo", "fuzz.fail", "fuzz.nope", "widgetbox.job", "widgetbox.result", ""]
)


@st.composite
def envelopes(draw: st.DrawFn, values: st.SearchStrategy[Any] = FRAME_VALUES) -> bytes:
    """A request frame, `{"op", "data"}` give or take: members missing, duplicated, reordered,
    of the wrong type, rendered ASCII-only or not (lone surrogates then make invalid UTF-8)."""
    pairs: list[tuple[str, Any]] = []
    if draw(st.integers(0, 9)):
        pairs.append(("op", draw(OPS | TEXT) if draw(st.integers(0, 9)) else draw(SCALARS)))
    if draw(st.integers(0, 9)):
        pairs.append(("data", draw(values)))
    pairs += draw(st.lists(st.tuples(KEYS, values), max_size=2))
    pairs = list(draw(st.permutations(pairs)))
    top: Any = Obj(pairs) if draw(st.integers(0, 19)) else draw(values)
    if draw(st.integers(0, 3)) == 0:  # deeper, to reach the depth caps
        top = Obj([("op", "x"), ("data", nested(draw(st.integers(0, 300)), top))])
    text = render(top, draw(st.booleans()), draw(SEPARATORS))
    return text.encode("utf-8", "surrogatepass")


TOKENS = [
    b"[", b"]", b"{", b"}", b'"', b"\\", b'\\"', b"\\\\", b",", b":", b" ", b"\n", b"0", b"-",
    b"1.5e308", b"1e400", b"-1e400", b"NaN", b"Infinity", b"-Infinity", b"true", b"nul",
    b"\\u0022", b"\\u005c", b"\\ud800", b'"\\ud800"', b"\\u", b"\xff", b"\xc0\x80",
    b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xfe\xff", b"\x00", "é".encode(), "😀".encode(),
    b"1" + b"0" * 4300, b"9" * 4301, b'"a":', b'"op":"x",', b"[]", b"{}", b'""', b"/*", b"\x1b",
]  # fmt: skip
TOKEN = pick(TOKENS)
SOUPS = st.lists(TOKEN, max_size=60).map(b"".join)
ENCODINGS = ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]

POSITIONS = st.integers(0, 2**20)
TIMES = st.integers(2, 50) | st.sampled_from([999, 10_001, 50_001, 250_001])
MUTATIONS = st.one_of(
    st.tuples(st.just("insert"), POSITIONS, TOKEN),
    st.tuples(st.just("delete"), POSITIONS, st.integers(1, 64)),
    st.tuples(st.just("repeat"), POSITIONS, st.integers(1, 16), TIMES),
    st.tuples(st.just("truncate"), POSITIONS),
    st.tuples(st.just("wrap"), st.integers(1, 300), st.sampled_from(["[", '{"a":', "[0,"])),
    st.tuples(st.just("byte"), POSITIONS, st.integers(0, 255)),
    st.tuples(st.just("encode"), st.sampled_from(ENCODINGS)),
)


def mutate(frame: bytes, mutation: tuple[Any, ...]) -> bytes:
    """`frame` changed by one mutation (positions wrap around its length)."""
    kind: str = mutation[0]
    token: bytes = mutation[2] if kind == "insert" else b""
    at = mutation[1] % (len(frame) + 1) if isinstance(mutation[1], int) else 0
    if kind == "insert":
        return frame[:at] + token + frame[at:]
    if kind == "delete":
        return frame[:at] + frame[at + mutation[2] :]
    if kind == "repeat":
        span = frame[at : at + mutation[2]] or b"["
        times: int = min(mutation[3], (MAX_FRAME - len(frame)) // len(span))
        return frame[:at] + span * max(times, 1) + frame[at:]
    if kind == "truncate":
        return frame[:at]
    if kind == "wrap":
        closer = {"[": b"]", '{"a":': b"}", "[0,": b"]"}[mutation[2]]
        opener: str = mutation[2]
        levels: int = mutation[1]
        return opener.encode() * levels + frame + closer * levels
    if kind == "byte":
        return frame[:at] + bytes([mutation[2]]) + frame[at + 1 :]
    try:  # "encode": the same text in another encoding, or with a BOM
        return frame.decode("utf-8", "surrogatepass").encode(mutation[1], "surrogatepass")
    except UnicodeError:
        return frame


@st.composite
def mutated(draw: st.DrawFn, values: st.SearchStrategy[Any] = FRAME_VALUES) -> bytes:
    frame = draw(envelopes(values) | SOUPS)
    for mutation in draw(st.lists(MUTATIONS, min_size=1, max_size=4)):
        frame = mutate(frame, mutation)
    return frame[:MAX_FRAME]


ENVELOPE = b'{"op":"x","data":'
UNITS = [
    b"[", b"]", b"[],", b"{},", b'"a",', b"1,", b"-0.5e-3,", b'{"a":', b'{"a":[],', b'"\\"',
    b'\\"', b'"', b"[[]", b"\\\\", b'"\\u0022",', b'{"a":1,"a":', b"[1,", b'"[",', b"null,",
    b"NaN,", b"1e400,", b"\xff", b" ",
]  # fmt: skip
COUNTS = (
    st.integers(0, 70)
    | st.integers(250, 262)
    | st.sampled_from(
        [9_999, 10_000, 10_001, 49_997, 49_998, 49_999, 50_000, 50_001, 249_999, 250_000, 250_001]
    )
)


@st.composite
def shapes(draw: st.DrawFn) -> bytes:
    """A unit repeated near a cap between a prefix and a suffix, or balanced nesting."""
    count = draw(COUNTS)
    if draw(st.booleans()):  # balanced: exactly `count` levels inside the envelope
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b"[0,", b"]")]))
        leaf = draw(st.sampled_from([b"0", b"[]", b"{}", b'"x"', b""]))
        count = min(count, (MAX_FRAME - len(ENVELOPE)) // (len(opener) + len(closer)))
        return ENVELOPE + opener * count + leaf + closer * count + b"}"
    prefix = draw(st.sampled_from([ENVELOPE, ENVELOPE + b"[", ENVELOPE + b"[" * 65, b"", b"["]))
    unit = draw(st.sampled_from(UNITS))
    suffix = draw(st.sampled_from([b"", b"0]}", b"]}", b"0", b'"', b'"]}', b"]" * 70 + b"}"]))
    count = min(count, (MAX_FRAME - len(prefix) - len(suffix)) // len(unit))
    return prefix + unit * count + suffix


FRAMES = compact(
    weighted(
        (2, envelopes()), (1, st.binary(max_size=512)), (1, SOUPS), (2, mutated()), (1, shapes())
    )
)
"""Request frames from every family."""


class DoorCase(Case):
    __slots__ = ("frame", "max_depth", "max_values", "what")

    def __init__(self, frame: bytes, max_depth: int, max_values: int, what: str) -> None:
        self.frame, self.max_depth, self.max_values, self.what = frame, max_depth, max_values, what


CAPS = st.sampled_from(
    [(MAX_DEPTH, MAX_VALUES, "request")]
    + [(RESULT_DEPTH, cap.max_values, "result") for cap in REPORT_CAPS.values()]
) | st.tuples(st.integers(0, 8), st.integers(0, 40), st.just("request"))
"""The door's own caps, and small ones under which short frames reach the caps' edges."""

DOOR_CASES = st.builds(
    lambda frame, caps: DoorCase(frame, *caps),
    FRAMES,
    CAPS,
)


# -- result reports ------------------------------------------------------------------------

MISSING = object()
"""A field left out of the report."""


def field(
    good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]
) -> st.SearchStrategy[tuple[Any, bool]]:
    """(value, whether the driver could have sent it): mostly good, sometimes bad."""
    return weighted(
        (2, good.map(lambda value: (value, True))), (1, bad.map(lambda value: (value, False)))
    )


def texts(limit: int, *, line: bool = False) -> st.SearchStrategy[str]:
    """Text within `limit` characters (one line of it when `line`), sometimes right at it."""
    small = TEXT.filter(lambda text: not any(c in text for c in "\r\n\x00")) if line else TEXT
    return small | pick(["é" * limit, "x" * (limit - 1)])


def too_long(limit: int) -> st.SearchStrategy[str]:
    return pick(["x" * (limit + 1), "😀" * (limit + 1)])


NOT_INTEGERS: st.SearchStrategy[Any] = st.sampled_from(
    [True, False, 1.0, 1.5, "1", None, [], {}, [1], math.nan, math.inf, -math.inf]
)
NOT_TEXT = compact(
    st.none() | st.booleans() | NUMBERS | st.lists(TEXT, max_size=2) | st.just({"a": "b"})
)


def integers_in(allowed: range) -> st.SearchStrategy[int]:
    return st.integers(allowed.start, allowed.stop - 1) | st.sampled_from(
        [allowed.start, allowed.stop - 1]
    )


def integers_outside(allowed: range) -> st.SearchStrategy[Any]:
    return NOT_INTEGERS | pick([allowed.start - 1, allowed.stop, -(10**400), 10**400, 2**64])


CODEC_KEYS = KEYS.filter(lambda key: key != "$wb")
TAGGED = st.one_of(
    st.dates().map(lambda day: {"$wb": "date", "v": day.isoformat()}),
    st.datetimes(timezones=st.none() | st.just(datetime.UTC)).map(
        lambda moment: {"$wb": "datetime", "v": moment.isoformat()}
    ),
    st.dictionaries(KEYS, st.integers() | TEXT, max_size=3).map(lambda v: {"$wb": "dict", "v": v}),
)
CODEC_VALUES = compact(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT | TAGGED,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(CODEC_KEYS, children, max_size=4)
    ),
    max_leaves=20,
))  # fmt: skip
"""Values the driver reports: the codec's encoded form of what a widget returned."""
BAD_LEAVES = compact(
    NON_FINITE
    | st.one_of(
        st.just(nested(101)),  # past the codec's 100 levels
        st.builds(lambda tag, v: {"$wb": tag, "v": v}, TEXT | st.integers(), JSON),
        st.sampled_from(
            [
                {"$wb": "date", "v": "2026-13-45"},
                {"$wb": "datetime", "v": "yesterday"},
                {"$wb": "dict", "v": [1]},
                {"$wb": "date"},
            ]
        ),
    ).filter(lambda leaf: not (isinstance(leaf, dict) and leaf.get("$wb") in ("dict", None)))
)
BAD_VALUES = compact(BAD_LEAVES | st.builds(
    lambda leaf, siblings: [*siblings, leaf], BAD_LEAVES, st.lists(CODEC_VALUES, max_size=2)
) | st.builds(lambda leaf, key: {key: [leaf]}, BAD_LEAVES, CODEC_KEYS))  # fmt: skip

HEADER_NAMES = texts(outcome.MAX_TEXT, line=True)
HEADER_VALUES = texts(outcome.MAX_HEADER, line=True)
GOOD_HEADERS = compact(st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=6))
BAD_HEADERS = compact(st.one_of(
    st.just([["a", "b"]]),
    NOT_TEXT.filter(lambda value: not isinstance(value, dict)),
    st.builds(lambda name, value: {name: value}, HEADER_NAMES, NOT_TEXT),
    st.builds(lambda value: {"x-a": value}, too_long(outcome.MAX_HEADER)),
    st.builds(lambda name: {name: "b"}, too_long(outcome.MAX_TEXT)),
    st.builds(
        lambda head, mark, tail, in_name: (
            {head + mark + tail: "v"} if in_name else {"x": tail + mark}
        ),
        TEXT,
        st.sampled_from(["\r", "\n", "\x00", "\r\n"]),
        TEXT,
        st.booleans(),
    ),
    st.builds(lambda: {f"x-{i}": "v" for i in range(outcome.MAX_HEADERS + 1)}),
))  # fmt: skip
GOOD_BODIES = st.binary(max_size=64).map(lambda raw: base64.b64encode(raw).decode())
BAD_BODIES = NOT_TEXT.filter(lambda value: not isinstance(value, str)) | st.sampled_from(
    ["!", "a", "YQ", "YQ=", "é", "YQ==\n", "Y Q==", "\ud800"]
)


def fields(**members: st.SearchStrategy[tuple[Any, bool]]) -> st.SearchStrategy[tuple[Any, bool]]:
    """An object of `members` (MISSING ones left out), good when every member is."""

    def build(drawn: dict[str, tuple[Any, bool]]) -> tuple[dict[str, Any], bool]:
        value = {name: item for name, (item, _) in drawn.items() if item is not MISSING}
        return value, all(good for _, good in drawn.values())

    return st.fixed_dictionaries(members).map(build)


def optional(
    strategy: st.SearchStrategy[tuple[Any, bool]],
) -> st.SearchStrategy[tuple[Any, bool]]:
    return st.just((MISSING, True)) | strategy


def required(
    strategy: st.SearchStrategy[tuple[Any, bool]],
) -> st.SearchStrategy[tuple[Any, bool]]:
    return weighted((3, strategy), (1, st.just((MISSING, False))))


def text_field(limit: int) -> st.SearchStrategy[tuple[Any, bool]]:
    return field(texts(limit), NOT_TEXT | too_long(limit))


FRAME_FIELDS = compact(
    fields(
        filename=required(text_field(outcome.MAX_TEXT)),
        lineno=required(field(integers_in(outcome.LINES), integers_outside(outcome.LINES))),
        name=optional(text_field(outcome.MAX_TEXT)),
        line=optional(text_field(outcome.MAX_TEXT)),
    )
)


def all_good(items: list[tuple[Any, bool]]) -> tuple[list[Any], bool]:
    return [item for item, _ in items], all(good for _, good in items)


FRAMES_FIELD = compact(
    st.lists(FRAME_FIELDS, max_size=4).map(all_good)
    | st.one_of(
        NOT_TEXT.filter(lambda value: not isinstance(value, list)),
        st.builds(lambda: [{"filename": "main.py", "lineno": 1}] * (outcome.MAX_FRAMES + 1)),
        st.lists(
            NOT_TEXT.filter(lambda value: not isinstance(value, dict)), min_size=1, max_size=2
        ),
    ).map(lambda value: (value, False))
)
ERROR_FIELDS = compact(
    fields(
        type=optional(text_field(outcome.MAX_TEXT)),
        message=optional(text_field(outcome.MAX_MESSAGE)),
        traceback=optional(text_field(outcome.MAX_TRACEBACK)),
        frames=optional(FRAMES_FIELD),
        qualified_type=optional(text_field(outcome.MAX_TEXT)),
    )
    | NOT_TEXT.filter(lambda value: not isinstance(value, dict)).map(lambda value: (value, False))
)
RESPONSE_FIELDS = compact(
    fields(
        status=required(
            field(integers_in(outcome.HTTP_STATUSES), integers_outside(outcome.HTTP_STATUSES))
        ),
        headers=optional(field(GOOD_HEADERS, BAD_HEADERS)),
        body=optional(field(GOOD_BODIES, BAD_BODIES)),
    )
    | NOT_TEXT.filter(lambda value: not isinstance(value, dict) and value is not None).map(
        lambda value: (value, False)
    )
)
EXIT_CODE = optional(field(integers_in(outcome.EXIT_CODES), integers_outside(outcome.EXIT_CODES)))
REPORT_KEYS = frozenset({"status", "exit_code", "value", "response", "error"})
EXTRA: st.SearchStrategy[dict[Any, Any]] = st.dictionaries(
    KEYS.filter(lambda key: key not in REPORT_KEYS), JSON, max_size=2
)

OK_REPORTS = fields(
    status=st.just(("ok", True)),
    exit_code=EXIT_CODE,
    value=optional(field(CODEC_VALUES, BAD_VALUES)),
    response=optional(st.just((None, True)) | RESPONSE_FIELDS),
)
ERROR_REPORTS = fields(
    status=st.just(("error", True)),
    exit_code=EXIT_CODE,
    error=required(ERROR_FIELDS),
)
BAD_STATUS = fields(
    status=required(field(st.nothing(), JSON.filter(lambda status: status not in ("ok", "error")))),
    value=optional(field(CODEC_VALUES, BAD_VALUES)),
)


class ReportCase(Case):
    __slots__ = ("expect", "memory_used", "report")

    def __init__(self, report: Any, expect: str, memory_used: int) -> None:
        self.report, self.expect, self.memory_used = report, expect, memory_used


def _report_case(drawn: tuple[Any, bool], extra: dict[str, Any], memory_used: int) -> ReportCase:
    report, good = drawn
    return ReportCase({**report, **extra}, "valid" if good else "malformed", memory_used)


REPORT_CASES = st.one_of(
    st.builds(_report_case, OK_REPORTS | ERROR_REPORTS | BAD_STATUS, EXTRA, st.integers(0, 2**40)),
    st.builds(ReportCase, st.dictionaries(KEYS, JSON, max_size=6), st.just("any"), st.just(0)),
    st.builds(ReportCase, JSON | st.none(), st.just("any"), st.integers(0, 2**40)),
)
"""Reports the driver could send (expected valid), ones with a field it never sends
(expected malformed), and junk (any outcome, never an exception)."""


# -- the wire ------------------------------------------------------------------------------


class WireCase(Case):
    __slots__ = ("kind", "payload")

    def __init__(self, kind: str, payload: Any) -> None:
        self.kind, self.payload = kind, payload


HOSTILE = compact(JSON | pick([math.nan, math.inf, 10**400, -1, 2**63, "", [], {}]))
"""Values a subverted sandbox process may put in any field."""
STRICT_HOSTILE = compact(FINITE_JSON | pick([10**400, -(10**400), -1, 2**63, 1e300, "", [], {}]))
"""Hostile values that strict JSON can carry (a message with NaN is refused as a whole)."""

RUN_RESULTS = st.builds(
    RunResult,
    status=st.sampled_from(Status),
    stdout=TEXT,
    stderr=TEXT,
    wall_time=st.floats(0, 1000),
    fuel=st.none() | st.integers(0, 2**64),
    peak_memory=st.integers(0, 2**32),
    host_calls=st.integers(0, 1000),
    value=st.none(),
    response=st.none()
    | st.builds(
        HttpResponse,
        status=st.integers(100, 599),
        headers=st.dictionaries(TEXT, TEXT, max_size=3),
        body=st.binary(max_size=32),
    ),
    error=st.none()
    | st.builds(
        UserError,
        type=TEXT,
        message=TEXT,
        traceback=TEXT,
        frames=st.lists(
            st.builds(Frame, filename=TEXT, lineno=st.integers(0, 10**7), name=TEXT, line=TEXT),
            max_size=2,
        ).map(tuple),
        qualified_type=TEXT,
    ),
    message=TEXT,
    output_truncated=st.booleans(),
)
RESULT_PATHS = [
    ("status",), ("stdout",), ("stderr",), ("wall_time",), ("fuel",), ("peak_memory",),
    ("host_calls",), ("value",), ("response",), ("response", "status"), ("response", "headers"),
    ("response", "body"), ("error",), ("error", "type"), ("error", "message"),
    ("error", "traceback"), ("error", "frames"), ("error", "qualified_type"),
    ("error", "frames", 0), ("error", "frames", 0, "filename"), ("error", "frames", 0, "lineno"),
    ("error", "frames", 0, "name"), ("error", "frames", 0, "line"), ("message",),
    ("output_truncated",),
]  # fmt: skip
DELETE = object()
"""In a change: remove the field."""


def change(data: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set (or with DELETE remove) the field at `path`, when the fields above it exist."""
    for step in path[:-1]:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return
    if not isinstance(data, (dict, list)):
        return
    if isinstance(data, list) and not (isinstance(path[-1], int) and path[-1] < len(data)):
        return
    if value is DELETE:
        if isinstance(data, dict):
            data.pop(path[-1], None)
        else:
            del data[path[-1]]
    else:
        data[path[-1]] = value


@st.composite
def results(draw: st.DrawFn) -> Any:
    """A run result as `result_out` sends it, with a few fields changed or removed."""
    data = result_out(draw(RUN_RESULTS))
    value = draw(CODEC_VALUES | BAD_VALUES)  # a value the sandbox would not send, sometimes
    data["value"] = value
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(RESULT_PATHS))
        change(data, path, draw(st.just(DELETE) | STRICT_HOSTILE | HOSTILE))
    return data


def limit_dicts() -> st.SearchStrategy[dict[Any, Any]]:
    names = [field.name for field in Limits.__dataclass_fields__.values()]
    values = (
        HOSTILE | pick([0, 0.0, -0.0, 1e-300, -5, True, False, 1.5, "10", 10**400]) | st.integers()
    )
    return st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(names, values),
    ) | st.dictionaries(st.sampled_from(names) | KEYS, values, max_size=4)


RUN_IDS = st.sampled_from([1, 2, 3, 1.0, True]) | STRICT_HOSTILE
CALL_IDS = st.integers(-1, 5) | STRICT_HOSTILE
TIMEOUTS = st.floats(0.05, 2.0) | pick(
    [0, -1, 1e-300, 10**400, 1e300, 1e10, math.inf, math.nan, True, "1", None]
)
KINDS = ["output", "chunk", "call", "done", "failed", "log", "compiled", "pool"]


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually `strategy`, sometimes anything, sometimes left out (DELETE)."""
    return weighted((4, strategy), (2, STRICT_HOSTILE), (1, HOSTILE), (1, st.just(DELETE)))


MESSAGE_FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "output": {"run": RUN_IDS, "stream": st.sampled_from(["stdout", "stderr", "x"]), "text": TEXT},
    "call": {
        "run": RUN_IDS,
        "call": CALL_IDS,
        "op": st.sampled_from(["fuzz.echo", "fuzz.fail", "fuzz.refuse", "nope"]),
        "data": FINITE_JSON,
        "timeout": TIMEOUTS,
    },
    "chunk": {
        "run": RUN_IDS,
        "chunk": st.fixed_dictionaries(
            {
                "body": GOOD_BODIES | TEXT,
                "status": pick([None, 200, 204, 99, 600, True, "200", 2**70]),
                "headers": pick(
                    [None, {}, {"x-a": "b"}, {"a\r\nb": "c"}, {"a": "b\x00"}, {"a": 1}, []]
                ),
            }
        ),
    },
    "done": {"run": RUN_IDS, "result": results()},
    "failed": {"run": RUN_IDS, "message": TEXT},
    "log": {
        "name": st.sampled_from(["widgetbox.fuzz", "", "widgetbox"]),
        "level": pick([10, 20, 30, 40, 50, 0, -1, 10**400, 1.5, math.inf]),
        "text": TEXT,
    },
    "compiled": {"id": st.sampled_from([1, 2, 3]) | STRICT_HOSTILE, "pyc": FINITE_JSON},
    "pool": {"id": st.sampled_from([1, 2, 3]) | STRICT_HOSTILE, "ready": FINITE_JSON},
}


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """One message as a sandbox process could send it: a known kind with its fields, some of
    them hostile or missing, or another kind, as JSON text (NaN and infinities included)."""
    kind = draw(st.sampled_from([*KINDS, "call", "done"]) if draw(st.integers(0, 7)) else TEXT)
    message: dict[str, Any] = {"kind": kind}
    for name, strategy in MESSAGE_FIELDS.get(kind, {}).items():
        value = draw(maybe(strategy))
        if value is not DELETE:
            message[name] = value
    message.update(draw(st.dictionaries(KEYS, STRICT_HOSTILE, max_size=1)))
    try:
        text = json.dumps(message)
    except ValueError:  # an integer too long for text
        text = json.dumps({"kind": kind})
    return text.encode("utf-8", "surrogatepass")


def _mutated_message(message: bytes, mutations: list[tuple[Any, ...]]) -> bytes:
    for mutation in mutations:
        message = mutate(message, mutation)
    return message[:MAX_FRAME]


HANDLE_CASES = st.builds(WireCase, st.just("handle"), st.lists(messages(), min_size=1, max_size=5))
"""What the reader thread does with a sequence of messages from a process."""
FUNCTION_CASES = st.one_of(
    st.builds(WireCase, st.just("unpack"), FRAMES | messages()),
    st.builds(
        WireCase,
        st.just("unpack"),
        st.builds(_mutated_message, messages(), st.lists(MUTATIONS, max_size=3)),
    ),
    st.builds(WireCase, st.just("result_in"), results() | HOSTILE),
    st.builds(WireCase, st.just("limits_in"), limit_dicts()),
    st.builds(WireCase, st.just("bytes_in"), HOSTILE | GOOD_BODIES | BAD_BODIES),
)
"""The wire's functions on their own."""
WIRE_CASES = weighted((1, HANDLE_CASES), (1, FUNCTION_CASES))


# -- end to end ----------------------------------------------------------------------------

BATCH = 50
E2E_FRAME = 48 * 1024
"""Frames sent end to end are cut to this size (the run's request limit is lower, 16 KiB,
so some are refused for their length)."""


class Batch(Case):
    __slots__ = ("frames",)

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = frames


def _cut(frame: bytes) -> bytes:
    return frame[:E2E_FRAME]


LIGHT_VALUES = compact(
    st.recursive(
        FRAME_SCALARS,
        lambda children: (
            st.lists(children, max_size=3)
            | st.lists(st.tuples(KEYS, children), max_size=3).map(Obj)
        ),
        max_leaves=6,
    )
)
"""Smaller values, so that 50 frames fit in one hypothesis example (larger ones would
exhaust its buffer and leave mostly the simplest frames)."""


@st.composite
def echoes(draw: st.DrawFn) -> bytes:
    """A well-formed request to the echo handler (its data now and then not JSON's)."""
    top = Obj([("op", "fuzz.echo"), ("data", draw(LIGHT_VALUES))])
    return render(top, draw(st.booleans()), draw(SEPARATORS)).encode("utf-8", "surrogatepass")


E2E_FRAMES = weighted(
    (3, echoes()),  # first: the simplest frame hypothesis draws is then an echo
    (1, st.binary(max_size=64)),
    (1, st.lists(TOKEN, max_size=12).map(b"".join)),
    (1, shapes()),
    (1, envelopes(LIGHT_VALUES)),
    (1, mutated(LIGHT_VALUES)),
).map(_cut)
BATCHES: st.SearchStrategy[Batch] = st.lists(E2E_FRAMES, min_size=BATCH, max_size=BATCH).map(Batch)


@st.composite
def cases_of(draw: st.DrawFn, strategy: st.SearchStrategy[Case]) -> Case:
    """`strategy`'s cases, printed by their own repr (cut short) in a falsifying example,
    not as the calls that built them (a megabyte frame in full)."""
    return draw(strategy)


STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    # deferred: hypothesis prints a strategy's repr in some reports; these stay one line
    "door": cases_of(st.deferred(lambda: DOOR_CASES)),
    "report": cases_of(st.deferred(lambda: REPORT_CASES)),
    "wire": cases_of(st.deferred(lambda: WIRE_CASES)),
    "wire: handle": cases_of(st.deferred(lambda: HANDLE_CASES)),
    "wire: functions": cases_of(st.deferred(lambda: FUNCTION_CASES)),
    "e2e": cases_of(st.deferred(lambda: BATCHES)),
}
