"""The IDE's "Import an Anvil app" page: a git URL or a zip sent by the page's script
(`client/src/pages/import.js`) to the JSON API (`api.py`), and the report shown."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from widgetbox.host.transfer.trees import Bounds
from widgetbox.host.web.dependencies import ConfigDep, Viewer
from widgetbox.host.web.rendering import page, require_viewer

FORM_OVERHEAD = 64 * 1024
"""Room in a request for the form around the zip (its other fields, the boundaries)."""


@get("/import", include_in_schema=False)
async def import_page(viewer: Viewer, config: ConfigDep) -> Template:
    """Give an Anvil app's git URL or upload its zip; see what the import found and open
    the widget."""
    user = require_viewer(viewer)
    limit = min(Bounds().archive_bytes, config.server.max_request_bytes - FORM_OVERHEAD)
    return page("import.html", user, "pages/import.js", data={"max_bytes": limit}, max_bytes=limit)


PAGES = [import_page]
