"""`anvil.server` in the browser: call the app's `@anvil.server.callable` functions.

`call` waits for the answer (a synchronous request to the app's own origin, as Anvil's
client waits). Exceptions raised on the server arrive as the same class when they are
`anvil.server` exceptions, and as `AnvilWrappedError` with the message otherwise (the classes
come from `anvil._server_errors`, which the guest's `anvil.server` shares; the build bundles
that file and `anvil._serialize` from wasm-python/anvil/, see client/src/gui/python.js).
"""

from . import _platform, _serialize, _server_errors
from ._server_errors import *  # noqa: F403 - Anvil's exception classes, shared
from ._server_errors import (
    EXCEPTIONS,
    AnvilWrappedError,
    InternalError,
    QuotaExceededError,
    RuntimeUnavailableError,
    SerializationError,
    SessionExpiredError,
)

CALL_URL = "/_/call"

__all__ = ["AppOfflineError", "call", "call_s"]
__all__ += _server_errors.__all__


class AppOfflineError(AnvilWrappedError):
    """The server could not be reached."""


_BY_NAME = {cls.__name__: cls for cls in (*EXCEPTIONS, AppOfflineError)}

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
