"""What `anvil.app` is on both sides (one source: client/src/gui/python.js bundles it under
the same name for the browser): read-only, as in Anvil. Each side's `_app.py` says where the
facts come from (`_facts()`: {id, branch, environment: {name, tags}}) and how a theme asset
is read (`_asset(path)`: Media, or None when the app has none of that name).

    anvil.app.id, .branch    the app's id and branch (host/widgets/app_info.py says what
                             they are in Widgetbox)
    anvil.app.environment    .name and .tags
    anvil.app.get_asset(path)   a theme asset (theme/assets/<path>) as Media; ValueError
                             when the app has none, as Anvil raises
"""

READ_ONLY = "This object is read-only"


class Environment:
    """The environment the app runs in: `name` and `tags` (read-only)."""

    def __init__(self, name=None, tags=()):
        self.__dict__.update(name=name, tags=list(tags))

    def __setattr__(self, key, value):
        raise AttributeError(READ_ONLY)

    def __delattr__(self, key):
        raise AttributeError(READ_ONLY)

    def __repr__(self):
        return f"Environment(name={self.name!r}, tags={self.tags!r})"


class AppInfo:
    """`anvil.app`: what code may know about its app. Setting or deleting an attribute
    raises AttributeError, as does an attribute it does not have."""

    def _facts(self):
        raise NotImplementedError

    def _asset(self, path):
        raise NotImplementedError

    def __setattr__(self, key, value):
        raise AttributeError(READ_ONLY)

    def __delattr__(self, key):
        raise AttributeError(READ_ONLY)

    @property
    def id(self):
        return self._facts().get("id")

    @property
    def branch(self):
        return self._facts().get("branch")

    @property
    def environment(self):
        found = self._facts().get("environment") or {}
        return Environment(found.get("name"), found.get("tags") or ())

    def get_asset(self, path):
        """The theme asset `path` (theme/assets/<path>) as Media."""
        if not isinstance(path, str):
            raise TypeError(f"an asset's path is a string, not {type(path).__name__}")
        media = self._asset(path) if is_asset_path(path) else None
        if media is None:
            raise ValueError(f"Asset not found: {path}")
        return media

    def __repr__(self):
        return f"<anvil.AppInfo id={self.id!r} branch={self.branch!r}>"


def is_asset_path(path):
    """A plain relative path: no `..`, no empty or dot parts, no backslashes (the host's rule
    for `/_/theme/<path>`, host/gui/theme.py's asset_path)."""
    if not path or len(path) > 1000 or "\\" in path or "\x00" in path or path.startswith("/"):
        return False
    return not any(part in ("", ".", "..") for part in path.split("/"))
