"""The ownership walk: every route of the app, called by someone who does not own the widget.

The routes come from the app itself (`app.routes`), so a new route cannot be forgotten: the
walk fails until the route is classified here, either as a route about one widget (with who
may use it and a valid request) or as one that is not (and where it is tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
import sqlite_utils
from litestar import Litestar

from tests.server._client import Browser, assert_error, assert_error_shape
from tests.server._data import add_run_and_schedule
from tests.server.conftest import Server

pytestmark = pytest.mark.server


@dataclass(frozen=True)
class WidgetRoute:
    """A route about one widget (`{slug}`), who may use it, and a request that works."""

    rule: Literal["read", "owner", "fork"]
    """read: anyone who can see the widget; owner: its owner only; fork: any signed-in
    user who can see it."""
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)


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
    ("GET", "/api/widgets/{slug:str}/diff"): WidgetRoute("owner", query={"old": 1, "new": 2}),
    ("POST", "/api/widgets/{slug:str}/versions/{number:int}/restore"): WidgetRoute(
        "owner", body={"base_version": 2}
    ),
    ("POST", "/api/widgets/{slug:str}/fork"): WidgetRoute("fork", body={}),
}

OTHER_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/"): "page: test_pages",
    ("GET", "/static/{file_path:path}"): "static files: test_pages",
    ("HEAD", "/static/{file_path:path}"): "static files: test_pages",
    ("GET", "/api/session"): "the viewer's own session: test_accounts",
    ("POST", "/api/auth/signup"): "test_accounts",
    ("POST", "/api/auth/login"): "test_accounts",
    ("POST", "/api/auth/logout"): "the viewer's own session: test_accounts",
    ("GET", "/api/admin/settings"): "admin only: test_accounts",
    ("PUT", "/api/admin/settings"): "admin only: test_accounts",
    (
        "GET",
        "/api/widgets",
    ): "the viewer's own widgets: test_lists_never_show_others_hidden_widgets",
    ("POST", "/api/widgets"): "creates the viewer's own widget: test_widgets",
    ("GET", "/api/explore"): "public widgets: test_lists_never_show_others_hidden_widgets",
    ("GET", "/api/schema"): "OpenAPI: test_openapi",
    ("GET", "/api/schema/openapi.json"): "OpenAPI: test_openapi",
    ("GET", "/api/schema/openapi.yaml"): "OpenAPI: test_openapi",
    ("GET", "/api/schema/openapi.yml"): "OpenAPI: test_openapi",
    ("GET", "/api/schema/{path:str}"): "OpenAPI: test_openapi",
}


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, OPTIONS aside (CORS preflight, automatic)."""
    found = set()
    for route in app.routes:
        methods = getattr(route, "methods", None) or {"*"}  # a non-HTTP route: classify it
        for method in methods:
            if method != "OPTIONS":
                found.add((method, route.path))
    return found


def test_every_route_is_classified(server: Server) -> None:
    routes = app_routes(server.app)
    unclassified = routes - WIDGET_ROUTES.keys() - OTHER_ROUTES.keys()
    assert not unclassified, f"add these routes to the ownership walk: {sorted(unclassified)}"
    stale = (WIDGET_ROUTES.keys() | OTHER_ROUTES.keys()) - routes
    assert not stale, f"these routes are gone; remove them from the walk: {sorted(stale)}"
    widget_routes = {(m, p) for m, p in routes if "{slug" in p}
    assert widget_routes == WIDGET_ROUTES.keys(), "a route about one widget must be walked"


def url_for(path: str, slug: str) -> str:
    url = path.replace("{slug:str}", slug).replace("{number:int}", "1")
    assert "{" not in url, f"the walk does not know how to fill in {path}"
    return url


def snapshot(server: Server, owner: Browser, widget_id: int, slug: str) -> dict[str, Any]:
    """Everything about the widget: its rows, and what its owner sees through the API."""

    def rows(db: sqlite_utils.Database) -> dict[str, Any]:
        return {
            table: list(
                db.query(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY id", [widget_id])
            )
            for table, column in [
                ("widgets", "id"),
                ("widget_versions", "widget_id"),
                ("runs", "widget_id"),
                ("schedules", "widget_id"),
            ]
        }

    return {
        "rows": server.db.read_now(rows),
        "widget": owner.widget(slug),
        "versions": owner.get(f"/api/widgets/{slug}/versions").json(),
        "version": owner.get(f"/api/widgets/{slug}/versions/2").json(),
    }


def owners_widget(server: Server, owner: Browser, title: str, visibility: str) -> dict[str, Any]:
    """A widget with two versions, a run and a schedule."""
    widget = owner.create_widget("script", title, visibility=visibility)
    assert owner.save(widget["slug"], {"main.py": "print('v2')\n"}, 1).status_code == 201
    add_run_and_schedule(server.db, widget["slug"])
    return widget


def expected(rule: str, visibility: str, who: str) -> tuple[int, str | None]:
    if visibility == "private":
        return 404, "not_found"  # its existence is not revealed, to anyone
    if rule == "read":
        return 200, None
    if rule == "fork" and who == "other":
        return 201, None
    return 403, "not_owner" if who == "other" else "login_required"


@pytest.mark.parametrize("visibility", ["private", "unlisted", "public"])
def test_the_ownership_walk(server: Server, visibility: str) -> None:
    server.user("admin")  # the admin may manage everything; the walk is about everyone else
    owner = server.user("owner")
    others = {"other": server.user("mallory"), "anonymous": server.browser()}
    target = owners_widget(server, owner, "Target", visibility)
    slug = target["slug"]
    before = snapshot(server, owner, target["id"], slug)

    walked = set()
    for method, path in sorted(app_routes(server.app)):
        if (method, path) in OTHER_ROUTES:
            continue
        route = WIDGET_ROUTES.get((method, path))
        assert route is not None, f"{method} {path} is not classified: add it to the walk"
        walked.add((method, path))

        for who, browser in others.items():
            response = browser.request(
                method, url_for(path, slug), json=route.body, params=route.query
            )
            status, code = expected(route.rule, visibility, who)
            context = f"{who} {method} {path} on a {visibility} widget"
            if status < 400:
                assert response.status_code == status, (context, response.text)
            else:
                got = assert_error_shape(response)["code"] if response.status_code >= 400 else None
                assert (response.status_code, got) == (status, code), context
                assert "Target" not in response.text, context
                assert "print('v2')" not in response.text, context

        assert snapshot(server, owner, target["id"], slug) == before, f"{method} {path} changed it"

        # and the request was a valid one: its owner may make it, on a widget of their own
        control = owners_widget(server, owner, f"Control {method} {path}", visibility)
        done = owner.request(
            method, url_for(path, control["slug"]), json=route.body, params=route.query
        )
        assert done.status_code in {200, 201, 204}, (method, path, done.text)

    assert walked == WIDGET_ROUTES.keys()


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
