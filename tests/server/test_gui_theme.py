"""A GUI app's theme on its origin: the colours stylesheet its page links, its theme assets at
/_/theme/ (content types, 404s, no way out of theme/assets/, revalidated by version), and a
save refusing colours that are not CSS colours."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.server._client import Browser, assert_error
from tests.server.conftest import Server
from widgetbox.host.gui import theme
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.server

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
SVG = '<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
PAGE = '<div class="page"><p anvil-slot="default"></p></div>'
THEME = {
    "theme/parameters.yaml": (
        "color_scheme:\n  colors:\n  - {name: Primary, color: '#00897B'}\n"
        "  - {name: Brand, color: 'rgb(1, 2, 3)'}\n"
    ),
    "theme/assets/standard-page.html": PAGE,
    "theme/assets/theme.css": ".page { border-top: 4px solid %color:Primary%; }",
    "theme/assets/images/logo.png": "data:image/png;base64," + base64.b64encode(PNG).decode(),
    "theme/assets/logo.svg": SVG,
}


def app_url(server: Server, slug: str, path: str = "/") -> str:
    return f"http://{slug}.{server.config.apps_host}{path}"


def make_app(owner: Browser, visibility: str = "public", **files: str) -> str:
    slug: str = owner.create_widget("gui", "Themed", visibility=visibility)["slug"]
    body = {"base_version": 1, "files": {**TEMPLATES["gui"], **THEME, **files}}
    response = owner.post(f"/api/widgets/{slug}/versions", json=body)
    assert response.status_code == 201, response.text
    return slug


@pytest.fixture
def app(alice: Browser) -> str:
    return make_app(alice)


def test_the_page_links_the_colours_and_the_apps_theme(
    server: Server, anon: Browser, app: str
) -> None:
    page = anon.client.get(app_url(server, app)).text
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert links[1:] == ["/_/theme-colors.css", "/_/theme/theme.css"]
    found = re.search(r'<script type="application/json" id="wb-theme">(.*?)</script>', page)
    assert found
    assert json.loads(found.group(1)) == {
        "templates": ["standard-page.html"],
        "assets": ["images/logo.png", "logo.svg", "standard-page.html", "theme.css"],
        "colors": [  # the app's own (anvil.app.theme_colors: the page adds the defaults)
            {"name": "Primary", "color": "#00897B"},
            {"name": "Brand", "color": "rgb(1, 2, 3)"},
        ],
    }


def test_the_colours_are_the_defaults_with_the_apps_own(
    server: Server, anon: Browser, alice: Browser, app: str
) -> None:
    sheet = anon.client.get(app_url(server, app, "/_/theme-colors.css"))
    assert sheet.status_code == 200
    assert sheet.headers["content-type"] == "text/css; charset=utf-8"
    assert sheet.headers["cache-control"] == "no-cache"
    assert sheet.headers["content-security-policy"] == "sandbox"
    assert "  --anvil-theme-primary: #00897B;\n" in sheet.text
    assert "  --anvil-theme-brand: rgb(1, 2, 3);\n" in sheet.text
    assert "  --anvil-theme-on-primary: #FFFFFF;\n" in sheet.text
    # unchanged: 304 without a body; a new version: the new colours
    again = anon.client.get(
        app_url(server, app, "/_/theme-colors.css"),
        headers={"if-none-match": sheet.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.content == b""
    files = alice.get(f"/api/widgets/{app}").json()["files"]
    files["theme/parameters.yaml"] = "color_scheme:\n  colors:\n  - {name: Primary, color: red}\n"
    assert alice.post(
        f"/api/widgets/{app}/versions", json={"base_version": 2, "files": files}
    ).status_code == 201  # fmt: skip
    changed = anon.client.get(
        app_url(server, app, "/_/theme-colors.css"),
        headers={"if-none-match": sheet.headers["etag"]},
    )
    assert changed.status_code == 200
    assert "  --anvil-theme-primary: red;\n" in changed.text
    assert changed.headers["etag"] != sheet.headers["etag"]


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("standard-page.html", "text/html; charset=utf-8", PAGE),
        ("theme.css", "text/css; charset=utf-8",
         ".page { border-top: 4px solid var(--anvil-theme-primary); }"),
        ("images/logo.png", "image/png", PNG),
        ("logo.svg", "image/svg+xml", SVG),
    ],
)  # fmt: skip
def test_theme_assets_are_served_with_their_content_type(
    server: Server, anon: Browser, app: str, path: str, content_type: str, body: str | bytes
) -> None:
    url = app_url(server, app, "/_/theme/" + path)
    answer = anon.client.get(url)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == content_type
    assert answer.content == (body.encode() if isinstance(body, str) else body)
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["content-security-policy"] == "sandbox"
    assert answer.headers["x-content-type-options"] == "nosniff"
    again = anon.client.get(url, headers={"if-none-match": answer.headers["etag"]})
    assert again.status_code == 304
    head = anon.client.head(url)
    assert head.status_code == 200
    assert head.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/_/theme/missing.png",
        "/_/theme/",
        "/_/theme/parameters.yaml",
        "/_/theme/%2e%2e/parameters.yaml",
        "/_/theme/..%2f..%2fserver.py",
        "/_/theme/images/%2e%2e/%2e%2e/%2e%2e/server.py",
        "/_/theme/.%2Ftheme.css",
        "/_/theme/images%5clogo.png",
    ],
)
def test_nothing_outside_the_theme_assets_is_served(
    server: Server, anon: Browser, app: str, path: str
) -> None:
    answer = anon.client.get(app_url(server, app, path))
    assert answer.status_code == 404
    assert b"anvil.server" not in answer.content
    assert b"color_scheme" not in answer.content


def test_a_private_apps_theme_is_its_owners_alone(
    server: Server, alice: Browser, anon: Browser
) -> None:
    slug = make_app(alice, visibility="private")
    for path in ("/_/theme/theme.css", "/_/theme-colors.css"):
        assert anon.client.get(app_url(server, slug, path)).status_code == 404
    hop = alice.client.get(f"/widgets/{slug}/app", follow_redirects=False)
    alice.client.get(hop.headers["location"], follow_redirects=False)  # the visit cookie
    own = alice.client.get(app_url(server, slug, "/_/theme/theme.css"))
    assert own.status_code == 200
    assert own.headers["cache-control"] == "private, no-cache"


def test_the_theme_is_not_served_on_widgetboxs_origin(anon: Browser, app: str) -> None:
    for path in (f"/_apps/{app}/_/theme/theme.css", f"/_apps/{app}/_/theme-colors.css"):
        assert anon.client.get(path).status_code == 404


def test_a_save_with_colours_that_are_not_css_is_refused_naming_each(alice: Browser) -> None:
    slug: str = alice.create_widget("gui", "Bad colours")["slug"]
    bad = "color_scheme:\n  colors:\n  - {name: Primary, color: 'nope'}\n  - {name: X}\n"
    files = {**TEMPLATES["gui"], theme.PARAMETERS: bad}
    refused = alice.post(f"/api/widgets/{slug}/versions", json={"base_version": 1, "files": files})
    error = assert_error(refused, 400, "invalid_design")
    assert [(p["file"], p["where"]) for p in error["details"]["problems"]] == [
        ("theme/parameters.yaml", "color_scheme.colors[0].color"),
        ("theme/parameters.yaml", "color_scheme.colors[1].color"),
    ]
