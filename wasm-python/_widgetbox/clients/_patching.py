"""How a module named in `PATCHED` is patched: its spec found by the other finders, its
loader wrapped (`PatchingLoader`), and its adapter applied right after it has run, once
(a reload makes new classes, and is patched again). The adapters use only what these
libraries have offered for years (`HTTPAdapter.send` and `build_response`, urllib3's
`HTTPResponse`, httpx's transports) and never import them by name: they are handed the
module. If one does not fit a widget's version, the library is left as it is (its requests
then fail: there are no sockets) and a warning says so.
"""

import sys


def spec(finder, name, path, target):
    """The spec the finders after `finder` give for `name`, its loader wrapped."""
    for other in sys.meta_path:
        find = getattr(other, "find_spec", None)
        if other is finder or find is None:
            continue
        found = find(name, path, target)
        if found is not None:
            if found.loader is not None and hasattr(found.loader, "exec_module"):
                found.loader = PatchingLoader(found.loader)
            return found
    return None


class PatchingLoader:
    """The module's own loader, and its patch once the module has run; anything else
    (resources, source, ...) is the wrapped loader's."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        module.__dict__.pop("__widgetbox_patched__", None)  # a reload makes new classes
        self._loader.exec_module(module)
        apply(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


def apply(module):
    """Connect `module` (`http.client`, `requests` or `httpx`) to the host, once."""
    if module.__dict__.get("__widgetbox_patched__"):
        return
    try:
        if module.__name__ == "http.client":
            from . import http_client as adapter
        elif module.__name__ == "requests":
            from . import requests_adapter as adapter
        else:
            from . import httpx_transport as adapter
        adapter.patch(module)
    except Exception as e:  # a version the adapter does not fit
        import warnings

        warnings.warn(
            f"{module.__name__} could not be connected to Widgetbox's outbound HTTP "
            f"({type(e).__name__}: {e}); its requests will fail",
            RuntimeWarning,
            stacklevel=2,
        )
    module.__widgetbox_patched__ = True
