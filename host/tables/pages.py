"""A widget's Data page in the IDE (owner only): its tables and their columns, the client
permission of each, a paged, sortable grid of rows edited in place, and CSV import and
export. The page's script (`client/src/pages/data.js`) does everything through the JSON API
(`api.py`); the page itself carries only what the script needs to start."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from widgetbox.host.tables.api import PAGE_ROWS
from widgetbox.host.tables.tables_yaml import ACCESS, COLUMN_TYPES, SCHEMA_FILE
from widgetbox.host.web.dependencies import OwnedWidget, Viewer
from widgetbox.host.widgets.pages import widget_page

TYPE_LABELS = {
    "string": "Text",
    "number": "Number",
    "bool": "True/False",
    "date": "Date",
    "datetime": "Date and time",
    "simpleObject": "Simple object (JSON)",
    "media": "Media",
    "link_single": "Link to a row",
    "link_multiple": "Link to rows",
}
"""Column types as the page names them (Anvil's names in the schema file)."""
assert tuple(TYPE_LABELS) == COLUMN_TYPES

ACCESS_LABELS = {
    "none": "No access",
    "search": "Can search",
    "full": "Can search, edit and delete",
}
assert tuple(ACCESS_LABELS) == ACCESS


@get("/widgets/{slug:str}/data", include_in_schema=False)
async def data(owned_widget: OwnedWidget, viewer: Viewer) -> Template:
    """The widget's Data Tables: tables, columns, permissions, rows, CSV."""
    return widget_page(
        "widget/data.html",
        owned_widget,
        viewer,
        "pages/data.js",
        {"page_rows": PAGE_ROWS, "types": TYPE_LABELS, "access": ACCESS_LABELS},
        types=TYPE_LABELS,
        access=ACCESS_LABELS,
        schema_file=SCHEMA_FILE,
        active="data",
    )


PAGES = [data]
