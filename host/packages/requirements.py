"""A widget's requirements: the `requirements.txt` among its files, parsed with `packaging`.

Only plain requirements from the package index are accepted: names, extras, version
specifiers and environment markers (`attrs>=23`, `rich[jupyter]~=13.0`,
`tomli; python_version < "3.11"`). Options (`-e`, `-r`, `--index-url`, `--hash`), URLs and
local paths are refused with a message naming the line: the index is the platform's setting,
and nothing is ever built from source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidName, canonicalize_name

from widgetbox.host.packages.errors import RequirementsError

FILE = "requirements.txt"
"""The widget file that holds the requirements."""

MAX_REQUIREMENTS = 100
MAX_LINE = 1000

_COMMENT = re.compile(r"(?:^|(?<=\s))#")
"""Where a comment starts: a `#` at the start of a line or after whitespace (as pip reads
them), found with a look behind in linear time. The pattern before it, `(^|\\s+)#.*$`,
retried every run of spaces from each of its spaces: 0.9 s for a line of 10,000 spaces, 23 s
for 40,000, in every saved version's requirements."""
_ARCHIVE = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".egg")


@dataclass(frozen=True)
class Requirements:
    """Parsed requirements, in the order written."""

    items: tuple[Requirement, ...]

    @property
    def canonical(self) -> str:
        """One line per requirement, normalised and sorted: two texts that ask for the same
        packages (comments, order, spacing, name spelling aside) have the same canonical
        form, so a save that only touches comments keeps the widget's installed packages."""
        return "\n".join(sorted({_normal(req) for req in self.items}))

    def __bool__(self) -> bool:
        return bool(self.items)


def parse(text: str) -> Requirements:
    """The requirements in `text`; RequirementsError naming the first bad line."""
    items: list[Requirement] = []
    for number, line in _logical_lines(text):
        if len(line) > MAX_LINE:
            raise RequirementsError(number, f"the line is longer than {MAX_LINE} characters.")
        items.append(_requirement(number, line))
        if len(items) > MAX_REQUIREMENTS:
            raise RequirementsError(
                number, f"a widget may list at most {MAX_REQUIREMENTS} requirements."
            )
    return Requirements(tuple(items))


def of_files(files: dict[str, str]) -> str:
    """The requirements text among a widget's files ("" when it has none)."""
    return files.get(FILE, "")


def canonical_or_text(text: str) -> str:
    """The canonical form of `text`, or `text` itself when it does not parse (so the error,
    found again at install time, names the right line): what a version records to tell
    whether its requirements changed. "" when there are none."""
    try:
        return parse(text).canonical
    except RequirementsError:
        return text if text.strip() else ""


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of every non-empty line, comments removed and lines ending
    in a backslash joined to the next, as pip reads them."""
    found: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        comment = _COMMENT.search(raw)
        line = raw if comment is None else raw[: comment.start()].rstrip()
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        joined = ("".join(pending) + line).strip()
        pending = []
        if joined:
            found.append((start, joined))
    tail = "".join(pending).strip()
    if tail:
        found.append((start, tail))
    return found


def _requirement(number: int, line: str) -> Requirement:
    if line.startswith("-"):
        option = line.split(maxsplit=1)[0].split("=", maxsplit=1)[0]
        raise RequirementsError(
            number,
            f"options such as {option} are not supported: list package names, optionally with "
            "extras, versions and markers (the package index is Widgetbox's setting).",
        )
    if "://" in line or line.lower().startswith(("git+", "hg+", "svn+", "bzr+")):
        raise _url(number, line)
    if line.startswith((".", "/", "~")) or line.lower().endswith(_ARCHIVE):
        raise RequirementsError(
            number,
            f"{line!r} is a local path or a file; only packages from the package index can "
            "be installed.",
        )
    if " --" in line or "\t--" in line:
        option = line[line.index("--") :].split(maxsplit=1)[0].split("=", maxsplit=1)[0]
        raise RequirementsError(
            number, f"per-requirement options such as {option} are not supported."
        )
    try:
        requirement = Requirement(line)
    except InvalidRequirement as e:
        raise RequirementsError(number, f"{line!r} is not a valid requirement ({e}).") from None
    if requirement.url:
        raise _url(number, line)
    try:  # packaging takes `a_` as a name; its canonical `a-` it refuses, and no index has it
        canonicalize_name(requirement.name, validate=True)
    except InvalidName:
        raise RequirementsError(
            number,
            f"{requirement.name!r} is not a package name: letters, digits, '.', '_' and '-', "
            "starting and ending with a letter or digit.",
        ) from None
    try:  # what `canonical` writes must read again (a version records it; its install parses it)
        _normal(requirement)
    except InvalidRequirement as e:
        # packaging reads a marker's quoted value as a Python literal ("\\x" is \x) but
        # writes it back as it is ("\x", which does not parse); PEP 508 has no backslash there
        why = "a quoted value may not hold a backslash" if "\\" in line else str(e)
        raise RequirementsError(number, f"{line!r} is not a valid requirement ({why}).") from None
    return requirement


def _url(number: int, line: str) -> RequirementsError:
    return RequirementsError(
        number,
        f"{line!r} points at a URL; only packages from the package index can be installed.",
    )


def _normal(requirement: Requirement) -> str:
    copy = Requirement(str(requirement))
    copy.name = canonicalize_name(copy.name)
    return str(copy)
