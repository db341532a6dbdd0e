"""The short versions of the load scenarios (`python -m tests.soak --short sustained overload
sandbox_loss neighbours`): each prints its figures, and every guarantee it judges must
hold (the short `neighbours` shows its p99 ratio and judges errors only; `sustained` runs
at 100 req/s or 60% of the capacity measured, whichever is less)."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.bench._report import show
from tests.soak import neighbours, overload, sandbox_loss, sustained
from tests.soak.__main__ import unmet

pytestmark = pytest.mark.soak


def check(scenario: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    figures = scenario.run(short=True)
    with capsys.disabled():  # the figures belong in the log whether or not they pass
        show(scenario.__name__.rsplit(".", 1)[-1], figures)
    failed = [f"{figure.name}: {figure.value:,.2f} {figure.unit}" for figure in unmet(figures)]
    assert not failed, "guarantees not met:\n" + "\n".join(failed)


def test_a_steady_load_gets_no_errors_and_memory_stays_flat(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(sustained, capsys)


def test_overload_is_refused_at_once_the_admitted_are_on_time_and_the_server_recovers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(overload, capsys)


def test_a_killed_sandbox_process_fails_only_its_own_runs_and_is_replaced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(sandbox_loss, capsys)


def test_spinning_scripts_and_a_memory_hog_beside_an_api_cause_no_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    check(neighbours, capsys)
