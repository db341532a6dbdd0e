from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from widgetbox.host.cli import main

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            [],
            ["prepare", "run", "serve", "backup", "restore", "doctor", "settings", "import"],
        ),
        (["prepare"], ["sha256", "once"]),
        (["run"], ["--timeout", "--memory", "--json", "Exit status", "3 timeout"]),
        (["serve"], ["--host", "--port", "--data-dir", "--config", "WIDGETBOX_"]),
        (["backup"], ["TARGET", "integrity", "--data-dir", "--config"]),
        (
            ["restore"],
            ["BACKUP", "--key", "secrets.key", "--force", "replaced-", "Never while", "--config"],
        ),
        (["doctor"], ["interpreter", "sha256", "DNS", "/healthz", "--offline", "status 1"]),
        (["settings"], ["where it came from"]),
        (["import"], ["Anvil app", "--title", "--user", "--json", "Example:", "Exit status"]),
        (["export"], ["SLUG", "FOLDER", "--folder", "--json", "Example:", "Exit status"]),
    ],
)
def test_every_command_explains_itself(args: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    for word in words:
        assert word in result.output


def test_serve_refuses_a_bad_setting_before_starting(tmp_path: Path) -> None:
    config = tmp_path / "widgetbox.toml"
    config.write_text("[server]\nprot = 9000\n")
    result = CliRunner().invoke(main, ["serve", "--config", str(config)])
    assert result.exit_code == 1
    assert "unknown setting [server] prot; did you mean port?" in result.output


def test_settings_shows_values_and_sources(tmp_path: Path) -> None:
    result = CliRunner(env={"WIDGETBOX_PORT": "9123"}).invoke(
        main, ["settings", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "[server] port = 9123   (WIDGETBOX_PORT; WIDGETBOX_PORT)" in result.output
    assert f"[server] data_dir = PosixPath('{tmp_path}')   (command line;" in result.output
