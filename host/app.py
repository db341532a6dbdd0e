"""The Litestar application, assembled from its parts."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Response, Router
from litestar.datastructures import State
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components
from litestar.stores.memory import MemoryStore
from litestar.stores.registry import StoreRegistry

from widgetbox.host.accounts.sessions import SessionCache
from widgetbox.host.admin.limits import SiteLimits
from widgetbox.host.config import Config
from widgetbox.host.endpoints import direct, early
from widgetbox.host.endpoints import serve as http_api
from widgetbox.host.gui.capabilities import Capabilities
from widgetbox.host.gui.hosts import PREFIX as APPS_PREFIX
from widgetbox.host.gui.hosts import AppHosts, Widgetbox
from widgetbox.host.gui.tokens import AppTokens
from widgetbox.host.health import RequestMetrics
from widgetbox.host.routes import routes
from widgetbox.host.services import Services
from widgetbox.host.tokens.auth import TokenMiddleware
from widgetbox.host.tokens.scopes import SECURITY_SCHEMES, ScopesPlugin
from widgetbox.host.web import pages
from widgetbox.host.web.dependencies import DEPENDENCIES
from widgetbox.host.web.errors import body, handle
from widgetbox.host.web.guards import (
    CsrfMiddleware,
    SameOriginMiddleware,
    add_security_headers,
    csrf_config,
    server_secret,
)

log = logging.getLogger("widgetbox.host")

CLIENT_DIR = Path(__file__).resolve().parent.parent / "client"
"""What browsers get: client/ in a checkout, `widgetbox/client/` in a wheel (pyproject.toml)."""
OPENAPI_PATH = "/api/schema"
"""The OpenAPI document is served at /api/schema/openapi.json (and .yaml)."""

PUBLIC_WRITE_PATHS: tuple[str, ...] = (http_api.PREFIX, APPS_PREFIX)
"""Paths that take state-changing requests from anywhere (widgets' own HTTP APIs, GUI apps on
their own origins, which check their own origin); they are excluded from the CSRF and
same-origin checks, and never see Widgetbox's cookies."""


def _schema_router() -> Router:
    """The router of the OpenAPI documents. Litestar answers an unknown path under it with
    an HTML page of its own; this makes that the API's JSON 404, like every other error."""

    def json_not_found(response: Response[Any]) -> Response[Any]:
        if response.status_code != 404:
            return response
        payload = body(404, "not_found", "There is nothing here.")
        return Response(payload, status_code=404, media_type=MediaType.JSON)

    return Router(
        OPENAPI_PATH,
        route_handlers=[],
        include_in_schema=False,
        dto=None,
        return_dto=None,
        after_request=json_not_found,
    )


def create_app(config: Config) -> Litestar:
    """The application for `config`. The database is opened (and migrated) on start-up and
    closed on shutdown."""
    secret = server_secret(config.server.data_dir)
    assets = pages.Assets(CLIENT_DIR / "build")
    site_limits = SiteLimits(config)
    state = State(
        {
            "config": config,
            "sessions": SessionCache(),
            "app_tokens": AppTokens(secret),
            "capabilities": Capabilities(secret),
            "site_limits": site_limits,
        }
    )
    services = Services(config, state)  # its metrics read the state the app fills
    state.secret_box = services.secret_box
    state.metrics = services.metrics

    app = Widgetbox(
        route_handlers=routes(config, assets, site_limits),
        state=state,
        dependencies=DEPENDENCIES,
        on_startup=[services.start],
        on_shutdown=[services.stop],
        exception_handlers={Exception: handle},
        before_send=[add_security_headers(config)],
        # outermost first: the request counted, who its API token is (if any), then the
        # browser checks, which a request with a token skips (see tokens/auth.py)
        middleware=[
            RequestMetrics(services.metrics),  # outermost: refusals below are counted too
            DefineMiddleware(TokenMiddleware, config=config),
            DefineMiddleware(
                SameOriginMiddleware, origins=config.allowed_origins, exclude=PUBLIC_WRITE_PATHS
            ),
            DefineMiddleware(
                CsrfMiddleware,
                config=csrf_config(
                    config, secret, exclude=[f"^{path}" for path in PUBLIC_WRITE_PATHS]
                ),
            ),
        ],
        plugins=[ScopesPlugin()],
        request_max_body_size=config.server.max_request_bytes,
        stores=StoreRegistry(default_factory=lambda name: MemoryStore()),
        openapi_config=OpenAPIConfig(
            title="Widgetbox API",
            version="0.1.0",
            description=(
                "Every action of Widgetbox. A browser's requests that change something need "
                "the CSRF token from the `wb_csrf` cookie in an `X-CSRF-Token` header. "
                "Programs send a personal access token instead (made in Settings), as "
                "`Authorization: Bearer wbt_...`, with no cookie or CSRF token; each "
                "operation says which scope (`read`, `run`, `write`) it needs, or that it "
                "needs a browser session. Errors have one shape: "
                '`{"error": {"status", "code", "message", "details"}}`.'
            ),
            components=Components(security_schemes=SECURITY_SCHEMES),
            path=OPENAPI_PATH,
            openapi_router=_schema_router(),
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        ),
        template_config=pages.template_config(CLIENT_DIR / "templates", assets),
        logging_config=LoggingConfig(
            root={"level": config.server.log_level, "handlers": ["queue_listener"]},
            log_exceptions="debug",
        ),
        debug=False,
    )
    app.app_hosts = AppHosts(config)
    app.refuse_early = functools.partial(early.refused, app.state)
    app.serve_directly = direct.Direct(app, site_limits.widget_requests).serve
    return app
