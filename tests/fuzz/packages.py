"""The `packages` target: what the host reads of a widget's packages before anything is
installed, all of it hostile text (host/packages/): a widget's `requirements.txt`
(`requirements.parse`, `canonical_or_text`, which every saved version's requirements go
through), the core metadata of a release (`wheels.parse_metadata`) and the wheel it comes
in (`wheels.metadata_of_wheel`: anyone can publish a wheel to the index), the index's
project pages (`index.links_of`, then the releases they name, `resolve._releases`) and
`Requires-Python` specifiers (`Target.supports`).

Requirements are lines of good and bad requirements (options, URLs, paths, archives, broken
specifiers and markers, non-ASCII), with comments, continuations and every line break
`str.splitlines` knows, mutated as request frames are, and shapes at the limits (long runs
of spaces and tabs, 100 and 101 requirements, lines of 1,000 and 1,001 characters). Metadata
is e-mail-style headers, good and hostile (folded, encoded words, repeated, missing); wheels
are zip archives built here, good ones and broken ones (several or nested `.dist-info`
folders, invalid UTF-8, truncated or corrupted bytes, unknown compression, encryption flags,
a METADATA that inflates far beyond its size); pages are PEP 691 JSON and PEP 503 HTML
with fields of the wrong types.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from packaging.version import Version

from tests.fuzz.contract import Check, ContractError, require, within
from tests.fuzz.strategies import (
    FINITE_JSON,
    MUTATIONS,
    TEXT,
    Case,
    cases_of,
    mutate,
    one_in,
    pick,
    weighted,
)
from widgetbox.host.packages.errors import PackageError, RequirementsError
from widgetbox.host.packages.index import JSON_TYPE, Link, links_of
from widgetbox.host.packages.requirements import (
    MAX_LINE,
    MAX_REQUIREMENTS,
    canonical_or_text,
    parse,
)
from widgetbox.host.packages.resolve import _releases
from widgetbox.host.packages.target import SANDBOX
from widgetbox.host.packages.wheels import metadata_of_wheel, parse_metadata

PACKAGES_SECONDS = 1.0
"""One input of at most about a megabyte (a requirements file, a page, a wheel)."""
MAX_TEXT = 1_100_000

# -- requirements.txt ----------------------------------------------------------------------

GOOD_NAMES = ["attrs", "rich", "Django", "zope.interface", "a_b-c.d", "x" * 100, "A1"]
EXTRAS = ["", "[jupyter]", "[a,b]"]
SPECIFIERS = ["", ">=23", "~=13.0", "==1.*", "!=2,<3", " >= 1 , < 2", "===1.0", "<=2.0.0rc1"]
MARKERS = ["", '; python_version < "3.11"', "; sys_platform == 'wasi'", '; extra == "x"',
           ';os_name=="posix" and platform_machine!="x86"']  # fmt: skip
BAD_LINES = [
    "-e .", "--index-url https://x", "-r other.txt", "--hash=sha256:00", "git+https://x/y",
    "https://x/y-1.0-py3-none-any.whl", "./local", "/abs/path", "~/home", "pkg.tar.gz",
    "a --hash=sha256:x", "a @ https://x/y", "a[", "a>=", "1 2", "a b", "a;", "a; nonsense",
    'a==1; python_version <', "é", "a\x00", "a" * (MAX_LINE + 1), "a==1.0 (x)", "@", "a[b",
    "a ; extra == ", "a>=1;python_version<'3'and", "-", "--",
]  # fmt: skip
BREAKS = ["\n", "\n", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028"]
COMMENTS = ["", "", "  # a comment", " #x", " #", "\t# é"]
"""What may follow a requirement on its line (a comment starts after whitespace)."""


def unicode(text: str) -> str:
    """`text` as the host has it: a widget's files and a METADATA decoded from UTF-8 are
    valid Unicode (a lone surrogate, which hypothesis' text may hold, becomes U+FFFD)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class RequirementsCase(Case):
    """A requirements text; `first_bad` the line a refusal must name (0: it must parse,
    None: no verdict), `count` the requirements it holds when it parses."""

    __slots__ = ("count", "first_bad", "text")

    def __init__(self, text: str, first_bad: int | None, count: int) -> None:
        self.text, self.first_bad, self.count = unicode(text), first_bad, count


@st.composite
def good_lines(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(GOOD_NAMES))
    return (
        name
        + draw(st.sampled_from(EXTRAS))
        + draw(st.sampled_from(SPECIFIERS))
        + draw(st.sampled_from(MARKERS))
    )


@st.composite
def requirement_texts(draw: st.DrawFn) -> RequirementsCase:
    """Lines (blank, comments, good and bad requirements) and the verdict they come to."""
    lines: list[tuple[str, bool | None]] = draw(
        st.lists(
            weighted(
                (6, good_lines().map(lambda line: (line, True))),
                (2, st.sampled_from(BAD_LINES).map(lambda line: (line, False))),
                (1, st.sampled_from(["", "   ", "# only a comment", "\t"]).map(
                    lambda line: (line, None)
                )),
            ),
            max_size=8,
        )
    )  # fmt: skip
    texts = []
    first_bad: int | None = 0
    count = 0
    for number, (line, good) in enumerate(lines, start=1):
        texts.append(line + draw(st.sampled_from(COMMENTS)) if line.strip() else line)
        if good is True:
            count += 1
        elif good is False and first_bad == 0:
            first_bad = number
    text = draw(st.sampled_from(BREAKS[:3])).join(texts)
    if draw(one_in(5)):  # other line breaks: lines that split elsewhere
        text = text.replace("\n", draw(st.sampled_from(BREAKS)))
        first_bad = None
    return RequirementsCase(text, first_bad, count)


@st.composite
def mutated_requirements(draw: st.DrawFn) -> RequirementsCase:
    raw = draw(requirement_texts()).text.encode("utf-8")
    for mutation in draw(st.lists(MUTATIONS, min_size=1, max_size=3)):
        raw = mutate(raw, mutation)
    return RequirementsCase(raw[:MAX_TEXT].decode("utf-8", "replace"), None, 0)


RUNS = st.sampled_from([1_000, 10_000, 100_000, 500_000])
REQUIREMENT_SHAPES = st.one_of(
    st.tuples(st.sampled_from([" ", "\t", " \t", "\\\n", "#", "a", " #"]), RUNS).map(
        lambda unit_count: unit_count[0] * (unit_count[1] // len(unit_count[0]))
    ),
    st.tuples(RUNS, st.sampled_from(["x", "x#", "#", "\\", "a==1"])).map(
        lambda count_tail: "a" + " " * count_tail[0] + count_tail[1]
    ),
    st.sampled_from([MAX_REQUIREMENTS, MAX_REQUIREMENTS + 1]).map(
        lambda count: "\n".join(f"p{i}" for i in range(count))
    ),
    st.sampled_from([MAX_LINE, MAX_LINE + 1]).map(lambda size: "a" * size),
    st.sampled_from([MAX_LINE, MAX_LINE + 1]).map(lambda size: "a" + " " * (size - 1)),
    st.just("a==" + "1." * 400 + "1"),
)
REQUIREMENTS = weighted(
    (5, requirement_texts()),
    (3, mutated_requirements()),
    (1, REQUIREMENT_SHAPES.map(lambda text: RequirementsCase(text, None, 0))),
    (1, TEXT.map(lambda text: RequirementsCase(text, None, 0))),
)

# -- core metadata -------------------------------------------------------------------------


class MetadataCase(Case):
    """METADATA text; `expect` (name, version, requirements) when it must read."""

    __slots__ = ("expect", "text")

    def __init__(self, text: str, expect: tuple[str, str, int] | None) -> None:
        self.text, self.expect = unicode(text), expect


VERSIONS = ["1.0", "2026.12.5", "0!1.0.post1.dev2", "1.0rc1+local.7"]
BAD_VERSIONS = ["", "1.0-", "x", "1..0", "v", "1.0 2", "é", "9" * 5000]
HEADERS = st.sampled_from(
    [
        "Requires-Dist: a @ https://x/y",
        "Requires-Dist: a[",
        "Requires-Python: >=3.8,<",
        "Requires-Python: ",
        "Requires-Python: ~=3",
        "Name: =?utf-8?b?w6k=?=",
        "Name: =?utf-8?b?????=",
        "Name: =?x-unknown?q?=ff?=",
        "Version: =?utf-8?q?1.0?=",
        "Summary: a\n continued\n\tlines",
        "Description: " + "d" * 5000,
        "Provides-Extra: é",
        "X: \x00",
        ": no name",
        "no colon at all",
        "Requires-Dist: " + "a," * 500,
    ]
)


@st.composite
def metadata_texts(draw: st.DrawFn) -> MetadataCase:
    name = draw(st.sampled_from(GOOD_NAMES))
    version = draw(st.sampled_from(VERSIONS))
    requires = draw(st.lists(good_lines(), max_size=3))
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {line}" for line in requires]
    expect: tuple[str, str, int] | None = (name, version, len(requires))
    if draw(one_in(3)):
        lines += draw(st.lists(HEADERS, min_size=1, max_size=3))
        expect = None
    if draw(one_in(6)):
        lines[draw(st.integers(1, 2))] = draw(
            st.sampled_from(["Name:", "Version:", "Nom: x"])
            | st.sampled_from(BAD_VERSIONS).map(lambda v: f"Version: {v}")
        )
        expect = None
    text = "\n".join(lines) + "\n\n" + draw(TEXT)
    return MetadataCase(text, expect)


@st.composite
def mutated_metadata(draw: st.DrawFn) -> MetadataCase:
    raw = draw(metadata_texts()).text.encode("utf-8")
    for mutation in draw(st.lists(MUTATIONS, min_size=1, max_size=3)):
        raw = mutate(raw, mutation)
    return MetadataCase(raw[:MAX_TEXT].decode("utf-8", "replace"), None)


METADATA_SHAPES = st.sampled_from(
    [
        "Name: x\nVersion: 1\n" + "Requires-Dist: a\n" * 50_000,
        "Name: x\nVersion: 1\n" + "X: " + " " * 500_000 + "\n",
        "Name: x\n" + " continued\n" * 50_000 + "Version: 1\n",
        "Name: " + "=?utf-8?b?w6k=?=" * 20_000 + "\nVersion: 1\n",
        "\n" * 500_000,
        ":" * 500_000,
    ]
)
METADATA = weighted(
    (5, metadata_texts()),
    (3, mutated_metadata()),
    (1, METADATA_SHAPES.map(lambda text: MetadataCase(text, None))),
    (1, TEXT.map(lambda text: MetadataCase(text, None))),
)

# -- wheels --------------------------------------------------------------------------------


class WheelCase(Case):
    """A wheel's bytes; `expect` the METADATA text it must give (None: no verdict)."""

    __slots__ = ("data", "expect")

    def __init__(self, data: bytes, expect: str | None) -> None:
        self.data, self.expect = data, expect


def _zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, method in entries:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


METHODS = st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
GOOD_METADATA = "Metadata-Version: 2.1\nName: x\nVersion: 1.0\n\nA description é\n"


@st.composite
def wheels(draw: st.DrawFn) -> WheelCase:
    """A wheel with one `.dist-info/METADATA` (its text the verdict), or with none, two,
    one nested deeper, or one that is not UTF-8."""
    method = draw(METHODS)
    others = [("x/__init__.py", b"", method), ("x-1.0.dist-info/RECORD", b"", method)]
    shape = draw(st.sampled_from(["one", "one", "one", "none", "two", "nested", "latin", "dir"]))
    metadata = GOOD_METADATA.encode()
    entries = {
        "one": [("x-1.0.dist-info/METADATA", metadata, method)],
        "none": [],
        "two": [("x-1.0.dist-info/METADATA", metadata, method),
                ("y-1.0.dist-info/METADATA", metadata, method)],
        "nested": [("a/x-1.0.dist-info/METADATA", metadata, method)],
        "latin": [("x-1.0.dist-info/METADATA", "Name: caf\xe9".encode("latin-1"), method)],
        "dir": [("x-1.0.dist-info/METADATA/", b"", method)],
    }[shape]  # fmt: skip
    data = _zip(others + entries)
    return WheelCase(data, GOOD_METADATA if shape == "one" else None)


def _flagged(data: bytes, offset: int, value: int) -> bytes:
    """`data` with the 16-bit field at `offset` of every local and central header set to
    `value` (the flags at 6 and 8, the method at 8 and 10)."""
    out = bytearray(data)
    for signature, base in ((b"PK\x03\x04", 0), (b"PK\x01\x02", 2)):
        at = out.find(signature)
        while at != -1:
            out[at + base + offset : at + base + offset + 2] = value.to_bytes(2, "little")
            at = out.find(signature, at + 4)
    return bytes(out)


@st.composite
def broken_wheels(draw: st.DrawFn) -> WheelCase:
    data = draw(wheels()).data
    how = draw(st.sampled_from(["mutated", "encrypted", "method", "truncated"]))
    if how == "mutated":
        for mutation in draw(st.lists(MUTATIONS, min_size=1, max_size=3)):
            data = mutate(data, mutation)
    elif how == "encrypted":
        data = _flagged(data, 6, 1)
    elif how == "method":
        data = _flagged(data, 8, draw(st.sampled_from([1, 6, 9, 14, 95, 99, 65535])))
    else:
        data = data[: draw(st.integers(0, len(data)))]
    return WheelCase(data, None)


@functools.cache
def bomb() -> bytes:
    """A wheel of about 64 KiB whose METADATA inflates to 64 MiB (made once, when first
    drawn)."""
    text = b"Name: x\nVersion: 1\n\n" + b"\0" * (64 << 20)
    return _zip([("x-1.0.dist-info/METADATA", text, zipfile.ZIP_DEFLATED)])


WHEELS = weighted(
    (4, wheels()),
    (4, broken_wheels()),
    (1, st.builds(lambda: WheelCase(bomb(), None))),
    (1, st.binary(max_size=300).map(lambda data: WheelCase(b"PK\x03\x04" + data, None))),
)

# -- index pages ---------------------------------------------------------------------------


class PageCase(Case):
    __slots__ = ("content_type", "data")

    def __init__(self, data: bytes, content_type: str) -> None:
        self.data, self.content_type = data, content_type


HOSTILE = FINITE_JSON | pick([None, 1, "x", [], {}, True, 10**400])
FILES = st.fixed_dictionaries(
    {"filename": weighted((4, st.sampled_from(["x-1.0-py3-none-any.whl", "x-1.0.tar.gz",
                                               "x-1.0.zip", "X_-1.0-1-py3-none-any.whl",
                                               "x.whl", "x-1.0-py3-none-any.whl.metadata",
                                               "x-" + "9" * 5000 + "-py3-none-any.whl",
                                               "x-" + "9" * 5000 + ".tar.gz"])),
                          (1, HOSTILE)),
     "url": weighted((4, st.sampled_from(["x-1.0-py3-none-any.whl", "https://files.test/x",
                                          "//evil.test/x", "javascript:x", ""])),
                     (1, HOSTILE))},
    optional={
        "hashes": weighted((4, st.just({"sha256": "ab" * 32})), (1, HOSTILE)),
        "requires-python": weighted((4, st.sampled_from([">=3.8", "<3", ">=3.8,<", "~=3"])),
                                    (1, HOSTILE)),
        "yanked": HOSTILE,
        "core-metadata": weighted((3, st.just({"sha256": "cd" * 32})), (1, HOSTILE)),
        "dist-info-metadata": HOSTILE,
        "size": HOSTILE,
    },
)  # fmt: skip
JSON_PAGES = st.fixed_dictionaries(
    {"files": weighted((4, st.lists(weighted((4, FILES), (1, HOSTILE)), max_size=4)),
                       (1, HOSTILE))},
    optional={"meta": weighted((3, st.just({"api-version": "1.1"})),
                               (1, pick([{"api-version": "2.0"}, {"api-version": 1}, [], "1.0"])),
                               (1, HOSTILE)),
              "name": HOSTILE},
).map(json.dumps).map(str.encode) | HOSTILE.map(json.dumps).map(str.encode)  # fmt: skip
ANCHOR_ATTRIBUTES = st.sampled_from(
    ['href="x-1.0-py3-none-any.whl#sha256=' + "ab" * 32 + '"', 'href="x-1.0.tar.gz#md5=1"',
     'href=""', "href", 'href="#"', 'data-requires-python="&gt;=3.8"', "data-yanked",
     'data-core-metadata="sha256=cd"', 'data-dist-info-metadata="true"', 'href="%zz"',
     'href="https://[::1"', 'href="x.whl#sha256"']
)  # fmt: skip
HTML_PAGES = st.lists(
    st.tuples(st.lists(ANCHOR_ATTRIBUTES, max_size=3), TEXT).map(
        lambda anchor: f"<a {' '.join(anchor[0])}>{anchor[1]}</a>"
    ),
    max_size=5,
).map(lambda anchors: ("<html><body>" + "<br>".join(anchors)).encode("utf-8", "surrogatepass"))
PAGES = weighted(
    (3, JSON_PAGES.map(lambda data: PageCase(data, JSON_TYPE))),
    (2, HTML_PAGES.map(lambda data: PageCase(data, "text/html"))),
    (1, st.binary(max_size=200).map(lambda data: PageCase(data, JSON_TYPE))),
    (1, pick(["<a href='" + "x" * 500_000, "<a " * 100_000, "[" * 100_000]).map(
        lambda text: PageCase(text.encode(), JSON_TYPE if text[0] == "[" else "text/html")
    )),
)  # fmt: skip

# -- Requires-Python -----------------------------------------------------------------------


class SpecifierCase(Case):
    __slots__ = ("text",)

    def __init__(self, text: str | None) -> None:
        self.text = text


SPECIFIER_TEXTS = weighted(
    (3, st.lists(st.sampled_from([">=3.8", "<4", "!=3.15.*", "~=3.1", "==3.15.0", "===3.15.0",
                                  ">=3.16", "<3.15", "==3.*"]), max_size=3).map(",".join)),
    (2, st.sampled_from([">=", "~=3", "=>3", "3.8", ">=3.8,", ",", ">= 3 . 8", "==3.*.1",
                         "<=3.15.0rc1", "\x00", "é", ">=" + "9" * 5000, "==" + "1." * 1000])),
    (1, TEXT),
    (1, st.none()),
)  # fmt: skip

CASES = weighted(
    (4, REQUIREMENTS),
    (3, METADATA),
    (2, WHEELS),
    (2, PAGES),
    (1, SPECIFIER_TEXTS.map(SpecifierCase)),
)
STRATEGY = cases_of(st.deferred(lambda: CASES))

# -- the contract --------------------------------------------------------------------------


def check_requirements(case: RequirementsCase) -> None:
    """`parse(text)` returns at most 100 requirements or raises RequirementsError naming a
    line of the text; `canonical_or_text` answers text, the canonical form of what parses
    (itself canonical: parsing it again gives it again); each within a second for up to a
    megabyte. Exact for intact texts: good lines parse, one per requirement, and the first
    bad line is the one named."""
    text = case.text
    with within(PACKAGES_SECONDS, "parsing requirements"):
        try:
            parsed = parse(text)
        except RequirementsError as e:
            lines = max(len(text.splitlines()), 1)
            require(1 <= e.line <= lines, "a refusal names a line that is not there", str(e))
            require(case.first_bad != 0, "good requirements were refused", e.message[:300])
            if case.first_bad is not None:
                require(e.line == case.first_bad, "a refusal names another line", e.message)
            parsed = None
        canonical = canonical_or_text(text)
    if parsed is None:
        return
    require(case.first_bad in (None, 0), "a bad requirement was accepted", repr(text[:300]))
    require(len(parsed.items) <= MAX_REQUIREMENTS, "more requirements than allowed")
    if case.first_bad == 0:
        require(len(parsed.items) == case.count, "requirements were lost or made up")
    require(canonical == parsed.canonical, "canonical_or_text disagrees with parse")
    with within(PACKAGES_SECONDS, "parsing canonical requirements"):
        again = parse(canonical).canonical
    require(again == canonical, "the canonical form is not canonical", repr(canonical[:300]))


def check_metadata(case: MetadataCase) -> None:
    """`parse_metadata(text)` returns the name, version, requirements and Python it reads,
    or raises PackageError; within a second for up to a megabyte. Exact for intact
    metadata."""
    with within(PACKAGES_SECONDS, "parsing metadata"):
        try:
            found = parse_metadata(case.text, "x 1.0")
        except PackageError:
            require(case.expect is None, "good metadata was refused")
            return
    require(isinstance(found.name, str) and isinstance(found.version, Version), "odd metadata")
    if case.expect is not None:
        name, version, requires = case.expect
        require(
            (found.name, found.version, len(found.requires_dist))
            == (name, Version(version), requires),
            "metadata was misread",
            repr(found)[:300],
        )


MAX_METADATA = 16 << 20
"""The largest METADATA a wheel may give (PyPI's largest are a few megabytes)."""


def check_wheel(case: WheelCase, folder: Path) -> None:
    """`metadata_of_wheel(path)` returns the text of the wheel's one `.dist-info/METADATA`
    (at most 16 MiB of it) or raises PackageError, within a second. Exact for intact
    wheels."""
    path = folder / "x-1.0-py3-none-any.whl"
    path.write_bytes(case.data)
    with within(PACKAGES_SECONDS, "reading a wheel"):
        try:
            text = metadata_of_wheel(path, "x-1.0-py3-none-any.whl")
        except PackageError:
            require(case.expect is None, "a good wheel was refused")
            return
    require(len(text) <= MAX_METADATA, "a wheel's METADATA was read whole", f"{len(text):,}")
    if case.expect is not None:
        require(text == case.expect, "a wheel's METADATA was misread")


LINK_TYPES = {
    "filename": (str,),
    "url": (str,),
    "sha256": (str, type(None)),
    "requires_python": (str, type(None)),
    "yanked": (bool,),
    "metadata_sha256": (str, type(None)),
    "size": (int, type(None)),
}


def check_page(case: PageCase) -> None:
    """`links_of(page)` returns links whose every field has its declared type, or raises
    PackageError; the releases resolution finds among them (`_releases`) come without an
    exception; within a second for up to a megabyte."""
    with within(PACKAGES_SECONDS, "reading a project page"):
        try:
            links = links_of(case.data, case.content_type, "https://index.test/simple/x/", "x")
        except PackageError:
            return
        for link in links:
            require(isinstance(link, Link), "a page gave something else", repr(link)[:200])
            for name, types in LINK_TYPES.items():
                value = getattr(link, name)
                require(isinstance(value, types), f"a link's {name} is a {type(value).__name__}")
        _releases(links, "x")


def check_specifier(case: SpecifierCase) -> None:
    """`Target.supports(requires_python)` answers a bool (an unreadable one does not admit
    the sandbox's Python), within a second."""
    with within(PACKAGES_SECONDS, "reading Requires-Python"):
        answer = SANDBOX.supports(case.text)
    require(isinstance(answer, bool), "supports answered something else", repr(answer))
    if not case.text:
        require(answer, "no Requires-Python did not admit the sandbox's Python")


def check_packages(case: Any, folder: Path) -> None:
    if isinstance(case, RequirementsCase):
        check_requirements(case)
    elif isinstance(case, MetadataCase):
        check_metadata(case)
    elif isinstance(case, WheelCase):
        check_wheel(case, folder)
    elif isinstance(case, PageCase):
        check_page(case)
    elif isinstance(case, SpecifierCase):
        check_specifier(case)
    else:  # pragma: no cover - the strategy makes only these
        raise ContractError("an unknown case", type(case).__name__)


CONTRACT = "\n".join(
    check.__doc__ or ""
    for check in (check_requirements, check_metadata, check_wheel, check_page, check_specifier)
)


@contextlib.contextmanager
def session() -> Iterator[Check]:
    with tempfile.TemporaryDirectory(prefix="widgetbox-fuzz-") as folder:
        yield lambda case: check_packages(case, Path(folder))
