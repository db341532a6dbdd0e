"""Shared fixtures. Tiers are pytest markers (see pyproject.toml); every test module sets
`pytestmark` to its tier."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GUEST_SOURCE = REPO / "wasm-python"


@pytest.fixture(scope="session")
def runtime() -> Iterator[object]:
    """One runtime for the whole session (the compiled module is shared anyway)."""
    from widgetbox.runtime import Runtime

    with Runtime(pool_size=2) as rt:
        yield rt


@pytest.fixture
def guest_modules() -> Iterator[None]:
    """Make wasm-python/ importable on the host's CPython (guest-side unit tests), and
    forget its modules afterwards so registries start empty in every test."""
    sys.path.insert(0, str(GUEST_SOURCE))
    try:
        yield
    finally:
        sys.path.remove(str(GUEST_SOURCE))
        for name in list(sys.modules):
            if name in ("anvil", "classroom") or name.startswith(("anvil.", "_widgetbox")):
                del sys.modules[name]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `slow` (long exhaustive variants) run only when asked for (`-m slow`)."""
    if "slow" in (config.getoption("markexpr", "") or ""):
        return
    skip = pytest.mark.skip(reason="a slow variant: run it with -m slow")
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)
