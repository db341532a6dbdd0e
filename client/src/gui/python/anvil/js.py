"""Anvil's `anvil.js`: JavaScript from client Python.

`window` is the page's global object; `call(name_or_function, *args)` calls a JavaScript
function (a global's name, or a function) and, like Anvil, waits for a Promise it returns;
`await_promise(promise)` waits for one; `new(cls, *args)` constructs; `get_dom_node(component)`
is a component's element; `import_from(url)` imports a JavaScript module (from the app's own
origin: the app page's Content-Security-Policy allows no other); `to_media(data)` makes a
Media from a Blob, File, ArrayBuffer or typed array.

Waiting needs a runtime that can suspend Python (Pyodide with JSPI, `_platform`'s
`can_wait`); elsewhere `await_promise` raises ExternalError unless given a plain value.
"""

from . import _platform

__all__ = [
    "ExternalError",
    "await_promise",
    "call",
    "call_js",
    "get_dom_node",
    "import_from",
    "new",
    "report_exceptions",
    "to_media",
]
# and `window`, the page's global object (a module attribute read when asked: see below)


class ExternalError(Exception):
    """An error from JavaScript (its message), or a wait this runtime cannot do."""

    def __init__(self, message="", original_error=None):
        super().__init__(message)
        self.original_error = original_error


def __getattr__(name):
    if name == "window":  # the page's, once the runtime has started
        return _platform.get().js_window()
    raise AttributeError(f"module 'anvil.js' has no attribute {name!r}")


def _helpers():
    return _platform.get().js_window().wbJs


def await_promise(value):
    """The value a JavaScript Promise resolves to (waiting for it); other values as they are.
    A rejected Promise raises ExternalError."""
    dom = _platform.get()
    if not _helpers().isPromise(value):
        return value
    if not dom.can_wait():
        raise ExternalError(
            "this runtime cannot wait for a JavaScript Promise here: run the app on Pyodide "
            "(its settings), from an event handler, a timer or the startup form"
        )
    try:
        return dom.js_await(value)
    except Exception as exc:  # the runtime's own wrapper of the JavaScript error
        raise ExternalError(str(exc), exc) from None


def call(js_function, *args):
    """Call a JavaScript function, given as a global's name ("myLib.go" reaches into objects)
    or as the function itself, and return its result (a Promise's resolved value)."""
    function = js_function
    if isinstance(js_function, str):
        function = _platform.get().js_window()
        for part in js_function.split("."):
            function = getattr(function, part, None)
            if function is None:
                raise ExternalError(f"there is no JavaScript function {js_function!r}")
    try:
        result = function(*args)
    except Exception as exc:
        raise ExternalError(str(exc), exc) from None
    return await_promise(result)


call_js = call
"""Anvil's older name for `call`."""


def new(js_class, *args):
    """`new js_class(...args)` in JavaScript."""
    try:
        return _helpers().construct(js_class, _platform.get().js_array(list(args)))
    except Exception as exc:
        raise ExternalError(str(exc), exc) from None


def get_dom_node(component):
    """The element the component is drawn in."""
    node = getattr(component, "_dom", None)
    if node is None:
        raise TypeError("get_dom_node() needs a component")
    return node


def import_from(url):
    """The JavaScript module at `url` (the app's own origin), waiting for it to load."""
    return await_promise(_helpers().importModule(str(url)))


def to_media(data, content_type="", name=None):
    """A Media of a Blob or File (read with a wait), an ArrayBuffer or a typed array."""
    from ._media import BlobMedia

    dom = _platform.get()
    if hasattr(data, "arrayBuffer") and hasattr(data, "size"):  # a Blob or a File
        content_type = content_type or str(getattr(data, "type", "") or "")
        name = name if name is not None else getattr(data, "name", None)
        data = await_promise(data.arrayBuffer())
    uint8 = dom.js_window().Uint8Array
    if not _helpers().isPromise(data) and not isinstance(data, (bytes, bytearray)):
        data = dom.bytes_of(new(uint8, data))
    return BlobMedia(content_type or "application/octet-stream", bytes(data), name=name)


def report_exceptions(fn):
    """A decorator for functions JavaScript calls: an exception they raise is reported as
    the app's uncaught errors are, instead of reaching JavaScript."""
    from ._errors import guarded

    return guarded(fn)
