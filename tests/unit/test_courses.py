"""Classrooms' pure rules (host/courses/): due dates in a course's time zone, reading a
roster CSV with every problem by line, and instructions rendered safely."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from widgetbox.host.courses import due, roster
from widgetbox.host.courses.instructions import render
from widgetbox.host.errors import Invalid

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("local", "zone", "stored"),
    [
        ("2026-12-10T17:00", "Europe/London", "2026-12-10T17:00:00.000Z"),
        ("2026-07-10T17:00", "Europe/London", "2026-07-10T16:00:00.000Z"),  # BST
        ("2026-07-10T17:00", "Asia/Kolkata", "2026-07-10T11:30:00.000Z"),
        ("2026-01-01T00:00", "Pacific/Auckland", "2025-12-31T11:00:00.000Z"),
        # clocks going back repeat 01:00-02:00 in London: the first of the two is meant
        ("2026-10-25T01:30", "Europe/London", "2026-10-25T00:30:00.000Z"),
    ],
)
def test_due_dates_round_trip_through_the_course_time_zone(
    local: str, zone: str, stored: str
) -> None:
    assert due.to_utc(local, zone) == stored
    assert due.to_local(stored, zone) == local


def test_a_time_the_clocks_skip_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        due.to_utc("2026-03-29T01:30", "Europe/London")
    assert caught.value.code == "invalid_due"
    assert "does not exist" in caught.value.message


@pytest.mark.parametrize("text", ["", "10/12/2026 17:00", "2026-13-01T00:00", "soon"])
def test_a_due_date_is_a_date_and_a_time(text: str) -> None:
    with pytest.raises(Invalid):
        due.to_utc(text, "UTC")


def test_late_is_strictly_after_the_due_moment() -> None:
    stored = due.to_utc("2026-12-10T17:00", "Europe/Paris")  # 16:00 UTC
    assert not due.is_late(stored, datetime(2026, 12, 10, 16, 0, tzinfo=UTC))
    assert due.is_late(stored, datetime(2026, 12, 10, 16, 0, 0, 1000, tzinfo=UTC))
    assert not due.is_late(None, datetime(2100, 1, 1, tzinfo=UTC))
    assert due.describe(stored, "Europe/Paris") == "Thu 10 Dec 2026, 17:00 (Europe/Paris)"


def test_roster_reads_columns_in_any_order_and_skips_blank_lines() -> None:
    rows, problems = roster.parse(
        "\ufeffEmail, USERNAME ,Name\r\nada@example.com,Ada,  Ada   Lovelace \r\n\r\n"
        'g@example.com,grace,"Hopper, Grace"\r\n'
    )
    assert problems == []
    assert [(r.line, r.name, r.username, r.email) for r in rows] == [
        (2, "Ada Lovelace", "ada", "ada@example.com"),
        (4, "Hopper, Grace", "grace", "g@example.com"),
    ]


def test_roster_lists_every_problem_with_its_line() -> None:
    text = (
        "name,username,email\n"
        "Ok,okay,ok@example.com\n"
        ",x1x,x@example.com\n"
        "N,a,n@example.com\n"
        "M,mmm,mail\n"
        "Dup,OKAY,d@example.com\n"
        "One,two\n"
        "Two,b_b,bad address@example.com\n"
    )
    rows, problems = roster.parse(text)
    assert [r.username for r in rows] == ["okay"]
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (3, "A name is 1 to 100 characters."),
        (4, "Username 'a'"),
        (5, "Email 'mail'"),
        (6, "The username 'okay' is on line 2 too."),
        (7, "2 values where the header names 3."),
        (8, "Email 'bad address@example.com'"),
    ]


@pytest.mark.parametrize(
    "header", ["name,username", "name,user,email", "name,username,email,notes", "name,name,email"]
)
def test_roster_header_must_name_the_three_columns(header: str) -> None:
    rows, problems = roster.parse(header + "\nA,b,c@example.com\n")
    assert rows == []
    assert [p.line for p in problems] == [1]


def test_roster_size_is_bounded() -> None:
    text = "name,username,email\n" + "".join(
        f"P{i},user{i},u{i}@example.com\n" for i in range(roster.MAX_ROWS + 5)
    )
    rows, problems = roster.parse(text)
    assert len(rows) == roster.MAX_ROWS
    assert [p.line for p in problems] == [roster.MAX_ROWS + 2]
    _, too_big = roster.parse("x" * (roster.MAX_BYTES + 1))
    assert too_big[0].line == 1


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[a](javascript:alert(1))",
        "[a](JaVaScRiPt:alert(1))",
        "[a](vbscript:msgbox(1))",
        "[a](data:text/html;base64,PHNjcmlwdD4=)",
        "<a href='javascript:alert(1)'>x</a>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<iframe src=https://evil.example></iframe>",
        "![x](javascript:alert(1))",
    ],
)
def test_instructions_never_carry_markup_or_script(attack: str) -> None:
    """What the browser would parse: only Markdown's own tags, no handler attributes, no
    URL with a scheme that runs code."""
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Tags().feed(str(render(f"Text\n\n{attack}\n")))
    for tag, attrs in found:
        assert tag in {"p", "a", "img", "em", "strong", "code"}, tag
        for name, value in attrs:
            assert name in {"href", "src", "alt", "rel"}, name
            assert (
                not (value or "")
                .strip()
                .lower()
                .startswith(("javascript:", "vbscript:", "data:text"))
            ), value


def test_instructions_keep_markdown_and_mark_links() -> None:
    html = str(
        render(
            "# Loops\n\nUse `for`.\n\n```python\nprint(1)\n```\n\n[Docs](https://docs.python.org)"
        )
    )
    assert "<h1>Loops</h1>" in html
    assert "<code>for</code>" in html
    assert '<code class="language-python">print(1)\n</code>' in html
    assert '<a href="https://docs.python.org" rel="nofollow noopener noreferrer">Docs</a>' in html
