"""Uncaught errors in client code: a visible, dismissible notice in the app, and the whole
traceback in the browser's console; or, after `set_default_error_handling(handler)`, the
app's own handler (an error it raises is reported as usual)."""

from . import _platform

MAX_NOTICES = 5
_notices = []
_handler = None


def set_default_error_handling(handler):
    """Call `handler(exception)` for every error the app's code leaves uncaught (None: show
    them as notices again)."""
    global _handler
    if handler is not None and not callable(handler):
        raise TypeError("set_default_error_handling() needs a function, or None")
    _handler = handler


def _server_error(exc):
    """The error a server function raised, as the server sent it (`error_obj`), for an
    exception that arrived from a server call; None otherwise."""
    found = getattr(exc, "error_obj", None)
    return found if isinstance(found, dict) else None


def describe(exc):
    """'ValueError: message' (the exception's class and message, as Python prints them; for
    one a server function raised that arrived as `AnvilWrappedError`, the original class's
    name, as Anvil's notice shows it)."""
    name = type(exc).__name__
    server = _server_error(exc)
    if server is not None and name == "AnvilWrappedError" and isinstance(server.get("type"), str):
        name = server["type"]
    try:
        message = str(exc)
    except Exception:
        message = "<the message could not be shown>"
    return f"{name}: {message}" if message else name


def _traceback(exc):
    try:
        import traceback

        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:
        return describe(exc)


def report(exc):
    """Show `exc` to the visitor and log it for the developer."""
    dom = _platform.get()
    dom.console_error("Uncaught error in the app's code:\n" + _traceback(exc))
    notice = dom.create("div")
    dom.set_class(notice, "wb-notice", True)
    dom.set_class(notice, "wb-error", True)
    dom.set_attr(notice, "role", "alert")
    text = dom.create("span")
    dom.set_class(text, "wb-notice-text", True)
    dom.set_text(text, describe(exc))
    close = dom.create("button")
    dom.set_attr(close, "type", "button")
    dom.set_attr(close, "aria-label", "Dismiss")
    dom.set_class(close, "wb-notice-close", True)
    dom.set_text(close, "\u00d7")
    dom.append(notice, text)
    server = _server_error(exc) or {}
    if isinstance(server.get("traceback"), str) and server["traceback"]:
        # only the app's owner is sent this (host/gui/apps.py `outcome`)
        dom.console_error("The server function's traceback:\n" + server["traceback"])
        details = dom.create("details")
        dom.set_class(details, "wb-notice-trace", True)
        summary = dom.create("summary")
        dom.set_text(summary, "Server traceback (only you, the owner, see this)")
        trace = dom.create("pre")
        dom.set_text(trace, server["traceback"])
        dom.append(details, summary)
        dom.append(details, trace)
        dom.append(notice, details)
    dom.append(notice, close)
    dom.listen(close, "click", lambda event: _dismiss(notice))
    dom.append(dom.overlay(), notice)
    _notices.append(notice)
    while len(_notices) > MAX_NOTICES:
        _dismiss(_notices[0])
    return notice


def handle(exc):
    """An uncaught error: the app's handler's, or a notice."""
    if _handler is not None:
        try:
            _handler(exc)
            return
        except Exception as again:
            exc = again
    report(exc)


def _dismiss(notice):
    if notice in _notices:
        _notices.remove(notice)
    _platform.get().detach(notice)


def guarded(fn):
    """`fn`, reporting what it raises instead of letting it escape into the runtime (for
    everything the browser calls: events, timers)."""

    def run(*args):
        try:
            return fn(*args)
        except Exception as exc:
            handle(exc)
            return None

    return run
