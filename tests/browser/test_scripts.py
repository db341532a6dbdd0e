"""Scripts in the browser: a new user signs up, creates a script, runs it and watches its
output arrive live, finds the run in the history; a failing script shows its traceback and
marks the failing line in the editor."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser._helpers import PASSWORD, editor_text, set_editor_text, tab
from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

LIVE = """\
import time

print("first line")
time.sleep(1.5)
print("second line")
"""

FAILING = """\
def ratio(a, b):
    return a / b

print("before the error")
print(ratio(1, 0))
"""


def test_a_new_user_signs_up_creates_a_script_runs_it_live_and_finds_it_in_history(
    ide: IDE,
) -> None:
    visitor = ide.visitor("newcomer")
    page = visitor.goto("/")
    username = ide.username("newcomer")

    # sign up with the keyboard only
    form = page.locator("form[data-form=signup]")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("Password").press("Enter")
    expect(page).to_have_url(re.compile(r"/welcome$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {username}")

    # the first-run page leads to creating a script from its example
    page.get_by_role("link", name=re.compile(r"^Script")).click()
    expect(page.get_by_role("radio", name=re.compile(r"^Script"))).to_be_checked()
    page.get_by_label("Title").fill("Counting sheep")
    page.get_by_role("button", name="Create widget").click()
    expect(page).to_have_url(re.compile(r"/widgets/counting-sheep"))
    expect(page.get_by_role("status")).to_contain_text("Created")
    assert 'print("Hello from Widgetbox!")' in editor_text(page)
    expect(page.locator(".save-state")).to_have_text("Saved · version 1")

    # run a script that prints, waits, prints: the first line shows before the run ends
    set_editor_text(page, LIVE)
    expect(page.locator(".save-state")).to_have_text("Unsaved changes")
    page.get_by_role("button", name="Run").click()
    output = page.locator(".console .output")
    badge = page.locator(".run-info .badge")
    expect(output).to_contain_text("first line", timeout=5000)
    expect(badge).to_have_text("Running")  # still going: the output arrived live
    expect(output).not_to_contain_text("second line")
    expect(page.get_by_role("button", name="Stop")).to_be_enabled()
    expect(badge).to_have_text("OK")
    expect(output).to_contain_text("first line\nsecond line")
    expect(page.locator(".run-info [data-field=duration]")).to_have_text(re.compile(r"^\d\.\d s$"))
    # fuel as an estimate of CPU time, the count and what fuel is in its tooltip
    fuel = page.locator(".run-info [data-field=fuel]")
    expect(fuel).to_have_text(re.compile(r"^Fuel (≈ \d+ ms|< 1 ms) CPU$"))
    expect(fuel).to_have_attribute("title", re.compile(r"^[\d.,]+( [MG])? fuel\. Fuel is the work"))
    expect(page.locator(".save-state")).to_have_text("Saved · version 2")  # Run saved first
    run_link = page.locator(".run-info a[data-field=run]")
    run_id = run_link.inner_text().removeprefix("Run #")
    assert run_id == "1"  # the widget's first run, whatever ran before on the server

    # the run is in the history, and its page has the output
    tab(page, "Runs").click()
    row = page.locator("table.runs tbody tr").first
    expect(row).to_contain_text(f"#{run_id}")
    expect(row).to_contain_text("OK")
    expect(row).to_contain_text("Run button")
    expect(row).to_contain_text("v2")
    row.get_by_role("link", name=f"#{run_id}").click()
    expect(page.get_by_role("heading", name=f"Run #{run_id}")).to_be_visible()
    expect(page.locator(".run-detail .output")).to_have_text("first line\nsecond line\n")

    # the dashboard lists it with its last run, and logging out ends the session
    page.get_by_role("link", name="Dashboard").click()
    widget_row = page.locator("table.widgets tbody tr", has_text="Counting sheep")
    expect(widget_row.locator(".last-run")).to_contain_text("OK")
    expect(widget_row).to_contain_text("Script")
    expect(widget_row).to_contain_text("Private")
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("form[data-form=login]")).to_be_visible()


def test_an_error_in_user_code_shows_the_traceback_and_marks_the_line(ide: IDE) -> None:
    visitor = ide.visitor("erring")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Ratios"})
    page = visitor.goto(f"/widgets/{widget['slug']}")
    set_editor_text(page, FAILING)
    page.locator(".cm-content").press("ControlOrMeta+Enter")  # run from the keyboard

    traceback = page.locator(".console .traceback")
    expect(traceback).to_be_visible()
    expect(traceback.locator(".error-title")).to_have_text("ZeroDivisionError: division by zero")
    expect(traceback.locator("pre")).to_contain_text('File "main.py", line 2, in ratio')
    expect(traceback.locator("pre")).to_contain_text('File "main.py", line 5, in <module>')
    expect(page.locator(".run-info .badge")).to_have_text("Error")
    expect(page.locator(".console .output")).to_contain_text("before the error")

    # the line where it failed (the innermost frame) is marked in the editor and its gutter
    marked = page.locator(".cm-line.cm-error-line")
    expect(marked).to_have_count(1)
    expect(marked).to_have_text("    return a / b")
    expect(page.locator(".cm-lineNumbers .cm-error-gutter")).to_have_text("2")

    # the button takes the cursor there
    page.get_by_role("button", name="Show main.py line 2 in the editor").click()
    expect(page.locator(".cm-activeLine")).to_have_text("    return a / b")
    expect(page.locator(".cm-content")).to_be_focused()

    # fixed and run again: the mark goes away
    set_editor_text(page, FAILING.replace("ratio(1, 0)", "ratio(1, 4)"))
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".run-info .badge")).to_have_text("OK")
    expect(page.locator(".console .output")).to_contain_text("0.25")
    expect(traceback).to_be_hidden()
    expect(marked).to_have_count(0)


def test_stop_ends_a_running_script(ide: IDE) -> None:
    visitor = ide.visitor("stopper")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Forever"})
    page = visitor.goto(f"/widgets/{widget['slug']}")
    set_editor_text(page, 'import time\nprint("looping")\nwhile True:\n    time.sleep(0.05)\n')
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".console .output")).to_contain_text("looping")
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".run-info .badge")).to_have_text("Stopped")
    expect(page.get_by_role("button", name="Run")).to_be_enabled()
    expect(page.get_by_role("button", name="Stop")).to_be_disabled()
