"""The ownership walk: every route of the app, called by someone who does not own the widget.

The routes come from the app itself (`app.routes`), so a new route cannot be forgotten: the
walk fails until the route is classified here, either as a route about one widget or one of
its runs (with who may use it and a valid request) or as one that is not (and where it is
tested). No response to anyone, the owner included, ever holds the value of a secret.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import sqlite_utils
from litestar import Litestar

from tests.server._client import Browser, assert_error, assert_error_shape
from tests.server._data import add_run_and_schedule
from tests.server.conftest import Server
from widgetbox.host.gui.tokens import Grant
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.server

BUILD = Path(__file__).resolve().parents[2] / "client" / "build"


@dataclass(frozen=True)
class WidgetRoute:
    """A route about one widget (`{slug}`) or one of its runs (`{run_id}`), who may use it,
    and a request that works."""

    rule: Literal[
        "read", "owner", "fork", "fork-names", "run", "http", "page", "owner-page",
        "app-link", "app-page", "app", "app-enter", "app-static",
    ]  # fmt: skip
    """read: anyone who can see the widget; owner: its owner only; fork: any signed-in
    user who can see it (fork-names: what their fork would be called, read-only); run: a
    run of the widget, private to its owner (404 to anyone else, whatever the widget's
    visibility); http: the widget's own HTTP API, its owner's only
    while private, and everyone's (the widget's answer) when unlisted or public; page and
    owner-page: the IDE's HTML pages, like read and owner, except that a visitor who is not
    signed in is sent to log in (303) from an owner's page. GUI apps: app-link, Widgetbox's
    link to an app (303 to it; when private, a page saying so, 403, to anyone but its
    owner); app-page, the app's page on its own origin (anyone's unless private: then 303
    to app-link, which hands its owner over); app, its server calls and other requests on
    its origin (anyone's unless private; the owner enters with a token);
    app-enter, redeeming that token (no one else has one); app-static, the loader, the
    runtime files and the live preview's empty shell (the same for every app, nothing of
    the widget's)."""
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    kind: str = "script"
    """The kind of widget the route is for (a schedule is a task's, /w/ an HTTP API's)."""


SECRET_NAME = "API_KEY"
FAR_SCHEDULE = {"type": "interval", "every": 10000, "unit": "days"}
"""A valid schedule that fires only decades from now: never during the walk."""
W_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
W_PATHS = {"/w/{slug:str}": "/", "/w/{slug:str}/{path:path}": "hello"}
"""The widget HTTP API routes, and the path the widget sees for each."""

WIDGET_ROUTES: dict[tuple[str, str], WidgetRoute] = {
    ("GET", "/api/widgets/{slug:str}"): WidgetRoute("read"),
    ("PATCH", "/api/widgets/{slug:str}"): WidgetRoute(
        "owner", body={"title": "Taken over", "slug": "taken-over", "visibility": "public"}
    ),
    ("DELETE", "/api/widgets/{slug:str}"): WidgetRoute("owner"),
    ("GET", "/api/widgets/{slug:str}/versions"): WidgetRoute("owner"),
    ("POST", "/api/widgets/{slug:str}/versions"): WidgetRoute(
        "owner", body={"base_version": 2, "files": {"main.py": "print('taken over')"}}
    ),
    ("GET", "/api/widgets/{slug:str}/versions/{number:int}"): WidgetRoute("owner"),
    ("PATCH", "/api/widgets/{slug:str}/versions/{number:int}"): WidgetRoute(
        "owner", body={"message": "taken over"}
    ),
    ("GET", "/api/widgets/{slug:str}/diff"): WidgetRoute("owner", query={"old": 1, "new": 2}),
    ("POST", "/api/widgets/{slug:str}/versions/{number:int}/restore"): WidgetRoute(
        "owner", body={"base_version": 2}
    ),
    ("POST", "/api/widgets/{slug:str}/fork"): WidgetRoute("fork", body={}),
    ("GET", "/api/widgets/{slug:str}/fork"): WidgetRoute("fork-names"),
    # an export holds what anyone who may read the code sees (never secrets or data)
    ("GET", "/api/widgets/{slug:str}/export"): WidgetRoute("read", kind="http"),
    # runs: starting one, the history and the logs are the owner's; a non-owner may fork
    ("POST", "/api/widgets/{slug:str}/runs"): WidgetRoute("owner", body={}),
    ("GET", "/api/widgets/{slug:str}/runs"): WidgetRoute("owner"),
    ("GET", "/api/widgets/{slug:str}/logs"): WidgetRoute("owner"),
    ("GET", "/api/runs/{run_id:int}"): WidgetRoute("run"),
    ("GET", "/api/runs/{run_id:int}/events"): WidgetRoute("run"),
    ("POST", "/api/runs/{run_id:int}/cancel"): WidgetRoute("run", body={}),
    # a task's schedule
    ("GET", "/api/widgets/{slug:str}/schedule"): WidgetRoute("owner", kind="scheduled"),
    ("PUT", "/api/widgets/{slug:str}/schedule"): WidgetRoute(
        "owner", body=FAR_SCHEDULE, kind="scheduled"
    ),
    ("DELETE", "/api/widgets/{slug:str}/schedule"): WidgetRoute("owner", kind="scheduled"),
    ("POST", "/api/widgets/{slug:str}/schedule/pause"): WidgetRoute(
        "owner", body={}, kind="scheduled"
    ),
    ("POST", "/api/widgets/{slug:str}/schedule/resume"): WidgetRoute(
        "owner", body={}, kind="scheduled"
    ),
    # secrets: names to the owner only; values to no one, ever
    ("GET", "/api/widgets/{slug:str}/secrets"): WidgetRoute("owner"),
    ("PUT", "/api/widgets/{slug:str}/secrets/{name:str}"): WidgetRoute(
        "owner", body={"value": "overwritten by someone else"}
    ),
    ("DELETE", "/api/widgets/{slug:str}/secrets/{name:str}"): WidgetRoute("owner"),
    # packages: status, lock and changes are the owner's (an empty list installs nothing)
    ("GET", "/api/widgets/{slug:str}/packages"): WidgetRoute("owner"),
    ("PUT", "/api/widgets/{slug:str}/packages/requirements"): WidgetRoute(
        "owner", body={"requirements": ""}
    ),
    ("POST", "/api/widgets/{slug:str}/packages/install"): WidgetRoute("owner", body={}),
    # Data Tables: the schema, the rows and CSV are the owner's (the walk's widgets have a
    # table `people` with a column `name` and one row)
    ("GET", "/api/widgets/{slug:str}/tables"): WidgetRoute("owner"),
    ("PATCH", "/api/widgets/{slug:str}/tables"): WidgetRoute("owner", body={"auto_create": False}),
    ("POST", "/api/widgets/{slug:str}/tables"): WidgetRoute("owner", body={"name": "taken"}),
    ("PATCH", "/api/widgets/{slug:str}/tables/{table:str}"): WidgetRoute(
        "owner", body={"client": "full"}
    ),
    ("DELETE", "/api/widgets/{slug:str}/tables/{table:str}"): WidgetRoute("owner"),
    ("POST", "/api/widgets/{slug:str}/tables/{table:str}/columns"): WidgetRoute(
        "owner", body={"name": "age", "type": "number"}
    ),
    ("PATCH", "/api/widgets/{slug:str}/tables/{table:str}/columns"): WidgetRoute(
        "owner", body={"name": "taken"}, query={"column": "name"}
    ),
    ("DELETE", "/api/widgets/{slug:str}/tables/{table:str}/columns"): WidgetRoute(
        "owner", query={"column": "name"}
    ),
    ("GET", "/api/widgets/{slug:str}/tables/{table:str}/rows"): WidgetRoute("owner"),
    ("POST", "/api/widgets/{slug:str}/tables/{table:str}/rows"): WidgetRoute(
        "owner", body={"values": {"name": "taken"}}
    ),
    ("PATCH", "/api/widgets/{slug:str}/tables/{table:str}/rows/{row:int}"): WidgetRoute(
        "owner", body={"text": {"name": "taken"}}
    ),
    ("DELETE", "/api/widgets/{slug:str}/tables/{table:str}/rows/{row:int}"): WidgetRoute("owner"),
    ("POST", "/api/widgets/{slug:str}/tables/{table:str}/import"): WidgetRoute(
        "owner", body={"csv": "name\ntaken\n"}
    ),
    ("GET", "/api/widgets/{slug:str}/tables/{table:str}/export"): WidgetRoute("owner"),
    # the Users service: its settings and its users are the owner's (the walk's GUI widgets
    # have the service on, and one user, row 1)
    ("GET", "/api/widgets/{slug:str}/users/settings"): WidgetRoute("owner", kind="gui"),
    ("PUT", "/api/widgets/{slug:str}/users/settings"): WidgetRoute(
        "owner", body={"enabled": True, "allow_signup": False}, kind="gui"
    ),
    ("GET", "/api/widgets/{slug:str}/users"): WidgetRoute("owner", kind="gui"),
    ("PATCH", "/api/widgets/{slug:str}/users/{row:int}"): WidgetRoute(
        "owner", body={"enabled": False}, kind="gui"
    ),
    ("DELETE", "/api/widgets/{slug:str}/users/{row:int}"): WidgetRoute("owner", kind="gui"),
    # the IDE's pages: the code is readable; everything else is the owner's
    ("GET", "/widgets/{slug:str}"): WidgetRoute("page"),
    ("GET", "/widgets/{slug:str}/runs"): WidgetRoute("owner-page"),
    ("GET", "/widgets/{slug:str}/runs/{run_id:int}"): WidgetRoute("owner-page"),
    ("GET", "/widgets/{slug:str}/logs"): WidgetRoute("owner-page"),
    ("GET", "/widgets/{slug:str}/versions"): WidgetRoute("owner-page"),
    ("GET", "/widgets/{slug:str}/schedule"): WidgetRoute("owner-page", kind="scheduled"),
    ("GET", "/widgets/{slug:str}/settings"): WidgetRoute("owner-page"),
    ("GET", "/widgets/{slug:str}/data"): WidgetRoute("owner-page"),
    # a GUI widget's app, on its own origin (details: test_gui_apps)
    ("GET", "/widgets/{slug:str}/app"): WidgetRoute("app-link", kind="gui"),
    ("GET", "/_apps/{slug:str}"): WidgetRoute("app-page", kind="gui"),
    ("POST", "/_apps/{slug:str}/_/call"): WidgetRoute(
        "app", body={"name": "hello", "args": [], "kwargs": {}}, kind="gui"
    ),
    ("GET", "/_apps/{slug:str}/_/enter"): WidgetRoute("app-enter", kind="gui"),
    # its tables and background tasks read by browser code (details: test_gui_tables,
    # test_tasks)
    ("POST", "/_apps/{slug:str}/_/tables"): WidgetRoute("app", body={"op": "describe"}, kind="gui"),
    ("POST", "/_apps/{slug:str}/_/task"): WidgetRoute(
        "app", body={"id": "1", "cap": "read.forged"}, kind="gui"
    ),
    # its sessions and Users service (details: test_app_sessions, test_app_users)
    ("POST", "/_apps/{slug:str}/_/users"): WidgetRoute("app", body={"op": "config"}, kind="gui"),
    ("POST", "/_apps/{slug:str}/_/session/reset"): WidgetRoute("app", body={}, kind="gui"),
    ("GET", "/_apps/{slug:str}/_/email-confirm"): WidgetRoute("app", kind="gui"),
    ("GET", "/_apps/{slug:str}/_/reset-password"): WidgetRoute("app", kind="gui"),
    ("POST", "/_apps/{slug:str}/_/reset-password"): WidgetRoute("app", body={}, kind="gui"),
    # its server code's HTTP endpoints, at /_/api on its origin, every method
    **{
        (method, f"/_apps/{{slug:str}}/_/api{rest}"): WidgetRoute(
            "app", body={"sent": method} if method in {"POST", "PUT", "PATCH"} else None, kind="gui"
        )
        for method in W_METHODS
        for rest in ("", "/{path:path}")
    },
    ("GET", "/_apps/{slug:str}/_/static/{path:path}"): WidgetRoute("app-static", kind="gui"),
    ("HEAD", "/_apps/{slug:str}/_/static/{path:path}"): WidgetRoute("app-static", kind="gui"),
    ("GET", "/_apps/{slug:str}/_/preview"): WidgetRoute("app-static", kind="gui"),
    # the app's theme (details: test_gui_theme): as private as the app
    ("GET", "/_apps/{slug:str}/_/theme-colors.css"): WidgetRoute("app", kind="gui"),
    ("HEAD", "/_apps/{slug:str}/_/theme-colors.css"): WidgetRoute("app", kind="gui"),
    ("GET", "/_apps/{slug:str}/_/theme/{path:path}"): WidgetRoute("app", kind="gui"),
    ("HEAD", "/_apps/{slug:str}/_/theme/{path:path}"): WidgetRoute("app", kind="gui"),
    # the widget's own HTTP API, every method
    **{
        (method, path): WidgetRoute(
            "http",
            body={"sent": method} if method in {"POST", "PUT", "PATCH"} else None,
            kind="http",
        )
        for method in W_METHODS
        for path in W_PATHS
    },
}

OTHER_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/"): "page: test_pages",
    ("GET", "/welcome"): "the viewer's own page: test_pages",
    ("GET", "/new"): "the viewer's own page: test_pages",
    ("GET", "/explore"): "public widgets: test_pages",
    ("GET", "/admin"): "admin only: test_pages",
    ("GET", "/healthz"): "liveness, no data: test_health",
    ("GET", "/readyz"): "readiness, no data: test_health",
    ("GET", "/metrics"): "admin only: test_health",
    ("GET", "/static/{path:path}"): "static files: test_pages",
    ("HEAD", "/static/{path:path}"): "static files: test_pages",
    ("GET", "/api/session"): "the viewer's own session: test_accounts",
    ("POST", "/api/auth/signup"): "test_accounts",
    ("POST", "/api/auth/login"): "test_accounts",
    ("POST", "/api/auth/logout"): "the viewer's own session: test_accounts",
    ("GET", "/api/admin/settings"): "admin only: test_accounts",
    ("PUT", "/api/admin/settings"): "admin only: test_accounts",
    ("GET", "/api/admin/users"): "admin only: test_admin",
    ("POST", "/api/admin/users"): "admin only: test_admin",
    ("PATCH", "/api/admin/users/{username:str}"): "admin only: test_admin",
    ("POST", "/api/admin/users/{username:str}/password-link"): "admin only: test_admin",
    ("GET", "/api/admin/limits"): "admin only: test_admin",
    ("PUT", "/api/admin/limits"): "admin only: test_admin",
    ("GET", "/api/admin/health"): "admin only: test_admin",
    ("GET", "/settings"): "the viewer's own settings: test_tokens",
    ("GET", "/api/tokens"): "the viewer's own tokens: test_tokens",
    ("POST", "/api/tokens"): "makes the viewer's own token: test_tokens",
    ("DELETE", "/api/tokens/{token_id:int}"): "the viewer's own tokens only: test_tokens",
    (
        "GET",
        "/api/widgets",
    ): "the viewer's own widgets: test_lists_never_show_others_hidden_widgets",
    ("POST", "/api/widgets"): "creates the viewer's own widget: test_widgets",
    ("POST", "/api/imports"): "creates the viewer's own widget: test_transfer",
    ("GET", "/import"): "the viewer's own page: test_transfer",
    ("GET", "/api/explore"): "public widgets: test_lists_never_show_others_hidden_widgets",
    ("POST", "/api/schedules/preview"): "any signed-in user, about no widget: test_scheduler",
    # courses: members only (404 to anyone else), teachers' routes 403 to students; a
    # teacher reviews a student's copy through the widget routes above (test_courses)
    **dict.fromkeys(
        [
            ("GET", "/api/courses"),
            ("POST", "/api/courses"),
            ("POST", "/api/courses/join"),
            ("GET", "/api/courses/{course_id:int}"),
            ("PATCH", "/api/courses/{course_id:int}"),
            ("POST", "/api/courses/{course_id:int}/join-code"),
            ("GET", "/api/courses/{course_id:int}/members"),
            ("POST", "/api/courses/{course_id:int}/co-teachers"),
            ("DELETE", "/api/courses/{course_id:int}/members/{user_id:int}"),
            ("POST", "/api/courses/{course_id:int}/members/{user_id:int}/password-link"),
            ("POST", "/api/courses/{course_id:int}/roster"),
            ("GET", "/api/courses/{course_id:int}/assignments"),
            ("POST", "/api/courses/{course_id:int}/assignments"),
            ("GET", "/api/courses/{course_id:int}/assignments/{assignment_id:int}"),
            ("PATCH", "/api/courses/{course_id:int}/assignments/{assignment_id:int}"),
            ("POST", "/api/courses/{course_id:int}/assignments/{assignment_id:int}/start"),
            ("GET", "/api/courses/{course_id:int}/assignments/{assignment_id:int}/mine"),
            ("POST", "/api/courses/{course_id:int}/assignments/{assignment_id:int}/submissions"),
            ("GET", "/api/courses/{course_id:int}/assignments/{assignment_id:int}/students"),
            ("GET", "/courses"),
            ("GET", "/courses/{course_id:int}"),
            ("GET", "/courses/{course_id:int}/assignments/{assignment_id:int}"),
            ("GET", "/join/{code:str}"),
        ],
        "a course's members only: test_courses",
    ),
    **dict.fromkeys(
        [
            (method, "/api/courses/{course_id:int}/assignments/{assignment_id:int}/" + path)
            for method, path in (
                ("GET", "checks"),
                ("PUT", "checks"),
                ("DELETE", "checks"),
                ("POST", "checks/run"),
                ("GET", "checks/results"),
                ("POST", "check"),
                ("GET", "mine/checks"),
            )
        ],
        "a course's members only, the checks teachers' only: test_course_checks",
    ),
    **dict.fromkeys(
        [
            ("GET", "/api/courses/{course_id:int}/grid"),
            ("GET", "/api/courses/{course_id:int}/grid.csv"),
            ("GET", "/api/courses/{course_id:int}/submissions.zip"),
            ("GET", "/courses/{course_id:int}/grid"),
            (
                "GET",
                "/courses/{course_id:int}/assignments/{assignment_id:int}/students/{student_id:int}",
            ),
            ("GET", "/api/courses/{course_id:int}/assignments/{assignment_id:int}/feedback"),
            *(
                (
                    method,
                    "/api/courses/{course_id:int}/assignments/{assignment_id:int}"
                    "/students/{student_id:int}" + path,
                )
                for method, path in (
                    ("GET", "/feedback"),
                    ("PUT", "/feedback/note"),
                    ("POST", "/feedback/comments"),
                    ("DELETE", "/feedback/comments/{comment_id:int}"),
                    ("POST", "/feedback/release"),
                )
            ),
        ],
        "a course's teachers only; a student's own released feedback: test_course_review",
    ),
    **dict.fromkeys(
        [
            ("GET", "/api/courses/{course_id:int}/limits"),
            ("PUT", "/api/courses/{course_id:int}/limits"),
            ("GET", "/api/courses/{course_id:int}/usage"),
        ],
        "a course's members (a student's own use), set by teachers: test_course_limits",
    ),
    ("GET", "/set-password"): "a page for anyone, its token in the fragment: test_courses",
    ("POST", "/api/auth/set-password"): "by a one-time link's token: test_courses",
    ("GET", "/api/schema"): "OpenAPI: test_openapi",
    ("GET", "/api/schema/openapi.json"): "OpenAPI: test_openapi",
    ("GET", "/api/schema/openapi.yaml"): "OpenAPI: test_openapi",
    ("GET", "/api/schema/openapi.yml"): "OpenAPI: test_openapi",
    ("GET", "/api/schema/{path:str}"): "OpenAPI: test_openapi",
}

HTTP_API = """\
# print('v2')
import anvil.server

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@anvil.server.route("/", methods=METHODS)
def root(**params):
    return {"method": anvil.server.request.method, "path": "/"}


@anvil.server.route("/:name", methods=METHODS)
def named(name, **params):
    return {"method": anvil.server.request.method, "path": name}
"""
"""The HTTP API of the walk's widgets: it answers every method at / and /{name} with what
it saw (and its source holds the same marker as the other kinds' second version)."""
GUI_SERVER = """\
# print('v2')
import anvil.server

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@anvil.server.callable
def hello():
    return "hi"


@anvil.server.route("/", methods=METHODS)
def api_root(**params):
    return "api"


@anvil.server.route("/runtimes/:runtime/:file", methods=METHODS)
def api_file(runtime, file, **params):
    return "api"
"""
USERS_TABLE = (
    "  users:\n    columns:\n      - {name: email, type: string}\n"
    "      - {name: enabled, type: bool}\n      - {name: password_hash, type: string}\n"
    "      - {name: confirmed_email, type: bool}\n"
)
"""The GUI widgets' Users service keeps its users here (one of them, row 1, added)."""
TABLES = "tables:\n  people:\n    columns:\n      - {name: name, type: string}\n"
"""The walk's widgets' Data Tables: `people`, with a column `name` (and one row, added)."""
FILES = {
    "script": {"main.py": "print('v2')\n", "tables.yaml": TABLES},
    "http": {"main.py": HTTP_API, "tables.yaml": TABLES},
    "gui": {
        **TEMPLATES["gui"],
        "server.py": GUI_SERVER,
        "tables.yaml": TABLES + USERS_TABLE,
        "services.yaml": "users:\n  allow_signup: true\n",
        "theme/assets/note.txt": "a theme asset\n",
    },
}
APPS = "/_apps/{slug:str}"
RUNTIME_FILE = "runtimes/{runtime}/brython.min.js"
"""A file the app origin serves (the runtime's folder name is filled in from the build)."""


def runtime_folder() -> str:
    manifest = json.loads((BUILD / "manifest.json").read_text())
    return str(manifest["runtimes"]["brython"]["base"]).split("/")[1]


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) the app answers. OPTIONS only where a handler of the app's own
    answers it (widgets' HTTP APIs), not Litestar's automatic CORS preflight."""
    found = set()
    for route in app.routes:
        handlers = getattr(route, "route_handlers", None)
        if not handlers:  # a non-HTTP route: classify it
            found.add(("*", route.path))
            continue
        for handler in handlers:
            for method in handler.http_methods:
                if method != "OPTIONS" or handler.handler_name != "options_handler":
                    found.add((method, route.path))
    return found


def test_every_route_is_classified(server: Server) -> None:
    routes = app_routes(server.app)
    unclassified = routes - WIDGET_ROUTES.keys() - OTHER_ROUTES.keys()
    assert not unclassified, f"add these routes to the ownership walk: {sorted(unclassified)}"
    stale = (WIDGET_ROUTES.keys() | OTHER_ROUTES.keys()) - routes
    assert not stale, f"these routes are gone; remove them from the walk: {sorted(stale)}"
    widget_routes = {(m, p) for m, p in routes if "{slug" in p or "{run_id" in p}
    assert widget_routes == WIDGET_ROUTES.keys(), "a route about one widget must be walked"
    assert {("OPTIONS", path) for path in W_PATHS} <= routes  # widgets answer it themselves


@dataclass
class Target:
    """A widget of the owner's with two versions, a run, a schedule and a secret."""

    slug: str
    id: int
    run_id: int


def url_for(path: str, target: Target) -> str:
    if path.startswith(APPS):  # on the app's own origin
        asset = "note.txt" if "/_/theme/" in path else RUNTIME_FILE
        rest = path.removeprefix(APPS).replace("{path:path}", asset) or "/"
        rest = rest.replace("{runtime}", runtime_folder())
        return f"http://{target.slug}.localhost:8000{rest}"
    url = (
        path.replace("{slug:str}", target.slug)
        .replace("{number:int}", "1")
        .replace("{run_id:int}", str(target.run_id))
        .replace("{name:str}", SECRET_NAME)
        .replace("{table:str}", "people")
        .replace("{row:int}", "1")
        .replace("{path:path}", W_PATHS["/w/{slug:str}/{path:path}"])
    )
    assert "{" not in url, f"the walk does not know how to fill in {path}"
    return url


def snapshot(server: Server, owner: Browser, target: Target) -> dict[str, Any]:
    """Everything about the widget: its rows, and what its owner sees through the API. Its
    HTTP API's request log is left out: requests to an API that answers anyone are logged."""

    def rows(db: sqlite_utils.Database) -> dict[str, Any]:
        found = {
            table: list(
                db.query(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY id", [target.id])
            )
            for table, column in [
                ("widgets", "id"),
                ("widget_versions", "widget_id"),
                ("schedules", "widget_id"),
                ("secrets", "widget_id"),
            ]
        }
        found["runs"] = list(
            db.query(
                "SELECT * FROM runs WHERE widget_id = ? AND trigger NOT IN ('http', 'call') "
                "ORDER BY id",
                [target.id],
            )
        )
        return found

    slug = target.slug
    return {
        "rows": server.db.read_now(rows),
        "widget": owner.widget(slug),
        "versions": owner.get(f"/api/widgets/{slug}/versions").json(),
        "version": owner.get(f"/api/widgets/{slug}/versions/2").json(),
        "runs": owner.get(f"/api/widgets/{slug}/runs").json(),
        "secrets": owner.get(f"/api/widgets/{slug}/secrets").json(),
        "tables": owner.get(f"/api/widgets/{slug}/tables").json(),
        "table_rows": owner.get(f"/api/widgets/{slug}/tables/people/rows").json(),
        "users": owner.get(f"/api/widgets/{slug}/users").json(),
        "users_settings": owner.get(f"/api/widgets/{slug}/users/settings").json(),
    }


def owners_widget(
    server: Server, owner: Browser, title: str, visibility: str, kind: str, secret: str
) -> Target:
    """A widget of `kind` with two versions, a run, a schedule, the secret API_KEY and a
    row in its table `people`."""
    widget = owner.create_widget(kind, title, visibility=visibility)
    slug = widget["slug"]
    files = FILES.get(kind, FILES["script"])
    assert owner.save(slug, files, 1).status_code == 201
    run_id = add_run_and_schedule(server.db, slug)
    stored = owner.put(f"/api/widgets/{slug}/secrets/{SECRET_NAME}", json={"value": secret})
    assert stored.status_code == 200, stored.text
    assert secret not in stored.text
    row = owner.post(f"/api/widgets/{slug}/tables/people/rows", json={"values": {"name": "Ada"}})
    assert row.status_code == 201, row.text
    if kind == "gui":
        user = {"email": "ada@example.com", "enabled": True}
        added = owner.post(f"/api/widgets/{slug}/tables/users/rows", json={"values": user})
        assert added.status_code == 201, added.text
    return Target(slug, widget["id"], run_id)


def expected(rule: str, visibility: str, who: str) -> tuple[int, str | None]:
    if rule == "run":
        return 404, "no_such_run"  # runs are private to the owner, whoever can see the widget
    if visibility == "private":
        return 404, "not_found"  # its existence is not revealed, to anyone
    if rule in {"read", "http"}:
        return 200, None
    if rule == "fork" and who == "other":
        return 201, None
    if rule == "fork-names" and who == "other":
        return 200, None
    return 403, "not_owner" if who == "other" else "login_required"


PAGES = ("page", "owner-page")
APP_RULES = ("app-link", "app-page", "app", "app-enter", "app-static")


def expected_app(rule: str, visibility: str) -> int:
    """The status of an app's route for someone who does not own the widget."""
    if rule == "app-static":
        return 200
    if rule == "app-link" and visibility == "private":
        return 403  # "This app is private" (its title not shown)
    if rule == "app-page" and visibility == "private":
        return 303  # to app-link
    if rule == "app-enter" or visibility == "private":
        return 404  # no token of theirs; nothing of a private app answers them
    return 303 if rule == "app-link" else 200


def send_app(
    server: Server,
    browser: Browser,
    method: str,
    url: str,
    route: WidgetRoute,
    target: Target,
    owner: bool,
) -> httpx.Response:
    """A request to an app, as its owner's or a visitor's browser makes it. The owner enters
    a private app from Widgetbox first (the token is for them alone); others have a token of
    their own at best, which lets no one else in."""
    params: dict[str, str] = {}
    if route.rule == "app-enter":
        user = browser.whoami()
        grant = Grant(target.id, user["id"] if user else -1)
        params["token"] = server.app.state.app_tokens.entry(grant)
    elif route.rule in ("app", "app-page") and owner:
        hop = browser.client.get(f"/widgets/{target.slug}/app", follow_redirects=False)
        if "/_/enter" in hop.headers.get("location", ""):
            browser.client.get(hop.headers["location"], follow_redirects=False)
    headers = {}
    if method == "POST":
        headers["origin"] = url.split("/_/", maxsplit=1)[0]
    return browser.client.request(
        method, url, json=route.body, params=params, headers=headers, follow_redirects=False
    )


def expected_page(rule: str, visibility: str, who: str) -> int:
    """The status of one of the IDE's pages for someone who does not own the widget."""
    if visibility == "private":
        return 404  # its existence is not revealed, to anyone
    if rule == "page":
        return 200
    return 403 if who == "other" else 303  # 303: to the log-in form, and back afterwards


def request_for(
    server: Server,
    browser: Browser,
    method: str,
    path: str,
    target: Target,
    route: WidgetRoute,
    owner: bool = False,
) -> httpx.Response:
    url = url_for(path, target)
    if route.rule in APP_RULES:
        return send_app(server, browser, method, url, route, target, owner)
    return send(browser, method, url, route)


def check_app_answer(response: httpx.Response, rule: str, visibility: str, context: str) -> None:
    assert response.status_code == expected_app(rule, visibility), context
    if response.status_code >= 300:
        assert "Target" not in response.text, context
    if rule in ("app-link", "app-page") and response.status_code == 303:
        assert "token=" not in response.headers["location"], context  # tokens are the owner's


def send(browser: Browser, method: str, url: str, route: WidgetRoute) -> httpx.Response:
    if route.rule in PAGES:  # HTML, and redirects are part of the answer
        return browser.client.request(method, url, follow_redirects=False)
    if method == "HEAD":  # no body, so no error shape to check
        return browser.client.request(method, url)
    return browser.request(method, url, json=route.body, params=route.query)


def http_logs(server: Server, target: Target) -> int:
    """How many requests to the widget's HTTP API are logged (written first)."""
    server.call(server.app.state.runner.log.flush)
    return int(
        server.db.read_now(
            lambda db: db.execute(
                "SELECT COUNT(*) FROM runs WHERE widget_id = ? AND trigger = 'http'",
                [target.id],
            ).fetchone()[0]
        )
    )


@pytest.mark.parametrize("visibility", ["private", "unlisted", "public"])
def test_the_ownership_walk(server: Server, visibility: str) -> None:
    server.user("admin")  # the admin may manage everything; the walk is about everyone else
    owner = server.user("owner")
    others = {"other": server.user("mallory"), "anonymous": server.browser()}
    secret = f"wb-walk-secret-{uuid.uuid4().hex}"
    targets = {
        kind: owners_widget(server, owner, "Target", visibility, kind, secret)
        for kind in ("script", "scheduled", "http", "gui")
    }
    before = {kind: snapshot(server, owner, target) for kind, target in targets.items()}

    walked = set()
    answered = 0
    for method, path in sorted(app_routes(server.app)):
        if (method, path) in OTHER_ROUTES:
            continue
        route = WIDGET_ROUTES.get((method, path))
        assert route is not None, f"{method} {path} is not classified: add it to the walk"
        walked.add((method, path))
        target = targets[route.kind]

        for who, browser in others.items():
            response = request_for(server, browser, method, path, target, route)
            context = f"{who} {method} {path} on a {visibility} widget"
            assert secret not in response.text, context
            if route.rule in APP_RULES:
                check_app_answer(response, route.rule, visibility, context)
                continue
            if route.rule in PAGES:
                page_status = expected_page(route.rule, visibility, who)
                assert response.status_code == page_status, (context, response.text[:300])
                if page_status == 303:
                    assert response.headers["location"].startswith("/?next=/widgets/"), context
                if page_status != 200:
                    assert "Target" not in response.text, context
                    assert "print('v2')" not in response.text, context
                continue
            status, code = expected(route.rule, visibility, who)
            if status < 400:
                assert response.status_code == status, (context, response.text)
            elif method == "HEAD":
                assert (response.status_code, response.content) == (status, b""), context
            else:
                got = assert_error_shape(response)["code"] if response.status_code >= 400 else None
                assert (response.status_code, got) == (status, code), context
                assert "Target" not in response.text, context
                assert "print('v2')" not in response.text, context
            if route.rule == "http" and status == 200:
                # the widget's own answer, the same for everyone: not an ownership leak
                answered += 1
                if method != "HEAD":
                    seen = W_PATHS[path]
                    assert response.json() == {"method": method, "path": seen}, context

        after = snapshot(server, owner, target)
        assert after == before[route.kind], f"{method} {path} changed it"

        # and the request was a valid one: its owner may make it, on a widget of their own
        control = owners_widget(
            server, owner, f"Control {method} {path}", visibility, route.kind, secret
        )
        done = request_for(server, owner, method, path, control, route, owner=True)
        ok = {200, 201, 202, 204} | ({303} if route.rule in ("app-link", "app-enter") else set())
        assert done.status_code in ok, (method, path, done.text)
        assert secret not in done.text, (method, path)

    assert walked == WIDGET_ROUTES.keys()
    # others' requests to a private widget's API never reached it; the others were answered
    assert http_logs(server, targets["http"]) == answered
    assert answered == (0 if visibility == "private" else 2 * len(W_METHODS) * len(W_PATHS))


@pytest.mark.parametrize("visibility", ["private", "unlisted"])
def test_lists_never_show_others_hidden_widgets(server: Server, visibility: str) -> None:
    server.user("admin")
    owner = server.user("owner")
    slug = owner.create_widget(title="Hidden thing", visibility=visibility)["slug"]
    other = server.user("mallory")
    anon = server.browser()
    assert [w["slug"] for w in other.get("/api/widgets").json()["widgets"]] == []
    assert_error(anon.get("/api/widgets"), 403, "login_required")
    for browser in (other, anon, owner):
        assert slug not in [w["slug"] for w in browser.get("/api/explore").json()["widgets"]]
    assert "Hidden thing" not in other.get("/").text  # the dashboard
