"""The exception classes of `anvil.server`, as Anvil names them.

The one source for both sides of a server call: the guest's `anvil.server` and the browser
client's (which gets this file in its bundle, client/src/gui/python.js) offer every class
listed here (they import `*`, and add `__all__` to theirs),
so an exception raised by server code is re-raised in the browser as the class of the same
name. Each class reports `anvil.server` as its module, where code finds it, so a traceback
reads `anvil.server.TimeoutError` and the guest reports it under that name (`qualified_type`).
Plain classes, no imports: the module runs on CPython, Brython and Pyodide.
"""


class AnvilWrappedError(Exception):
    """The base of Anvil's server errors. An exception of another class raised by a server
    function reaches its caller as an AnvilWrappedError carrying the original message.

    As in Anvil, it may be made from the error as the server sent it (a dict: `type`,
    `message`, and for the app's owner `trace` and `traceback`), kept as `error_obj`; the
    original class's name stays there (`error_obj["type"]`, such as "ValueError"), and in
    `repr`: `AnvilWrappedError(ValueError('bad value'))`."""

    def __init__(self, message=""):
        if isinstance(message, dict):
            self.error_obj = message
        else:
            self.error_obj = {"message": str(message), "trace": []}
        self.message = str(self.error_obj.get("message", ""))
        Exception.__init__(self, self.message)

    def __repr__(self):
        r = Exception.__repr__(self)
        kind = self.error_obj.get("type")
        if type(self) is not AnvilWrappedError or not isinstance(kind, str):
            return r
        return "AnvilWrappedError(" + kind + r[len("AnvilWrappedError") :] + ")"


class NoServerFunctionError(AnvilWrappedError):
    """No server function is registered under the name that was called."""


class SerializationError(AnvilWrappedError):
    """A value cannot be passed to or returned from a server function."""


class ExecutionTerminatedError(AnvilWrappedError):
    """The server code was stopped before it finished (memory, output, or a stop)."""


class TimeoutError(AnvilWrappedError):
    """Server code took too long."""


class RuntimeUnavailableError(AnvilWrappedError):
    """The server runtime cannot run the call now (it could not be reached, or is too busy)."""


class InternalError(AnvilWrappedError):
    """Something went wrong inside the platform."""


class QuotaExceededError(AnvilWrappedError):
    """A platform limit was reached (in a browser: the visitor's rate of calls)."""


class SessionExpiredError(AnvilWrappedError):
    """The caller's session has expired (in a browser: reload the page)."""


class CookieError(AnvilWrappedError):
    """`anvil.server.cookies` cannot be used here (not a browser's call), or a cookie would
    be too big."""


class UplinkDisconnectedError(AnvilWrappedError):
    """Kept for compatibility: Widgetbox has no Uplink."""


class PermissionDenied(AnvilWrappedError):
    """The caller may not do this (in a browser: use a data table beyond its client access)."""


class BackgroundTaskError(AnvilWrappedError):
    """A background task cannot be launched or managed (from a browser, or past the limits)."""


class BackgroundTaskNotFound(AnvilWrappedError):
    """No background task of this app has that id."""


class BackgroundTaskKilled(AnvilWrappedError):
    """The background task was killed (`Task.is_completed` raises it)."""


EXCEPTIONS = (
    AnvilWrappedError,
    NoServerFunctionError,
    SerializationError,
    ExecutionTerminatedError,
    TimeoutError,
    RuntimeUnavailableError,
    InternalError,
    QuotaExceededError,
    SessionExpiredError,
    CookieError,
    UplinkDisconnectedError,
    PermissionDenied,
    BackgroundTaskError,
    BackgroundTaskNotFound,
    BackgroundTaskKilled,
)

__all__ = [cls.__name__ for cls in EXCEPTIONS]
"""What `anvil.server` offers of this module (it imports `*`), on both sides."""

for _cls in EXCEPTIONS:
    _cls.__module__ = "anvil.server"
del _cls
