"""The live console under heavy output: it draws what arrives once per frame and keeps at most
its cap of lines in the page ("N earlier lines hidden — Show all" draws the stored output
once the run has ended), holds still for a reader who scrolled up, and never stops the page
from answering: Stop ends an endless printing loop, and the editor takes typing while
20,000 lines stream in."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests._timing import within
from tests.browser.conftest import IDE

pytestmark = pytest.mark.browser

ENDLESS = 'n = 0\nwhile True:\n    print("line", n)\n    n += 1\n'
LINES = 20_000
MANY = f'for n in range({LINES}):\n    print("line", n)\n'
CLICKABLE = 0.1
"""Seconds within which Stop answers a click, whatever the output rate."""

AUDIT = Path(__file__).with_name("audit.js").read_text()
"""Returns the problems found on the page: fit, names on controls, contrast (see audit.js)."""
DOM_LINES = "el => (el.textContent.match(/\\n/g) || []).length"
SETTLED = """el => {
    const same = el.scrollTop === el.lastTop;  // since the last poll: the scroll is over
    el.lastTop = el.scrollTop;
    return same;
}"""


def open_script(ide: IDE, name: str, code: str) -> Page:
    visitor = ide.visitor(name)
    visitor.signup()
    widget = visitor.api("POST", "/api/widgets", {"kind": "script", "title": name.title()})
    body = {"base_version": widget["head_version"], "files": {"main.py": code}}
    visitor.api("POST", f"/api/widgets/{widget['slug']}/versions", body)
    return visitor.goto(f"/widgets/{widget['slug']}")


def shown(output: Locator) -> tuple[int, int]:
    """(lines in the page, the console's cap)."""
    out = output.locator(".out")
    return out.evaluate(DOM_LINES), int(out.get_attribute("data-line-cap") or 0)


def numbered(start: int, stop: int) -> str:
    return "".join(f"line {n}\n" for n in range(start, stop))


def test_stop_ends_an_endless_printing_loop(ide: IDE) -> None:
    page = open_script(ide, "flooder", ENDLESS)
    output = page.locator(".console .output")
    badge = page.locator(".run-info .badge")
    stop = page.get_by_role("button", name="Stop")
    page.get_by_role("button", name="Run").click()

    # more than the console keeps has been printed, and it is still printing
    note = output.locator(".hidden-lines")
    expect(note).to_contain_text("earlier lines hidden — all of it can be shown once the run")
    expect(badge).to_have_text("Running")
    lines, cap = shown(output)
    assert 0 < lines <= cap

    started = time.monotonic()
    stop.click()
    clicked = time.monotonic() - started
    assert stop.is_disabled()  # its click handler ran (it disables the button at once)
    assert within(clicked, CLICKABLE), f"Stop took {clicked:.2f} s to answer its click"
    expect(badge).to_have_text("Stopped")  # and asked the server to stop the run
    expect(output.locator(".ended")).to_have_text("The run was cancelled")
    expect(page.get_by_role("button", name="Run")).to_be_enabled()
    lines, cap = shown(output)
    assert lines <= cap
    expect(note.get_by_role("button", name="Show all")).to_be_visible()
    assert page.evaluate(AUDIT) == []


def test_20000_lines_end_with_the_last_line_and_the_page_answers_meanwhile(ide: IDE) -> None:
    page = open_script(ide, "printer", MANY)
    output = page.locator(".console .output")
    badge = page.locator(".run-info .badge")
    page.get_by_role("button", name="Run").click()
    expect(output).to_contain_text("line 100\n")

    # the editor takes typing while the lines stream in
    page.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+End")
    page.keyboard.type("# typed while it printed")
    expect(page.locator(".cm-content")).to_contain_text("# typed while it printed")
    expect(page.locator(".save-state")).to_have_text("Unsaved changes")

    expect(badge).to_have_text("OK", timeout=60_000)
    out = output.locator(".out")
    expect(out).to_have_text(re.compile(r"line 19999\n$"))
    lines, cap = shown(output)
    assert 0 < lines <= cap < LINES
    assert out.text_content() == numbered(LINES - lines, LINES)  # the last lines, in order
    note = output.locator(".hidden-lines")
    expect(note).to_have_text(f"{LINES - lines:,} earlier lines hidden — Show all")

    # the whole stored output on request
    note.get_by_role("button", name="Show all").click()
    expect(note).to_have_count(0)
    expect(out).to_have_text(numbered(0, LINES))
    assert out.evaluate(DOM_LINES) == LINES


def test_the_console_holds_still_for_a_reader_who_scrolled_up(ide: IDE) -> None:
    page = open_script(ide, "reader", ENDLESS)
    output = page.locator(".console .output")
    page.get_by_role("button", name="Run").click()
    expect(output.locator(".hidden-lines")).to_be_visible()  # far more than a screenful

    output.hover()
    page.mouse.wheel(0, -1500)
    jump = output.get_by_role("button", name=re.compile(r"new lines? below"))
    expect(jump).to_be_visible()
    page.wait_for_function(SETTLED, arg=output.element_handle(), polling=100)
    first = output.locator(".out .block").first
    read = first.text_content()
    top = output.evaluate("el => el.scrollTop")
    waiting = jump.text_content() or ""
    expect(jump).not_to_have_text(waiting)  # more arrived meanwhile...
    assert first.text_content() == read  # ...and what the reader sees stayed where it was
    assert output.evaluate("el => el.scrollTop") == top
    assert page.evaluate(AUDIT) == []

    jump.click()  # back to the end, which follows the output again
    expect(jump).to_have_count(0)
    expect(output).to_be_focused()
    page.wait_for_function(
        "el => el.scrollHeight - el.scrollTop - el.clientHeight < 24", arg=output.element_handle()
    )
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".run-info .badge")).to_have_text("Stopped")
