"""The Data page in Chromium: the owner makes a table and its columns, adds, edits (in place,
from the keyboard) and deletes rows, sorts them, sets the client permission, imports a CSV
whose problems are listed by line (and nothing is added), then a good one, and exports it.
The page fits a phone and passes the pages' audit; the owner's Fork button can copy the data."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser._chromium import LAPTOP, PHONE
from tests.browser._helpers import tab
from tests.browser.conftest import IDE, Visitor

pytestmark = pytest.mark.browser

AUDIT = Path(__file__).with_name("audit.js").read_text()

BAD_CSV = b"name,age\nCy,3\nDi,old\n,\nEd,4,extra\n"
GOOD_CSV = b'name,age\nCy,3\n"Di, Jr",4.5\n'


def shown(first: int, last: int, total: int) -> str:
    """What the grid says it shows: "Rows 1 to 3 of 3", with an en dash between."""
    return f"Rows {first}\u2013{last} of {total}"


def add_column(page: Page, name: str, kind: str) -> None:
    page.get_by_role("button", name="Add column…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Type").select_option(kind)
    dialog.get_by_role("button", name="Add column").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".column-list")).to_contain_text(name)


def cell(page: Page, column: str, ref: str) -> object:
    return page.get_by_role("button", name=re.compile(rf"^{column} of row {re.escape(ref)}:"))


def grid_rows(page: Page) -> list[list[str]]:
    found: list[list[str]] = page.locator("table.grid tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].slice(1, -1)"
        ".map(td => td.innerText.trim()))"
    )
    return found


def test_make_a_table_edit_rows_import_and_export(ide: IDE, tmp_path: Path) -> None:
    visitor = ide.visitor("keeper")
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Records"})
    slug = widget["slug"]
    page = visitor.goto(f"/widgets/{slug}")
    tab(page, "Data").click()
    expect(page).to_have_url(re.compile(rf"/widgets/{slug}/data$"))
    expect(page.locator(".no-tables")).to_be_visible()

    # a table, and its columns
    page.get_by_label("New table").fill("people")
    page.get_by_role("button", name="Add table").click()
    expect(page.get_by_role("heading", name="people", exact=True)).to_be_visible()
    add_column(page, "name", "string")
    add_column(page, "age", "number")
    schema = visitor.api("GET", f"/api/widgets/{slug}")["files"]["tables.yaml"]
    assert "name: age" in schema
    assert "type: number" in schema

    # a row, edited in place from the keyboard
    page.get_by_role("button", name="Add row").click()
    expect(page.locator(".rows-info")).to_have_text(shown(1, 1, 1))
    ref = page.locator("table.grid tbody tr").first.get_attribute("data-ref")
    assert ref is not None
    name = cell(page, "name", ref)
    expect(name).to_be_focused()
    page.keyboard.press("Enter")
    editor = page.get_by_label(f"name of row {ref}", exact=True)
    expect(editor).to_be_focused()
    editor.fill("Ada")
    page.keyboard.press("Enter")
    expect(cell(page, "name", ref)).to_have_text("Ada")
    expect(cell(page, "name", ref)).to_be_focused()

    # a value that does not fit its column is refused and says why; Escape gives up
    visitor.watch.expect_error(r"status of 422")
    cell(page, "age", ref).click()
    editor = page.get_by_label(f"age of row {ref}", exact=True)
    editor.fill("old")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("'old' is not a number")
    expect(editor).to_have_attribute("aria-invalid", "true")
    page.keyboard.press("Escape")
    expect(cell(page, "age", ref)).to_have_text("—")
    cell(page, "age", ref).click()
    page.get_by_label(f"age of row {ref}", exact=True).fill("36")
    page.keyboard.press("Enter")
    expect(cell(page, "age", ref)).to_have_text("36")

    # another row, then deleted after confirming
    page.get_by_role("button", name="Add row").click()
    expect(page.locator(".rows-info")).to_have_text(shown(1, 2, 2))
    second = page.locator("table.grid tbody tr").nth(1).get_attribute("data-ref")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name=f"Delete row {second}").click()
    expect(page.locator("table.grid tbody tr")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete row {second}").click()
    expect(page.locator("table.grid tbody tr")).to_have_count(1)
    expect(page.locator(".rows-info")).to_have_text(shown(1, 1, 1))

    # who may use it from the browser
    page.get_by_label("Client code (forms) in the browser").select_option("search")
    expect(page.get_by_role("status")).to_contain_text("can search in people")
    tables = visitor.api("GET", f"/api/widgets/{slug}/tables")["tables"]
    assert tables[0]["client"] == "search"

    # a CSV with problems: each listed by line, nothing added
    page.get_by_text("Import or export CSV").click()
    page.get_by_label("CSV file to add as rows").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": BAD_CSV}]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    problems = page.locator(".import-errors")
    expect(problems).to_be_visible()
    expect(problems.locator(".error")).to_have_text("Nothing was imported: 2 problems.")
    expect(problems.locator("li")).to_have_text(
        [
            "Line 3, column age: 'old' is not a number",
            "Line 5: 3 values, but the header names 2 columns",
        ]
    )
    expect(page.locator(".rows-info")).to_have_text(shown(1, 1, 1))

    # a good one
    page.get_by_label("CSV file to add as rows").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": GOOD_CSV}]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Imported 2 rows")
    expect(problems).to_be_hidden()
    expect(page.locator(".rows-info")).to_have_text(shown(1, 3, 3))
    expect(page.locator(".table-choice")).to_contain_text("3 rows")

    # sorted by age, largest first, from the column's header
    page.get_by_role("button", name="Sort by age").click()
    expect(page.locator("th[aria-sort=ascending]")).to_have_text(re.compile("age"))
    page.get_by_role("button", name="Sort by age").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text(re.compile("age"))
    assert grid_rows(page) == [["Ada", "36"], ["Di, Jr", "4.5"], ["Cy", "3"]]

    # exported as CSV
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "people.csv"
    text = Path(download.value.path()).read_text()
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "age"],
        ["Ada", "36"],
        ["Cy", "3"],
        ["Di, Jr", "4.5"],
    ]


def test_columns_are_renamed_retyped_and_deleted_with_confirmation(ide: IDE) -> None:
    visitor = ide.visitor("shaper")
    visitor.signup()
    slug = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "Shapes"})["slug"]
    base = f"/api/widgets/{slug}/tables"
    visitor.api("POST", base, {"name": "things"})
    visitor.api("POST", f"{base}/things/columns", {"name": "size", "type": "string"})
    for size in ("12", "big"):
        visitor.api("POST", f"{base}/things/rows", {"text": {"size": size}})
    page = visitor.goto(f"/widgets/{slug}/data")
    expect(page.locator(".rows-info")).to_have_text(shown(1, 2, 2))

    # a type change that would lose a value is refused, naming the row
    visitor.watch.expect_error(r"status of 422")
    page.get_by_role("button", name="Edit column size").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Type").select_option("number")
    dialog.get_by_role("button", name="Save column").click()
    expect(dialog.locator(".error")).to_contain_text("'big' is not a number")
    dialog.get_by_role("button", name="Cancel").click()

    row = page.locator("table.grid tbody tr").nth(1).get_attribute("data-ref")
    assert row is not None
    cell(page, "size", row).click()
    page.get_by_label(f"size of row {row}", exact=True).fill("7")
    page.keyboard.press("Enter")
    expect(cell(page, "size", row)).to_have_text("7")

    page.get_by_role("button", name="Edit column size").click()
    dialog.get_by_label("Name").fill("count")
    dialog.get_by_label("Type").select_option("number")
    dialog.get_by_role("button", name="Save column").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".column-list")).to_contain_text("countNumber")
    assert grid_rows(page) == [["12"], ["7"]]

    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete column count").click()
    expect(page.locator(".no-columns")).to_be_visible()

    # renaming and deleting the table
    page.get_by_role("button", name="Rename…").click()
    page.get_by_role("dialog").get_by_label("Name").fill("stuff")
    page.get_by_role("dialog").get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="stuff", exact=True)).to_be_visible()
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete table…").click()
    expect(page.locator(".no-tables")).to_be_visible()
    messages = [
        v["message"] for v in visitor.api("GET", f"/api/widgets/{slug}/versions")["versions"]
    ]
    assert messages[0] == "Data Tables: deleted table stuff"


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_data_page_fits_and_is_labelled(ide: IDE, size: dict[str, int]) -> None:
    visitor = ide.visitor("auditor", viewport=size)
    visitor.signup()
    slug = _widget_with_rows(visitor)
    page = visitor.goto(f"/widgets/{slug}/data")
    expect(page.locator(".rows-info")).to_have_text(shown(1, 3, 3))
    problems: list[str] = page.evaluate(AUDIT)
    assert problems == [], "\n".join(problems)


def test_the_owner_forks_with_the_data(ide: IDE) -> None:
    visitor = ide.visitor("forker")
    visitor.signup()
    slug = _widget_with_rows(visitor)
    page = visitor.goto(f"/widgets/{slug}/data")
    page.get_by_role("button", name="Fork…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Copy the data").check()
    dialog.get_by_role("button", name="Fork").click()
    expect(page.get_by_role("status")).to_contain_text("with its data")
    fork = page.url.rsplit("/", 1)[-1]
    assert fork != slug
    tables = visitor.api("GET", f"/api/widgets/{fork}/tables")["tables"]
    assert [(t["name"], t["rows"]) for t in tables] == [("people", 3)]


def _widget_with_rows(visitor: Visitor) -> str:
    slug: str = visitor.api("POST", "/api/widgets", {"kind": "script", "title": "People"})["slug"]
    base = f"/api/widgets/{slug}/tables"
    visitor.api("POST", base, {"name": "people"})
    for name, kind in (("name", "string"), ("age", "number"), ("joined", "date")):
        visitor.api("POST", f"{base}/people/columns", {"name": name, "type": kind})
    for name, age in (("Ada Lovelace, Countess of Lovelace", "36"), ("Bob", "4"), ("Cy", "")):
        visitor.api(
            "POST",
            f"{base}/people/rows",
            {"text": {"name": name, "age": age, "joined": "2026-01-02"}},
        )
    return slug
