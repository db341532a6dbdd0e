"""The fuzz targets, short and with a fixed seed (what `just test` runs; `just fuzz` runs them
for minutes with a fresh seed). Each target's contract is with its check: the bridge's own in
`targets.py`, the host handlers' in `handlers.py`, the GUI door's in `gui.py`, packages' in
`packages.py`."""

from __future__ import annotations

import ast
import functools
import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, seed, settings

from tests.fuzz import gui, handlers, packages, targets
from tests.fuzz.contract import Check, checked
from tests.fuzz.handler_cases import HandlerCase, HostCase, cases_for
from tests.fuzz.strategies import STRATEGIES
from widgetbox.host import services
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
        yield checked(check)


@pytest.fixture(scope="module")
def report_check() -> Iterator[Check]:
    yield from session("report")


@pytest.fixture(scope="module")
def wire_check() -> Iterator[Check]:
    yield from session("wire")


@pytest.fixture(scope="module")
def handlers_check(runtime: Runtime) -> Iterator[Check]:
    with handlers.session(runtime) as check:
        yield checked(check)


@pytest.fixture(scope="module")
def gui_check() -> Iterator[Check]:
    yield from session("gui")


@pytest.fixture(scope="module")
def packages_check() -> Iterator[Check]:
    yield from session("packages")


@pytest.fixture(scope="module")
def e2e_check(runtime: Runtime) -> Iterator[Check]:
    with targets.e2e_session(runtime) as check:
        yield checked(check)


@pytest.mark.unit
@fixed(500)
@seed(SEED)
@given(case=STRATEGIES["door"])
def test_the_door_parses_any_frame_within_its_contract(case: Any) -> None:
    checked(targets.check_door)(case)


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


def one_call(op: str, data: Any, context: str = "run", timeout: float = 5.0) -> HandlerCase:
    """A case of one call: what the fuzzer found, kept as an example (each raised what is
    not a HostCallError of its module's kinds, the bridge's generic HostError)."""
    return HandlerCase([HostCase(op, data, timeout)], context, ("none",) * 3, "203.0.113.7", 1)


def registered_in_services() -> set[Any]:
    """The functions `Services.start` calls with the runtime's bridge: what registers the
    host's handlers."""
    tree = ast.parse(inspect.getsource(services))
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and node.args
            and ast.unparse(node.args[0]) == "runtime.bridge"
        ):
            first, *rest = ast.unparse(node.func).split(".")
            found.add(functools.reduce(getattr, rest, vars(services)[first]))
    return found


@pytest.mark.unit
def test_the_handlers_target_registers_what_the_server_registers() -> None:
    assert registered_in_services() == set(handlers.REGISTRARS)


@pytest.mark.sandbox
@fixed(300)
@seed(SEED)
@given(case=cases_for("http", "secrets"))
def test_outbound_http_and_secrets_answer_or_refuse_any_data(
    handlers_check: Check, case: Any
) -> None:
    handlers_check(case)


@pytest.mark.sandbox
@fixed(350)
@seed(SEED)
@given(case=cases_for("tables"))
# the guard read a query's column (here an object) before the query was checked: TypeError
@example(case=one_call("tables", {"op": "count", "table": "notes", "query": {"eq": [{}, 1]}}))
@example(case=one_call("tables", {"op": "add_row", "table": "notes", "values": {"text": "\ud800"}}))
def test_data_tables_answer_or_refuse_any_request(handlers_check: Check, case: Any) -> None:
    handlers_check(case)


@pytest.mark.sandbox
@fixed(500)
@seed(SEED)
@given(case=cases_for("session", "users"))
# a lone surrogate in a browser's session, which SQLite cannot store: UnicodeEncodeError
@example(case=one_call("session", {"op": "save", "data": {"s": "\ud800"}}, "browser"))
# an expiry of 400 digits, which float() cannot take: OverflowError
@example(case=one_call("session", {"op": "cookie_set", "jar": "local", "days": 10**400,
                                   "values": {"k": 1}}, "browser"))  # fmt: skip
# a jar's name of 300,000 characters, echoed whole in the refusal
@example(case=one_call("session", {"op": "cookie_clear", "jar": "x" * 300_000}, "browser"))
# a password or an address with a lone surrogate: UnicodeEncodeError from argon2 and SQLite
@example(case=one_call("users", {"op": "login", "email": "ann@a.test", "password": "\ud800" * 12}))
@example(case=one_call("users", {"op": "login", "email": "a@a.test\ud800", "password": "x" * 10}))
# the request's time ran out in the users table: its UsersTableError escaped
@example(case=one_call("users", {"op": "send_reset", "email": "ann@a.test"}, timeout=0.05))
def test_sessions_and_users_answer_or_refuse_any_request(handlers_check: Check, case: Any) -> None:
    handlers_check(case)


@pytest.mark.sandbox
@fixed(200)
@seed(SEED)
@given(case=cases_for("email"))
def test_email_sends_or_refuses_any_request(handlers_check: Check, case: Any) -> None:
    handlers_check(case)


@pytest.mark.sandbox
@fixed(200, shrink=False)  # a launch runs a task in the sandbox: shrinking would take long
@seed(SEED)
@given(case=cases_for("tasks", "checks"))
# a task's name with a lone surrogate, which the run's record cannot hold: UnicodeEncodeError
@example(case=one_call("tasks.launch", {"name": "work\ud800"}))
def test_background_tasks_and_classroom_helpers_answer_or_refuse_any_request(
    handlers_check: Check, case: Any
) -> None:
    handlers_check(case)


@pytest.mark.unit
@fixed(400)
@seed(SEED)
@given(case=gui.STRATEGY)
def test_the_gui_call_door_parses_any_body_within_its_contract(gui_check: Check, case: Any) -> None:
    gui_check(case)


@pytest.mark.unit
@fixed(600)
@seed(SEED)
@given(case=packages.STRATEGY)
def test_packages_texts_parse_or_are_refused_in_bounded_time(
    packages_check: Check, case: Any
) -> None:
    packages_check(case)


@pytest.mark.security
@fixed(10, shrink=False)  # a failure names its frame (see targets.Target.shrink)
@seed(SEED)
@given(batch=STRATEGIES["e2e"])
def test_the_door_answers_every_frame_from_a_real_sandbox(e2e_check: Check, batch: Any) -> None:
    e2e_check(batch)
