"""`anvil.server` in the browser: call the app's `@anvil.server.callable` functions.

`call` waits for the answer (a synchronous request to the app's own origin, as Anvil's
client waits). Exceptions raised on the server arrive as the same class when they are
`anvil.server` exceptions, and as `AnvilWrappedError` with the message otherwise.
"""

from . import _platform, _serialize

CALL_URL = "/_/call"

__all__ = [
    "AnvilWrappedError",
    "AppOfflineError",
    "ExecutionTerminatedError",
    "InternalError",
    "NoServerFunctionError",
    "QuotaExceededError",
    "RuntimeUnavailableError",
    "SerializationError",
    "SessionExpiredError",
    "TimeoutError",
    "UplinkDisconnectedError",
    "call",
    "call_s",
]


class AnvilWrappedError(Exception):
    """An exception from server code that is not an `anvil.server` exception; it carries
    the original message."""


class NoServerFunctionError(AnvilWrappedError):
    """No server function is registered under the name that was called."""


class SerializationError(AnvilWrappedError):
    """A value cannot be passed to or returned from a server function."""


class ExecutionTerminatedError(AnvilWrappedError):
    """The server code was stopped before it finished (memory, output, or a stop)."""


class TimeoutError(AnvilWrappedError):
    """Server code took too long."""


class RuntimeUnavailableError(AnvilWrappedError):
    """The server is too busy to run the call now."""


class InternalError(AnvilWrappedError):
    """Something went wrong inside the platform."""


class QuotaExceededError(AnvilWrappedError):
    """Too many calls: the visitor's call rate limit was reached."""


class SessionExpiredError(AnvilWrappedError):
    """The visitor's access to the app has ended (reload the page)."""


class UplinkDisconnectedError(AnvilWrappedError):
    """Kept for compatibility: Widgetbox has no Uplink."""


class AppOfflineError(AnvilWrappedError):
    """The server could not be reached."""


_BY_NAME = {cls.__name__: cls for cls in (
    AnvilWrappedError, NoServerFunctionError, SerializationError, ExecutionTerminatedError,
    TimeoutError, RuntimeUnavailableError, InternalError, QuotaExceededError,
    SessionExpiredError, UplinkDisconnectedError, AppOfflineError,
)}  # fmt: skip

_BY_STATUS = {
    400: InternalError,
    401: SessionExpiredError,
    403: SessionExpiredError,
    404: SessionExpiredError,
    413: SerializationError,
    429: QuotaExceededError,
    503: RuntimeUnavailableError,
}


def _exception(kind, message):
    """The class `kind` names ("anvil.server.TimeoutError") when it is one of ours."""
    prefix = "anvil.server."
    if isinstance(kind, str) and kind.startswith(prefix):
        found = _BY_NAME.get(kind[len(prefix) :])
        if found is not None:
            return found(message)
    return AnvilWrappedError(message)


def call(fn_name, *args, **kwargs):
    """Call the server function registered as `fn_name` and return its result."""
    if not isinstance(fn_name, str):
        raise TypeError("the first argument of anvil.server.call is the function's name")
    try:
        payload = {
            "name": fn_name,
            "args": _serialize.encode(list(args)),
            "kwargs": _serialize.encode(kwargs),
        }
    except _serialize.SerializationError as e:
        raise SerializationError(f"Cannot pass the arguments: {e}") from None
    dom = _platform.get()
    status, text = dom.post(CALL_URL, dom.json_dumps(payload))
    if status == 0:
        raise AppOfflineError("The server could not be reached; check the connection")
    try:
        answer = dom.json_loads(text)
    except Exception:
        answer = None
    if not isinstance(answer, dict):
        raise InternalError(f"The server's answer could not be read (HTTP {status})")
    if status == 200 and "value" in answer:
        try:
            return _serialize.decode(answer["value"])
        except _serialize.SerializationError as e:
            raise SerializationError(f"Cannot read the result: {e}") from None
    if status == 200 and isinstance(answer.get("exception"), dict):
        found = answer["exception"]
        raise _exception(found.get("type"), str(found.get("message", "")))
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    message = str(error.get("message") or f"The call failed (HTTP {status})")
    raise _BY_STATUS.get(status, InternalError)(message)


call_s = call
"""Anvil's call without the spinner (Widgetbox shows none): the same as `call`."""
