"""A GUI app's theme: its colours, checked on save, and its assets.

**The default theme** is close to the one Anvil gives new apps (Material Design 3): its colour
scheme, with Anvil's names (`Primary`, `On Primary`, `Surface`, ...), and its roles
(`headline`, `filled-button`, `outlined-card`, ...), declared once in
client/src/gui/theme.json; components.css draws the roles with the colours.

**An app's own theme is where Anvil keeps it**, in the app's files, so an Anvil app's `theme/`
folder is stored and exported as it is:

- `theme/parameters.yaml`, Anvil's theme parameters: `color_scheme.colors`, a list of
  `{name, color}`, are the app's colours; each replaces the default of its name, and a new
  name adds a colour. Every other key (`roles`, the colour presets, ...) is kept, unused.
  The designer's app settings edit the colours in this file.
- `theme/assets/<path>`, served on the app's origin at `/_/theme/<path>` (as Anvil serves
  them: `theme/assets/logo.png` is `/_/theme/logo.png`). `theme.css` is linked by the app's
  page after the components' styles, with Anvil's `%color:Name%` made the colour's CSS
  variable; an `.html` asset is what an HtmlTemplate's `html: '@theme:<name>.html'` draws
  (Anvil's `standard-page.html` among them). Widget files are text: a binary asset (a
  picture, a font) is kept as a `data:` URL (`data:image/png;base64,...`) and served decoded.

Why not `app.json`: an Anvil app carries its colours in `theme/parameters.yaml`, so an import
keeps them without a translation and an export gives them back unchanged; app.json holds what
only Widgetbox has (the runtime).

**Colours reach the page as CSS variables**: each colour named N is `--anvil-theme-<n>`
(`css_name`), set on the page's root by a stylesheet made from the files (`stylesheet`,
served at `/_/theme-colors.css`), and a property's `theme:N` is drawn as `var(--anvil-theme-
<n>)` (client/src/gui/theme.js), so a colour's new value shows everywhere it is used
without drawing anything again.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from widgetbox.host.gui import form_templates
from widgetbox.host.gui.catalogue import catalogue
from widgetbox.host.gui.findings import Finding

THEME_PATH = Path(__file__).resolve().parents[2] / "client" / "src" / "gui" / "theme.json"
PARAMETERS = "theme/parameters.yaml"
ASSETS = "theme/assets/"
THEME_CSS = "theme.css"
STANDARD_PAGE = "standard-page.html"
"""The HTML `@theme:standard-page.html` names: the app's asset, else Widgetbox's own."""
MAX_ASSET_BYTES = 4 * 1024 * 1024
"""An asset's largest size, in bytes (decoded, for a `data:` URL)."""
MAX_NAME = 100
THEME_PREFIX = "theme:"

MEDIA_TYPES = {  # text is UTF-8 (the web layer says so: text/css; charset=utf-8)
    ".css": "text/css",
    ".html": "text/html",
    ".htm": "text/html",
    ".js": "text/javascript",
    ".json": "application/json",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".xml": "application/xml",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
}
OTHER_MEDIA_TYPE = "application/octet-stream"

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_FUNCTION = re.compile(
    r"(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(\s*[-+0-9a-zA-Z.%,/\s]*\)", re.IGNORECASE
)
_NAMED = frozenset(
    """aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue
    blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk
    crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki
    darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen
    darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue
    dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite
    gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki
    lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
    lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen
    lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen
    magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen
    mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream
    mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
    palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum
    powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown
    seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen
    steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow
    yellowgreen transparent currentcolor""".split()  # noqa: SIM905 - a word list reads best as text
)
_CSS_NAME = re.compile(r"[^a-z0-9]+")
_CSS_COLOR_REFERENCE = re.compile(r"%color:([^%\n]{1,100})%")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATA_URL = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w.+-]+=[\w.+-]+)*;base64,", re.ASCII)

__all__ = [
    "ASSETS",
    "PARAMETERS",
    "Asset",
    "asset",
    "color_names",
    "color_problem",
    "css_name",
    "defaults",
    "page_theme",
    "problems",
    "stylesheet",
]


@dataclass(frozen=True)
class Role:
    name: str
    title: str
    components: tuple[str, ...]


@dataclass(frozen=True)
class Defaults:
    """The default theme (theme.json)."""

    colors: tuple[tuple[str, str], ...]
    """Name and value of each colour of the scheme, in Anvil's order."""
    aliases: tuple[tuple[str, str], ...]
    """Older themes' names, drawn with the scheme's colours (`theme:Name`) or their own."""
    roles: tuple[Role, ...]
    fingerprint: str
    """Changes when the file does (part of the colours stylesheet's ETag)."""


@functools.cache
def defaults() -> Defaults:
    text = THEME_PATH.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return Defaults(
        colors=tuple((item["name"], item["color"]) for item in data["colors"]),
        aliases=tuple((item["name"], item["color"]) for item in data["aliases"]),
        roles=tuple(
            Role(item["name"], item["title"], tuple(item["components"])) for item in data["roles"]
        ),
        fingerprint=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
    )


def css_name(name: str) -> str:
    """The CSS variable of the colour `name` (as client/src/gui/theme.js names it):
    `On Primary` -> `--anvil-theme-on-primary`."""
    return "--anvil-theme-" + _CSS_NAME.sub("-", name.strip().lower())


def color_problem(value: Any) -> str | None:
    """Why `value` is not a CSS colour a theme may hold, or None."""
    expected = "expected a CSS colour such as #6750A4, rgb(103, 80, 164), hsl(...) or a colour name"
    if not isinstance(value, str):
        return expected
    text = value.strip()
    if len(text) > MAX_NAME:
        return f"a colour of at most {MAX_NAME} characters"
    if _HEX.fullmatch(text) or _FUNCTION.fullmatch(text) or text.lower() in _NAMED:
        return None
    return expected


def _css_value(value: str) -> str:
    """A colour's value as CSS: `theme:Name` (an alias) is the other colour's variable."""
    if value.startswith(THEME_PREFIX):
        return f"var({css_name(value[len(THEME_PREFIX) :])})"
    return value.strip()


# -- the app's colours (theme/parameters.yaml) -----------------------------------------------


def _parameters(files: Mapping[str, str]) -> Any:
    """The parameters' data (None when absent or unreadable: `problems` says why)."""
    text = files.get(PARAMETERS)
    if text is None:
        return None
    limits = catalogue().limits
    try:
        return form_templates.load(PARAMETERS, text, limits.design_bytes, limits.depth)
    except form_templates.TemplateError:
        return None


def _color_list(data: Any) -> Any:
    if not isinstance(data, dict):
        return None
    scheme = data.get("color_scheme")
    return scheme.get("colors") if isinstance(scheme, dict) else None


def app_colors(files: Mapping[str, str]) -> dict[str, str]:
    """The app's own colours (name -> value), those that can be used."""
    found: dict[str, str] = {}
    items = _color_list(_parameters(files))
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name, value = item.get("name"), item.get("color")
        if _name_problem(name) is None and color_problem(value) is None:
            found[str(name)] = str(value).strip()
    return found


def palette(files: Mapping[str, str]) -> dict[str, str]:
    """Every colour the app's pages define (name -> CSS value): the defaults, the older
    themes' names, then the app's own (replacing those of the same name)."""
    theme = defaults()
    found = {name: _css_value(value) for name, value in (*theme.colors, *theme.aliases)}
    found.update(app_colors(files))
    return found


def color_names(files: Mapping[str, str]) -> frozenset[str]:
    """The names `theme:Name` may use in this app's designs."""
    return frozenset(palette(files))


def stylesheet(files: Mapping[str, str]) -> str:
    """The CSS that gives the app's page its colours: one variable for each."""
    lines = [f"  {css_name(name)}: {value};" for name, value in palette(files).items()]
    return ":root {\n" + "\n".join(lines) + "\n}\n"


def _name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "a colour's name is text, such as Primary"
    if len(name) > MAX_NAME or _CONTROL.search(name) or "%" in name:
        return f"a colour's name has at most {MAX_NAME} characters, without % or line breaks"
    return None


def problems(files: Mapping[str, str]) -> list[Finding]:
    """What keeps the theme's files from being saved, every problem at once: parameters that
    cannot be read, colours that are not CSS colours, assets too large or undecodable."""
    found: list[Finding] = []
    if PARAMETERS in files:
        found.extend(_parameter_problems(files[PARAMETERS]))
    for path in sorted(files):
        if path.startswith(ASSETS):
            problem = _asset_problem(files[path])
            if problem:
                found.append(Finding(path, "", problem))
    return found


def _parameter_problems(text: str) -> list[Finding]:
    limits = catalogue().limits

    def problem(where: str, text: str) -> Finding:
        return Finding(PARAMETERS, where, text)

    try:
        data = form_templates.load(PARAMETERS, text, limits.design_bytes, limits.depth)
    except form_templates.TemplateError as e:
        return [problem(e.where, e.problem)]
    if data is None:
        return []
    if not isinstance(data, dict):
        return [problem("", "expected a mapping, such as color_scheme: {colors: [...]}")]
    scheme = data.get("color_scheme")
    if scheme is None:
        return []
    if not isinstance(scheme, dict):
        return [problem("color_scheme", "expected a mapping with the colours, colors: [...]")]
    items = scheme.get("colors")
    if items is None:
        return []
    if not isinstance(items, list):
        return [problem("color_scheme.colors", "expected a list of {name, color}")]
    return _color_problems(items)


def _color_problems(items: list[Any]) -> list[Finding]:
    """Each colour of `color_scheme.colors`: a name once, a CSS colour."""
    found: list[Finding] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"color_scheme.colors[{index}]"
        if not isinstance(item, dict):
            found.append(Finding(PARAMETERS, where, "expected {name: ..., color: ...}"))
            continue
        name = item.get("name")
        if why := _name_problem(name):
            found.append(Finding(PARAMETERS, f"{where}.name", why))
        elif name in seen:
            found.append(
                Finding(PARAMETERS, f"{where}.name", f"the colour {name!r} is named twice")
            )
        else:
            seen.add(str(name))
        if why := color_problem(item.get("color")):
            found.append(Finding(PARAMETERS, f"{where}.color", f"{why}, not {item.get('color')!r}"))
    return found


# -- assets (theme/assets/) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str


def _decoded(text: str) -> bytes:
    """An asset's bytes: a `data:...;base64,` URL decoded, other text as UTF-8; raises
    ValueError."""
    found = _DATA_URL.match(text)
    if found is None:
        return text.encode("utf-8")
    try:
        return base64.b64decode(text[found.end() :].strip(), validate=True)
    except binascii.Error:
        raise ValueError("a data: URL whose base64 cannot be decoded") from None


def _asset_problem(text: str) -> str | None:
    try:
        size = len(_decoded(text))
    except ValueError as e:
        return str(e)
    if size > MAX_ASSET_BYTES:
        return f"a theme asset may hold at most {MAX_ASSET_BYTES:,} bytes"
    return None


def asset_path(name: str) -> str | None:
    """The file a request for `/_/theme/<name>` reads, or None when `name` is not a plain
    relative path (no `..`, no empty or dot parts, no backslashes)."""
    if not name or len(name) > 1000 or "\\" in name or "\x00" in name or name.startswith("/"):
        return None
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts) or posixpath.normpath(name) != name:
        return None
    return ASSETS + name


def asset(files: Mapping[str, str], name: str) -> Asset | None:
    """The asset a request for `/_/theme/<name>` gets (stylesheets with their colours made
    CSS variables, `theme_css`), or None."""
    path = asset_path(name)
    text = files.get(path) if path is not None else None
    if path is None or text is None:
        return None
    if name.endswith(".css"):
        text = theme_css(text)
    try:
        body = _decoded(text)
    except ValueError:
        return None
    if len(body) > MAX_ASSET_BYTES:
        return None
    return Asset(body, MEDIA_TYPES.get(posixpath.splitext(name)[1].lower(), OTHER_MEDIA_TYPE))


def theme_css(text: str) -> str:
    """An Anvil theme.css with its `%color:Name%` made the colours' CSS variables (so a
    colour changed later shows there too)."""
    return _CSS_COLOR_REFERENCE.sub(lambda found: f"var({css_name(found.group(1))})", text)


def page_theme(files: Mapping[str, str]) -> dict[str, Any]:
    """What the app's page needs of the theme: whether it links the app's theme.css, the
    HTML assets an HtmlTemplate may draw (`@theme:<name>`), every asset's name
    (`anvil.app.get_asset`) and the app's own colours as [{name, color}] (the page merges
    them with the defaults: client/src/gui/theme.js's themeColors, for `anvil.app.theme_colors`)."""
    names = sorted(path[len(ASSETS) :] for path in files if path.startswith(ASSETS))
    return {
        "css": THEME_CSS in names,
        "templates": [name for name in names if name.endswith((".html", ".htm"))],
        "assets": [name for name in names if asset_path(name) is not None],
        "colors": [{"name": name, "color": color} for name, color in app_colors(files).items()],
    }
