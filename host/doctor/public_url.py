"""The public URL: reachable from here, and answered by Widgetbox (its `/healthz` answer),
not by a proxy's error page or another site; then `/readyz`, which says what is not ready.
Without a public URL set, the origin is the listening address (a server for this machine
only), which is said as a warning."""

from __future__ import annotations

import httpx

from widgetbox.host.config import Config
from widgetbox.host.doctor.findings import FAIL, OK, WARN, Finding

NAME = "public URL"
TIMEOUT = 10.0


def check(config: Config) -> list[Finding]:
    url = config.server.public_url
    if url is None:
        return [
            Finding(
                NAME,
                WARN,
                f"public_url is not set: Widgetbox takes its origin to be {config.origin} "
                "(for this machine only; cookies are not Secure)",
                'behind a proxy with TLS, set public_url = "https://widgets.example.com"',
            )
        ]
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False, trust_env=False) as client:
            alive = client.get(f"{url}/healthz")
            ready = client.get(f"{url}/readyz") if _is_widgetbox(alive) else None
    except httpx.HTTPError as e:
        return [
            Finding(
                NAME,
                FAIL,
                f"{url} cannot be reached from here: {_reason(e)}",
                "start Widgetbox (widgetbox serve, or systemctl start widgetbox) and check "
                "that the proxy forwards the public URL's host to it, and its DNS record",
            )
        ]
    if not _is_widgetbox(alive):
        return [
            Finding(
                NAME,
                FAIL,
                f"{url}/healthz answered {alive.status_code}, not Widgetbox's "
                '{"status": "ok"}: something else answers at that address',
                "point the proxy at Widgetbox's host and port (a 502 or 504 means it cannot "
                "reach Widgetbox; a redirect means the URL's scheme or host is not the "
                "one the proxy serves)",
            )
        ]
    assert ready is not None
    if ready.status_code != 200:
        reasons = _reasons(ready)
        return [
            Finding(
                NAME,
                WARN,
                f"{url} is Widgetbox, but not ready ({ready.status_code}): {reasons}",
                "see the server's log; readiness returns once the cause is gone",
            )
        ]
    return [Finding(NAME, OK, f"{url} answers as Widgetbox, and is ready")]


def _is_widgetbox(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    try:
        return bool(response.json() == {"status": "ok"})
    except ValueError:
        return False


def _reasons(response: httpx.Response) -> str:
    try:
        return "; ".join(str(reason) for reason in response.json()["reasons"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _reason(error: httpx.HTTPError) -> str:
    cause = error.__cause__ or error.__context__
    text = str(error) or type(error).__name__
    return f"{text} ({cause})" if cause is not None and str(cause) not in text else text
