from __future__ import annotations

import pytest
from click.testing import CliRunner
from widgetbox.host.cli import main

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], ["prepare", "run", "serve"]),
        (["prepare"], ["sha256", "once"]),
        (["run"], ["--timeout", "--memory", "--json", "Exit status", "3 timeout"]),
        (["serve"], ["Widgetbox"]),
    ],
)
def test_every_command_explains_itself(args: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    for word in words:
        assert word in result.output


def test_serve_is_not_built_yet_but_does_not_fail() -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0
