"""What `anvil.app` says of a widget's app, the same to its client code (the app's page,
gui/apps.py) and to its server code (the bridge's `session` context, app_sessions/handler.py).

    id           the widget's number as text: opaque, as Anvil's app ids are, and it stays
                 when the widget's address (its slug) changes
    branch       "master": Anvil's name for an app run from its latest code, which is what
                 every Widgetbox app runs (there is no separately published version)
    environment  {"name": "Published", "tags": []}: the one environment an app has
"""

from __future__ import annotations

from typing import Any

from widgetbox.host.widgets.records import Widget

BRANCH = "master"
ENVIRONMENT = "Published"


def app_info(widget: Widget) -> dict[str, Any]:
    """`anvil.app`'s id, branch and environment for `widget`."""
    return {
        "id": str(widget.id),
        "branch": BRANCH,
        "environment": {"name": ENVIRONMENT, "tags": []},
    }
