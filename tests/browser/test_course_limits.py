"""A course's limits per student in the browser (issue 18, §5): the teacher sets them in the
course page's form, sees them kept after a reload, is told which field is above the site's
maximum (every such field at once, each under its field), and clears them back to the
site's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import IDE
from tests.browser.test_pages import _audit

pytestmark = pytest.mark.browser


def test_a_teacher_sets_limits_is_told_which_are_too_high_and_clears_them(ide: IDE) -> None:
    teacher = ide.visitor("teacher")
    teacher.signup()
    course = teacher.api("POST", "/api/courses", {"title": "Limits course"})
    api = f"/api/courses/{course['id']}/limits"
    site = teacher.api("GET", api)["site"]
    page = teacher.goto(f"/courses/{course['id']}")
    runs = page.get_by_label("Runs per hour")
    cpu = page.get_by_label("CPU seconds per day")
    storage = page.get_by_label("Storage (MiB)")
    for field, name in (
        (runs, "runs_per_hour"),
        (cpu, "cpu_seconds_per_day"),
        (storage, "storage_mib"),
    ):
        expect(field).to_have_value("")  # the site's, shown as the placeholder
        expect(field).to_have_attribute("placeholder", str(site[name]))
    save = page.get_by_role("button", name="Save limits")

    # set two: saved, and shown after a reload
    runs.fill("12")
    cpu.fill("30")
    save.click()
    expect(page.get_by_text("Limits saved")).to_be_visible()
    page.reload()
    expect(runs).to_have_value("12")
    expect(cpu).to_have_value("30")
    expect(storage).to_have_value("")
    assert teacher.api("GET", api)["own"] == {"runs_per_hour": 12, "cpu_seconds_per_day": 30}

    # above the site's maximum: refused, each field named, at once and under the field
    teacher.watch.expect_error(r"status of 422")
    runs.fill(str(site["runs_per_hour"] + 1))
    storage.fill(str(site["storage_mib"] + 1))
    save.click()
    error = page.locator("[data-form=limits] > .error")
    expect(error).to_contain_text(
        f"Runs per hour: a whole number from 1 to {site['runs_per_hour']}"
    )
    expect(error).to_contain_text(f"Storage (MiB): a whole number from 1 to {site['storage_mib']}")
    expect(runs).to_have_attribute("aria-invalid", "true")
    expect(storage).to_have_attribute("aria-invalid", "true")
    expect(cpu).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#limit-storage_mib-problem")).to_have_text(
        f"Storage (MiB): a whole number from 1 to {site['storage_mib']} (the site's maximum)"
    )
    expect(page.locator("#limit-cpu_seconds_per_day-problem")).to_be_hidden()
    expect(runs).to_be_focused()  # the first field to mend
    expect(storage).to_have_accessible_description(
        f"Versions, runs' output and Data Tables; the site allows at most {site['storage_mib']}. "
        f"Storage (MiB): a whole number from 1 to {site['storage_mib']} (the site's maximum)"
    )
    assert _audit(page) == []
    assert teacher.api("GET", api)["own"] == {"runs_per_hour": 12, "cpu_seconds_per_day": 30}

    # cleared: back to the site's
    for field in (runs, cpu, storage):
        field.fill("")
    save.click()
    expect(page.get_by_text("Limits saved")).to_be_visible()
    page.reload()
    for field in (runs, cpu, storage):
        expect(field).to_have_value("")
        expect(field).not_to_have_attribute("aria-invalid", "true")
    found = teacher.api("GET", api)
    assert found["own"] == {}
    assert found["limits"] == site
