"""How Widgetbox starts its own Python programs as child processes (runtime/_launch.py):
`python -I -m` when installed, the executable itself with a hidden flag when frozen. The
release tier (tests/release/test_executable.py) runs both children of the real executable."""

from __future__ import annotations

import sys

import pytest

from widgetbox.runtime import _launch

pytestmark = pytest.mark.unit

WORKER = "widgetbox.runtime._worker"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> str:
    """This process as the single-file executable (PyInstaller sets `sys.frozen`)."""
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/widgetbox-linux-x86_64")
    return "/opt/widgetbox-linux-x86_64"


def test_installed_a_child_is_this_python_in_isolated_mode() -> None:
    assert not _launch.frozen()
    command = _launch.module_command(WORKER, "7", "{}")
    assert command == [sys.executable, "-I", "-m", WORKER, "7", "{}"]
    # pip reads PIP_* variables and its configuration files, so it runs as usual
    pip = _launch.module_command("pip", "download", isolated=False)
    assert pip == [sys.executable, "-m", "pip", "download"]


def test_frozen_a_child_is_the_executable_with_the_module_named(frozen: str) -> None:
    assert _launch.frozen()
    assert _launch.module_command(WORKER, "7", "{}") == [frozen, _launch.FLAG, WORKER, "7", "{}"]
    assert _launch.module_command("pip", "download", isolated=False)[:3] == [
        frozen,
        _launch.FLAG,
        "pip",
    ]


def test_only_the_two_modules_can_be_started() -> None:
    with pytest.raises(ValueError, match="not a module"):
        _launch.module_command("http.server")


def test_a_command_is_not_a_child(frozen: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for argv in ([frozen, "serve"], [frozen], [frozen, _launch.FLAG]):
        monkeypatch.setattr(sys, "argv", argv)
        assert _launch.run_child_module() is False


def test_installed_the_flag_means_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["widgetbox", _launch.FLAG, "pip"])
    assert _launch.run_child_module() is False


def test_frozen_a_child_runs_its_module_as_main(
    frozen: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[tuple[str, str, bool, list[str]]] = []

    def run_module(name: str, run_name: str, alter_sys: bool) -> None:
        ran.append((name, run_name, alter_sys, list(sys.argv)))

    monkeypatch.setattr(_launch.runpy, "run_module", run_module)
    monkeypatch.setattr(sys, "argv", [frozen, _launch.FLAG, WORKER, "7", "{}"])
    assert _launch.run_child_module() is True
    assert ran == [(WORKER, "__main__", True, [WORKER, "7", "{}"])]


def test_frozen_any_other_module_is_refused(frozen: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [frozen, _launch.FLAG, "http.server"])
    with pytest.raises(SystemExit, match="not a module this executable runs"):
        _launch.run_child_module()
