"""Which origin a request is for (app host names), the apps domain setting, and the tokens
that let a private app's owner in."""

from __future__ import annotations

from typing import Any

import pytest

from widgetbox.host.config import ConfigError, load
from widgetbox.host.gui.hosts import NOWHERE, PREFIX, AppHosts, app_of
from widgetbox.host.gui.tokens import ENTRY_SECONDS, VISIT_SECONDS, AppTokens, Grant

pytestmark = pytest.mark.unit


def hosts(**settings: Any) -> AppHosts:
    return AppHosts(load(environ={}, overrides={"port": 8000, **settings}))


def scope(host: str, path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "path": path,
        "raw_path": path.encode(),
        "headers": [(b"host", host.encode())],
    }


def test_app_hosts_are_one_label_under_the_apps_domain() -> None:
    found = hosts()
    assert found.slug_for("greeter.localhost:8000") == "greeter"
    assert found.slug_for("GREETER.LOCALHOST:8000") == "greeter"
    assert found.slug_for("localhost:8000") is None  # Widgetbox itself
    assert found.slug_for("127.0.0.1:8000") is None
    assert found.slug_for("greeter.localhost:9000") is None
    assert found.slug_for("a.b.localhost:8000") == ""  # under the domain, but no app
    assert found.slug_for(".localhost:8000") == ""


def test_requests_for_apps_move_under_the_internal_prefix() -> None:
    found = hosts()
    request = scope("greeter.localhost:8000", "/_/call")
    found.route(request)
    assert (request["path"], request["raw_path"]) == (
        f"{PREFIX}/greeter/_/call",
        f"{PREFIX}/greeter/_/call".encode(),
    )
    assert app_of(request) == "greeter"
    ide = scope("localhost:8000", "/api/session")
    found.route(ide)
    assert (ide["path"], app_of(ide)) == ("/api/session", None)
    sneaky = scope("localhost:8000", f"{PREFIX}/greeter/")
    found.route(sneaky)
    assert sneaky["path"] == NOWHERE
    nameless = scope("x.y.localhost:8000", "/")
    found.route(nameless)
    assert nameless["path"] == f"{PREFIX}/-/"


def test_the_apps_domain_setting() -> None:
    config = load(environ={}, overrides={"port": 8000})
    assert (config.apps_host, config.app_origin("a")) == (
        "localhost:8000",
        "http://a.localhost:8000",
    )
    custom = load(
        environ={"WIDGETBOX_APPS_DOMAIN": "Apps.Example.com"},
        overrides={"public_url": "https://widgets.example.com"},
    )
    assert custom.app_origin("a") == "https://a.apps.example.com"
    assert hosts(apps_domain="apps.example.com").slug_for("a.apps.example.com") == "a"
    with pytest.raises(ConfigError, match="contains Widgetbox's own host name"):
        load(
            environ={},
            overrides={"public_url": "https://w.example.com", "apps_domain": "example.com"},
        )
    with pytest.raises(ConfigError, match="WIDGETBOX_APPS_DOMAIN"):
        load(environ={"WIDGETBOX_APPS_DOMAIN": "https://apps.example.com/"})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_entry_tokens_work_once_and_for_a_minute() -> None:
    clock = Clock()
    tokens = AppTokens("secret", clock)
    grant = Grant(widget_id=7, user_id=3)
    token = tokens.entry(grant)
    assert tokens.redeem(token) == grant
    assert tokens.redeem(token) is None  # once
    late = tokens.entry(grant)
    clock.now += ENTRY_SECONDS + 1
    assert tokens.redeem(late) is None


def test_tokens_cannot_be_forged_or_mixed_up() -> None:
    clock = Clock()
    tokens = AppTokens("secret", clock)
    grant = Grant(7, 3)
    entry, visit = tokens.entry(grant), tokens.visit(grant)
    assert tokens.visitor(visit) == grant
    assert tokens.visitor(entry) is None  # an entry token is not a visit cookie
    assert tokens.redeem(visit) is None
    assert AppTokens("another secret", clock).visitor(visit) is None
    body, mac = visit.split(".")
    assert tokens.visitor(f"{body}x.{mac}") is None
    for junk in ("", "a", "a.b.c", "." * 3, "x" * 1000, None):
        assert tokens.visitor(junk) is None
    clock.now += VISIT_SECONDS + 1
    assert tokens.visitor(visit) is None
