"""The guest's HTTP plumbing on the host's CPython, with a fake door: `_widgetbox.net` (one
exchange through the bridge) and the `http.client` adapter, applied to a private copy of
`http.client` so the host's own module is never touched. The real thing, with the real host
handler and every library, is tests/sandbox/test_http_clients.py."""

from __future__ import annotations

import base64
import http.client
import importlib.util
import json
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

from widgetbox.runtime._bridge import error_frame, ok_frame, parse_request

pytestmark = pytest.mark.unit


@dataclass
class FakeHost:
    """Answers `http.request` with `answer` (or fails with `error`) and keeps each request."""

    answer: dict[str, Any] = field(
        default_factory=lambda: {
            "status": 200,
            "reason": "OK",
            "headers": {},
            "header_list": [["Content-Type", "text/plain"], ["Transfer-Encoding", "chunked"]],
            "body_b64": base64.b64encode(b"hello").decode(),
            "url": "http://example.com/",
        }
    )
    error: tuple[str, str] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, frame: bytes) -> bytes:
        op, data = parse_request(frame)
        assert op == "http.request"
        self.requests.append(data)
        if self.error is not None:
            return error_frame(*self.error)
        return ok_frame(self.answer)


@pytest.fixture
def host(guest_modules: None, monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    from _widgetbox import bridge

    fake = FakeHost()
    monkeypatch.setattr(bridge, "_door", fake)
    return fake


def test_an_exchange_asks_for_one_raw_exchange(host: FakeHost) -> None:
    from _widgetbox import net

    answer = net.exchange(
        "POST",
        "http://example.com/x",
        [("Accept", "a"), ("X-A", "1"), ("x-a", "2")],
        b"\x00body",
        2.5,
    )
    (sent,) = host.requests
    assert sent == {
        "url": "http://example.com/x",
        "method": "POST",
        "headers": {"Accept": "a", "X-A": "1, 2"},
        "raw": True,
        "body_b64": base64.b64encode(b"\x00body").decode(),
        "timeout": 2.5,
    }
    assert (answer.status, answer.reason, answer.body, answer.url) == (
        200,
        "OK",
        b"hello",
        "http://example.com/",
    )
    assert answer.headers == [("Content-Type", "text/plain")]  # the host de-chunked the body


def test_failures_keep_the_hosts_kind_and_message(host: FakeHost) -> None:
    from _widgetbox import net

    for (kind, message), expected in [
        (
            ("Refused", "requests to x are refused: no"),
            ("Refused", "requests to x are refused: no"),
        ),
        (("Timeout", "x did not answer"), ("Timeout", "x did not answer")),
        (
            ("UnknownOperation", "the host has no operation named 'http.request'"),
            ("UnknownOperation", "outbound HTTP is not available on this Widgetbox server"),
        ),
        (
            ("LimitExceeded", "the answer to http.request is larger than 8,388,608 bytes"),
            (
                "LimitExceeded",
                "the response is too large to pass to widget code (at most 8,388,608 bytes)",
            ),
        ),
    ]:
        host.error = (kind, message)
        with pytest.raises(net.ExchangeError) as caught:
            net.exchange("GET", "http://x/")
        assert (caught.value.kind, caught.value.message) == expected
        assert caught.value.timed_out is (kind == "Timeout")
    calls = len(host.requests)
    with pytest.raises(net.ExchangeError, match="timed out"):
        net.exchange("GET", "http://x/", timeout=0)
    assert len(host.requests) == calls  # no request for a timeout already over


def test_credentials_leave_the_url(guest_modules: None) -> None:
    from _widgetbox import net

    assert net.without_credentials("https://ann:pw@example.com:8443/a@b?c=@") == (
        "https://example.com:8443/a@b?c=@"
    )
    assert net.without_credentials("http://example.com/a@b") == "http://example.com/a@b"
    assert net.without_credentials("http://example.com?to=a@b") == "http://example.com?to=a@b"
    assert net.without_credentials("http://u:p@example.com#x@y") == "http://example.com#x@y"


def test_an_answer_reads_back_as_http_client_reads_it(guest_modules: None) -> None:
    from _widgetbox import net

    answer = net.Answer(
        404,
        "Not Found",
        [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Length", "4")],
        b"gone",
        "http://x/",
    )
    response = net.http_response(answer, "GET")
    assert (response.status, response.reason, response.read()) == (404, "Not Found", b"gone")
    assert response.msg.get_all("Set-Cookie") == ["a=1", "b=2"]
    head = net.http_response(net.Answer(200, "OK", [("Content-Length", "99")], b"", "u"), "HEAD")
    assert (head.getheader("Content-Length"), head.read()) == ("99", b"")


def test_requests_as_http_client_writes_them_are_read_back(guest_modules: None) -> None:
    from _widgetbox.clients import http_client

    chunked = (
        b"PUT /a?b=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Folded: one\r\n"
        b"\ttwo\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n"
    )
    assert http_client.parse_request(chunked) == (
        "PUT",
        "/a?b=1",
        [("Host", "x"), ("X-Folded", "one two")],
        b"abcde",
    )
    plain = b"POST http://y/z HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"
    assert http_client.parse_request(plain) == ("POST", "http://y/z", [], b"xyz")


def test_each_failure_is_the_exception_http_client_users_expect(guest_modules: None) -> None:
    from _widgetbox import net
    from _widgetbox.clients import http_client

    for kind, cls in [
        ("Timeout", TimeoutError),
        ("Refused", ConnectionRefusedError),
        ("BadRequest", ValueError),
        ("LimitExceeded", ConnectionError),
        ("ConnectionError", ConnectionError),
    ]:
        error = http_client.library_error(net.ExchangeError(kind, "why"))
        assert type(error) is cls
        assert str(error) == "why"


def private_http_client() -> types.ModuleType:
    """A copy of the host's `http.client`, separate from the one in `sys.modules`."""
    spec = importlib.util.spec_from_file_location("http.client", http.client.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_patched_http_client_exchanges_through_the_bridge(host: FakeHost) -> None:
    from _widgetbox.clients import http_client

    client = private_http_client()
    http_client.patch(client)
    assert http.client.HTTPConnection.connect is not client.HTTPConnection.connect
    conn = client.HTTPConnection("example.com", 8080, timeout=3)
    conn.request("POST", "/form", body=b"a=1", headers={"X-Key": "k"})
    response = conn.getresponse()
    assert (response.status, response.reason, response.read()) == (200, "OK", b"hello")
    sent = host.requests[-1]
    assert (sent["url"], sent["method"], sent["timeout"]) == (
        "http://example.com:8080/form",
        "POST",
        3,
    )
    assert sent["headers"] == {
        "Host": "example.com:8080",
        "Accept-Encoding": "identity",
        "X-Key": "k",
    }
    assert base64.b64decode(sent["body_b64"]) == b"a=1"
    secure = client.HTTPSConnection("example.com")
    secure.request("GET", "/")
    assert secure.getresponse().read() == b"hello"
    assert host.requests[-1]["url"] == "https://example.com/"
    host.error = ("Refused", "requests to example.com are refused: it is a loopback address")
    with pytest.raises(ConnectionRefusedError, match="loopback address"):
        client.HTTPConnection("example.com").request("GET", "/")


def test_timeouts_for_requests_are_one_number(guest_modules: None) -> None:
    from _widgetbox.clients import requests_adapter

    timeout = types.SimpleNamespace(total=None, connect_timeout=2, read_timeout=7.5)
    assert [
        requests_adapter._seconds(value) for value in (None, 3, (1, 4), (None, 2), timeout)
    ] == [
        None,
        3,
        4,
        2,
        7.5,
    ]
    assert requests_adapter._body(iter([b"a", "é"])) == "aé".encode()
    assert json.loads(requests_adapter._body('{"a": 1}')) == {"a": 1}
