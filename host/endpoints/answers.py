"""What a widget's HTTP API may answer: the response headers that reach the caller (an
allow-list, so a widget cannot set cookies or policies for Widgetbox's origin), the headers
Widgetbox always adds, and the checks that make a response valid HTTP."""

from __future__ import annotations

import re

from widgetbox.runtime import HttpResponse

ALLOWED_RESPONSE_HEADERS = frozenset(
    {
        # the content and how it is encoded (Widgetbox never re-encodes a widget's body)
        "content-type",
        "content-disposition",
        "content-language",
        "content-encoding",
        "content-range",
        "accept-ranges",
        # validators and freshness; `cache-control` stays Widgetbox's `no-store`
        "etag",
        "last-modified",
        "expires",
        "vary",
        "age",
        # CORS as Anvil's `enable_cors` sends it, never with credentials
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
        # redirects, authentication, and the answers routing gives
        "location",
        "www-authenticate",
        "retry-after",
        "allow",
    }
)
"""The headers of a widget's response that reach the caller, besides `x-*` ones
(`allowed_response_header`). Everything else is dropped: cookies (`set-cookie`),
navigation (`refresh`, `link`), policies that belong to Widgetbox's origin (CSP,
`permissions-policy`, `cross-origin-*-policy`, `referrer-policy`, HSTS), state the browser
keeps for the whole origin (`clear-site-data`, `alt-svc`, `nel`, `report-to`, `accept-ch`,
`origin-trial`, `service-worker-allowed`...), credentialed or private-network CORS, and
framing the server computes itself (`content-length`, `transfer-encoding`, `connection`)."""

DROPPED_X_HEADERS = frozenset(
    {
        # security headers: Widgetbox's own (or its middleware's) always apply
        "x-frame-options",
        "x-content-type-options",
        "x-xss-protection",
        "x-permitted-cross-domain-policies",
        "x-dns-prefetch-control",
        "x-download-options",
        "x-ua-compatible",
        "x-content-security-policy",
        "x-content-security-policy-report-only",
        "x-webkit-csp",
        "x-webkit-csp-report-only",
        # Widgetbox's CSRF header, and the usual other names of one
        "x-csrf-token",
        "x-xsrf-token",
        "x-csrftoken",
        # instructions to a reverse proxy in front of Widgetbox (serve a file, an internal
        # location or another URL instead; cache the answer)
        "x-sendfile",
        "x-lighttpd-send-file",
        "x-reproxy-url",
    }
)
DROPPED_X_PREFIXES = ("x-accel-", "x-litespeed-", "x-sendfile-", "x-widgetbox-")
"""nginx's `X-Accel-Redirect`, `-Expires`, `-Buffering`...; LiteSpeed's cache controls;
Widgetbox's own (`X-Widgetbox-Run`, which only Widgetbox sets: endpoints/serve.py)."""

WIDGET_RESPONSE_HEADERS = {
    "content-security-policy": "sandbox",
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "cross-origin",
    "cache-control": "no-store",
}
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
"""An HTTP token (the sandbox reports header names in lower case)."""
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
NO_BODY_STATUSES = frozenset({204, 304})


def allowed_response_header(name: str) -> bool:
    """Whether a widget's response may carry this header: one on the allow-list, or a custom
    `x-*` header that means nothing to browsers or proxies."""
    name = name.lower()
    if name in ALLOWED_RESPONSE_HEADERS:
        return True
    return (
        name.startswith("x-")
        and name not in DROPPED_X_HEADERS
        and not name.startswith(DROPPED_X_PREFIXES)
    )


def response_problem(answer: HttpResponse) -> str | None:
    """Why the widget's response cannot be sent over HTTP, or None. Checked before the
    request is logged, so the owner reads the reason there; the caller gets a 500."""
    if answer.status < 200:
        return f"an HTTP API answers with a status from 200 to 599, not {answer.status}"
    for name, value in answer.headers.items():
        if not _HEADER_NAME.fullmatch(name):
            return f"{name[:60]!r} is not a valid HTTP header name"
        if _BAD_HEADER_VALUE.search(value):
            return f"the value of the header {name!r} contains a control character"
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            return (
                f"the value of the header {name!r} is not Latin-1 text "
                "(percent-encode other characters)"
            )
    return None


def stream_problem(head: HttpResponse) -> str | None:
    """Why a streamed response (its status and headers) cannot be sent, or None: as
    `response_problem`, and a status that has no body."""
    if head.status in NO_BODY_STATUSES:
        return "a 204 or 304 response has no body to stream"
    return response_problem(head)
