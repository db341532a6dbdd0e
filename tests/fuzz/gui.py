"""The `gui` target: the GUI's server-call door, what the host does with a browser's
`/_/call` body before anything runs (host/gui/apps.py `_parse_call`: the bounded JSON
reading of requests.py `json_body`, the call's shape, the value codec's `decode` of its
arguments; then the capabilities' `check` of the rows, searches and tasks among them), and
`/_/task`'s reading of a task id (host/tasks/client.py `requested`).

Bodies are calls as Anvil's client sends them (values in the codec's form: dates, wrapped
dicts, rows, searches and tasks with capabilities signed for this widget, for another
widget, forged, missing or for another row, media, unknown and malformed tags, nesting
around the codec's 100 levels), mutated as request frames are (strategies.MUTATIONS), and
shapes at the bounds (objects of 10,000 members, members times names, deep nesting, long
strings, huge numbers), up to a little past the 1 MiB limit.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.contract import Check, ContractError, require, within
from tests.fuzz.strategies import (
    MUTATIONS,
    NASTY,
    TEXT,
    Case,
    cases_of,
    compact,
    mutate,
    nested,
    one_in,
    pick,
    weighted,
)
from widgetbox.host.endpoints.bounds import MAX_JSON_MEMBERS
from widgetbox.host.gui.apps import MAX_NAME, _parse_call
from widgetbox.host.gui.capabilities import Capabilities, InvalidCapability
from widgetbox.host.gui.requests import CALL_MAX_BYTES, Refused
from widgetbox.host.tasks.client import requested
from widgetbox.runtime import Carried, encode_value

GUI_SECONDS = 1.0
"""One body of at most about a megabyte, parsed, decoded and checked."""
CAPABILITIES = Capabilities("the fuzzer's server secret")
SIGNER = CAPABILITIES.of(1, "2026-12-05T00:00:00.000Z")
"""The app's widget: what it signed, it must accept."""
OTHER = CAPABILITIES.of(2, "2026-12-05T00:00:00.000Z")
"""Another widget: what it signed, this one must refuse."""
REFUSALS = {(400, "bad_call"), (413, "too_large")}
HOST_TEXT = ("Traceback", 'File "', "widgetbox.", "/host/", "/runtime/")
MAX_MESSAGE = 1000

# -- values in the codec's form, each with what it is ----------------------------------------


class Value:
    """A codec form and what the host must make of it: `bad` (decode refuses it),
    `foreign` (a row, search or task without a valid capability of this widget)."""

    __slots__ = ("bad", "foreign", "form")

    def __init__(self, form: Any, *, bad: bool = False, foreign: bool = False) -> None:
        self.form, self.bad, self.foreign = form, bad, foreign


KWARG_NAMES = TEXT.filter(lambda key: key != "$wb")
"""Names of members that are not a tag's."""
ROW_IDS = ["[1,1]", "[3,17]", "[1, 1]", "x", "", "\ud800", "[1,1]\x00"]
LEVELS = ["read", "pass"]


@st.composite
def rows(draw: st.DrawFn) -> Value:
    row_id: Any = draw(pick([*ROW_IDS, 5, None, ["[1,1]"]]))
    choices = ["forged", "other", "missing", "another row", "empty", "surrogate", "level"]
    text_id = isinstance(row_id, str) and "\ud800" not in row_id
    if text_id:
        choices += ["valid"] * 4
    how = draw(st.sampled_from(choices))
    level = draw(st.sampled_from(LEVELS))
    makers: dict[str, Callable[[], Any]] = {
        "valid": lambda: SIGNER.row(row_id, level) if text_id else None,
        "forged": lambda: f"{level}.AAAAAAAAAAAAAAAAAAAAAA",
        "other": lambda: OTHER.row(row_id, level) if text_id else "read.x",
        "missing": lambda: None,
        "another row": lambda: SIGNER.row("[9,9]", level),
        "empty": lambda: "read.",
        "surrogate": lambda: "read.\ud800",
        "level": lambda: "owner." + (SIGNER.row(row_id, "read").split(".")[1] if text_id else ""),
    }
    cap = makers[how]()
    payload: dict[str, Any] = {"id": row_id}
    if cap is not None:
        payload["cap"] = cap
    payload.update(draw(st.fixed_dictionaries({}, optional={"table": TEXT, "values": JSONISH})))
    return Value({"$wb": "row", "v": payload}, foreign=how != "valid")


QUERIES = pick([{"all": []}, {"eq": ["age", 30]}, {"any": [{"gt": ["n", 1.5]}]}, {}])


@st.composite
def searches(draw: st.DrawFn) -> Value:
    table = draw(st.sampled_from(["people", "notes", "", "\ud800"]))
    query = draw(QUERIES)
    how = draw(st.sampled_from(["valid", "valid", "other", "forged", "moved", "missing", "odd"]))
    signable = "\ud800" not in table
    cap: Any = None
    if how in ("valid", "moved") and signable:
        cap = SIGNER.search(table, query, draw(st.sampled_from(LEVELS)))
    elif how == "other" and signable:
        cap = OTHER.search(table, query, "read")
    elif how == "forged":
        cap = "read.W10.AAAAAAAAAAAAAAAAAAAAAA"
    elif how == "odd":
        cap = draw(pick(["a.b", "a.b.c.d", "read..", "read.!!!.x", 7]))
    payload: dict[str, Any] = {"table": table, "query": query}
    if how == "moved":  # signed for one table, sent with another
        payload["table"] = table + "x"
    if cap is not None:
        payload["cap"] = cap
    payload.update(
        draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "order": pick([[["name", True]], [], "x"]),
                    "page_size": pick([10, None, -1]),
                    "rows": st.just([]),
                },
            )
        )
    )
    valid = how == "valid" and signable
    return Value({"$wb": "search", "v": payload}, foreign=not valid)


@st.composite
def tasks(draw: st.DrawFn) -> Value:
    task_id = draw(pick(["1", "42", "", "\ud800", 5, None]))
    how = draw(st.sampled_from(["valid", "valid", "other", "forged", "missing"]))
    signable = isinstance(task_id, str) and "\ud800" not in task_id
    payload: dict[str, Any] = {"id": task_id}
    if how == "valid" and signable:
        payload["cap"] = SIGNER.task(task_id)
    elif how == "other" and signable:
        payload["cap"] = OTHER.task(task_id)
    elif how == "forged":
        payload["cap"] = "read.AAAAAAAAAAAAAAAAAAAAAA"
    return Value({"$wb": "task", "v": payload}, foreign=not (how == "valid" and signable))


JSONISH = compact(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | TEXT,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(KWARG_NAMES, children, max_size=3)
        ),
        max_leaves=10,
    )
)
"""Plain values (no tag key anywhere)."""
GOOD_TAGS = st.one_of(
    st.dates().map(lambda day: Value({"$wb": "date", "v": day.isoformat()})),
    st.datetimes().map(lambda moment: Value({"$wb": "datetime", "v": moment.isoformat()})),
    st.builds(
        lambda v: Value({"$wb": "dict", "v": {"$wb": "x", **v}}),
        st.dictionaries(TEXT, JSONISH, max_size=2),
    ),
    pick([{"ref": 7, "content_type": "text/plain"}, {"data": "aGk=", "content_type": "a/b"}]).map(
        lambda v: Value({"$wb": "media", "v": v})
    ),
    JSONISH.map(lambda v: Value({"$wb": "portable", "v": v})),
)
"""Tagged values decode takes (media and portable objects pass as they came)."""
BAD_TAGS = st.one_of(
    pick(["2026-13-45", "yesterday", "", "\ud800", "2026-11-24T25:00", "9" * 5000]).flatmap(
        lambda text: st.sampled_from(["date", "datetime"]).map(
            lambda tag: Value({"$wb": tag, "v": text}, bad=True)
        )
    ),
    pick(["nope", "", "DATE", "Row", "__class__", "\ud800"]).map(
        lambda tag: Value({"$wb": tag, "v": 1}, bad=True)
    ),
    pick([1, 1.5, True, [], {}, ["row"]]).map(lambda tag: Value({"$wb": tag, "v": 1}, bad=True)),
    pick([nested(101), nested(100, {"$wb": "date", "v": "2026-01-01"})]).map(
        lambda form: Value(form, bad=True)
    ),
)
"""Tagged values and depths decode refuses: SerializationError."""
LEAVES = weighted(
    (4, JSONISH.map(Value)),
    (2, GOOD_TAGS),
    (2, rows()),
    (1, searches()),
    (1, tasks()),
    (1, BAD_TAGS),
    (1, pick([{"$wb": None, "v": 1}]).map(Value)),
)


def _list(items: list[Value]) -> Value:
    return Value(
        [item.form for item in items],
        bad=any(item.bad for item in items),
        foreign=any(item.foreign for item in items),
    )


def _dict(pairs: list[tuple[str, Value]]) -> Value:
    form = {key: item.form for key, item in pairs}
    kept = list(dict(pairs).values())
    return Value(
        form, bad=any(item.bad for item in kept), foreign=any(item.foreign for item in kept)
    )


VALUES = compact(
    st.recursive(
        LEAVES,
        lambda children: (
            st.lists(children, max_size=4).map(_list)
            | st.lists(st.tuples(KWARG_NAMES, children), max_size=4).map(_dict)
        ),
        max_leaves=12,
    )
)

# -- bodies ----------------------------------------------------------------------------------


class GuiCase(Case):
    """A `/_/call` body; `expect` says what the host must answer when the body is intact
    (None for a mutated or bounds-shaped one: only the general contract)."""

    __slots__ = ("body", "expect")

    def __init__(self, body: bytes, expect: str | None) -> None:
        self.body, self.expect = body, expect


NAMES = weighted(
    (6, st.sampled_from(["echo", "get_rows", "x" * MAX_NAME])),
    (1, pick(["", "x" * (MAX_NAME + 1), 7, None, ["echo"]])),
)


@st.composite
def calls(draw: st.DrawFn) -> GuiCase:
    """A call `{name, args, kwargs}` (members now and then missing, extra or of the wrong
    type) and what it must come to."""
    name = draw(NAMES)
    args = draw(st.lists(VALUES, max_size=4).map(_list))
    kwargs = draw(st.lists(st.tuples(KWARG_NAMES, VALUES), max_size=3).map(_dict))
    members: dict[str, Any] = {"name": name, "args": args.form, "kwargs": kwargs.form}
    parts = {"args": args, "kwargs": kwargs}
    shape_ok = isinstance(name, str) and 0 < len(name) <= MAX_NAME
    if draw(one_in(10)):
        dropped = draw(st.sampled_from(["name", "args", "kwargs"]))
        del members[dropped]
        parts.pop(dropped, None)
        shape_ok = shape_ok and dropped != "name"
    if draw(one_in(10)):
        members[draw(st.sampled_from(["extra", "op", "$wb"]))] = 1
        shape_ok = False
    if draw(one_in(10)):
        key = draw(st.sampled_from(["args", "kwargs"]))
        members[key] = draw(pick([{}, [], "x", None, 1]))
        parts.pop(key, None)
        shape_ok = shape_ok and isinstance(members[key], list if key == "args" else dict)
    values = list(parts.values())
    plain = draw(one_in(20))  # not a call at all (or one by chance: no verdict)
    text = json.dumps(draw(JSONISH) if plain else members, ensure_ascii=draw(st.booleans()))
    body = text.encode("utf-8", "surrogatepass")
    expect: str | None
    if plain:
        expect = None
    elif not shape_ok or any(v.bad for v in values):
        expect = "refused"
    elif any(v.foreign for v in values):
        expect = "invalid"
    else:
        expect = "accepted"
    if body != text.encode("utf-8", "replace"):  # a lone surrogate: not valid UTF-8
        expect = None
    if len(body) > CALL_MAX_BYTES:
        expect = "refused"
    return GuiCase(body, expect)


@st.composite
def mutated_calls(draw: st.DrawFn) -> GuiCase:
    body = draw(calls()).body
    for mutation in draw(st.lists(MUTATIONS, min_size=1, max_size=3)):
        body = mutate(body, mutation)
    return GuiCase(body[: CALL_MAX_BYTES + 100], None)


ROW_SPAM = b'{"$wb":"row","v":{"id":"x"}},'


def _members(count: int, names: int) -> bytes:
    """An object of `count` members with `names` different names, in args."""
    inner = ",".join(f'"k{i % names}":{i}' for i in range(count))
    return b'{"name":"echo","args":[{' + inner.encode() + b"}]}"


SHAPES = st.one_of(
    st.sampled_from([MAX_JSON_MEMBERS - 1, MAX_JSON_MEMBERS, MAX_JSON_MEMBERS + 1]).map(
        lambda count: _members(count, count)
    ),
    st.sampled_from([(60_000, 100), (40_000, 500), (100_000, 1)]).map(lambda cn: _members(*cn)),
    st.integers(95, 1200).map(
        lambda depth: b'{"name":"echo","args":' + b"[" * depth + b"]" * depth + b"}"
    ),
    st.integers(45, 60).map(
        lambda depth: (
            b'{"name":"echo","args":['
            + b'{"$wb":"dict","v":' * depth
            + b"{}"
            + b"}" * depth
            + b"]}"
        )
    ),
    st.sampled_from([10_000, 100_000, 349_000]).map(
        lambda count: (
            b'{"name":"echo","args":[' + b'{"$wb":"row","v":{"id":"x"}},' * (count // 30) + b"1]}"
        )
    ),
    st.sampled_from([CALL_MAX_BYTES - 40, CALL_MAX_BYTES - 20, CALL_MAX_BYTES]).map(
        lambda size: b'{"name":"echo","args":["' + b"x" * (size - 28) + b'"]}'
    ),
    st.sampled_from(["1" * 4300, "1" * 4301, "1e400", "NaN", "-Infinity", "1" * 100_000]).map(
        lambda number: b'{"name":"echo","args":[' + number.encode() + b"]}"
    ),
    st.text(alphabet=st.sampled_from(NASTY), max_size=40).map(
        lambda text: json.dumps({"name": "echo", "args": [text] * 2000}).encode()
    ),
)
BODIES = weighted(
    (6, calls()),
    (3, mutated_calls()),
    (1, SHAPES.map(lambda body: GuiCase(body, None))),
    (1, st.binary(max_size=256).map(lambda body: GuiCase(body, None))),
)
TASK_REQUESTS = weighted(
    (3, st.fixed_dictionaries({"id": pick(["1", "0", "01", "9" * 18, "9" * 19, "\u0661", "\u00b2",
                                           " 1", "-1", "1.0", 1, True, None])})),
    (1, JSONISH),
)  # fmt: skip


class TaskCase(Case):
    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data


STRATEGY = cases_of(st.deferred(lambda: weighted((9, BODIES), (1, TASK_REQUESTS.map(TaskCase)))))

# -- the contract ----------------------------------------------------------------------------


def _carried(value: Any) -> list[Carried]:
    found: list[Carried] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, Carried):
            found.append(item)
    return found


def check_refusal(refusal: Refused) -> None:
    require(
        (refusal.status, refusal.code) in REFUSALS,
        "an undocumented refusal",
        f"{refusal.status} {refusal.code}",
    )
    message = refusal.message
    require(isinstance(message, str) and len(message) <= MAX_MESSAGE, "a long refusal")
    leaked = [marker for marker in HOST_TEXT if marker in message]
    require(not leaked, "a refusal leaks host text", f"{leaked}: {message[:300]}")


def check_body(case: GuiCase) -> None:
    """`_parse_call(body)` answers (name, args, kwargs), with name 1 to 200 characters,
    args a list and kwargs a dict that the codec encodes back, or raises `Refused`: 400
    `bad_call` or 413 `too_large`, with a short message that says nothing of the host; then
    the capabilities' `check` of args and kwargs returns values whose rows, searches and
    tasks are kept to what the sandbox reads (a row's id and table, a search's table, query
    and order, a task's id) or raises InvalidCapability; nothing else escapes, and each
    body takes at most a second (bodies up to a little past 1 MiB). Exact for intact
    bodies: a call of the wrong shape or with a value the codec refuses is refused; one
    with a row, search or task this widget did not sign (signed for another widget, forged,
    for another row or table, without one) is InvalidCapability; any other passes."""
    with within(GUI_SECONDS, "parsing a call"):
        try:
            name, args, kwargs = _parse_call(case.body)
        except Refused as refusal:
            check_refusal(refusal)
            require(case.expect in (None, "refused"), "a call was refused", case.expect or "")
            return
    require(case.expect in (None, "accepted", "invalid"), "a call was accepted", str(case.expect))
    require(
        isinstance(name, str)
        and 0 < len(name) <= MAX_NAME
        and isinstance(args, list)
        and isinstance(kwargs, dict),
        "a call of another shape was accepted",
        repr((name, type(args), type(kwargs)))[:200],
    )
    try:
        encode_value([args, kwargs])
    except ValueError as e:
        raise ContractError("an accepted call's values cannot be encoded again", str(e)) from e
    with within(GUI_SECONDS, "checking a call's capabilities"):
        try:
            checked = SIGNER.check(args), SIGNER.check(kwargs)
        except InvalidCapability:
            require(case.expect in (None, "invalid"), "a signed value was refused")
            return
    require(case.expect in (None, "accepted"), "a value this widget did not sign passed")
    for carried in _carried(checked):
        payload = carried.payload
        allowed = {"row": {"id", "table", "values"}, "search": {"table", "query", "order",
                   "page_size", "fetch_only"}, "task": {"id"}}.get(carried.tag)  # fmt: skip
        if allowed is not None:
            require(
                isinstance(payload, dict) and set(payload) <= allowed,
                "a checked value keeps what the sandbox must not read",
                repr(payload)[:200],
            )


def check_task(case: TaskCase) -> None:
    """`requested(data)` answers (the id as given, its run id) for an id of ASCII digits
    (1 to 18 of them), else None; nothing escapes."""
    found = requested(case.data)
    raw = case.data.get("id") if isinstance(case.data, dict) else None
    good = isinstance(raw, str) and raw.isascii() and raw.isdigit() and 0 < len(raw) < 19
    if found is None:
        require(not good, "a well-formed task id was refused", repr(raw))
        return
    require(good and found == (raw, int(str(raw))), "a task id was misread", repr((raw, found)))


def check_gui(case: GuiCase | TaskCase) -> None:
    if isinstance(case, TaskCase):
        check_task(case)
    else:
        check_body(case)


CONTRACT = (check_body.__doc__ or "") + "\n" + (check_task.__doc__ or "")


@contextlib.contextmanager
def session() -> Iterator[Check]:
    yield check_gui
