"""`anvil.server` in the browser: call the app's `@anvil.server.callable` functions.

`call` waits for the answer as Anvil's client does, without freezing the page where the
runtime can suspend Python (Pyodide with JSPI: a loading indicator covers the app meanwhile,
timers and animations go on; `call_s` and `with no_loading_indicator:` leave it out); on
Brython it is a synchronous request (see `_waiting`). Exceptions raised on the server arrive
as the same class when they are `anvil.server` exceptions, and as `AnvilWrappedError` with
the message otherwise (the classes come from `anvil._server_errors`, which the guest's
`anvil.server` shares; the build bundles that file and `anvil._serialize` from
wasm-python/anvil/, see client/src/gui/python.js).
"""

from . import _platform, _serialize, _server_errors, _waiting
from ._portable import portable_class  # shared with server code (wasm-python/anvil/)
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

__all__ = [
    "AppOfflineError",
    "call",
    "call_s",
    "loading_indicator",
    "no_loading_indicator",
    "portable_class",
    "reset_session",
    "startup_data",
]
__all__ += _server_errors.__all__


no_loading_indicator = _waiting.no_loading_indicator
loading_indicator = _waiting.loading_indicator

startup_data = None
"""The data a server route's `AppResponder(data=...)` gave the page it answered with
(anvil/_start.py sets it before the first form opens); None when the app loaded from its
own page, as in Anvil."""


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


def _exception(kind, message, error=None):
    """The class `kind` names ("anvil.server.TimeoutError") when it is one of ours; any other
    (a built-in "ValueError", a class of the app's) arrives as Anvil's client has it: an
    `AnvilWrappedError` made from the server's `error` (its `error_obj`), which keeps the
    original name for the developer (`error_obj["type"]`, its repr, the uncaught-error
    notice: "ValueError: ...") and, for the app's owner only, the server's traceback."""
    prefix = "anvil.server."
    if isinstance(kind, str) and kind.startswith(prefix):
        found = _BY_NAME.get(kind[len(prefix) :])
        if found is not None:
            return found(message)
    if isinstance(kind, str) and kind.startswith("anvil.users."):  # the Users service's
        from .users import _error

        return _error(kind, message)
    error_obj = {"message": message, "trace": []}
    if isinstance(error, dict):
        error_obj.update({k: v for k, v in error.items() if k in ("trace", "traceback")})
    if isinstance(kind, str):
        error_obj["type"] = kind
    return AnvilWrappedError(error_obj)


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
    answer = _post(CALL_URL, payload)
    if "value" in answer:
        try:
            return _serialize.decode(answer["value"])
        except _serialize.SerializationError as e:
            raise SerializationError(f"Cannot read the result: {e}") from None
    if isinstance(answer.get("exception"), dict):
        found = answer["exception"]
        raise _exception(found.get("type"), str(found.get("message", "")), found)
    raise InternalError("The server's answer could not be read (HTTP 200)")


def _post(url, payload):
    """POST `payload` as JSON to the app's own origin and wait: the answer's JSON object
    (HTTP 200), or the `anvil.server` exception for a refusal's status (also for
    `anvil.tables` in the browser, `anvil/_tables.py`, and `anvil.users`), with the
    loading indicator when one is due."""
    dom = _platform.get()
    with _waiting.server_call():
        status, text = dom.post(url, dom.json_dumps(payload))
    if status == 0:
        raise AppOfflineError("The server could not be reached; check the connection")
    try:
        answer = dom.json_loads(text)
    except Exception:
        answer = None
    if not isinstance(answer, dict):
        raise InternalError(f"The server's answer could not be read (HTTP {status})")
    if status == 200:
        return answer
    error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
    message = str(error.get("message") or f"The call failed (HTTP {status})")
    raise _BY_STATUS.get(status, InternalError)(message)


def call_s(fn_name, *args, **kwargs):
    """`call` without the loading indicator."""
    with no_loading_indicator:
        return call(fn_name, *args, **kwargs)


TASK_URL = "/_/task"


def _task_transport(op, data):
    """A `Task` reading its task (`anvil/_tasks.py`): POST to the app's `/_/task`, with the
    capability the host gave the `Task` (client code may only read tasks)."""
    answer = _post(TASK_URL, data)
    if "ok" in answer:
        return answer["ok"]
    error = answer.get("error")
    if isinstance(error, dict):
        raise _exception(error.get("type"), str(error.get("message", "")))
    raise InternalError("The server's answer could not be read (HTTP 200)")


def _decode_task(payload):
    """A `Task` server code returned: its module is loaded only when one arrives."""
    from . import _tasks

    _tasks.set_transport(_task_transport)
    return _tasks._decode_task(payload)


_serialize.register("task", _decode_task)


RESET_URL = "/_/session/reset"


def reset_session():
    """Start a new session: the app's server code forgets this browser's session (and who
    logged in with it), as after a `SessionExpiredError`."""
    _post(RESET_URL, {})
