"""What a widget's HTTP response may say about Widgetbox's origin: only the headers on the
allow-list (content, caching, CORS without credentials, redirects, authentication, `x-*`
that carry no security meaning) reach the caller; everything else is dropped, and
Widgetbox's own security headers always win. Over real HTTP, as in test_http_api.py."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server._live import Live, serve
from widgetbox.host.endpoints.answers import WIDGET_RESPONSE_HEADERS, allowed_response_header
from widgetbox.host.web.guards import SECURITY_HEADERS

pytestmark = [pytest.mark.server, pytest.mark.security]

EVIL = "https://evil.example"

DROPPED = {
    # cookies and navigation on Widgetbox's origin
    "set-cookie": "wb_session=stolen; Path=/",
    "set-cookie2": "wb_session=stolen",
    "refresh": f"0; url={EVIL}/phish",
    "link": f"<{EVIL}/x.css>; rel=stylesheet, <{EVIL}/>; rel=preconnect",
    # policies that would loosen (or be confused with) Widgetbox's own
    "content-security-policy": "default-src *",
    "content-security-policy-report-only": f"default-src 'none'; report-uri {EVIL}/r",
    "x-content-security-policy": "default-src *",
    "x-webkit-csp": "default-src *",
    "permissions-policy": "camera=*, microphone=*",
    "feature-policy": "camera *",
    "document-policy": "force-load-at-top=?0",
    "cross-origin-opener-policy": "unsafe-none",
    "cross-origin-embedder-policy": "require-corp",
    "cross-origin-resource-policy": "same-site",
    "referrer-policy": "unsafe-url",
    "x-frame-options": "ALLOWALL",
    "x-content-type-options": "sniff",
    "x-xss-protection": f"1; report={EVIL}/r",
    "x-permitted-cross-domain-policies": "all",
    "x-dns-prefetch-control": "on",
    "x-download-options": "open",
    "x-ua-compatible": "IE=EmulateIE7",
    "x-csrf-token": "planted",
    "cache-control": "public, max-age=31536000",
    # state the browser keeps for the whole origin
    "strict-transport-security": "max-age=0",
    "public-key-pins": 'pin-sha256="AAAA"; max-age=5184000',
    "expect-ct": f'max-age=86400, enforce, report-uri="{EVIL}/r"',
    "clear-site-data": '"*"',
    "alt-svc": 'h2="evil.example:443"; ma=86400',
    "nel": '{"report_to": "x", "max_age": 86400, "include_subdomains": true}',
    "report-to": f'{{"group": "x", "max_age": 86400, "endpoints": [{{"url": "{EVIL}/r"}}]}}',
    "reporting-endpoints": f'x="{EVIL}/r"',
    "service-worker-allowed": "/",
    "origin-agent-cluster": "?0",
    "origin-trial": "AAAA",
    "accept-ch": "Sec-CH-UA-Platform-Version, Sec-CH-UA-Model",
    "critical-ch": "Sec-CH-UA-Model",
    "set-login": "logged-in",
    "supports-loading-mode": "credentialed-prerender",
    "speculation-rules": f'"{EVIL}/rules.json"',
    "timing-allow-origin": "*",
    "sourcemap": f"{EVIL}/map",
    # CORS that would let another site read answers made with the visitor's cookies
    "access-control-allow-credentials": "true",
    "access-control-allow-private-network": "true",
    # instructions a reverse proxy in front of Widgetbox would follow
    "x-accel-redirect": "/internal/secrets",
    "x-accel-expires": "86400",
    "x-accel-buffering": "no",
    "x-sendfile": "/etc/passwd",
    "x-lighttpd-send-file": "/etc/passwd",
    "x-litespeed-cache-control": "public, max-age=86400",
    "x-reproxy-url": f"{EVIL}/",
    # framing, which the server computes itself
    "content-length": "1",
    "server": "Widget/6.6.6",
}

ALLOWED = {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": 'attachment; filename="report.csv"',
    "content-language": "en-GB",
    "etag": '"v42"',
    "last-modified": "Wed, 21 Oct 2026 07:28:00 GMT",
    "expires": "Thu, 22 Oct 2026 07:28:00 GMT",
    "vary": "Accept-Language",
    "age": "5",
    "access-control-allow-origin": "https://partner.example",
    "access-control-allow-methods": "GET, PUT",
    "access-control-allow-headers": "x-token",
    "access-control-expose-headers": "x-total-count, etag",
    "access-control-max-age": "600",
    "location": "https://example.org/elsewhere",
    "www-authenticate": 'Bearer realm="reports"',
    "retry-after": "120",
    "accept-ranges": "bytes",
    "content-range": "bytes 0-3/10",
    "allow": "GET, HEAD",
    "x-total-count": "42",
    "x-request-id": "req-7",
    "x-robots-tag": "noindex",
    "x-widget-version": "3",
}

GZIPPED = gzip.compress(b"unpacked by the caller")

API = f"""\
import binascii

import anvil.server
from anvil.server import HttpResponse

DROPPED = {DROPPED!r}
ALLOWED = {ALLOWED!r}


@anvil.server.route("/dropped")
def dropped(**params):
    return HttpResponse(200, "dropped?", {{name.title(): value for name, value in DROPPED.items()}})


@anvil.server.route("/allowed")
def allowed(**params):
    return HttpResponse(201, "allowed", {{name.upper(): value for name, value in ALLOWED.items()}})


@anvil.server.route("/gzip")
def gzipped(**params):
    body = binascii.a2b_base64({base64.b64encode(GZIPPED).decode()!r})
    return HttpResponse(200, body, {{"content-type": "text/plain", "content-encoding": "gzip"}})


@anvil.server.route("/cors", methods=["GET", "POST"], enable_cors=True)
def cors(**params):
    return HttpResponse(200, "cors", {{"access-control-allow-credentials": "true"}})


@anvil.server.route("/cors-origin", enable_cors="https://partner.example")
def cors_origin(**params):
    return {{"cors": True}}


@anvil.server.route("/basic", require_credentials=True)
def basic(**params):
    return anvil.server.request.username
"""

APP_SECURITY = {
    name: value for name, value in SECURITY_HEADERS.items() if name not in WIDGET_RESPONSE_HEADERS
}
"""What the app's middleware adds to every answer that does not set it (x-frame-options,
referrer-policy, ...): on a widget's answer, a widget must not be able to set it first."""


class Api:
    """The module's server and its public API widget, called by an anonymous visitor."""

    def __init__(self, live: Live) -> None:
        owner = live.user("owner")
        self.slug = owner.widget_with("http", {"main.py": API}, visibility="public", title="Hdr")
        self.http = live.client().http

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"/w/{self.slug}{path}", **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve(tmp_path_factory.mktemp("widget-headers")) as live:
        yield Api(live)


def assert_widgetbox_headers(response: httpx.Response) -> None:
    for name, value in {**WIDGET_RESPONSE_HEADERS, **APP_SECURITY}.items():
        assert response.headers.get_list(name) == [value], name


def test_headers_off_the_allow_list_never_arrive(api: Api) -> None:
    """Before: refresh, link, x-frame-options, referrer-policy, permissions-policy,
    access-control-allow-credentials, x-accel-redirect, x-sendfile... all got through, and
    the middleware's own x-frame-options and referrer-policy gave way to the widget's."""
    response = api.get("/dropped")
    assert (response.status_code, response.text) == (200, "dropped?")
    ours = {*WIDGET_RESPONSE_HEADERS, *SECURITY_HEADERS, "content-length"}
    leaked = sorted(
        name
        for name, value in DROPPED.items()
        if value in response.headers.get_list(name)
        or (name not in ours and name in response.headers)
    )
    assert leaked == []
    assert_widgetbox_headers(response)
    assert response.headers["content-length"] == str(len(b"dropped?"))


def test_headers_on_the_allow_list_arrive_intact(api: Api) -> None:
    response = api.get("/allowed")
    assert (response.status_code, response.text) == (201, "allowed")
    assert {name: response.headers.get_list(name) for name in ALLOWED} == {
        name: [value] for name, value in ALLOWED.items()
    }
    assert_widgetbox_headers(response)


def test_a_widget_may_send_its_body_encoded(api: Api) -> None:
    response = api.get("/gzip")
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == "unpacked by the caller"
    assert response.headers["content-length"] == str(len(GZIPPED))


def test_cors_never_includes_credentials(api: Api) -> None:
    """enable_cors answers as Anvil's does (any origin, or the one named; the route's
    methods; the headers asked for), never with credentials, even when the widget asks."""
    simple = api.get("/cors", headers={"origin": EVIL})
    assert simple.text == "cors"
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in simple.headers
    preflight = api.request(
        "OPTIONS",
        "/cors",
        headers={
            "origin": EVIL,
            "access-control-request-method": "POST",
            "access-control-request-headers": "X-Token",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, POST"
    assert preflight.headers["access-control-allow-headers"] == "content-type, x-token"
    assert "access-control-allow-credentials" not in preflight.headers
    named = api.get("/cors-origin", headers={"origin": "https://partner.example"})
    assert named.headers["access-control-allow-origin"] == "https://partner.example"
    assert_widgetbox_headers(named)


def test_routing_answers_keep_their_headers(api: Api) -> None:
    """The guest's own 401 (Basic auth) and 405 answers need www-authenticate and allow."""
    refused = api.get("/basic")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Basic realm="Widgetbox API"'
    assert api.get("/basic", auth=("ada", "secret")).text == "ada"
    wrong = api.request("DELETE", "/allowed")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, POST"
    assert_widgetbox_headers(wrong)


@pytest.mark.parametrize("name", sorted(DROPPED))
def test_the_rule_refuses_each_dropped_header(name: str) -> None:
    assert not allowed_response_header(name)


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_the_rule_allows_each_allowed_header(name: str) -> None:
    assert allowed_response_header(name)


def test_no_header_widgetbox_sets_itself_is_allowed() -> None:
    for name in {*WIDGET_RESPONSE_HEADERS, *SECURITY_HEADERS, "strict-transport-security"}:
        assert not allowed_response_header(name), name
