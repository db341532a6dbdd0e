"""The package declaration lists every folder of code, so a built wheel has all of it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def test_every_host_package_is_declared() -> None:
    declared = set(
        tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        "widgetbox." + ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "host").rglob("__init__.py")
    }
    assert found - declared == set(), "add them to [tool.setuptools] packages"
    assert {"widgetbox.runtime", "widgetbox.guest", "widgetbox.client"} <= declared
