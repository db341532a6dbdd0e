"""The "Import an Anvil app" page: a zip chosen in the page becomes a widget, the report of
everything the import found is shown (at laptop and phone widths, readable and labelled),
with a link to the new widget; an app that cannot be imported shows every problem, and
nothing is made."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import anvil_repo
from tests.browser._chromium import LAPTOP, PHONE
from tests.browser.conftest import IDE
from tests.git_server import make_repo, serving

pytestmark = pytest.mark.browser

AUDIT = Path(__file__).with_name("audit.js").read_text()


def choose(page: Page, name: str, data: bytes) -> None:
    page.get_by_label("Zip file").set_input_files(
        files=[{"name": name, "mimeType": "application/zip", "buffer": data}]
    )


def test_an_anvil_app_is_imported_and_opened(ide: IDE) -> None:
    visitor = ide.visitor("importer")
    visitor.signup()
    page = visitor.goto("/")
    page.get_by_role("link", name="Import an Anvil app").click()
    expect(page).to_have_url(re.compile(r"/import$"))
    expect(page.get_by_role("heading", name="Import an Anvil app", level=1)).to_be_visible()

    choose(page, "TaskBoard.zip", anvil_repo.zipped(anvil_repo.task_board(), "TaskBoard/"))
    page.get_by_label("Title").fill("Team tasks")
    page.get_by_role("button", name="Import").click()
    result = page.locator(".import-result")
    expect(result.get_by_role("heading", name="Imported")).to_be_visible()
    expect(result).to_be_focused()
    expect(result).to_contain_text('"Team tasks" is now an app, with 1 warning.')
    expect(result.locator(".import-line.warning")).to_contain_text("anvil.yaml: scheduled_tasks[0]")
    expect(result.locator(".import-line.info").first).to_be_visible()
    result.get_by_role("link", name="Open Team tasks").click()
    expect(page).to_have_url(re.compile(r"/widgets/team-tasks$"))
    files = visitor.api("GET", "/api/widgets/team-tasks")["files"]
    assert "server_code/Tasks.py" in files


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_report_lists_every_incompatibility(ide: IDE, size: dict[str, int]) -> None:
    visitor = ide.visitor("reporter", viewport=size)
    visitor.signup()
    page = visitor.goto("/import")
    assert page.evaluate(AUDIT) == []
    choose(page, "troubled.zip", anvil_repo.zipped(anvil_repo.troubled()))
    page.get_by_role("button", name="Import").click()
    result = page.locator(".import-result")
    expect(result.get_by_role("heading", name="Imported")).to_be_visible()
    warnings = result.locator(".import-line.warning")
    expect(warnings).to_have_count(18)
    for words in (
        "Widgetbox has no Google service",
        "'ask_the_uplink'",
        "'GoogleMap' is a component Widgetbox does not have",
        "depends on the app ZBDT7UM6GVGR7W4D",
    ):
        expect(warnings.filter(has_text=words)).to_have_count(1)
    assert page.evaluate(AUDIT) == []


def test_an_app_that_cannot_be_imported_shows_every_problem(ide: IDE) -> None:
    visitor = ide.visitor("refused")
    visitor.signup()
    page = visitor.goto("/import")
    visitor.watch.expect_error(r"status of 400")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Give the git URL of the app, or choose the zip file of its folder."
    )

    tree = anvil_repo.api()
    del tree["anvil.yaml"]
    tree["main.py"] = b""  # where the entry of an HTTP API goes
    choose(page, "api.zip", anvil_repo.zipped(tree))
    page.get_by_role("button", name="Import").click()
    result = page.locator(".import-result")
    expect(result.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    expect(result.locator(".import-line.error")).to_have_count(2)
    expect(result).to_contain_text("anvil.yaml missing: an Anvil app has anvil.yaml")

    choose(page, "evil.zip", anvil_repo.zipped({"../escape.py": b"", "anvil.yaml": b""}))
    page.get_by_role("button", name="Import").click()
    expect(result.locator(".import-line.error")).to_have_count(1)
    expect(result).to_contain_text("../escape.py a path that climbs out of the folder (..)")
    assert visitor.api("GET", "/api/widgets")["widgets"] == []


def test_an_app_is_imported_from_a_git_url(
    ide: IDE, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repos"
    root.mkdir()
    make_repo(root, "forecast.git", anvil_repo.api())
    visitor = ide.visitor("cloner")
    visitor.signup()
    page = visitor.goto("/import")
    with serving(root) as git:
        # loopback is refused by default, and the page says why
        visitor.watch.expect_error(r"status of 403")
        page.get_by_label("Git URL").fill(git.url("forecast.git"))
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("alert")).to_contain_text("it is a loopback address")
        assert git.requests == []
        # an operator who runs an internal git server allows private hosts
        state = ide.live.app.state
        imports = replace(state.config.imports, git_import_allow_private=True)
        monkeypatch.setattr(state, "config", replace(state.config, imports=imports))
        page.get_by_role("button", name="Import").click()
        result = page.locator(".import-result")
        expect(result.get_by_role("heading", name="Imported")).to_be_visible()
        expect(result).to_contain_text("is now an HTTP API")
        assert page.evaluate(AUDIT) == []
    result.get_by_role("link", name=re.compile("^Open ")).click()
    expect(page).to_have_url(re.compile(r"/widgets/[a-z0-9-]+$"))
