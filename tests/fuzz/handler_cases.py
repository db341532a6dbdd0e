"""Hostile data for every bridge operation of the host (the `handlers` target, handlers.py).

A case is one run's few host calls (one to four, mostly of one family: a transaction's
`begin`, writes and `commit`; a log-in then `get_user`), made with one of the run contexts
the host makes (a script's, a browser's visit with its cookies) or with a broken one, each
call with its own timeout. Each operation's data is its documented shape, mostly, with
hostile members: wrong types, huge and deeply nested values, NaN-ish and digit-ish text
("NaN", "1e999", Arabic-Indic and superscript digits), lone surrogates, unknown keys, and
ids of the other widget's rows, users, tasks and secrets. Data is what the door lets
through (no NaN or infinity: `finite`).

Ids only known once the widget's data is made are placeholders the target fills in:
`{A_ROW}` is the text of the id, `{A_TASK:int}` (the whole string) the number.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.strategies import (
    BAD_BODIES,
    CODEC_VALUES,
    GOOD_BODIES,
    HUGE_INTS,
    JSON,
    KEYS,
    STRICT_HOSTILE,
    TEXT,
    TIMEOUTS,
    Case,
    cases_of,
    compact,
    nested,
    one_in,
    pick,
    weighted,
)

# -- values of every kind ------------------------------------------------------------------

NANISH = [
    "NaN", "nan", "-Infinity", "inf", "1e999", "-0", "0x1F", "\u0661\u0662", "\u00b2", "1_000",
    " 7", "7 ", "+7", "07", "", "null", "None", "true", "[1,1]", "[ 1 , 1 ]", "[1,1] ", "[01,1]",
    "[-1,1]", "[9223372036854775808,1]", "\ud800", "a\x00b", "%s%n", "'; DROP TABLE runs; --",
]  # fmt: skip
"""Text that looks like a number, an id, a literal or an attack."""
BIG = [
    "x" * 300_000,
    "é" * 100_000,
    list(range(10_000)),
    {f"k{i}": i for i in range(5_000)},
    nested(60),
    nested(60, {"a": "b"}),
    10**4299,
    2**1024,
]
"""Values near what one frame can carry (1 MiB, 64 levels, 50,000 values)."""
ANY = compact(weighted((4, STRICT_HOSTILE), (2, pick(NANISH)), (1, pick(BIG)), (1, HUGE_INTS)))
"""Whatever a hostile guest may put in any member."""


def finite(value: Any) -> Any:
    """`value` with NaN and the infinities made huge finite numbers: the door refuses a frame
    that holds one, so no handler ever sees one."""
    if isinstance(value, float) and not math.isfinite(value):
        return math.copysign(1e308, value) if not math.isnan(value) else 1e308
    if isinstance(value, list):
        return [finite(item) for item in value]
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    return value


def usually(good: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` seven times in eight: a request has several members, and about half of the
    requests should be well-formed, to reach the work behind the checks."""
    return weighted((7, good), (1, rare))


def member(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A member's value: usually `good`, otherwise anything."""
    return usually(good, ANY)


def request(
    required: dict[str, st.SearchStrategy[Any]],
    optional: dict[str, st.SearchStrategy[Any]] | None = None,
) -> st.SearchStrategy[Any]:
    """An object of the members (each mostly good), now and then one member dropped or an
    unknown one added, and now and then not an object at all."""

    def shaped(members: dict[str, Any], drop: int, extra: dict[str, Any]) -> dict[str, Any]:
        if drop and members:
            members.pop(sorted(members)[drop % len(members)])
        return {**members, **extra}

    objects = st.builds(
        shaped,
        st.fixed_dictionaries(
            {key: member(value) for key, value in required.items()},
            optional={key: member(value) for key, value in (optional or {}).items()},
        ),
        weighted((9, st.just(0)), (1, st.integers(1, 9))),
        weighted((9, st.just({})), (1, st.dictionaries(KEYS, ANY, max_size=1))),
    )
    return weighted((9, objects), (1, ANY))


def op_request(op: str, **members: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A request `{"op": op, ...members}` (the shape `tables`, `session` and `users` take),
    `op` now and then replaced."""
    return request({"op": st.just(op), **members})


# -- http.request --------------------------------------------------------------------------

HOSTS = usually(
    st.sampled_from(
        [
            "local.test",  # allowlisted, resolves to the local server
            "local.test.",
            "LOCAL.test",
            "public.test",  # a public address (the connection is sent to the local server)
        ]
    ),
    st.sampled_from(
        [
            "private.test",  # 10.0.0.1, refused
            "metadata.google.internal",
            "gone.test",  # does not resolve
            "127.0.0.1",
            "10.0.0.1",
            "169.254.169.254",
            "[::1]",
            "[fd00:ec2::254]",
            "[::ffff:127.0.0.1]",
            "0x7f.1",
            "2130706433",
            "xn--",
            "a..b",
            "[::1%25eth0]",
            "user:pw@local.test",
        ]
    ),
)
PORTS = st.sampled_from(["", ":{port}", ":0", ":22", ":65536", ":-1", ":x", ":{port}0"])
PATHS = st.sampled_from(["/", "/json", "/redirect", "/loop", "/big", "/headers", "/slow"])
QUERIES = st.sampled_from(["", "?", "?to=http://10.0.0.1/", "?to=http://local.test:{port}/json"])


@st.composite
def urls(draw: st.DrawFn) -> Any:
    """URLs that mostly parse (so that requests reach the policy and the local server),
    each part now and then hostile."""
    if draw(one_in(20)):
        return draw(ANY)
    scheme = draw(
        usually(
            st.sampled_from(["http://", "https://"]),
            st.sampled_from(["HTTP://", "ftp://", "file://", "//", "", "http:/", "javascript:"]),
        )
    )
    host = draw(weighted((19, HOSTS), (1, TEXT)))
    port = draw(usually(st.sampled_from(["", ":{port}"]), PORTS))
    path = draw(weighted((19, PATHS), (1, TEXT.map(lambda text: "/" + text))))
    query = draw(usually(st.sampled_from(["", "?a=1&b=%zz"]), QUERIES))
    url = scheme + host + port + path + query + draw(weighted((19, st.just("")), (1, TEXT)))
    return draw(usually(st.just(""), st.sampled_from([" ", "\t", "\x00", "\ud800"]))) + url


HEADER_VALUES = usually(st.text(st.characters(min_codepoint=32, max_codepoint=126)), TEXT)
HTTP = request(
    {"url": urls()},
    {
        "method": usually(
            st.sampled_from(["GET", "post", "HEAD", "DELETE"]),
            st.sampled_from(["CONNECT", "TRACE", "BREW", "G T", "", "get\n"]),
        ),
        "headers": usually(
            st.dictionaries(st.sampled_from(["X-A", "Accept", "Cookie", "Host"]), HEADER_VALUES),
            st.dictionaries(TEXT, TEXT),
        ),
        "body_b64": usually(GOOD_BODIES, BAD_BODIES),
        "timeout": usually(st.floats(0.05, 2.0), TIMEOUTS),
        "username": st.sampled_from(["ann", "a:b", "\ud800"]),
        "password": TEXT,
        "raw": st.booleans(),
    },
)

# -- secrets.get ---------------------------------------------------------------------------

SECRET_NAMES = st.sampled_from(
    ["API_KEY", "OTHER", "Broken", "B_ONLY", "api_key", "A" * 64, "A" * 65, "API_KEY\n"]
)
SECRETS = weighted((3, SECRET_NAMES), (1, ANY))

# -- email.send ----------------------------------------------------------------------------

ADDRESSES = st.sampled_from(
    [
        "joe@example.org",
        "Joe Bloggs <joe@example.org>",
        "refused@example.org",  # the SMTP server refuses it
        "joe@example.org, ann@example.org",
        "a@b",
        "@example.org",
        "joe@",
        "joe@exa mple.org",
        "joe@example.org\r\nBcc: evil@example.org",
        '"a,b" <x@example.org>',
        "joe@[127.0.0.1]",
        "ünï@exämple.org",
        "joe@example.org\ud800",
        "x" * 300 + "@example.org",
        ", , ,",
    ]
)
RECIPIENTS = weighted(
    (3, ADDRESSES),
    (2, st.lists(ADDRESSES, max_size=4)),
    (1, pick([["joe@example.org"] * 51, ", ".join(["joe@example.org"] * 51), "a," * 10_000])),
)
ATTACHMENT = request(
    {
        "name": st.sampled_from(["a.txt", "", "../../etc/passwd", "a\r\nb.txt", "é.pdf"]),
        "content_type": st.sampled_from(["text/plain", "text", "a/b;c=d", "x" * 300]),
        "data": weighted((3, GOOD_BODIES), (1, BAD_BODIES)),
    },
    {"cid": st.sampled_from(["logo", "", "a b", "<x>", "x" * 201])},
)
EMAIL = request(
    {"to": RECIPIENTS},
    {
        "cc": RECIPIENTS,
        "bcc": RECIPIENTS,
        "from_address": st.sampled_from(["support", "a@other.org", "x@y", "", "a\nb", "@"]),
        "from_name": TEXT,
        "subject": TEXT | pick(["s" * 1001, "line\nbreak"]),
        "text": TEXT | pick(["t" * 200_000]),
        "html": TEXT | pick(["<b>hi</b>", "<script>x</script>"]),
        "attachments": st.lists(ATTACHMENT, max_size=3) | pick([[{}] * 51]),
        "inline_attachments": st.lists(ATTACHMENT, max_size=2),
    },
)

# -- tables --------------------------------------------------------------------------------

TABLE_NAMES = usually(
    st.sampled_from(["notes", "people", "teams", "users"]),
    st.sampled_from(["nope", "", "Notes", "_wb_media", "sqlite_master", "notes\x00", "r",
                     "x" * 1001]),
)  # fmt: skip
COLUMNS = usually(
    st.sampled_from(["text", "owner", "n", "name", "age", "member", "born", "seen", "extra",
                     "photo", "manager", "friends", "email", "password_hash", "enabled",
                     "remembered_logins"]),
    st.sampled_from(["nope", "", "x" * 101, "r.id", "id", "a\x00b", "\ud800"]),
)  # fmt: skip
ROW_IDS = weighted(
    (4, st.sampled_from(["{A_ROW}", "{A_PERSON}", "{B_ROW}", "{A_USER}", "{B_USER}"])),
    (2, st.sampled_from(
        ["[1,1]", "[1,999]", "[999,1]", "[0,0]", "[1, 1]", " [1,1]", "[01,1]",
         "[9223372036854775807,1]", "[99999999999999999999,1]", "1", "abc", "[1,1,1]"]
    )),
    (1, ANY),
)  # fmt: skip
"""Row ids: the widget's own, the other widget's (the same form: ids are per widget), and
made-up ones."""
TAGGED = st.one_of(
    st.builds(lambda v: {"$wb": "date", "v": v}, st.sampled_from(["2026-11-24", "2026-13-45", ""])),
    st.builds(
        lambda v: {"$wb": "datetime", "v": v},
        st.sampled_from(["2026-11-24T10:00:00+00:00", "2026-11-24T10:00:00", "yesterday"]),
    ),
    st.builds(lambda v: {"$wb": "row", "v": v}, ROW_IDS),
    st.builds(
        lambda v: {"$wb": "media", "v": v},
        st.fixed_dictionaries(
            {"content_type": st.sampled_from(["text/plain", "", "x" * 300]), "data": GOOD_BODIES},
            optional={"name": st.sampled_from(["a.txt", None, "x" * 1001])},
        )
        | pick([{"ref": "{A_MEDIA:int}"}, {"ref": 1}, {"ref": -1}, {"ref": 2**70}, {"ref": "1"}])
        | ANY,
    ),
    st.builds(lambda v: {"$wb": "dict", "v": v}, ANY),
    st.builds(lambda tag: {"$wb": tag, "v": 1}, st.sampled_from(["nope", "search", "task", ""])),
)
CELLS = compact(
    weighted(
        (3, TEXT | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)),
        (2, TAGGED),
        (1, st.lists(TAGGED, max_size=3)),
        (1, ANY),
    )
)
CELL_MAPS = st.dictionaries(COLUMNS | TEXT, CELLS, max_size=4)
SCALAR_VALUES = TEXT | st.integers() | st.floats(allow_nan=False) | st.booleans() | TAGGED


def _leaf(name: str, arity: int) -> st.SearchStrategy[Any]:
    """`{name: [column, value, ...]}`, mostly with the operator's number of arguments."""
    good = st.tuples(
        COLUMNS, st.lists(SCALAR_VALUES | st.booleans(), min_size=arity - 1, max_size=arity - 1)
    ).map(lambda drawn: [drawn[0], *drawn[1]])
    return usually(good, st.lists(SCALAR_VALUES | ANY, max_size=6)).map(lambda args: {name: args})


LEAVES = st.one_of(
    *[_leaf(name, arity) for name, arity in [("eq", 2), ("gt", 2), ("le", 2), ("like", 2),
                                             ("ilike", 2), ("fts", 3), ("between", 5)]]
)  # fmt: skip
QUERY_TREES = usually(
    compact(
        st.recursive(
            LEAVES | pick([{"all": []}, {"any": []}]),
            lambda children: st.one_of(
                st.builds(lambda items: {"any": items}, st.lists(children, max_size=3)),
                st.builds(lambda items: {"all": items}, st.lists(children, max_size=3)),
                st.builds(lambda items: {"none": items}, st.lists(children, max_size=3)),
                st.builds(lambda item: {"not": item}, children),
            ),
            max_leaves=8,
        )
    ),
    pick(
        [
            nested(40, {"all": []}),
            {"all": [{"eq": ["text", "x"]}] * 1001},
            {},
            {"eq": []},
            {"nope": [1]},
            {"eq": ["text", "x"], "all": []},
        ]
    ),
)
ORDERS = usually(
    st.lists(st.tuples(COLUMNS, st.booleans()).map(list), max_size=3),
    pick([[["text", True]] * 17, [["text", 1]], [["text"]], [[True, "text"]], "text"]),
)
PAGE = usually(st.none() | st.integers(1, 50), pick([0, -1, 2**31, 2**63, 10**30, 1.5]))
OFFSET = usually(st.integers(0, 50), pick([-1, 2**62, 2**62 + 1, 2**63]))
NAMES = st.none() | st.lists(COLUMNS, max_size=3)
MEDIA_REFS = pick(["{A_MEDIA:int}", 0, 1, -1, 2**62, 2**62 + 1])
TABLE_OPS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "describe": {},
    "search": {"table": TABLE_NAMES, "query": QUERY_TREES, "order": ORDERS, "page_size": PAGE,
               "offset": OFFSET, "fetch_only": NAMES},
    "get": {"table": TABLE_NAMES, "query": QUERY_TREES},
    "get_by_id": {"table": TABLE_NAMES, "id": ROW_IDS},
    "count": {"table": TABLE_NAMES, "query": QUERY_TREES},
    "row": {"id": ROW_IDS, "fetch_only": NAMES},
    "media": {"ref": MEDIA_REFS},
    "add_row": {"table": TABLE_NAMES, "values": CELL_MAPS},
    "add_rows": {"table": TABLE_NAMES, "rows": st.lists(CELL_MAPS, max_size=3)},
    "update": {"id": ROW_IDS, "values": CELL_MAPS},
    "delete": {"id": ROW_IDS},
    "delete_where": {"table": TABLE_NAMES, "query": QUERY_TREES},
    "delete_all": {"table": TABLE_NAMES},
    "begin": {},
    "commit": {},
    "rollback": {},
}  # fmt: skip
TABLES = st.sampled_from(sorted(TABLE_OPS)).flatmap(lambda op: op_request(op, **TABLE_OPS[op]))

# -- session -------------------------------------------------------------------------------

JARS = st.sampled_from(["local", "shared", "LOCAL", "", "__proto__"])
COOKIE_NAMES = TEXT | pick(["k", "x" * 200, "x" * 201, ""])
COOKIE_VALUES = st.dictionaries(COOKIE_NAMES, st.none() | CODEC_VALUES, max_size=3) | pick(
    [{"big": "x" * 5000}, {f"k{i}": i for i in range(300)}]
)
DAYS = st.floats(-1, 4000, allow_nan=False) | pick(
    [30, 0, -1, 1e-300, 3650, 3651, 10**400, 2**1024, True, "30", None]
)
SESSION_OPS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "load": {},
    "save": {"data": st.dictionaries(TEXT, CODEC_VALUES, max_size=3)
             | pick([{"big": "x" * 300_000}, {"s": "\ud800"}, nested(60, {})])},
    "id": {},
    "context": {},
    "cookie_get": {"jar": JARS, "name": COOKIE_NAMES},
    "cookie_set": {"jar": JARS, "days": DAYS, "values": COOKIE_VALUES},
    "cookie_delete": {"jar": JARS, "name": COOKIE_NAMES},
    "cookie_clear": {"jar": JARS},
}  # fmt: skip
SESSION = st.sampled_from(sorted(SESSION_OPS)).flatmap(lambda op: op_request(op, **SESSION_OPS[op]))

# -- users ---------------------------------------------------------------------------------

EMAILS = st.sampled_from(
    ["ann@a.test", "ANN@A.TEST ", "bsecret-user@b.test", "new@a.test", "ann@a.test\ud800",
     "x" * 300 + "@a.test", "", "a@b", "a b@c.d", "ann@a.test\n", "{A_USER}"]
)  # fmt: skip
PASSWORDS = st.sampled_from(
    ["ann's good password", "bob's good password", "short", "x" * 10, "x" * 2000, "\ud800" * 12,
     ""]
)  # fmt: skip
USERS_OPS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "get_user": {"allow_remembered": ANY},
    "login": {"email": EMAILS, "password": PASSWORDS, "remember": ANY},
    "signup": {"email": EMAILS, "password": PASSWORDS, "remember": ANY},
    "logout": {},
    "force_login": {"id": st.none() | ROW_IDS, "remember": ANY},
    "reset_password": {"old": PASSWORDS, "new": PASSWORDS},
    "send_reset": {"email": EMAILS},
}
USERS = st.sampled_from(sorted(USERS_OPS)).flatmap(lambda op: op_request(op, **USERS_OPS[op]))

# -- tasks.* -------------------------------------------------------------------------------

TASK_NAMES = st.sampled_from(["work", "fail", "nope", "", "x" * 257, "work\ud800", "__init__"])
ARGUMENTS = st.lists(weighted((3, CODEC_VALUES), (1, TAGGED)), max_size=3)
TASK_IDS = weighted(
    (3, st.sampled_from(["{A_TASK}", "{B_TASK}", "{A_OPEN}", "{A_TASK:int}", "{B_TASK:int}"])),
    (2, st.sampled_from(["0", "-1", "\u0661", "\u00b2", "9" * 19, "9" * 20, " 1", "1.0", "0x1"])),
    (1, pick([True, 1.0, 2**63, -1, 0, None])),
)
TASKS = {
    "tasks.launch": request(
        {"name": TASK_NAMES},
        {"args": ARGUMENTS, "kwargs": st.dictionaries(TEXT, CODEC_VALUES, max_size=2)},
    ),
    "tasks.get": request({"id": TASK_IDS}),
    "tasks.list": ANY,
    "tasks.kill": request({"id": TASK_IDS}),
    "tasks.state": st.dictionaries(TEXT, weighted((3, CODEC_VALUES), (1, TAGGED)), max_size=3)
    | pick([{"big": "x" * 70_000}])
    | ANY,
}

# -- checks.* (classroom) ------------------------------------------------------------------

CHECKS = {
    "checks.script": request(
        {}, {"stdin": TEXT | pick(["x" * 600_000]), "argv": st.lists(TEXT, max_size=3)}
    ),
    "checks.http": request(
        {
            "method": st.sampled_from(["GET", "post", "G T", "", "x" * 17, "GET\n", "ÄÖ"]),
            "path": st.sampled_from(["/hello", "/", "hello", "/" + "x" * 2001, "/\ud800"]),
        },
        {
            "query": st.dictionaries(TEXT, TEXT, max_size=2),
            "headers": st.dictionaries(TEXT, TEXT, max_size=2),
            "body": usually(GOOD_BODIES, BAD_BODIES),
        },
    ),
    "checks.call": request(
        {"name": st.sampled_from(["echo", "nope", "", "x" * 300])},
        {"args": st.lists(CODEC_VALUES, max_size=2), "kwargs": st.dictionaries(TEXT, JSON)},
    ),
}

# -- cases ---------------------------------------------------------------------------------

FAMILIES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "http": {"http.request": HTTP},
    "secrets": {"secrets.get": SECRETS},
    "email": {"email.send": EMAIL},
    "tables": {"tables": TABLES},
    "session": {"session": SESSION},
    "users": {"users": USERS},
    "tasks": TASKS,
    "checks": CHECKS,
}
"""Every operation, by the module that offers it."""
OPS = frozenset(op for family in FAMILIES.values() for op in family)
"""Every operation fuzzed: the target checks that these are the operations registered."""

CALL_TIMEOUTS = st.sampled_from([5.0, 5.0, 5.0, 0.2, 0.05])
"""A call's timeout: mostly the bridge's usual, sometimes too short for any work."""
CHECK_TIMEOUTS = st.sampled_from([0.1, 0.1, 0.1, 3.0])
"""A classroom helper's: a run of the student's code only when there is time for it."""
CONTEXTS = st.sampled_from(["run", "run", "run", "browser", "browser", "gone", "junk", "empty"])
"""A script's run context, a browser's visit, a widget that is gone, wrong types, none."""
SESSION_COOKIES = st.sampled_from(["none", "A", "B", "junk", "long"])
JAR_COOKIES = st.sampled_from(["none", "A", "B", "junk"])


class HostCase(Case):
    """One call: the operation, its data, its timeout."""

    __slots__ = ("data", "op", "timeout")

    def __init__(self, op: str, data: Any, timeout: float) -> None:
        self.op, self.data, self.timeout = op, data, timeout


class HandlerCase(Case):
    """One run's calls, with its context (and for a browser, its cookies and address)."""

    __slots__ = ("budget", "calls", "client_ip", "context", "cookies")

    def __init__(
        self,
        calls: list[HostCase],
        context: str,
        cookies: tuple[str, str, str],
        client_ip: str,
        budget: int,
    ) -> None:
        self.calls, self.context, self.cookies = calls, context, cookies
        self.client_ip, self.budget = client_ip, budget


def _calls(op: str, data: st.SearchStrategy[Any]) -> st.SearchStrategy[HostCase]:
    timeouts = CHECK_TIMEOUTS if op.startswith("checks.") else CALL_TIMEOUTS
    return st.builds(HostCase, st.just(op), data.map(finite), timeouts)


def _family(name: str) -> st.SearchStrategy[list[HostCase]]:
    ops = FAMILIES[name]
    one = st.one_of(*[_calls(op, data) for op, data in sorted(ops.items())])
    return st.lists(one, min_size=1, max_size=4)


ANY_CALL = st.one_of(
    *[_calls(op, data) for family in FAMILIES.values() for op, data in sorted(family.items())]
)
CALLS = weighted(
    *[(2, _family(name)) for name in FAMILIES],
    (1, st.lists(ANY_CALL, min_size=1, max_size=4)),
)
ADDRESSES_OF_VISITORS = st.integers(1, 2**32 - 2).map(
    lambda n: f"{n >> 24}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
)
"""A visitor's address: many, so the Users service's limit per address rarely refuses."""


def _cases(calls: st.SearchStrategy[list[HostCase]]) -> st.SearchStrategy[Any]:
    cases = st.builds(
        HandlerCase,
        calls,
        CONTEXTS,
        st.tuples(SESSION_COOKIES, JAR_COOKIES, JAR_COOKIES),
        ADDRESSES_OF_VISITORS,
        st.integers(0, 2),
    )
    return cases_of(st.deferred(lambda: cases))


STRATEGY = _cases(CALLS)
"""Cases with every operation (the handlers target)."""


def cases_for(*families: str) -> st.SearchStrategy[Any]:
    """Cases whose calls are of `families` only (the fixed-seed tests' shares)."""
    return _cases(st.one_of(*[_family(name) for name in families]))
