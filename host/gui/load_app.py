"""A GUI app's route that answers with the app itself, as Anvil's `FormResponse` and
`AppResponder` do: the app's page, opening the form (with its arguments) or module the route
chose, with the data the client reads as `anvil.server.startup_data`, and the page's title
and meta tags. Served from the app's own `/_/api/` (app_sessions/app_routes.py), so the page is on
the app's origin, with the visit's cookies.

The route's body is guest bytes: the runtime reads it within a call answer's caps and
checks every field, the meta tags' names and number too (`load_app_in`); its rows and
searches are signed for the browser as a call's answer is (capabilities.py), so the client
can read them and pass them back to server code."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.datastructures import Cookie

from widgetbox.host.gui.apps import app_page
from widgetbox.host.gui.capabilities import Capabilities
from widgetbox.host.web.pages import Assets
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Code, LoadApp, encode_value


def loaded_app(
    widget: Widget,
    code: Code,
    assets: Assets,
    capabilities: Capabilities,
    found: LoadApp,
    cookies: list[Cookie],
) -> Response[Any]:
    """The app's page as the route's answer asks (`found`: its body, which the runtime has
    read and checked; one it refused made the run an error, endpoints/serve.py)."""
    signer = capabilities.of(widget.id, widget.created_at)
    load = {
        "form": found.form,
        "module": found.module,
        "args": encode_value(signer.seal(found.args)),
        "kwargs": encode_value(signer.seal(found.kwargs)),
        "data": encode_value(signer.seal(found.data)),
    }
    return app_page(widget, code, assets, load, found.meta, cookies)
