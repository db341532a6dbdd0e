"""`anvil.app` through the whole app, as Anvil describes it (the id, the branch, the
environment; a theme asset; read-only): in server code (a GUI app's server call, the facts
from the run's context) and in what the app's page hands its client code (the boot JSON's
`app`, the #wb-theme colours and assets that client/src/gui/app-info.js reads; the browser
side is tests/browser/test_gui_app_info.py)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.server._client import Browser
from tests.server._users import Visitor, app_url, make_app
from tests.server.conftest import Server

SERVER = """\
import anvil
import anvil.server


@anvil.server.callable
def facts():
    app = anvil.app
    return {"id": app.id, "branch": app.branch, "environment": app.environment.name,
            "tags": app.environment.tags, "repr": repr(app.environment)}


@anvil.server.callable
def asset(path):
    media = anvil.app.get_asset(path)
    return [media.content_type, media.name, media.get_bytes().decode("latin-1")]


@anvil.server.callable
def change(what):
    if what == "id":
        anvil.app.id = "other"
    elif what == "environment":
        anvil.app.environment.name = "other"
    else:
        return anvil.app.no_such_thing
"""
PARAMETERS = "color_scheme:\n  colors:\n  - {name: Primary, color: '#2196F3'}\n"


@pytest.fixture
def app(server: Server) -> tuple[Browser, str]:
    owner = server.user("admin")
    extra = {
        "theme/assets/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "theme/assets/img/dot.png": "data:image/png;base64,"
        + base64.b64encode(b"\x89PNG\r\n\x1a\n-not-really").decode(),
        "theme/parameters.yaml": PARAMETERS,
    }
    return owner, make_app(owner, "App info", SERVER, **extra)


def widget_id(owner: Browser, slug: str) -> str:
    found = owner.get(f"/api/widgets/{slug}")
    assert found.status_code == 200, found.text
    return str(found.json()["id"])


def test_server_code_knows_its_app(server: Server, app: tuple[Browser, str]) -> None:
    owner, slug = app
    found = Visitor(server, slug).call("facts")
    assert found == {
        "id": widget_id(owner, slug),
        "branch": "master",
        "environment": "Published",
        "tags": [],
        "repr": "Environment(name='Published', tags=[])",
    }


def test_server_code_reads_its_theme_assets(server: Server, app: tuple[Browser, str]) -> None:
    visitor = Visitor(server, app[1])
    assert visitor.call("asset", "logo.svg") == [
        "image/svg+xml",
        "logo.svg",
        "<svg xmlns='http://www.w3.org/2000/svg'/>",
    ]
    # kept as a data: URL, read decoded
    assert visitor.call("asset", "img/dot.png") == [
        "image/png",
        "dot.png",
        b"\x89PNG\r\n\x1a\n-not-really".decode("latin-1"),
    ]
    assert visitor.raised("asset", "missing.png") == ("ValueError", "Asset not found: missing.png")
    # only the theme's assets: no way out of theme/assets/
    assert visitor.raised("asset", "../../server.py") == (
        "ValueError",
        "Asset not found: ../../server.py",
    )
    assert visitor.raised("asset", "../parameters.yaml")[0] == "ValueError"


def test_anvil_app_is_read_only(server: Server, app: tuple[Browser, str]) -> None:
    visitor = Visitor(server, app[1])
    assert visitor.raised("change", "id") == ("AttributeError", "This object is read-only")
    assert visitor.raised("change", "environment") == (
        "AttributeError",
        "This object is read-only",
    )
    assert visitor.raised("change", "unknown")[0] == "AttributeError"


def _script(html: str, element_id: str) -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html)
    assert found is not None, element_id
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_the_page_gives_client_code_the_same_facts(
    server: Server, app: tuple[Browser, str]
) -> None:
    owner, slug = app
    page = server.browser().client.get(app_url(server, slug))
    assert page.status_code == 200, page.text
    boot = _script(page.text, "wb-boot")
    assert boot["app"] == {
        "id": widget_id(owner, slug),
        "branch": "master",
        "environment": {"name": "Published", "tags": []},
    }
    theme = _script(page.text, "wb-theme")
    # the app's own colours only: the page merges the defaults (theme.js's themeColors)
    assert theme["colors"] == [{"name": "Primary", "color": "#2196F3"}]
    assert theme["assets"] == ["img/dot.png", "logo.svg"]
