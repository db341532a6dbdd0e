"""The fuzz targets, short and with a fixed seed (what `just test` runs; `just fuzz` runs them
for minutes with a fresh seed). Each target's contract is in `targets.py`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from tests.fuzz import targets
from tests.fuzz.strategies import STRATEGIES
from tests.fuzz.targets import Check
from widgetbox.runtime import Runtime

pytestmark = [
    # hypothesis builds reprs of strategies when it cannot invert a value; ours are long
    pytest.mark.filterwarnings(
        "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
    ),
]

SEED = 20261124


def fixed(examples: int, *, shrink: bool = True) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        phases=(Phase.explicit, Phase.generate) + ((Phase.shrink,) if shrink else ()),
    )


def session(name: str) -> Iterator[Check]:
    with targets.TARGETS[name].session() as check:
        yield targets.checked(check)


@pytest.fixture(scope="module")
def report_check() -> Iterator[Check]:
    yield from session("report")


@pytest.fixture(scope="module")
def wire_check() -> Iterator[Check]:
    yield from session("wire")


@pytest.fixture(scope="module")
def handlers_check() -> Iterator[Check]:
    yield from session("handlers")


@pytest.fixture(scope="module")
def e2e_check(runtime: Runtime) -> Iterator[Check]:
    with targets.e2e_session(runtime) as check:
        yield targets.checked(check)


@pytest.mark.unit
@fixed(500)
@seed(SEED)
@given(case=STRATEGIES["door"])
def test_the_door_parses_any_frame_within_its_contract(case: Any) -> None:
    targets.checked(targets.check_door)(case)


@pytest.mark.unit
@fixed(300)
@seed(SEED)
@given(case=STRATEGIES["report"])
def test_any_report_has_an_outcome(report_check: Check, case: Any) -> None:
    report_check(case)


@pytest.mark.unit
@fixed(400)
@seed(SEED)
@given(case=STRATEGIES["wire: handle"])
def test_the_runtime_survives_any_message_from_a_sandbox_process(
    wire_check: Check, case: Any
) -> None:
    wire_check(case)


@pytest.mark.unit
@fixed(200)
@seed(SEED)
@given(case=STRATEGIES["wire: functions"])
def test_the_wire_refuses_what_it_cannot_take(wire_check: Check, case: Any) -> None:
    wire_check(case)


@pytest.mark.unit
@fixed(500)
@seed(SEED)
@given(case=STRATEGIES["handlers"])
def test_host_handlers_answer_or_refuse_any_data(handlers_check: Check, case: Any) -> None:
    handlers_check(case)


@pytest.mark.security
@fixed(10, shrink=False)  # a failure names its frame (see targets.Target.shrink)
@seed(SEED)
@given(batch=STRATEGIES["e2e"])
def test_the_door_answers_every_frame_from_a_real_sandbox(e2e_check: Check, batch: Any) -> None:
    e2e_check(batch)
