"""Adding a file to a widget and a form to a GUI widget: the name is asked for in place, a
bad or taken name is refused with the reason, Escape gives up, and a good one is added and
saved with the next save."""

from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser


def ask(page: Page, label: str, name: str) -> None:
    box = page.get_by_label(label)
    box.fill(name)
    box.press("Enter")


def refused(page: Page, label: str, reason: str) -> None:
    expect(page.get_by_label(label)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".toasts")).to_contain_text(reason)


def test_a_file_is_added_by_name(ide: IDE) -> None:
    visitor = ide.visitor("filer")
    visitor.signup()
    slug = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Files"})["slug"]
    page = visitor.goto(f"/widgets/{slug}")
    add = page.get_by_role("button", name="Add a file")

    add.click()
    expect(add).to_be_hidden()
    page.get_by_label("New file name").press("Escape")
    expect(page.get_by_label("New file name")).to_have_count(0)
    expect(add).to_be_focused()

    add.click()
    ask(page, "New file name", "../escape.py")
    refused(page, "New file name", "A file name is letters, digits")
    ask(page, "New file name", "main.py")
    refused(page, "New file name", "main.py exists already")
    ask(page, "New file name", "lib/helpers.py")
    expect(page.get_by_label("New file name")).to_have_count(0)
    expect(page.locator("button.file[data-file='lib/helpers.py']")).to_be_visible()

    page.keyboard.press("ControlOrMeta+s")
    expect(page.locator(".save-state")).to_have_text("Saved · version 2")
    files = visitor.api("GET", f"/api/widgets/{slug}")["files"]
    assert sorted(files) == ["lib/helpers.py", "main.py"]


def test_a_form_is_added_by_name(ide: IDE) -> None:
    visitor = ide.visitor("former", viewport={"width": 1400, "height": 900})
    visitor.signup()
    slug = visitor.api("POST", "/api/widgets", {"kind": "gui", "title": "Forms"})["slug"]
    page = visitor.goto(f"/widgets/{slug}")
    add = page.get_by_role("button", name="+ Form")

    add.click()
    ask(page, "New form's name", "2nd")
    refused(page, "New form's name", "A form's name starts with a letter")
    ask(page, "New form's name", "Form1")
    refused(page, "New form's name", "There is a form or file called Form1 already")
    ask(page, "New form's name", "Settings")
    expect(page.get_by_label("New form's name")).to_have_count(0)
    expect(page.get_by_role("tab", name="Settings.py")).to_be_visible()

    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".save-state")).to_contain_text("Saved")
    files = visitor.api("GET", f"/api/widgets/{slug}")["files"]
    # a new form is made in Anvil's layout, as the app's first form is
    assert yaml.safe_load(files["client_code/Settings/form_template.yaml"])["components"] == []
    assert "class Settings(SettingsTemplate):" in files["client_code/Settings/__init__.py"]
