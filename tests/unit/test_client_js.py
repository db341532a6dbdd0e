"""The browser client's own unit tests (client/test/*.test.js, node's built-in test runner),
run here so that `just test` runs them too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

CLIENT = Path(__file__).resolve().parents[2] / "client"


def test_the_client_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the client's JavaScript tests need `node`")
    assert (CLIENT / "node_modules").is_dir(), "client/node_modules is missing: run `just setup`"
    tests = sorted(str(path.relative_to(CLIENT)) for path in (CLIENT / "test").glob("*.test.js"))
    assert tests, "no client/test/*.test.js found"
    result = subprocess.run(
        [node, "--test", *tests],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
