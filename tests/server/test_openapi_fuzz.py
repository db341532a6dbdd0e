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
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
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
    negative_data_rejection,
]
"""Every check about what the server answers. Not `positive_data_acceptance`: some
schema-valid requests are refused by rules the schema cannot express (a taken username,
a version conflict), with a documented 4xx."""


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
    # requirements the fuzzer sets are installed from an index that refuses connections
    # (the tests never reach the network)
    overrides = {"data_dir": data_dir, "log_level": "warning"}
    config = load(environ={}, overrides={**overrides, "package_index": "http://127.0.0.1:9/simple"})
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Served(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(10)


def test_the_api_matches_its_document(served: Served) -> None:
    """Each operation, with requests generated from the document (valid and invalid)."""
    schema = schemathesis.openapi.from_url(f"{served.base}{OPENAPI_PATH}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    # Signing in and out changes the session every other operation uses: those go last.
    operations.sort(key=lambda op: op.path.startswith("/api/auth/"))

    for operation in operations:

        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(session=served.session, headers=served.headers, checks=CHECKS)

        try:
            check()
        except Exception as e:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(e)[:1500]}")
    assert not failures, "\n\n".join(failures)
