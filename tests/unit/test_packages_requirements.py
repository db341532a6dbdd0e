"""A widget's requirements.txt: plain requirements are read with `packaging`; options, URLs
and paths are refused with a message that names the line."""

from __future__ import annotations

import contextlib
import time

import pytest

from widgetbox.host.packages import RequirementsError, parse
from widgetbox.host.packages.requirements import canonical_or_text, of_files

pytestmark = pytest.mark.unit


def test_names_extras_versions_and_markers_are_read() -> None:
    text = """
# data tools
attrs>=23.1
Rich[Jupyter] ~= 13.0   # pretty output
tomli; python_version < "3.11"
requests==2.32.3 \\
    ; sys_platform != "win32"
"""
    found = parse(text)
    assert [r.name for r in found.items] == ["attrs", "Rich", "tomli", "requests"]
    assert str(found.items[1].specifier) == "~=13.0"
    assert found.items[1].extras == {"Jupyter"}
    assert str(found.items[2].marker) == 'python_version < "3.11"'
    assert str(found.items[3].marker) == 'sys_platform != "win32"'


def test_nothing_but_comments_and_blank_lines_is_no_requirements() -> None:
    assert not parse("\n  # nothing yet\n\n")
    assert canonical_or_text("# nothing\n") == ""
    assert of_files({"main.py": "print(1)"}) == ""
    assert of_files({"requirements.txt": "attrs\n"}) == "attrs\n"


def test_the_canonical_form_ignores_order_comments_spacing_and_spelling() -> None:
    one = parse("Foo_Bar >= 1.0, <2\n# note\nattrs\n")
    two = parse("attrs  # first\nfoo-bar<2,>=1.0\n")
    assert one.canonical == two.canonical == "attrs\nfoo-bar<2,>=1.0"
    assert parse("attrs>=2").canonical != one.canonical


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("attrs\n-e git+https://example.com/x.git#egg=x", 2, "options such as -e"),
        ("--index-url https://example.com/simple\nattrs", 1, "options such as --index-url"),
        ("--extra-index-url=https://example.com/simple", 1, "--extra-index-url"),
        ("-r other.txt", 1, "options such as -r"),
        ("attrs\n\nhttps://example.com/pkg-1.0-py3-none-any.whl", 3, "points at a URL"),
        ("git+https://github.com/x/y.git", 1, "points at a URL"),
        ("pkg @ https://example.com/pkg-1.0.tar.gz", 1, "points at a URL"),
        ("./vendor/pkg", 1, "local path"),
        ("/srv/wheels/pkg", 1, "local path"),
        ("pkg-1.0-py3-none-any.whl", 1, "local path"),
        ("attrs==23.1 --hash=sha256:abc", 1, "per-requirement options such as --hash"),
        ("attrs >= ", 1, "is not a valid requirement"),
        ("# a comment\nattrs; os_name ===", 2, "is not a valid requirement"),
    ],
)
def test_anything_but_a_plain_requirement_is_refused_naming_the_line(
    text: str, line: int, says: str
) -> None:
    with pytest.raises(RequirementsError) as caught:
        parse(text)
    assert caught.value.line == line
    assert caught.value.message.startswith(f"requirements.txt line {line}: ")
    assert says in caught.value.message


def test_a_continued_line_is_reported_at_its_first_line() -> None:
    with pytest.raises(RequirementsError) as caught:
        parse("attrs\nbad \\\n  >=")
    assert caught.value.line == 2


def test_there_is_a_limit_on_how_many() -> None:
    with pytest.raises(RequirementsError, match="at most 100 requirements"):
        parse("\n".join(f"pkg{n}" for n in range(101)))
    assert len(parse("\n".join(f"pkg{n}" for n in range(100))).items) == 100


def test_text_that_does_not_parse_is_kept_as_written() -> None:
    # so the install's error names the right line
    assert canonical_or_text("\nattrs\n-e .\n") == "\nattrs\n-e .\n"


def _seconds(text: str) -> float:
    started = time.perf_counter()
    with contextlib.suppress(RequirementsError):
        parse(text)
    return time.perf_counter() - started


def test_a_long_run_of_spaces_is_read_in_linear_time() -> None:
    """The comment pattern retried a run of spaces from each of its spaces (the fuzzer's
    find: 0.9 s for 10,000 spaces, 23 s for 40,000, in every saved version). A run 8 times
    as long takes about 8 times as long (the fastest of a few tries each)."""
    small = min(_seconds("a" + " " * 20_000 + "b") for _ in range(3))
    large = min(_seconds("a" + " " * 160_000 + "b") for _ in range(3))
    assert large < 0.5, large  # minutes before
    assert large < 16 * small + 0.002, (small, large)


@pytest.mark.parametrize(
    ("line", "names"),
    [("a  # note", ["a"]), ("a\t#b", ["a"]), ("# only", []), ("a #b #c", ["a"]), ("b>=1 #", ["b"])],
)
def test_a_comment_starts_at_a_hash_after_whitespace(line: str, names: list[str]) -> None:
    assert [r.name for r in parse(line).items] == names
    with pytest.raises(RequirementsError):  # no whitespace before it: part of the line
        parse("a#b")


@pytest.mark.parametrize("name", ["a_", "a.", "a-", "_a", "a_ >=1"])
def test_a_name_that_is_not_a_package_name_is_refused(name: str) -> None:
    """`packaging` takes `a_`, but its canonical form `a-` it refuses: the canonical text a
    version records (and its install reads again) would not parse (the fuzzer's find)."""
    with pytest.raises(RequirementsError, match="line 1"):
        parse(name)


@pytest.mark.parametrize(
    "line", ['a; extra == "\\\\x"', 'a; os_name == "\\\\"', 'a; os_name == "\\n"']
)
def test_a_marker_value_with_a_backslash_is_refused(line: str) -> None:
    """packaging reads a marker's quoted value as a Python literal but writes it back as it
    is, so the canonical form did not parse (the fuzzer's find: InvalidRequirement escaped
    `canonical_or_text`, failing the save of the version). PEP 508 allows no backslash."""
    with pytest.raises(RequirementsError, match="backslash"):
        parse(line)
    assert canonical_or_text(line) == line
