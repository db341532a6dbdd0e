"""A classroom in the browser (issue 18): a teacher creates a course and an assignment and
publishes it; a student joins with the course's link, starts the assignment (their own
copy opens in the editor), runs it, and submits; the teacher sees the submission and reads
the student's copy, read-only, with its versions and runs. The course and assignment pages
are audited at laptop and phone widths (fit, names on controls, contrast). A roster pasted
into the course page: its problems by line, then the set-password links (downloaded as
CSV), one of which a student opens to set a password and land on their dashboard."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser._chromium import PHONE
from tests.browser._helpers import set_editor_text
from tests.browser.conftest import IDE
from tests.browser.test_pages import _audit

pytestmark = pytest.mark.browser


def test_teacher_sets_an_assignment_and_a_student_joins_starts_runs_and_submits(ide: IDE) -> None:
    teacher = ide.visitor("teacher")
    teacher.signup()
    page = teacher.goto("/courses")
    page.get_by_label("Title").fill("Python for beginners")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_role("button", name="Create course").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Python for beginners")
    course_url = page.url
    join_link = page.locator(".join-link code").inner_text()
    assert re.search(r"/join/[A-Z2-9]{8}$", join_link)

    form = page.locator("form", has=page.get_by_role("heading", name="New assignment"))
    form.get_by_label("Title").fill("Count to ten")
    form.get_by_label("Template").select_option(label="A new script")
    form.get_by_label("Due").fill("2099-06-01T17:00")
    form.get_by_label("Instructions").fill("Print the numbers **1 to 10**, one a line.")
    form.get_by_role("button", name="Create assignment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Count to ten")
    expect(page.locator(".due")).to_have_text("Mon 1 Jun 2099, 17:00 (Europe/London)")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".page-head .badge", has_text="Published")).to_be_visible()
    assignment_url = page.url
    assert _audit(page) == []

    student = ide.visitor("student")
    name = student.signup()
    spage = student.goto(urlsplit(join_link).path)
    spage.get_by_role("button", name="Join the course").click()
    expect(spage).to_have_url(course_url)
    spage.get_by_role("link", name="Count to ten").click()
    expect(spage.locator(".instructions strong")).to_have_text("1 to 10")
    spage.get_by_role("button", name="Start").click()
    expect(spage).to_have_url(re.compile(r"/widgets/count-to-ten-"))
    copy_slug = spage.url.rsplit("/", 1)[1]

    set_editor_text(spage, "for n in range(1, 11):\n    print(n)\n")
    spage.get_by_role("button", name="Run").click()
    expect(spage.locator(".console")).to_contain_text("10")

    # the copy's page leads back to its assignment
    spage.locator(".widget-head .assignment").get_by_role("link", name="Count to ten").click()
    expect(spage).to_have_url(assignment_url)
    expect(spage.get_by_role("link", name=copy_slug)).to_be_visible()
    versions = spage.get_by_label("Version to submit")
    expect(versions.locator("option")).to_have_count(2)  # the fork, and the save before Run
    spage.get_by_role("button", name="Submit").click()
    expect(spage.locator(".submissions")).to_contain_text("Version 2")
    expect(spage.locator(".submissions .badge")).to_have_text("On time")
    student.goto("/")
    expect(spage.locator(".dashboard-courses")).to_contain_text("Submitted")
    for size in (None, PHONE):
        if size:
            spage.set_viewport_size(size)
        for path in (course_url, assignment_url):
            student.goto(urlsplit(path).path)
            assert _audit(spage) == []

    # the teacher: the student's submission, and their copy read-only with its runs
    page.reload()
    row = page.locator("tr", has_text=name)
    expect(row.locator(".badge")).to_have_text("Submitted")
    expect(row).to_contain_text("Version 2")
    row.get_by_role("link", name="Runs").click()
    expect(page.locator("nav.tabs")).to_contain_text("Versions")
    expect(page.locator("nav.tabs")).not_to_contain_text("Settings")
    expect(page.get_by_role("link", name=re.compile(r"#1"))).to_be_visible()
    page.set_viewport_size(PHONE)
    teacher.goto(urlsplit(course_url).path)
    assert _audit(page) == []


def test_roster_problems_by_line_then_links_that_set_a_password(ide: IDE) -> None:
    teacher = ide.visitor("teacher")
    teacher.signup()
    course = teacher.api("POST", "/api/courses", {"title": "Roster course"})
    page = teacher.goto(f"/courses/{course['id']}")
    roster = page.locator("form[data-roster]")
    pupil = ide.username("pupil")
    paste = roster.get_by_label("Or paste it")
    paste.fill(f"name,username,email\nPat Pupil,{pupil},pat@example.com\n,x,nobody\n")
    teacher.watch.expect_error(r"status of 422")
    roster.get_by_role("button", name="Import").click()
    problems = roster.locator(".problems li")
    expect(problems).to_have_count(3)
    expect(problems.nth(0)).to_contain_text("Line 3: A name is 1 to 100 characters.")
    paste.fill(f"name,username,email\nPat Pupil,{pupil},pat@example.com\n")
    roster.get_by_role("button", name="Import").click()
    links = page.locator(".roster-links")
    expect(links).to_be_visible()
    link = links.locator("code.link").inner_text()
    with page.expect_download() as download:
        links.get_by_role("button", name="Download CSV").click()
    saved = download.value.path().read_text()
    assert saved.splitlines() == [
        "name,username,email,link",
        f"Pat Pupil,{pupil},pat@example.com,{link}",
    ]

    student = ide.visitor("student")
    spage = student.goto(urlsplit(link).path + "#" + urlsplit(link).fragment)
    expect(spage).to_have_url(re.compile(r"/set-password$"))  # the token left the address
    spage.get_by_label("New password").fill("a good long password")
    spage.get_by_role("button", name="Set password and sign in").click()
    expect(spage.locator(".dashboard-courses")).to_contain_text("Roster course")
    expect(spage.locator(".who")).to_contain_text(pupil)


def test_checks_a_teacher_writes_a_student_runs_with_check_and_on_submit(ide: IDE) -> None:
    teacher = ide.visitor("teacher")
    teacher.signup()
    course = teacher.api("POST", "/api/courses", {"title": "Checked course"})
    made = teacher.api(
        "POST", f"/api/courses/{course['id']}/assignments", {"title": "Greet", "kind": "script"}
    )
    path = f"/api/courses/{course['id']}/assignments/{made['id']}"
    teacher.api("PATCH", path, {"published": True})
    page = teacher.goto(f"/courses/{course['id']}/assignments/{made['id']}")
    checks = (
        "from classroom import public, run_script\n\n"
        "@public\ndef test_greets():\n"
        "    assert run_script(stdin='Ada\\n').stdout == 'Hello, Ada!\\n', 'greet Ada'\n\n"
        "def test_hidden():\n    assert run_script(stdin='Bo\\n').stdout == 'Hello, Bo!\\n'\n"
    )
    page.get_by_label("Checks file").fill(checks)
    page.get_by_label("Students see").select_option("details")
    page.get_by_label("Seconds each test may run").fill("5")
    page.get_by_role("button", name="Save checks").click()
    expect(page.locator(".checks-editor")).to_contain_text("test_hidden")
    expect(page.locator(".checks-editor .badge", has_text="public")).to_have_count(1)

    student = ide.visitor("student")
    name = student.signup()
    student.api("POST", "/api/courses/join", {"code": course["join_code"]})
    copy = student.api("POST", f"{path}/start")
    head = student.api("GET", f"/api/widgets/{copy['slug']}")["head_version"]
    wrong = {"main.py": "print('Hi', input())\n"}
    student.api(
        "POST",
        f"/api/widgets/{copy['slug']}/versions",
        {"base_version": head, "files": wrong, "message": "first try"},
    )
    spage = student.goto(f"/courses/{course['id']}/assignments/{made['id']}")
    expect(spage.locator(".my-checks")).to_contain_text("Check runs 1 of the tests")
    spage.get_by_role("button", name="Check", exact=True).click()
    latest = spage.locator(".check-run[data-run=checked]")
    expect(latest.locator(".check-score")).to_contain_text("0 of 1", timeout=30_000)
    expect(latest.locator("[data-test=test_greets]")).to_contain_text("Failed")
    expect(latest.locator("[data-test=test_greets]")).to_contain_text("greet Ada")
    expect(spage.locator(".my-checks")).not_to_contain_text("test_hidden")
    assert "run_script" not in spage.content()

    student.api(
        "POST",
        f"/api/widgets/{copy['slug']}/versions",
        {"base_version": head + 1, "files": {"main.py": "print(f'Hello, {input()}!')\n"}},
    )
    spage.reload()
    spage.get_by_label("Version to submit").select_option(str(head + 2))
    spage.get_by_role("button", name="Submit").click()
    submitted = spage.locator(".check-run[data-run=submitted]")
    expect(submitted.locator(".check-score")).to_contain_text("2 of 2", timeout=30_000)
    assert _audit(spage) == []

    page.reload()
    expect(page.locator(".check-scores li", has_text=name)).to_contain_text("2/2")
    assert _audit(page) == []
