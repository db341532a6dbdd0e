"""Reading a checks file (`host/courses/checks.py`): its tests and which are public, from the
source alone, and what a student is shown of a check run."""

from __future__ import annotations

import pytest

from widgetbox.host.courses import checks
from widgetbox.host.errors import Invalid


def test_tests_and_public_marks_are_read_from_the_source() -> None:
    source = """
import classroom
from classroom import public

def helper():
    pass

@public
def test_a():
    assert True

@classroom.public
def test_b():
    pass

def test_c():
    pass

class TestNotCollected:
    def test_method(self):
        pass

def test_a():  # a later definition replaces the earlier, as Python does
    pass
"""
    assert checks.read_tests(source) == (
        checks.Test("test_b", True),
        checks.Test("test_c", False),
        checks.Test("test_a", False),
    )


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("def test_x(:\n", 1),
        ("\n\ndef test_x(a):\n    pass\n", 3),
        ("def test_x(*, a=1):\n    pass\n", 1),
        ("x = 1\n", None),
        ("async def test_x():\n    pass\n", None),
    ],
)
def test_files_that_are_not_checks_are_refused(source: str, line: int | None) -> None:
    with pytest.raises(Invalid) as refused:
        checks.read_tests(source)
    assert refused.value.code == "checks_invalid"
    if line is not None:
        assert refused.value.details["line"] == line


def test_size_and_count_are_bounded() -> None:
    with pytest.raises(Invalid):
        checks.read_tests("#" * (checks.MAX_SOURCE + 1))
    many = "".join(f"def test_{n}():\n    pass\n" for n in range(checks.MAX_TESTS + 1))
    with pytest.raises(Invalid):
        checks.read_tests(many)


def run(results: list[dict[str, object]]) -> checks.CheckRun:
    return checks.CheckRun(1, 2, 3, 4, False, "then", "now", results)


def test_a_student_is_shown_what_the_teachers_chose_and_never_the_line_or_output() -> None:
    done = run(
        [
            {"name": "test_a", "status": "passed", "message": "", "line": None, "output": ""},
            {"name": "test_b", "status": "failed", "message": "no", "line": 7, "output": "x"},
        ]
    )
    details = checks.for_student(done, "details")
    assert details is not None
    assert details["results"][1] == {"name": "test_b", "status": "failed", "message": "no"}
    names = checks.for_student(done, "names")
    assert names is not None
    assert names["results"][1] == {"name": "test_b", "status": "failed"}
    score = checks.for_student(done, "score")
    assert score is not None
    assert "results" not in score
    assert (score["passed"], score["total"]) == (1, 2)
    assert checks.for_student(None, "details") is None
