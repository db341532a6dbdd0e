"""`anvil.app` in the browser (what both sides share is anvil/_app_info.py, bundled from the
guest's package):

    anvil.app.id             the widget's id (host/widgets/app_info.py; in the designer's
                             preview, the one the design page posts)
    anvil.app.branch         "master"
    anvil.app.environment    "Published" on the app's page, "Designer" (tags ["debug"]) in
                             the preview, as Anvil's designer says
    anvil.app.package_name   the client code's package (app.json's package_name)
    anvil.app.theme_colors   name -> value of every theme colour the page is drawn with (the
                             default theme's, the app's own in their place, aliases followed
                             to the colour they name); setting a known colour changes it on
                             the page, as in Anvil
    anvil.app.get_asset(path)   the theme asset as a URLMedia of /_/theme/<path> (the app's
                             origin serves the saved ones); ValueError when the page does not
                             list it (the preview lists those the design page has)

The page holds it all (client/src/gui/app-info.js): nothing here asks the server.
"""

from . import _platform
from ._app_info import AppInfo
from ._media import URLMedia

ASSETS = "/_/theme/"
"""Where the app's origin serves its theme assets (host/gui/theme_web.py)."""

_info = None
_colors = None


def _read():
    global _info
    if _info is None:
        dom = _platform.get()
        _info = dom.json_loads(dom.app_info())
    return _info


class ThemeColors:
    """The theme's colours by name, read like a dict. A known colour may be given a new value
    (a string): the page shows it at once, and so do the names that follow it ('Primary 500'
    follows 'Primary'). New names and deletions are refused, as in Anvil."""

    def __init__(self, colors):
        self._colors = dict(colors)

    def __getitem__(self, name):
        return self._colors[name]

    def __setitem__(self, name, value):
        if not isinstance(name, str):
            raise TypeError("theme color names must be strings")
        if not isinstance(value, str):
            raise TypeError("a theme color must be set to a string")
        if name not in self._colors:
            raise KeyError(name)
        dom = _platform.get()
        if not dom.set_theme_color(name, value):
            raise ValueError(f"{value!r} is not a CSS colour")
        # read again: the older themes' names that follow this colour show its new value too
        self._colors = dict(dom.json_loads(dom.app_info())["theme_colors"])

    def __delitem__(self, name):
        raise TypeError("cannot delete a theme color")

    def update(self, *args, **kwargs):
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def __iter__(self):
        return iter(self._colors)

    def __len__(self):
        return len(self._colors)

    def __contains__(self, name):
        return name in self._colors

    def get(self, name, default=None):
        return self._colors.get(name, default)

    def keys(self):
        return self._colors.keys()

    def values(self):
        return self._colors.values()

    def items(self):
        return self._colors.items()

    def __eq__(self, other):
        return self._colors == (other._colors if isinstance(other, ThemeColors) else other)

    __hash__ = None  # a mapping that may change, as a dict

    def __repr__(self):
        return f"ThemeColors({self._colors!r})"


class ClientAppInfo(AppInfo):
    def _facts(self):
        return _read()

    def _asset(self, path):
        if path not in _read()["assets"]:
            return None
        dom = _platform.get()
        return URLMedia(ASSETS + "/".join(dom.encode_uri(part) for part in path.split("/")))

    @property
    def package_name(self):
        return _read()["package_name"]

    @property
    def theme_colors(self):
        global _colors
        if _colors is None:  # one mapping, so a colour set stays set
            _colors = ThemeColors(_read()["theme_colors"])
        return _colors

    def get_server_config(self, package_name=None):
        raise RuntimeError("get_server_config is not available in the client")


app = ClientAppInfo()
