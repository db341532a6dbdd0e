"""The package declaration lists every folder of code, so a built wheel has all of it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_host_and_runtime_package_is_declared() -> None:
    declared = set(SETUPTOOLS["packages"])
    found = {
        "widgetbox." + ".".join(init.parent.relative_to(REPO).parts)
        for folder in ("host", "runtime")
        for init in (REPO / folder).rglob("__init__.py")
    }
    assert found - declared == set(), "add them to [tool.setuptools] packages"
    assert {"widgetbox.runtime", "widgetbox.guest", "widgetbox.client"} <= declared


def test_every_guest_module_is_package_data() -> None:
    """The guest's files are data, not packages: each top-level module and package of
    wasm-python/ must be named in package-data, or a wheel's sandbox lacks it."""
    listed = SETUPTOOLS["package-data"]["widgetbox.guest"]
    guest = REPO / "wasm-python"
    missing = [
        path.name
        for path in sorted(guest.iterdir())
        if (path.suffix == ".py" and path.name not in listed)
        or (path.is_dir() and path.name != "__pycache__" and f"{path.name}/**/*.py" not in listed)
    ]
    assert missing == [], "add them to [tool.setuptools.package-data] widgetbox.guest"
