"""The teachers' view's pure parts (issue 18, §4): the lines of a student's file that
differ from the template, and CSV cells a spreadsheet would take for formulas."""

from __future__ import annotations

from widgetbox.host.courses.exports import _cell
from widgetbox.host.courses.review_pages import changed_lines


def test_the_lines_that_differ_from_the_template() -> None:
    template = "a = 1\nprint(a)\n"
    assert changed_lines(template, template) == set()
    assert changed_lines(template, "a = 2\nprint(a)\nprint('more')\n") == {1, 3}
    assert changed_lines(None, "x\ny\n") == {1, 2}  # a file the template did not have
    # too many pairs to match: the lines the template never had, in linear time
    big = "\n".join(f"line {n}" for n in range(3000))
    assert changed_lines(big, big + "\nnew line") == {3001}


def test_a_formula_in_a_name_stays_text_in_the_csv() -> None:
    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("@SUM") == "'@SUM"
    assert _cell("-1") == "'-1"
    assert _cell("Ann") == "Ann"
    assert _cell(None) == ""
    assert _cell(3) == "3"
