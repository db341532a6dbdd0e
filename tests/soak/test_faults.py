"""The short versions of the fault scenarios (`python -m tests.soak --short crash disk_full
backup_drill`): each prints its figures, and every guarantee must hold."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.bench._report import show
from tests.soak import backup_drill, crash, disk_full
from tests.soak.__main__ import unmet

pytestmark = pytest.mark.soak


def check(scenario: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    figures = scenario.run(short=True)
    with capsys.disabled():  # the figures belong in the log whether or not they pass
        show(scenario.__name__.rsplit(".", 1)[-1], figures)
    failed = [
        f"{figure.name}: {figure.value:,.2f} {figure.unit} {figure.note}".rstrip()
        for figure in unmet(figures)
    ]
    assert not failed, "guarantees not met:\n" + "\n".join(failed)


def test_kill_9_under_writes_loses_nothing_acknowledged_and_leaves_no_run_running(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(crash, capsys)


def test_a_full_disk_refuses_writes_clearly_keeps_reading_and_recovers_without_restart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(disk_full, capsys)


def test_a_backup_under_load_restores_onto_a_fresh_folder_and_everything_works(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(backup_drill, capsys)
