"""The release tier's shared fixture: the wheel under test (the executable is built from it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.release._smoke import REPO, run


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel under test: WIDGETBOX_WHEEL, or one built from the checkout now (the sdist,
    then the wheel from it, as `just dist` does)."""
    given = os.environ.get("WIDGETBOX_WHEEL")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)], cwd=REPO)
    [built] = out.glob("widgetbox-*.whl")
    return built
