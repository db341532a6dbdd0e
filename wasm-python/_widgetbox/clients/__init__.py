"""The HTTP libraries widgets import, connected to the host: `http.client` (and so
`urllib.request`), `requests` and `httpx` send every request through `_widgetbox.net`, the
bridge's `http.request`, under the same outbound policy, limits and per-run allowance as
`anvil.http`. The sandbox has no sockets; the host makes the connection, TLS included.

`install()` (the driver calls it when an interpreter starts) puts a finder at the front of
`sys.meta_path` that knows three module names. When one of them is first imported, the
finder asks the other finders for its spec and wraps its loader (`_patching.py`), so that
right after the module has run, its adapter patches it:

    http.client   `http_client.py`: connections whose socket is the bridge, and an
                  `HTTPSConnection` (the interpreter has no `ssl`), so `urlopen` takes https
    requests      `requests_adapter.py`: `HTTPAdapter.send` makes the exchange, so urllib3
                  never opens a socket: every session, and every adapter a widget mounts
    httpx         `httpx_transport.py`: `HTTPTransport` and `AsyncHTTPTransport` make the
                  exchange, so httpcore (which needs `ssl`) is never loaded

Why a hook rather than patching at start-up: nothing is imported until a widget imports it
(`http.client` costs milliseconds, `requests` hundreds), and whichever copy of `requests` or
`httpx` is imported is the one patched: the one included with Widgetbox, or the widget's
own installed version, which comes first on `sys.path`. This module is all an interpreter
loads at start (about 0.1 ms); the rest loads with the first of those imports.
"""

import sys

PATCHED = frozenset({"http.client", "requests", "httpx"})


def install():
    """Patch the modules already imported; catch the others as they are first imported."""
    if any(isinstance(finder, _Finder) for finder in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())
    for name in PATCHED:
        if name in sys.modules:
            from . import _patching

            _patching.apply(sys.modules[name])


class _Finder:
    """Finds nothing itself: for the modules in `PATCHED`, the spec the next finders give,
    with its loader wrapped so that the module is patched once it has run."""

    def find_spec(self, name, path=None, target=None):
        if name not in PATCHED:
            return None
        from . import _patching

        return _patching.spec(self, name, path, target)
