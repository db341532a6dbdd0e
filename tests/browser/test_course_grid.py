"""The teachers' view in the browser (issue 18, §4): the course's grid at phone width,
filtered and sorted, then one student's work opened from it and a comment left on a line
of their code, a draft until the feedback is released, which the student then reads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser._chromium import PHONE
from tests.browser.conftest import IDE
from tests.browser.test_pages import _audit

pytestmark = pytest.mark.browser


def test_grid_sorts_and_filters_at_phone_width_and_a_line_takes_a_comment(ide: IDE) -> None:
    teacher = ide.visitor("teacher", viewport=PHONE)
    teacher.signup()
    course = teacher.api("POST", "/api/courses", {"title": "Grid course"})
    path = f"/api/courses/{course['id']}"
    made = teacher.api("POST", f"{path}/assignments", {"title": "Loops", "kind": "script"})
    teacher.api("PATCH", f"{path}/assignments/{made['id']}", {"published": True})
    second = teacher.api("POST", f"{path}/assignments", {"title": "Lists", "kind": "script"})
    teacher.api("PATCH", f"{path}/assignments/{second['id']}", {"published": True})

    names = {}
    for hint in ("amy", "zed", "kim"):
        student = ide.visitor(hint)
        names[hint] = student.signup()
        student.api("POST", "/api/courses/join", {"code": course["join_code"]})
        if hint == "kim":
            continue  # never starts
        copy = student.api("POST", f"{path}/assignments/{made['id']}/start")
        if hint == "amy":
            student.api(
                "POST",
                f"/api/widgets/{copy['slug']}/versions",
                {"base_version": 1, "files": {"main.py": "total = 0\nprint(total)\n"}},
            )
            student.api("POST", f"{path}/assignments/{made['id']}/submissions", {})
        if hint == "amy":
            amy = student

    page = teacher.goto(f"/courses/{course['id']}/grid")
    rows = page.locator(".course-grid tbody tr:visible")
    expect(rows).to_have_count(3)
    # one assignment at phone width: one column left, and the page fits
    page.get_by_label("Assignment").select_option(label="Loops")
    expect(page.locator(f'td[data-assignment="{second["id"]}"]:visible')).to_have_count(0)
    assert _audit(page) == []
    page.get_by_label("Show").select_option(label="Not submitted")
    expect(rows).to_have_count(2)
    expect(page.locator(".grid-count")).to_have_text("Showing 2 of 3 students")
    page.get_by_label("Show").select_option(label="Everyone")
    page.get_by_label("Sort by").select_option(label="Progress")
    page.get_by_label("Order").select_option(label="Descending")
    expect(rows.first).to_contain_text(names["amy"])  # submitted
    expect(rows.last).to_contain_text(names["kim"])  # not started
    page.get_by_label("Sort by").select_option(label="Name")
    page.get_by_label("Order").select_option(label="Ascending")
    expect(rows.first).to_contain_text(names["amy"])
    expect(rows.last).to_contain_text(names["zed"])
    page.get_by_label("Student", exact=True).fill(names["zed"])
    expect(rows).to_have_count(1)
    page.get_by_label("Student", exact=True).fill("")

    # Amy's work: her code, the line that differs from the template, a comment on it
    rows.first.get_by_role("link", name="Submitted").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(names["amy"])
    line = page.locator('.code-file[data-path="main.py"] li[data-line="2"]')
    expect(line).to_have_class(re.compile("changed"))
    assert _audit(page) == []
    page.get_by_role("button", name="Comment on main.py line 2").click()
    page.get_by_label("Comment on line 2").fill("Try a loop here.")
    page.get_by_role("button", name="Add comment").click()
    expect(line.locator(".comment")).to_contain_text("Try a loop here.")
    expect(line.locator(".comment")).to_contain_text("draft")
    page.reload()
    expect(line.locator(".comment")).to_contain_text("Try a loop here.")

    # a draft: Amy sees nothing until it is released
    assignment = f"/courses/{course['id']}/assignments/{made['id']}"
    apage = amy.goto(assignment)
    expect(apage.locator(".my-feedback")).to_have_count(0)
    page.get_by_label("Overall note").fill("Good start.")
    page.get_by_role("button", name=re.compile("^Release to")).click()
    expect(page.locator(".feedback-status")).to_contain_text("Released")
    amy.goto(assignment)
    expect(apage.locator(".my-feedback")).to_contain_text("Good start.")
    expect(apage.locator(".my-feedback")).to_contain_text("main.py, line 2")
    expect(apage.locator(".my-feedback")).to_contain_text("Try a loop here.")
