"""GUI apps on their own origin: the page and its files, server calls into the sandbox with
Anvil's rules, private apps for their owner only, and the wall between an app's origin and
Widgetbox's (no cookies, no routes, no API as the signed-in user)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.server._client import Browser, assert_error, assert_error_shape, tampered
from tests.server.conftest import Server
from widgetbox.host.gui.apps import APP_CSP
from widgetbox.host.widgets.starters import TEMPLATES
from widgetbox.runtime import TOO_LONG, Limits

pytestmark = pytest.mark.server

SERVER = """\
import datetime
import anvil.server


@anvil.server.callable
def greet(name):
    return f"Hello, {name}!"


@anvil.server.callable
def next_day(when, *, days=1):
    return {"when": when + datetime.timedelta(days=days), "types": [type(when).__name__]}


@anvil.server.callable
def fails():
    raise ValueError("bad value")


@anvil.server.callable
def anvil_error():
    raise anvil.server.NoServerFunctionError("on purpose")


@anvil.server.callable
def spins():
    while True:
        pass


@anvil.server.callable
def secret():
    return "SERVER-ONLY-" + "CODE"
"""


def app_files(**extra: str) -> dict[str, str]:
    return {**TEMPLATES["gui"], "server.py": SERVER, **extra}


def app_url(server: Server, slug: str, path: str = "/") -> str:
    return f"http://{slug}.{server.config.apps_host}{path}"


def make_app(owner: Browser, title: str, visibility: str = "public", **extra: str) -> str:
    slug: str = owner.create_widget("gui", title, visibility=visibility)["slug"]
    response = owner.post(
        f"/api/widgets/{slug}/versions", json={"base_version": 1, "files": app_files(**extra)}
    )
    assert response.status_code == 201, response.text
    return slug


def boot_of(page: httpx.Response) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="wb-boot">(.*?)</script>', page.text)
    assert found, page.text[:500]
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def call(
    browser: Browser,
    server: Server,
    slug: str,
    name: str,
    *args: Any,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """anvil.server.call as the app's page makes it (JSON, from the app's own origin)."""
    return browser.client.post(
        app_url(server, slug, "/_/call"),
        json={"name": name, "args": list(args), "kwargs": kwargs},
        headers={"origin": app_url(server, slug, "").rstrip("/"), **(headers or {})},
    )


@pytest.fixture
def app(server: Server, alice: Browser) -> str:
    return make_app(alice, "Greeter")


# -- the page and its files ---------------------------------------------------------------


def test_the_app_page_is_served_on_the_apps_own_host(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    assert server.config.apps_host == "localhost:8000"
    page = anon.client.get(app_url(server, app))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == APP_CSP
    assert "'unsafe-eval'" in APP_CSP
    assert "connect-src 'self'" in APP_CSP
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert "set-cookie" not in page.headers  # not even the CSRF cookie
    assert "<title>Greeter</title>" in page.text
    boot = boot_of(page)
    assert boot["runtime"] == "pyodide"  # the default: it can wait without freezing the page
    assert boot["startup_form"] == "Form1"
    assert boot["startup_module"] is None
    assert boot["runtime_base"].startswith("/_/static/runtimes/pyodide-")
    # what loading Pyodide fetches one after another is asked for at once
    base = boot["runtime_base"]
    assert f'<link rel="modulepreload" href="{base}pyodide.mjs">' in page.text
    for name in ("pyodide.asm.wasm", "python_stdlib.zip", "snapshot.bin"):
        assert f'<link rel="preload" href="{base}{name}" as="fetch" crossorigin>' in page.text
    # and the loader's chunks, which the browser would find only once it has the loader
    chunks = re.findall(r'<link rel="modulepreload" href="(/_/static/chunks/[^"]+)">', page.text)
    assert chunks
    for chunk in chunks:
        assert anon.client.get(app_url(server, app, chunk)).status_code == 200
    # the client files, never the server code
    assert sorted(boot["files"]) == [
        "app.json",
        "client_code/Form1/__init__.py",
        "client_code/Form1/form_template.yaml",  # sent as JSON: see test_gui_design.py
    ]
    assert "SERVER-ONLY" not in page.text
    assert "anvil.server.callable" not in page.text


def test_the_page_follows_the_widgets_latest_version_and_runtime(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    files = app_files(**{"app.json": '{"runtime": "brython"}'})
    alice.post(f"/api/widgets/{app}/versions", json={"base_version": 2, "files": files})
    boot = boot_of(anon.client.get(app_url(server, app)))
    assert boot["runtime"] == "brython"
    assert boot["runtime_base"].startswith("/_/static/runtimes/brython-")


def test_the_loader_and_runtimes_are_served_from_the_app_origin(
    server: Server, anon: Browser, app: str
) -> None:
    page = anon.client.get(app_url(server, app))
    script = re.search(r'<script type="module" src="([^"]+)"', page.text)
    assert script
    loader = anon.client.get(app_url(server, app, script.group(1)))
    assert loader.status_code == 200
    assert loader.headers["content-type"].startswith("text/javascript")
    assert loader.headers["cache-control"] == "public, max-age=31536000, immutable"
    base = boot_of(page)["runtime_base"]
    pyodide = anon.client.get(app_url(server, app, base + "pyodide.mjs"))
    assert pyodide.status_code == 200
    assert pyodide.headers["content-encoding"] == "gzip"
    listing = anon.client.get(app_url(server, app, base.split("pyodide-")[0]))
    assert listing.status_code == 404
    # Pyodide's start-up snapshot is built only gzipped: sent only to browsers that take it
    snapshot = app_url(server, app, base + "snapshot.bin")
    assert anon.client.get(snapshot).headers["content-encoding"] == "gzip"
    assert anon.client.get(snapshot, headers={"accept-encoding": "identity"}).status_code == 404
    # only the app's own files: not the IDE's scripts, not outside the build
    for path in (
        "/_/static/manifest.json",
        "/_/static/pages/code.js",
        "/_/static/../pyproject.toml",
    ):
        assert anon.client.get(app_url(server, app, path)).status_code == 404


def test_pyodides_webassembly_is_served_as_such(server: Server, alice: Browser) -> None:
    slug = make_app(alice, "Pyodide app", **{"app.json": '{"runtime": "pyodide"}'})
    base = boot_of(alice.client.get(app_url(server, slug)))["runtime_base"]
    wasm = alice.client.get(app_url(server, slug, base + "pyodide.asm.wasm"))
    assert wasm.status_code == 200
    assert wasm.headers["content-type"] == "application/wasm"
    assert wasm.content[:4] == b"\0asm"


def test_apps_are_not_served_on_widgetboxs_origin(
    server: Server, anon: Browser, alice: Browser, app: str
) -> None:
    for path in (f"/_apps/{app}/", f"/_apps/{app}/_/static/gui/x.js", "/_apps", "/_apps/"):
        assert anon.client.get(path).status_code == 404
    refused = alice.client.post(f"/_apps/{app}/_/call", json={"name": "greet", "args": ["x"]})
    assert refused.status_code == 404
    # and Widgetbox's own routes are not reachable on an app's origin
    assert anon.client.get(app_url(server, app, "/api/session")).status_code == 404
    assert anon.client.get(app_url(server, app, "/login")).status_code == 404
    assert anon.client.get(app_url(server, app, f"/_apps/{app}/")).status_code == 404


@pytest.mark.parametrize("kind", ["missing", "http", "deep"])
def test_no_app_answers_404(server: Server, alice: Browser, anon: Browser, kind: str) -> None:
    slug = {
        "missing": "no-such-app",
        "http": alice.create_widget("http", "An API", visibility="public")["slug"],
        "deep": "a.b",
    }[kind]
    page = anon.client.get(app_url(server, slug))
    assert page.status_code == 404
    assert "No app here" in page.text


# -- server calls -------------------------------------------------------------------------


def test_a_call_runs_the_server_function(server: Server, anon: Browser, app: str) -> None:
    response = call(anon, server, app, "greet", "Ada")
    assert response.status_code == 200, response.text
    assert response.json() == {"value": "Hello, Ada!"}
    assert response.headers["cache-control"] == "no-store"


def test_values_follow_anvils_rules(server: Server, anon: Browser, app: str) -> None:
    when = {"$wb": "date", "v": "2026-12-31"}
    response = call(anon, server, app, "next_day", when, days=2)
    assert response.json() == {
        "value": {"when": {"$wb": "date", "v": "2027-01-02"}, "types": ["date"]}
    }


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("fails", "ValueError", "bad value"),
        ("anvil_error", "anvil.server.NoServerFunctionError", "on purpose"),
        ("nothing", "anvil.server.NoServerFunctionError",
         'No server function matching "nothing" has been registered'),
    ],
)  # fmt: skip
def test_server_exceptions_come_back_as_data(
    server: Server, anon: Browser, app: str, name: str, kind: str, message: str
) -> None:
    response = call(anon, server, app, name)
    assert response.status_code == 200
    assert response.json() == {"exception": {"type": kind, "message": message}}


def test_a_slow_call_ends_with_server_code_took_too_long(
    server: Server, anon: Browser, app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Limits, "request", classmethod(lambda cls: cls(timeout=1.0)))
    response = call(anon, server, app, "spins")
    assert response.json() == {
        "exception": {"type": "anvil.server.TimeoutError", "message": TOO_LONG}
    }


def test_calls_are_in_the_owners_logs_with_the_traceback(
    server: Server, alice: Browser, anon: Browser, app: str
) -> None:
    call(anon, server, app, "greet", "x")
    call(anon, server, app, "fails")
    server.call(server.app.state.runner.log.flush)
    logs = alice.get(f"/api/widgets/{app}/logs").json()["runs"]
    assert [(entry["trigger"], entry["status"], entry["request"]) for entry in logs[:2]] == [
        ("call", "error", {"function": "fails"}),
        ("call", "ok", {"function": "greet"}),
    ]
    detail = alice.get(f"/api/runs/{logs[0]['id']}").json()
    assert detail["error"]["type"] == "ValueError"
    assert 'raise ValueError("bad value")' in detail["error"]["traceback"]
    assert anon.get(f"/api/widgets/{app}/logs").status_code in (403, 404)


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"{", 400, "bad_call"),
        (b'{"name": 1}', 400, "bad_call"),
        (b'{"name": "greet", "args": {}}', 400, "bad_call"),
        (b'{"name": "greet", "args": [NaN]}', 400, "bad_call"),
        (b'{"name": "greet", "args": [{"$wb": "date", "v": "soon"}]}', 400, "bad_call"),
        (b'{"name": "greet", "other": 1}', 400, "bad_call"),
        (b'{"name": "' + b"x" * 300 + b'"}', 400, "bad_call"),
        (b'{"name": "greet", "args": ["' + b"x" * (1024 * 1024) + b'"]}', 413, "too_large"),
    ],
)
def test_malformed_calls_are_refused(
    server: Server, anon: Browser, app: str, content: bytes, status: int, code: str
) -> None:
    response = anon.client.post(
        app_url(server, app, "/_/call"),
        content=content,
        headers={"content-type": "application/json"},
    )
    assert_error(response, status, code)


def test_calls_must_come_from_the_apps_own_page(server: Server, anon: Browser, app: str) -> None:
    other = make_app_for(server, "Other app")
    for headers in (
        {"origin": "https://evil.example"},
        {"origin": app_url(server, other, "").rstrip("/")},  # another app, same site
        {"sec-fetch-site": "same-site"},
        {"sec-fetch-site": "cross-site"},
    ):
        assert_error(call(anon, server, app, "greet", "x", headers=headers), 403, "cross_origin")
    form = anon.client.post(app_url(server, app, "/_/call"), data={"name": "greet"})
    assert_error(form, 415, "unsupported_media_type")


def make_app_for(server: Server, title: str) -> str:
    return make_app(server.user(f"owner{len(title)}"), title)


def test_calls_are_rate_limited_per_visitor(make_server: Callable[..., Server]) -> None:
    server = make_server(app_calls_per_minute=3)
    owner = server.user("admin")
    slug = make_app(owner, "Limited")
    visitor = server.browser()
    for _ in range(3):
        assert call(visitor, server, slug, "greet", "x").status_code == 200
    refused = call(visitor, server, slug, "greet", "x")
    assert_error_shape(refused)
    assert refused.status_code == 429


# -- private apps -------------------------------------------------------------------------


def enter(browser: Browser, slug: str) -> httpx.Response:
    """Open the app from Widgetbox, as the app's link in the IDE does (redirects followed
    one by one)."""
    hop = browser.client.get(f"/widgets/{slug}/app", follow_redirects=False)
    assert hop.status_code == 303, hop.text
    return hop


def test_a_private_app_opens_for_its_owner_through_widgetbox(
    server: Server, alice: Browser
) -> None:
    slug = make_app(alice, "Mine", visibility="private")
    hop = enter(alice, slug)
    location = hop.headers["location"]
    assert location.startswith(app_url(server, slug, "/_/enter?token="))
    assert hop.headers["referrer-policy"] == "no-referrer"
    landed = alice.client.get(location, follow_redirects=False)
    assert landed.status_code == 303
    assert landed.headers["location"] == "/"
    cookie = landed.headers["set-cookie"]
    assert cookie.startswith("wb_app=")
    assert "HttpOnly" in cookie
    assert "Domain" not in cookie  # host-only: this app's origin alone
    assert alice.client.get(app_url(server, slug)).status_code == 200
    assert call(alice, server, slug, "greet", "me").json() == {"value": "Hello, me!"}
    # the entry token works once
    assert alice.client.get(location, follow_redirects=False).status_code == 404


def on_widgetbox(server: Server, location: str) -> str:
    """A redirect to Widgetbox's origin, as a path the test's browsers follow there."""
    assert location.startswith(server.config.origin + "/"), location
    return location.removeprefix(server.config.origin)


def test_a_private_apps_address_hands_its_owner_over(server: Server, alice: Browser) -> None:
    """The owner opening the app's own address (a fork's, say) while signed in to Widgetbox
    gets in, through the handover "Open the app" uses."""
    slug = make_app(alice, "Mine by address", visibility="private")
    first = alice.client.get(app_url(server, slug), follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["cache-control"] == "no-store"
    assert "set-cookie" not in first.headers
    handover = on_widgetbox(server, first.headers["location"])
    assert handover == f"/widgets/{slug}/app"
    hop = alice.client.get(handover, follow_redirects=False)
    assert hop.headers["location"].startswith(app_url(server, slug, "/_/enter?token="))
    landed = alice.client.get(hop.headers["location"], follow_redirects=False)
    assert landed.headers["location"] == "/"
    page = alice.client.get(app_url(server, slug))
    assert page.status_code == 200
    assert "<title>Mine by address</title>" in page.text


def test_a_private_app_is_closed_to_everyone_else(
    server: Server, alice: Browser, bob: Browser, anon: Browser
) -> None:
    slug = make_app(alice, "Mine", visibility="private")
    for visitor, signed_in in ((bob, True), (anon, False)):
        first = visitor.client.get(app_url(server, slug), follow_redirects=False)
        assert first.status_code == 303
        handover = on_widgetbox(server, first.headers["location"])
        page = visitor.client.get(handover, follow_redirects=False)
        assert page.status_code == 403
        assert page.headers["content-type"].startswith("text/html")
        assert "This app is private" in page.text
        assert "No app here" not in page.text
        assert "Mine" not in page.text  # its title stays the owner's
        log_in = f'href="/?next=/widgets/{slug}/app"'
        assert (log_in in page.text) is not signed_in
    # nothing else of a private app answers them
    assert_error(call(anon, server, slug, "greet", "x"), 404, "not_found")
    script = alice.create_widget("script", "Private script")["slug"]
    assert_error(bob.get(f"/widgets/{script}/app", follow_redirects=False), 404, "not_found")
    # a stolen entry link is useless once used, and a forged one never works
    location = enter(alice, slug).headers["location"]
    token = location.split("token=", 1)[1]
    forged = app_url(server, slug, f"/_/enter?token={tampered(token)}")
    assert bob.client.get(forged, follow_redirects=False).status_code == 404
    assert bob.client.get(location, follow_redirects=False).status_code == 303
    assert alice.client.get(location, follow_redirects=False).status_code == 404


def test_a_visit_cookie_is_bound_to_its_app_and_its_owner(
    server: Server, alice: Browser, bob: Browser
) -> None:
    first = make_app(alice, "First", visibility="private")
    second = make_app(alice, "Second", visibility="private")
    landed = alice.client.get(enter(alice, first).headers["location"], follow_redirects=False)
    cookie = {"cookie": landed.headers["set-cookie"].split(";")[0]}
    assert cookie["cookie"].startswith("wb_app=")
    # replayed elsewhere (by hand: browsers keep it to the first app's host): no way in
    elsewhere = bob.client.get(app_url(server, second), headers=cookie, follow_redirects=False)
    assert elsewhere.status_code == 303
    assert on_widgetbox(server, elsewhere.headers["location"]) == f"/widgets/{second}/app"
    assert bob.client.get(app_url(server, first), headers=cookie).status_code == 200
    # once the widget is gone, the cookie opens nothing
    alice.delete(f"/api/widgets/{first}")
    assert bob.client.get(app_url(server, first), headers=cookie).status_code == 404


def test_public_and_unlisted_apps_open_from_widgetbox_without_a_token(
    server: Server, alice: Browser, anon: Browser
) -> None:
    slug = make_app(alice, "Open", visibility="unlisted")
    hop = anon.client.get(f"/widgets/{slug}/app", follow_redirects=False)
    assert hop.headers["location"] == app_url(server, slug)
    script = alice.create_widget("script", "Not an app", visibility="public")["slug"]
    assert_error(alice.get(f"/widgets/{script}/app", follow_redirects=False), 404)


# -- an app cannot act as the signed-in user ----------------------------------------------


def test_widgetboxs_cookies_never_reach_an_app(server: Server, alice: Browser, app: str) -> None:
    assert alice.session_token
    jar_for_app = [c for c in alice.client.cookies.jar if c.domain.endswith("localhost")]
    assert jar_for_app == []  # the session and CSRF cookies are host-only, for Widgetbox
    echoed = alice.client.get(app_url(server, app))
    assert "wb_session" not in echoed.request.headers.get("cookie", "")


def test_the_api_refuses_requests_from_an_apps_origin(
    server: Server, alice: Browser, app: str
) -> None:
    """Even if the browser sent the signed-in user's cookies along (same-site requests do),
    Widgetbox's API refuses changes from an app's origin and never grants it CORS."""
    origin = app_url(server, app, "").rstrip("/")
    headers = {"origin": origin, "sec-fetch-site": "same-site"}
    created = alice.request("POST", "/api/widgets", json={"kind": "script", "title": "Evil"},
                            headers=headers)  # fmt: skip
    assert_error(created, 403, "cross_origin")
    read = alice.client.get("/api/widgets", headers={"origin": origin})
    assert "access-control-allow-origin" not in read.headers
    preflight = alice.client.options(
        "/api/widgets",
        headers={"origin": origin, "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert [w["title"] for w in alice.get("/api/widgets").json()["widgets"]] == ["Greeter"]


# -- the designer's live preview ----------------------------------------------------------


def test_the_preview_shell_is_empty_and_framed_only_by_widgetbox(
    server: Server, anon: Browser, app: str
) -> None:
    for slug in (app, "no-such-app"):  # the same for every app: nothing of any widget's
        page = anon.client.get(app_url(server, slug, "/_/preview"))
        assert page.status_code == 200
        boot = boot_of(page)
        assert boot["preview"] is True
        assert "files" not in boot
        assert sorted(boot["runtime_bases"]) == ["brython", "pyodide"]
        assert boot["ide_origins"] == ["http://127.0.0.1:8000", "http://localhost:8000"]
        csp = page.headers["content-security-policy"]
        assert csp.endswith("frame-ancestors http://127.0.0.1:8000 http://localhost:8000")
        assert "Greeter" not in page.text
    assert anon.client.get(f"/_apps/{app}/_/preview").status_code == 404


def test_the_preview_opens_through_widgetbox_like_the_app(
    server: Server, alice: Browser, anon: Browser
) -> None:
    public = make_app(alice, "Previewed")
    hop = anon.client.get(f"/widgets/{public}/app?view=preview", follow_redirects=False)
    assert hop.headers["location"] == app_url(server, public, "/_/preview")
    # its owner is handed over whatever its visibility: the app then knows them
    hop = alice.client.get(f"/widgets/{public}/app?view=preview", follow_redirects=False)
    assert hop.headers["location"].startswith(app_url(server, public, "/_/enter?token="))
    assert hop.headers["location"].endswith("&to=preview")
    private = make_app(alice, "Private previewed", visibility="private")
    hop = alice.client.get(f"/widgets/{private}/app?view=preview", follow_redirects=False)
    assert hop.headers["location"].endswith("&to=preview")
    landed = alice.client.get(hop.headers["location"], follow_redirects=False)
    assert landed.headers["location"] == "/_/preview"
    assert call(alice, server, private, "greet", "me").json() == {"value": "Hello, me!"}


def test_the_design_page_may_frame_only_its_apps_origin(
    server: Server, alice: Browser, app: str
) -> None:
    page = alice.client.get(f"/widgets/{app}")
    assert page.status_code == 200
    assert 'class="designer"' in page.text
    csp = page.headers["content-security-policy"]
    assert csp.endswith(f"; frame-src 'self' {app_url(server, app, '').rstrip('/')}")
    assert "frame-ancestors 'none'" in csp  # and nothing may frame the page itself
    data = json.loads(re.search(r'id="page-data">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
    assert data["app_origin"] == app_url(server, app, "").rstrip("/")
    assert data["preview_url"] == f"/widgets/{app}/app?view=preview"


def test_a_disabled_owners_public_app_is_served_to_no_one(
    server: Server, admin: Browser, alice: Browser, anon: Browser, app: str
) -> None:
    assert anon.client.get(app_url(server, app)).status_code == 200
    assert call(anon, server, app, "greet", "x").status_code == 200
    assert admin.patch("/api/admin/users/alice", json={"disabled": True}).status_code == 200
    # like a private app: the page sends visitors to Widgetbox, which does not know it
    first = anon.client.get(app_url(server, app), follow_redirects=False)
    assert first.status_code == 303
    handover = on_widgetbox(server, first.headers["location"])
    assert anon.client.get(handover, follow_redirects=False).status_code == 404
    assert_error(call(anon, server, app, "greet", "x"), 404, "not_found")
    assert admin.patch("/api/admin/users/alice", json={"disabled": False}).status_code == 200
    assert anon.client.get(app_url(server, app)).status_code == 200
    assert call(anon, server, app, "greet", "x").status_code == 200
