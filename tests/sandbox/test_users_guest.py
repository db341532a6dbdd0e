"""`anvil.users`, `anvil.server.session`, `cookies` and `context` in the real sandbox: guest
code written as Anvil's documentation writes it, its requests crossing the bridge to the real
`users`, `session` and `tables` handlers, with a real Users service on a real tables file in
tmp_path, wired as `Services.run_context` wires them (a run without a browser: its session
lasts for the run, and it has no cookies).

The browser's side (a session kept between calls, cookies, emails) is the server tier's:
tests/server/test_app_users.py and test_app_sessions.py."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server._users import FAST_HASHER
from widgetbox.host import tables
from widgetbox.host.app_sessions import AppSessions
from widgetbox.host.app_sessions import register as register_sessions
from widgetbox.host.app_sessions.visit import BACKGROUND, HTTP
from widgetbox.host.app_users import UsersService, guard_for, passwords
from widgetbox.host.app_users import register as register_users
from widgetbox.host.app_users.api import with_users_table
from widgetbox.host.config import load
from widgetbox.host.storage.database import Database
from widgetbox.host.tables import TablesSession, TablesStore
from widgetbox.host.tables.tables_yaml import dump, parse
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Call, Code, HttpRequest, Limits, Route, RunResult, Runtime, Script

pytestmark = pytest.mark.sandbox

SCHEMA = dump(
    with_users_table(parse("tables:\n  notes:\n    columns:\n      - {name: text, type: string}\n"))
)
FILES = {"tables.yaml": SCHEMA, "services.yaml": "users:\n  min_password_length: 10\n"}
WIDGET = Widget(
    id=1,
    slug="members",
    title="Members",
    kind="gui",
    visibility="public",
    owner_id=1,
    owner="owner",
    head_version=1,
    created_at="2026-12-04T00:00:00.000Z",
    updated_at="2026-12-04T00:00:00.000Z",
    forked_from=None,
)

PRELUDE = """\
import json
import anvil, anvil.server, anvil.users
from anvil.tables import app_tables

def out(*values):
    print(json.dumps(values[0] if len(values) == 1 else list(values), default=repr))

def attempt(fn):
    try:
        return {"value": fn()}
    except Exception as e:
        return {"raised": type(e).__module__ + "." + type(e).__name__, "message": str(e)}
"""


class Harness:
    def __init__(self, runtime: Runtime, folder: Path) -> None:
        self.runtime = runtime
        config = load(environ={}, overrides={"data_dir": folder})
        self.db = Database(config.database_path)
        self.sessions = AppSessions(self.db, config, "a test secret")
        self.store = TablesStore(folder)
        self.service = UsersService(self.store, self.sessions, None)

    def context(self, files: dict[str, str], call_type: str = BACKGROUND) -> dict[str, Any]:
        return {
            "widget_id": WIDGET.id,
            "tables": TablesSession(
                self.store, WIDGET.id, files.get("tables.yaml"), guarded=guard_for(files)
            ),
            "visit": self.sessions.ephemeral(WIDGET, files, call_type, "203.0.113.7"),
        }

    def run(self, job: Any, files: dict[str, str], call_type: str = BACKGROUND) -> RunResult:
        context = self.context(files, call_type)
        try:
            return self.runtime.run(job, limits=Limits.script().with_(timeout=60), context=context)
        finally:
            context["tables"].end()

    def lines(self, source: str, files: dict[str, str] | None = None) -> list[Any]:
        files = {**FILES, **(files or {})}
        code = Code({**files, "main.py": PRELUDE + textwrap.dedent(source)})
        result = self.run(Script(code), files)
        assert result.ok, (result.message, result.stderr, result.stdout, result.error)
        return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def registered(runtime: Runtime) -> Runtime:
    tables.register(runtime.bridge)
    register_sessions(runtime.bridge)
    return runtime


@pytest.fixture
def harness(registered: Runtime, tmp_path: Path) -> Iterator[Harness]:
    passwords.set_hasher(FAST_HASHER)
    found = Harness(registered, tmp_path / "data")
    register_users(registered.bridge, found.service)
    yield found
    found.store.close()
    found.db.close()


def raised(kind: str, message: str) -> dict[str, str]:
    return {"raised": kind, "message": message}


# -- anvil.users -------------------------------------------------------------------------------


def test_sign_up_log_in_get_user_and_log_out(harness: Harness) -> None:
    found = harness.lines(
        """
        out(anvil.users.get_user())
        ann = anvil.users.signup_with_email("Ann@Example.com", "a good password")
        out(type(ann).__name__, ann["email"], ann["enabled"], ann["password_hash"])
        out(anvil.users.get_user() == ann, anvil.users.get_user().get_id() == ann.get_id())
        anvil.users.logout()
        out(anvil.users.get_user())
        out(attempt(lambda: anvil.users.login_with_email("ann@example.com", "wrong password")))
        user = anvil.users.login_with_email("ann@example.com", "a good password")
        out(user["email"], user["n_password_failures"], user["last_login"] is not None)
        out(app_tables.users.get(email="ann@example.com") == user)
        """
    )
    assert found[0] is None
    assert found[1] == ["Row", "ann@example.com", True, "<hidden>"]
    assert found[2] == [True, True]
    assert found[3] is None
    assert found[4] == raised(
        "anvil.users.AuthenticationFailed", "Incorrect email address or password"
    )
    assert found[5] == ["ann@example.com", 0, True]
    assert found[6] is True


def test_anvils_exceptions(harness: Harness) -> None:
    found = harness.lines(
        """
        anvil.users.signup_with_email("bo@example.com", "a good password")
        out(attempt(lambda: anvil.users.signup_with_email("bo@example.com", "a good password")))
        out(attempt(lambda: anvil.users.signup_with_email("cy@example.com", "short")))
        u = anvil.users
        out([issubclass(c, u.AuthenticationFailed) for c in
             (u.EmailNotConfirmed, u.AccountIsNotEnabled, u.TooManyPasswordFailures)])
        out([issubclass(c, anvil.server.AnvilWrappedError) for c in
             (u.UserExists, u.AuthenticationFailed, u.PasswordNotAcceptable)])
        row = app_tables.users.get(email="bo@example.com")
        row["enabled"] = False
        out(attempt(lambda: anvil.users.login_with_email("bo@example.com", "a good password")))
        out(attempt(lambda: anvil.users.login_with_form()))
        out(attempt(lambda: anvil.users.login_with_google()))
        """
    )
    assert found[0] == raised("anvil.users.UserExists", "This user already exists")
    assert found[1] == raised(
        "anvil.users.PasswordNotAcceptable", "Passwords must be 10 characters or more"
    )
    assert found[2] == [True, True, True]
    assert found[3] == [True, True, True]
    assert found[4] == raised(
        "anvil.users.AccountIsNotEnabled", "This account has not been enabled by an administrator"
    )
    assert found[5] == raised(
        "builtins.Exception",
        "You can't use login_with_form() on the server (do it in form code instead)",
    )
    assert found[6]["raised"] == "builtins.NotImplementedError"
    assert "not available on Widgetbox" in found[6]["message"]


def test_force_login(harness: Harness) -> None:
    found = harness.lines(
        """
        anvil.users.signup_with_email("dee@example.com", "a good password")
        anvil.users.logout()
        dee = app_tables.users.get(email="dee@example.com")
        out(anvil.users.force_login(dee)["email"], anvil.users.get_user()["email"])
        out(anvil.users.force_login(None), anvil.users.get_user())
        note = app_tables.notes.add_row(text="not a user")
        out(attempt(lambda: anvil.users.force_login(note)))
        """
    )
    assert found[0] == ["dee@example.com", "dee@example.com"]
    assert found[1] == [None, None]
    assert found[2] == raised(
        "anvil.server.AnvilWrappedError",
        "force_login() must be passed a row from the users table",
    )


def test_the_password_hash_is_out_of_reach(harness: Harness) -> None:
    found = harness.lines(
        """
        import anvil.tables.query as q
        eve = anvil.users.signup_with_email("eve@example.com", "a good password")
        out(attempt(lambda: eve.update(password_hash="$argon2id$mine")))
        out(attempt(lambda: app_tables.users.add_row(email="x@example.com", password_hash="h")))
        out(attempt(lambda: len(app_tables.users.search(password_hash=q.like("$%")))))
        out(attempt(lambda: app_tables.users.get(password_hash=None)))
        out([row["password_hash"] for row in app_tables.users.search()])
        anvil.users.logout()
        out(anvil.users.login_with_email("eve@example.com", "a good password")["email"])
        """
    )
    for refused in found[:4]:
        assert refused["raised"] == "anvil.server.PermissionDenied", refused
        assert "kept by the Users service" in refused["message"]
    assert found[4] == ["<hidden>"]
    assert found[5] == "eve@example.com"


def test_without_the_service_the_table_is_code_s_own(harness: Harness) -> None:
    found = harness.lines(
        """
        app_tables.users.add_row(email="own@example.com", password_hash="pbkdf2$mine")
        out(app_tables.users.get(email="own@example.com")["password_hash"])
        out(attempt(lambda: anvil.users.get_user()))
        """,
        files={"services.yaml": ""},
    )
    assert found[0] == "pbkdf2$mine"
    assert found[1]["raised"] == "anvil.server.AnvilWrappedError"
    assert "Add the Users service" in found[1]["message"]


# -- require_user and authenticate_users -------------------------------------------------------

SERVER = """\
import anvil.server
import anvil.users


@anvil.server.callable(require_user=True)
def secret():
    return "secret for " + anvil.users.get_user()["email"]


@anvil.server.callable(require_user=lambda user: user["email"].startswith("admin"))
def admin():
    return "admin"


@anvil.server.callable
def join(email):
    anvil.users.signup_with_email(email, "a good password")
    return [anvil.server.call("secret"), attempt(lambda: anvil.server.call("admin"))]


def attempt(fn):
    try:
        return fn()
    except Exception as e:
        return [type(e).__module__ + "." + type(e).__name__, str(e)]


@anvil.server.route("/me", authenticate_users=True)
def me(**params):
    return {"email": anvil.server.request.user["email"]}
"""


def test_require_user(harness: Harness) -> None:
    code = Code({**FILES, "server.py": SERVER}, entry="server.py")
    refused = harness.run(Call(code, "secret"), FILES, HTTP)
    assert refused.error is not None
    assert refused.error.qualified_type == "anvil.users.AuthenticationFailed"
    assert refused.error.message == "You must be logged in to call this server function"
    joined = harness.run(Call(code, "join", ["fay@example.com"]), FILES, HTTP)
    assert joined.ok, joined.error
    assert joined.value == [
        "secret for fay@example.com",
        [
            "anvil.server.PermissionDenied",
            "You do not have permission to call server function 'admin'",
        ],
    ]
    admin = harness.run(Call(code, "join", ["admin@example.com"]), FILES, HTTP)
    assert admin.value == ["secret for admin@example.com", "admin"]


def test_authenticate_users(harness: Harness) -> None:
    import base64

    code = Code({**FILES, "server.py": SERVER}, entry="server.py")
    assert harness.run(Call(code, "join", ["gus@example.com"]), FILES, HTTP).ok

    def request(credentials: str | None) -> Any:
        headers = {}
        if credentials is not None:
            headers["authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        job = Route(
            code,
            HttpRequest(
                method="GET",
                path="/me",
                query={},
                form={},
                headers=headers,
                body=b"",
                origin="http://members.localhost:8000/_/api",
                remote_address="203.0.113.7",
            ),
        )
        result = harness.run(job, FILES, HTTP)
        assert result.ok, result.error
        return result.response

    assert request(None).status == 401
    assert request(None).headers["www-authenticate"] == 'Basic realm="Widgetbox App API"'
    assert request("gus@example.com:wrong").status == 401
    found = request("gus@example.com:a good password")
    assert found.status == 200
    assert json.loads(found.body) == {"email": "gus@example.com"}


# -- anvil.server.session, cookies, context ------------------------------------------------------


def test_the_session_as_a_dict(harness: Harness) -> None:
    found = harness.lines(
        """
        s = anvil.server.session
        out(len(s), "n" in s, s.get("n", 0), list(s))
        s["n"] = 1
        s.update(a=[1, 2], b={"c": None})
        out(dict(s.items()), sorted(s.keys()), s.pop("b"), s.setdefault("d", 4), len(s))
        del s["d"]
        out(attempt(lambda: s["d"]), repr(s))
        out(anvil.server.get_session_id() == s.session_id, len(s.session_id))
        """
    )
    assert found[0] == [0, False, 0, []]
    assert found[1] == [{"n": 1, "a": [1, 2], "b": {"c": None}}, ["a", "b", "n"], {"c": None}, 4, 3]
    assert found[2] == [raised("builtins.KeyError", "'d'"), "<Session:{'n': 1, 'a': [1, 2]}>"]
    assert found[3] == [True, 32]


def test_cookies_and_context_without_a_browser(harness: Harness) -> None:
    found = harness.lines(
        """
        out(attempt(lambda: anvil.server.cookies.local.get("x")))
        out(attempt(lambda: anvil.server.cookies.shared.set(1, x=1)))
        c = anvil.server.context
        out(c.type, c.client.type, c.client.ip, c.remote_caller, c.background_task_id)
        out(anvil.server.get_app_origin(), anvil.server.get_api_origin("published"))
        """
    )
    refused = raised(
        "anvil.server.CookieError",
        "This connection is not from a web browser - cannot access cookies.",
    )
    assert found[0] == found[1] == refused
    assert found[2] == ["server_module", "background_task", "203.0.113.7", None, None]
    assert found[3] == ["http://members.localhost:8000", "http://members.localhost:8000/_/api"]
