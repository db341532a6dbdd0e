"""The tier's own safety net: a failing browser test leaves a screenshot and the console
log for the developer and says where; a console error fails a test that passed otherwise.
Checked by running two such tests in a separate pytest process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser._helpers import REPO

pytestmark = pytest.mark.browser

CONFTEST = "from tests.browser.conftest import *  # noqa: F403\n"
TESTS = """
def test_fails(ide):
    page = ide.visitor("failing").goto("/")
    page.evaluate("console.log('a line in the log')")
    assert False, "failed on purpose"


def test_prints_a_console_error(ide):
    page = ide.visitor("noisy").goto("/")
    page.evaluate("console.error('an error on purpose')")
"""


def test_a_failure_leaves_a_screenshot_and_the_console_log(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_inner.py").write_text(TESTS)
    artifacts = tmp_path / "artifacts"
    env = {**os.environ, "PYTHONPATH": str(REPO), "WIDGETBOX_BROWSER_ARTIFACTS": str(artifacts)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "1 failed" in output, output
    assert "1 error" in output, output

    failing = artifacts / "test_fails"
    assert f"screenshots and console logs: {failing}" in output
    assert (failing / "failing-1.png").read_bytes().startswith(b"\x89PNG")
    assert "a line in the log" in (failing / "failing-1-console.log").read_text()

    noisy = artifacts / "test_prints_a_console_error"
    assert "console errors:" in output
    assert "an error on purpose" in output
    assert f"screenshots and logs: {noisy}" in output
    assert (noisy / "noisy-1.png").read_bytes().startswith(b"\x89PNG")
    assert "an error on purpose" in (noisy / "noisy-1-console.log").read_text()
