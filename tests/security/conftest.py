"""The security tier's fixtures: a bridge handler for the health check, and a health check
after every test (a fresh run must start promptly, finish OK and see a clean sandbox)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.security._helpers import ECHO, assert_healthy
from widgetbox.runtime import HostCall, Runtime


@pytest.fixture(scope="session", autouse=True)
def security_handlers(runtime: Runtime) -> None:
    def echo(call: HostCall, data: Any) -> Any:
        return data

    runtime.bridge.register(ECHO, echo)


@pytest.fixture(autouse=True)
def host_stays_healthy(runtime: Runtime, security_handlers: None) -> Iterator[None]:
    """After every abuse, the next run starts clean and the host is unharmed."""
    yield
    assert_healthy(runtime)
