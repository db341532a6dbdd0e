"""Apps' sessions, cookies and call context through the whole app, as Anvil's "Sessions and
Cookies" documentation describes them: `anvil.server.session` kept between calls of one
browser (each call a fresh interpreter), with Anvil's rule on what it may hold, a size cap
and expiry; `get_session_id()`; `reset_session()` from the browser; `anvil.server.cookies`
set, read, deleted, expiring, signed so the browser cannot forge them, on the app's own
origin; `anvil.server.context`, `get_app_origin()`, `get_api_origin()`; and a GUI widget's
HTTP endpoints on its own origin, sharing the browser's session."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.server._client import Browser, cookie_attributes, set_cookies
from tests.server._users import Visitor, app_url, cookie_payload, make_app
from tests.server.conftest import Server
from widgetbox.host.storage.times import iso, now

pytestmark = pytest.mark.server

SERVER = """\
import anvil
import anvil.server


@anvil.server.callable
def ring_the_bell():
    n_rings = anvil.server.session.get("n_rings", 0)
    n_rings += 1
    anvil.server.session["n_rings"] = n_rings
    return n_rings


@anvil.server.callable
def ids():
    return [anvil.server.get_session_id(), anvil.server.session.session_id]


@anvil.server.callable
def keep(key, value):
    anvil.server.session[key] = value


@anvil.server.callable
def everything():
    return dict(anvil.server.session.items())


@anvil.server.callable
def keep_media():
    anvil.server.session["file"] = anvil.BlobMedia("text/plain", b"no")


@anvil.server.callable
def keep_then_fail():
    anvil.server.session["lost"] = True
    raise ValueError("the call failed")


@anvil.server.callable
def set_cookie(name, value, days=None, jar="local"):
    cookies = getattr(anvil.server.cookies, jar)
    if days is None:
        cookies[name] = value
    else:
        cookies.set(days, **{name: value})


@anvil.server.callable
def get_cookie(name, jar="local"):
    return getattr(anvil.server.cookies, jar).get(name, "missing")


@anvil.server.callable
def missing_cookie():
    try:
        anvil.server.cookies.local["nothing here"]
    except KeyError:
        return "KeyError"


@anvil.server.callable
def delete_cookie(name):
    del anvil.server.cookies.local[name]


@anvil.server.callable
def clear_cookies():
    anvil.server.cookies.local.clear()


@anvil.server.callable
def big_cookie():
    anvil.server.cookies.local["big"] = "x" * 5000


@anvil.server.callable
def media_cookie():
    anvil.server.cookies.local["file"] = anvil.BlobMedia("text/plain", b"no")


@anvil.server.callable
def context():
    found = anvil.server.context
    return {
        "type": found.type,
        "client": [found.client.type, found.client.ip],
        "caller": [found.remote_caller.type, found.remote_caller.is_trusted],
        "inner": anvil.server.call("caller"),
        "app": anvil.server.get_app_origin(),
        "api": anvil.server.get_api_origin(),
        "task": found.background_task_id,
    }


@anvil.server.callable
def caller():
    found = anvil.server.context.remote_caller
    return [found.type, found.is_trusted]


@anvil.server.route("/bell")
def bell(**params):
    n_rings = anvil.server.session.get("n_rings", 0) + 1
    anvil.server.session["n_rings"] = n_rings
    anvil.server.cookies.local["from_endpoint"] = "yes"
    return {"n": n_rings, "client": anvil.server.context.client.type,
            "cookie": anvil.server.request.headers.get("cookie")}
"""

API = """\
import anvil.server


@anvil.server.route("/")
def root(**params):
    try:
        anvil.server.cookies.local["x"] = 1
    except anvil.server.CookieError as e:
        cookie = str(e)
    anvil.server.session["n"] = anvil.server.session.get("n", 0) + 1
    found = anvil.server.context
    return {"cookie": cookie, "n": anvil.server.session["n"], "client": found.client.type,
            "app": anvil.server.get_app_origin(), "api": anvil.server.get_api_origin()}
"""


@pytest.fixture
def owner(server: Server) -> Browser:
    return server.user("admin")


@pytest.fixture
def app(owner: Browser) -> str:
    return make_app(owner, "Sessions", SERVER)


# -- anvil.server.session --------------------------------------------------------------------


def test_the_session_is_kept_between_calls_of_one_browser(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    first = visitor.post("/_/call", {"name": "ring_the_bell", "args": [], "kwargs": {}})
    assert first.json() == {"value": 1}
    cookie = cookie_attributes(set_cookies(first)["wb_session"])
    assert "httponly" in cookie
    assert "domain" not in cookie
    assert [visitor.call("ring_the_bell") for _ in range(3)] == [2, 3, 4]
    # each browser window of another browser has its own
    other = Visitor(server, app)
    assert other.call("ring_the_bell") == 1
    # the session's id is stable, the same both ways, and not the cookie's secret
    session_id, same = visitor.call("ids")
    assert session_id == same == visitor.call("ids")[0]
    assert session_id != other.call("ids")[0]
    token = visitor.cookie("wb_session")
    assert token is not None
    assert session_id not in token
    # what a server function may return may be kept (dates too)
    visitor.call("keep", "when", {"$wb": "date", "v": "2026-12-04"})
    assert visitor.call("everything") == {"n_rings": 4, "when": {"$wb": "date", "v": "2026-12-04"}}
    # only the sha256 of the token is stored
    stored = server.db.read_now(
        lambda db: [row[0] for row in db.execute("SELECT key FROM app_sessions").fetchall()]
    )
    assert token not in stored
    assert len(stored) == 2


def test_what_a_session_may_hold(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    visitor.call("ring_the_bell")
    kind, message = visitor.raised("keep_media")
    assert kind == "anvil.server.SerializationError"
    assert message.startswith("Tried to store illegal value in a anvil.server.session.")
    kind, message = visitor.raised("keep", "big", "x" * 300_000)
    assert kind == "anvil.server.SerializationError"
    assert "at most 262,144" in message
    # a failed call keeps nothing of what it changed (as Anvil)
    assert visitor.raised("keep_then_fail")[0] == "ValueError"
    assert visitor.call("everything") == {"n_rings": 1}


def test_reset_session(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    assert visitor.call("ring_the_bell") == 1
    old_id = visitor.call("ids")[0]
    reset = visitor.post("/_/session/reset", {})
    assert reset.status_code == 200, reset.text
    assert cookie_attributes(set_cookies(reset)["wb_session"])["max-age"] == "0"
    assert visitor.call("ring_the_bell") == 1
    assert visitor.call("ids")[0] != old_id


def test_an_expired_session_says_so_once(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    visitor.call("ring_the_bell")
    idle = timedelta(minutes=server.config.gui.app_session_minutes + 1)
    server.db.write_now(
        lambda db: db.execute("UPDATE app_sessions SET last_seen = ?", [iso(now() - idle)])
    )
    response = visitor.post("/_/call", {"name": "ring_the_bell", "args": [], "kwargs": {}})
    assert response.json()["exception"]["type"] == "anvil.server.SessionExpiredError"
    assert cookie_attributes(set_cookies(response)["wb_session"])["max-age"] == "0"
    assert visitor.call("ring_the_bell") == 1  # a new session


def test_calls_that_never_touch_the_session_make_none(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    response = visitor.post("/_/call", {"name": "caller", "args": [], "kwargs": {}})
    assert response.status_code == 200
    assert set_cookies(response) == {}
    assert visitor.call("everything") == {}
    assert (
        server.db.read_now(lambda db: db.execute("SELECT count(*) FROM app_sessions").fetchone()[0])
        == 0
    )


# -- anvil.server.cookies --------------------------------------------------------------------


def test_cookies_are_kept_in_the_browser_signed(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    response = visitor.post(
        "/_/call", {"name": "set_cookie", "args": ["name", "Ann"], "kwargs": {}}
    )
    header = set_cookies(response)["wb_local"]
    attributes = cookie_attributes(header)
    assert "httponly" in attributes
    assert "domain" not in attributes
    assert int(attributes["max-age"]) == pytest.approx(30 * 86400, abs=5)
    value = visitor.cookie("wb_local")
    assert value is not None
    assert cookie_payload(value)["v"]["name"][0] == "Ann"  # readable, not forgeable
    assert visitor.call("get_cookie", "name") == "Ann"
    assert visitor.call("get_cookie", "other") == "missing"
    assert visitor.call("missing_cookie") == "KeyError"
    # they outlive the session
    visitor.forget_cookie("wb_session")
    assert visitor.call("get_cookie", "name") == "Ann"
    # a changed cookie is no cookie
    forged = value.replace(".", "A.", 1)
    visitor.client.cookies.set("wb_local", forged, domain=f"{app}.localhost")
    assert visitor.call("get_cookie", "name") == "missing"


def test_cookie_expiry_deletion_and_jars(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    response = visitor.post(
        "/_/call", {"name": "set_cookie", "args": ["short", 1], "kwargs": {"days": 2}}
    )
    assert int(cookie_attributes(set_cookies(response)["wb_local"])["max-age"]) == pytest.approx(
        2 * 86400, abs=5
    )
    visitor.call("set_cookie", "long", [1, 2], days=10)
    payload = cookie_payload(visitor.cookie("wb_local") or "")
    assert payload["v"]["long"][1] - payload["v"]["short"][1] == pytest.approx(8 * 86400, abs=5)
    # shared is a jar of its own
    visitor.call("set_cookie", "short", "shared value", jar="shared")
    assert visitor.call("get_cookie", "short", jar="shared") == "shared value"
    assert visitor.call("get_cookie", "short") == 1
    visitor.call("delete_cookie", "short")
    assert visitor.call("get_cookie", "short") == "missing"
    assert visitor.call("get_cookie", "long") == [1, 2]
    cleared = visitor.post("/_/call", {"name": "clear_cookies", "args": [], "kwargs": {}})
    assert cookie_attributes(set_cookies(cleared)["wb_local"])["max-age"] == "0"
    assert visitor.call("get_cookie", "long") == "missing"
    assert visitor.call("get_cookie", "short", jar="shared") == "shared value"


def test_what_a_cookie_may_hold(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    assert visitor.raised("big_cookie") == ("anvil.server.CookieError", "Cookie too big")
    assert visitor.raised("media_cookie") == (
        "anvil.server.CookieError",
        "Cannot store Media in cookies.",
    )


# -- context and origins ---------------------------------------------------------------------


def test_the_call_context(server: Server, app: str) -> None:
    found = Visitor(server, app).call("context")
    assert found == {
        "type": "server_module",
        "client": ["browser", "testclient"],
        "caller": ["browser", False],
        "inner": ["server_module", True],
        "app": app_url(server, app, ""),
        "api": app_url(server, app, "/_/api"),
        "task": None,
    }


# -- endpoints on the app's origin, and elsewhere ------------------------------------------


def test_a_gui_apps_endpoints_share_the_browsers_session(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    assert visitor.call("ring_the_bell") == 1
    answer = visitor.client.get(app_url(server, app, "/_/api/bell"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"n": 2, "client": "http", "cookie": None}  # no cookie gets in
    assert answer.headers["content-security-policy"] == "sandbox"
    assert "wb_local" in set_cookies(answer)
    assert visitor.call("ring_the_bell") == 3
    assert visitor.call("get_cookie", "from_endpoint") == "yes"
    # another caller has a session of its own
    assert server.browser().client.get(app_url(server, app, "/_/api/bell")).json()["n"] == 1
    missing = visitor.client.get(app_url(server, app, "/_/api/nothing"))
    assert missing.status_code == 404


def test_an_http_api_has_no_cookies_and_a_session_per_request(
    server: Server, owner: Browser
) -> None:
    slug = owner.create_widget("http", "Plain API", visibility="public")["slug"]
    assert owner.save(slug, {"main.py": API}, 1).status_code == 201
    client = server.browser().client
    for _ in range(2):
        answer = client.get(f"/w/{slug}/")
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "cookie": "This connection is not from a web browser - cannot access cookies.",
            "n": 1,
            "client": "http",
            "app": f"{server.config.origin}/w/{slug}",
            "api": f"{server.config.origin}/w/{slug}",
        }
        assert set_cookies(answer) == {}
