"""Schemathesis against the OpenAPI document, over real HTTP: no server errors, and every
response (errors included) matches what the document says."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from widgetbox.host.app import OPENAPI_PATH, create_app
from widgetbox.host.config import load

pytestmark = pytest.mark.server

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class Served:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.get(f"{base}/api/session", timeout=10)
        self.headers = {"x-csrf-token": self.session.cookies["wb_csrf"]}
        response = self.session.post(
            f"{base}/api/auth/signup",
            json={"username": "fuzzer", "password": "fuzzing password"},
            headers=self.headers,
            timeout=10,
        )
        response.raise_for_status()
        # Some widgets to find: the fuzzer also tries the examples' slugs.
        for kind in ("script", "http", "gui"):
            self.session.post(
                f"{base}/api/widgets",
                json={"kind": kind, "title": f"fuzz {kind}", "visibility": "public"},
                headers=self.headers,
                timeout=10,
            )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    with socket_port() as port:
        config = load(
            environ={},
            overrides={"data_dir": data_dir, "port": port, "log_level": "warning"},
        )
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, port=config.port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{config.port}")
    finally:
        server.should_exit = True
        thread.join(10)


class socket_port:  # noqa: N801 - a context manager read as a phrase
    """A free TCP port (closed again before the server binds it)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(scope="module")
def api_schema(served: Served) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{served.base}{OPENAPI_PATH}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_matches_its_document(case: schemathesis.Case, served: Served) -> None:
    case.call_and_validate(session=served.session, headers=served.headers, checks=CHECKS)
