"""Scheduled tasks: a cron schedule in a time zone is previewed (next five fire times) before
it is saved; when it fires, the run appears in the history without a reload; the schedule
can be paused and resumed.

The server's scheduler runs on the tier's clock (real time plus a shift the test sets), so
the test moves time to the next fire time instead of waiting for it."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser._helpers import tab
from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser


def test_a_cron_schedule_is_previewed_saved_fires_into_history_and_pauses(ide: IDE) -> None:
    visitor = ide.visitor("scheduler")
    visitor.signup()
    page = visitor.goto("/new?kind=scheduled")
    expect(page.get_by_role("radio", name=re.compile(r"^Scheduled task"))).to_be_checked()
    page.get_by_label("Title").fill("Tide report")
    page.get_by_role("button", name="Create widget").click()
    expect(page.locator(".schedule-line")).to_contain_text("No schedule yet")
    page.get_by_role("link", name="Set a schedule").click()

    # a cron rule in Tokyo, previewed as it is typed
    page.get_by_role("radio", name="Cron").check()
    page.get_by_label("Cron expression").fill("*/20 * * * *")
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    preview = page.locator("form .preview")
    expect(preview.locator(".description")).to_have_text("Runs cron */20 * * * * (Asia/Tokyo).")
    times = preview.locator(".next-times time")
    expect(times).to_have_count(5)
    moments = [
        datetime.fromisoformat(t) for t in times.evaluate_all("ts => ts.map(t => t.dateTime)")
    ]
    assert [b - a for a, b in itertools.pairwise(moments)] == [timedelta(minutes=20)] * 4
    expect(times.first).to_contain_text(re.compile(r"GMT\+9|JST"))  # shown in the rule's zone

    # a rule the server refuses says why before anything is saved
    page.get_by_label("Cron expression").fill("61 * * * *")
    visitor.watch.expect_error(r"status of 422")
    expect(preview.locator(".description")).to_have_class(re.compile(r"error"))
    expect(preview.locator(".description")).to_contain_text("minute")
    expect(times).to_have_count(0)

    page.get_by_label("Cron expression").fill("*/20 * * * *")
    expect(times).to_have_count(5)
    page.get_by_role("button", name="Save schedule").click()
    status = page.locator(".schedule-status")
    expect(status).to_contain_text("Active")
    expect(status).to_contain_text("cron */20 * * * * (Asia/Tokyo)")
    expect(status.locator(".next-times li")).to_have_count(5)
    expect(page.get_by_role("status")).to_contain_text("Schedule saved")

    # the history is empty until the schedule fires; then the run appears by itself
    tab(page, "Runs").click()
    expect(page.get_by_role("heading", name="No runs yet")).to_be_visible()
    schedule = visitor.api("GET", f"/api/widgets/{page.url.split('/')[-2]}/schedule")
    due = datetime.fromisoformat(schedule["next_run_at"])
    ide.clock.shift = due - datetime.now(due.tzinfo) + timedelta(seconds=1)
    row = page.locator("table.runs tbody tr").first
    expect(row).to_contain_text("Schedule", timeout=15_000)
    expect(row).to_contain_text("OK", timeout=15_000)
    ide.clock.shift = timedelta(0)
    row.get_by_role("link").click()
    expect(page.locator(".run-detail .output")).to_contain_text("The task ran at")

    # pause and resume
    tab(page, "Schedule").click()
    page.get_by_role("button", name="Pause").click()
    expect(status).to_contain_text("Paused")
    expect(status).to_contain_text("none while paused")
    expect(status.locator(".next-times li")).to_have_count(0)
    page.get_by_role("button", name="Resume").click()
    expect(status).to_contain_text("Active")
    expect(status.locator(".next-times li")).to_have_count(5)

    # the editor shows the schedule too
    tab(page, "Code").click()
    expect(page.locator(".schedule-line")).to_contain_text("cron */20 * * * * (Asia/Tokyo)")


def test_an_interval_schedule_shows_only_the_fields_it_needs(ide: IDE) -> None:
    visitor = ide.visitor("intervals")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "scheduled", "title": "Weekly"})
    page = visitor.goto(f"/widgets/{widget['slug']}/schedule")
    at, on = page.get_by_label("Time of day"), page.get_by_label("Day of the week")
    expect(page.get_by_role("radio", name="Interval")).to_be_checked()
    expect(page.get_by_label("Cron expression")).to_be_hidden()
    expect(at).to_be_hidden()
    expect(on).to_be_hidden()
    page.get_by_label("Unit").select_option("weeks")
    expect(at).to_be_visible()
    expect(on).to_be_visible()
    page.get_by_label("Every", exact=True).fill("2")
    at.fill("07:30")
    on.select_option("friday")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    description = page.locator("form .preview .description")
    expect(description).to_have_text("Runs every 2 weeks on Friday at 07:30 (Europe/Paris).")
    expect(page.locator("form .preview .next-times li").first).to_contain_text("Fri")
