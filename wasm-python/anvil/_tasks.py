"""Anvil's background tasks: `@anvil.server.background_task`, `launch_background_task`,
`get_background_task`, `list_background_tasks`, the `Task` object and
`anvil.server.task_state`.

One source for both sides: the guest's `anvil.server` offers these names, and the browser
client bundles this file (client/src/gui/python.js) for the `Task` objects server code
returns to it, which it may read but not launch, list or kill (Anvil's rule). A `Task` asks
the host for its task's view each time a method needs it (so it is always current): through
the bridge in the sandbox (operations `tasks.*`, host/tasks/handler.py), through `/_/task`
in a browser, whichever `set_transport` installed. The view says how the task ended in
Anvil's words (`termination`, host/tasks/views.py, from the run-status vocabulary
runtime/statuses.json), so nothing here spells a run's status. It crosses server calls as the
codec's tagged value `task` (`anvil._serialize.EXTENSIONS`).

A task runs in its own interpreter, so `task_state` reaches readers through the host: each
change is sent at once when the last sending was `STATE_INTERVAL` ago or more, otherwise
when the task next writes, sleeps (`time.sleep`), uses a `Task` or ends. So a reader may see
a state up to that much older than the task's own; the state a finished task left is exact.
Anvil's rule on what it holds applies: portable values (not Media), and Widgetbox's cap on
its size (the host says which).

Plain Python, importing only the package's own modules while it loads (it runs on the
guest's CPython, Brython and Pyodide).
"""

from anvil import _serialize
from anvil._server_errors import (
    EXCEPTIONS,
    AnvilWrappedError,
    BackgroundTaskError,
    BackgroundTaskKilled,
    InternalError,
    NoServerFunctionError,
    QuotaExceededError,
    SerializationError,
)

TAG = "task"
STATE_INTERVAL = 0.05
"""Seconds between two sendings of a changing `task_state`, at the least (each is a call to
the host: under half a millisecond of the task's time)."""
FROM_CLIENT = "Can't manage background tasks from the client"

_registered = {}
"""The `@background_task` functions of this interpreter, by name."""
_transport = None
"""fn(op, data) -> answer, raising the `anvil.server` exception of a refusal (None: the
bridge)."""
_BY_NAME = {cls.__name__: cls for cls in EXCEPTIONS}


def set_transport(fn):
    """Carry `Task` operations with `fn(op, data)` (the browser client)."""
    global _transport
    _transport = fn


def _call(op, data=None):
    if _transport is not None:
        return _transport(op, data)
    if op != "state":
        _state.flush()  # what the task's own readers see is current first
    from _widgetbox import bridge

    try:
        return bridge.call("tasks." + op, data)
    except bridge.UnknownOperation:
        raise BackgroundTaskError("Background tasks are not available on this server") from None
    except bridge.HostCallError as e:
        found = _BY_NAME.get(e.kind)
        if found is not None:
            raise found(str(e)) from None
        if op == "state" and e.kind in ("BadRequest", "LimitExceeded"):
            raise QuotaExceededError(f"anvil.server.task_state is too large: {e}") from None
        raise


def error_of(error):
    """The exception a task's error view stands for: the `anvil.server` class it names,
    else `AnvilWrappedError` with its message."""
    kind = str(error.get("type", ""))
    message = str(error.get("message", ""))
    prefix = "anvil.server."
    found = _BY_NAME.get(kind[len(prefix) :]) if kind.startswith(prefix) else None
    return (found or AnvilWrappedError)(message)


# -- the Task object -------------------------------------------------------------------------


class Task:
    """A background task (Anvil's `Task`): what `launch_background_task` returns."""

    def __init__(self, task_id, name=None, start_time=None, cap=None):
        self._id = str(task_id)
        self._name = name
        self._start_time = start_time
        self._cap = cap

    def _view(self):
        data = {"id": self._id}
        if self._cap is not None:
            data["cap"] = self._cap
        view = _call("get", data)
        self._name, self._start_time = view.get("name"), view.get("start_time")
        return view

    def get_id(self):
        """The task's id, for `anvil.server.get_background_task`."""
        return self._id

    def get_task_name(self):
        """The name of the task's function (`__main__` for a script's run)."""
        if self._name is None:
            self._view()
        return self._name

    def get_start_time(self):
        """When the task was launched (a timezone-aware datetime, UTC)."""
        if self._start_time is None:
            self._view()
        import datetime  # only when asked: importing it costs Brython time

        return datetime.datetime.fromisoformat(self._start_time.replace("Z", "+00:00"))

    def get_state(self):
        """The task's `anvil.server.task_state` as last sent (final once it has ended)."""
        state = self._view().get("state")
        return {} if state is None else _decode(state)

    def is_running(self):
        """Whether the task is queued or running (it has no termination status yet)."""
        return self._view().get("termination") is None

    def get_termination_status(self):
        """None while the task runs; then "completed", "failed", "killed" or "missing"."""
        return self._view().get("termination")

    def is_completed(self):
        """False while the task runs, True once it has completed; raises its error when it
        failed, `BackgroundTaskKilled` when it was killed."""
        view = self._view()
        termination = view.get("termination")
        if termination is None:
            return False
        if termination == "completed":
            return True
        if termination == "killed":
            raise BackgroundTaskKilled("The background task was killed.")
        if view.get("error"):
            raise error_of(view["error"])
        raise InternalError(f"The background task failed ({termination}).")

    def get_error(self):
        """Raises the exception the task failed with; None when it has not failed."""
        view = self._view()
        if view.get("error"):
            raise error_of(view["error"])

    def get_return_value(self):
        """What the task's function returned (None until it has); raises its error when it
        failed."""
        view = self._view()
        if view.get("error"):
            raise error_of(view["error"])
        value = view.get("value")
        return None if value is None else _decode(value)

    def kill(self):
        """Stop the task (server code only); nothing happens to one that has ended."""
        if _transport is not None:
            raise BackgroundTaskError(FROM_CLIENT)
        _call("kill", {"id": self._id})

    def _wb_encode(self):
        payload = {"id": self._id}
        if self._cap is not None:
            payload["cap"] = self._cap
        return {_serialize.TAG: TAG, "v": payload}

    def __eq__(self, other):
        return isinstance(other, Task) and other._id == self._id

    def __hash__(self):
        return hash((TAG, self._id))

    def __repr__(self):
        return f"<anvil.server.Task {self._id}>"


def _decode(value):
    try:
        return _serialize.decode(value)
    except _serialize.SerializationError as e:
        raise SerializationError(f"Cannot read the task's value: {e}") from None


def _decode_task(payload):
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise _serialize.SerializationError("a background task without its id")
    return Task(payload["id"], cap=payload.get("cap"))


def _from_view(view):
    return Task(view["id"], view.get("name"), view.get("start_time"))


_serialize.register(TAG, _decode_task)


# -- server code: defining, launching, finding -----------------------------------------------


def background_task(fn_or_name=None):
    """Make a function runnable with `launch_background_task(name, ...)`: as
    `@anvil.server.background_task` or `@anvil.server.background_task("other_name")`."""
    if fn_or_name is None or isinstance(fn_or_name, str):
        name = fn_or_name
        return lambda fn: _register(fn, name)
    return _register(fn_or_name, None)


def _register(fn, name):
    if not callable(fn):
        raise TypeError("@anvil.server.background_task must decorate a function")
    _registered[name or fn.__name__] = fn
    return fn


def launch_background_task(fn_name, *args, **kwargs):
    """Run the `@anvil.server.background_task` `fn_name` in the background, in its own
    interpreter, with these arguments (which follow a server call's rules); returns its
    `Task` at once."""
    if _transport is not None:
        raise BackgroundTaskError("Can't launch background tasks from the client.")
    if not isinstance(fn_name, str):
        raise TypeError("the first argument of launch_background_task is the task's name")
    if fn_name not in _registered:
        raise NoServerFunctionError(
            f'No background task matching "{fn_name}" has been registered '
            "(decorate it with @anvil.server.background_task)"
        )
    if _state.importing:
        raise BackgroundTaskError(
            "A background task's module launched a task while it was being imported: guard "
            "the module's own top-level code with `if __name__ == '__main__':`"
        )
    try:
        data = {
            "name": fn_name,
            "args": _serialize.encode(list(args)),
            "kwargs": _serialize.encode(kwargs),
        }
    except _serialize.SerializationError as e:
        raise SerializationError(f"Cannot pass the arguments: {e}") from None
    return _from_view(_call("launch", data))


def get_background_task(task_id):
    """The `Task` with this id (`Task.get_id()`) among this app's tasks."""
    if _transport is not None:
        raise BackgroundTaskError(FROM_CLIENT)
    return _from_view(_call("get", {"id": task_id if isinstance(task_id, int) else str(task_id)}))


def list_background_tasks(all_environments=False):
    """This app's tasks, newest first (Widgetbox has one environment per app)."""
    if _transport is not None:
        raise BackgroundTaskError(FROM_CLIENT)
    return [_from_view(view) for view in _call("list")]


# -- anvil.server.task_state -----------------------------------------------------------------

OUTSIDE = "Cannot access anvil.server.task_state outside a background task"


class NotATaskState:
    """`anvil.server.task_state` outside a background task (a server call, an HTTP request):
    reading or writing it raises, as in Anvil."""

    def _refuse(self, *args, **kwargs):
        raise Exception(OUTSIDE)  # Anvil raises a plain Exception

    __getitem__ = __setitem__ = __delitem__ = __contains__ = __iter__ = __len__ = _refuse
    get = keys = values = items = update = pop = setdefault = clear = _refuse

    def __repr__(self):
        return "<anvil.server.task_state: not in a background task>"


def _changes(method):
    def changed(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        _state.changed()
        return result

    changed.__name__ = method.__name__
    changed.__doc__ = method.__doc__
    return changed


class TaskState(dict):
    """`anvil.server.task_state` inside a background task: a dict whose changes the host
    learns (see the module's docstring)."""

    __setitem__ = _changes(dict.__setitem__)
    __delitem__ = _changes(dict.__delitem__)
    __ior__ = _changes(dict.__ior__)
    update = _changes(dict.update)
    pop = _changes(dict.pop)
    popitem = _changes(dict.popitem)
    clear = _changes(dict.clear)
    setdefault = _changes(dict.setdefault)


class _State:
    """The sending of this run's `task_state` (guest only; the driver `begin`s and `end`s)."""

    def __init__(self):
        self.active = False
        self.importing = False
        self.sent = None  # the JSON of the state the host holds
        self.sent_at = float("-inf")
        self._clock = None

    def begin(self):
        """A task (or script) starts: `anvil.server.task_state` is its state, and sleeping
        sends it first."""
        import json
        import sys
        import time

        self.active = True
        self._clock = time.monotonic
        self.sent = "{}"
        # json's own dumps, kept before the widget's code runs (which may replace it)
        self._dumps = json.dumps
        sys.modules["anvil.server"].task_state = TaskState()
        sleep = time.sleep

        def flushing_sleep(seconds):
            self.flush()
            sleep(seconds)

        flushing_sleep.__doc__ = sleep.__doc__
        time.sleep = flushing_sleep

    def changed(self):
        if self.active and self._clock() - self.sent_at >= STATE_INTERVAL:
            self.flush()

    def flush(self):
        """Send the state if it differs from what the host holds."""
        if not self.active:
            return
        import sys

        state = sys.modules["anvil.server"].task_state  # code may have assigned another
        try:
            encoded = _serialize.encode(dict(state))
        except (TypeError, ValueError) as e:  # SerializationError, a non-mapping
            raise SerializationError(f"anvil.server.task_state cannot hold this: {e}") from None
        text = self._dumps(encoded, separators=(",", ":"), sort_keys=True)
        if text == self.sent:
            return
        _call("state", encoded)
        self.sent, self.sent_at = text, self._clock()

    def end(self, ok):
        """The task ended (`ok`: without an error): its last state reaches the host. A
        failure to send it fails a task that succeeded, and never hides the error of one
        that failed."""
        try:
            self.flush()
        except Exception:
            if ok:
                raise
        finally:
            self.active = False


_state = _State()
