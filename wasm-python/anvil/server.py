"""`anvil.server` for widget server code running in Widgetbox's sandbox.

The decorators and objects behave as in Anvil: `@callable` registers a function for
`anvil.server.call`, `@route` (alias `@http_endpoint`) serves it over HTTP, `request` is the
current HTTP request, and `HttpResponse` customises the answer. A GUI app's route may answer
with the app itself: `FormResponse` and `AppResponder` open its page at a form or module,
with data the client reads as `anvil.server.startup_data`. The exception classes come from
`anvil._server_errors`, which the browser client shares.
"""

import json as _json
import re

from anvil import BlobMedia, _serialize, _server_errors, _session
from anvil._portable import portable_class  # shared with the browser (anvil/_portable.py)
from anvil._server_errors import *  # noqa: F403 - Anvil's exception classes, shared
from anvil._server_errors import NoServerFunctionError, SerializationError
from anvil._session import (  # the session, cookies and call context (anvil/_session.py)
    context,
    cookies,
    get_api_origin,
    get_app_origin,
    get_session_id,
    session,
)
from anvil._tasks import NotATaskState as _NotATaskState
from anvil._tasks import (  # background tasks (anvil/_tasks.py, which the browser shares)
    Task,
    background_task,
    get_background_task,
    launch_background_task,
    list_background_tasks,
)

__all__ = ["HttpRequest", "HttpResponse", "call", "callable", "http_endpoint", "request", "route"]
__all__ += ["AppResponder", "FormResponse"]
__all__ += _server_errors.__all__
__all__ += ["context", "cookies", "get_api_origin", "get_app_origin", "get_session_id", "session"]
__all__ += ["portable_class"]
__all__ += [
    "Task",
    "background_task",
    "get_background_task",
    "launch_background_task",
    "list_background_tasks",
    "task_state",
]

task_state = _NotATaskState()
"""Inside a background task (or a script), the task's state (a dict); elsewhere reading or
writing it raises, as in Anvil."""


_callables: dict = {}
_routes: list = []


def callable(fn_or_name=None, require_user=None):
    """Make a function callable with `anvil.server.call(name, ...)`.

    Use as `@anvil.server.callable` or `@anvil.server.callable("other_name")`;
    `require_user=True` (or a function of the user) lets only logged-in users call it.
    """
    if fn_or_name is None or isinstance(fn_or_name, str):
        name = fn_or_name
        return lambda fn: _register(fn, name, require_user)
    return _register(fn_or_name, None, require_user)


def _register(fn, name, require_user=None):
    if not hasattr(fn, "__call__"):  # noqa: B004 - `callable` is shadowed here
        raise TypeError("@anvil.server.callable must decorate a function")
    name = name or fn.__name__
    _callables[name] = _session.wrap_callable(fn, name, require_user)
    return fn


_PARAMETER = re.compile(r"(:[^/]*)")
"""A `:name` segment of a route's path (compiled on import: in the sandbox, once, into the
image every guest starts from)."""


class _Route:
    """One registered HTTP endpoint."""

    def __init__(self, path, fn, methods, enable_cors, require_credentials):
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"a route's path must start with '/', not {path!r}")
        self.path = path
        self.fn = fn
        if isinstance(methods, str):
            methods = [methods]
        self.methods = [str(method).upper() for method in methods]
        self.enable_cors = enable_cors
        self.require_credentials = require_credentials
        self.params = []
        pattern = []
        for part in _PARAMETER.split(path):
            if part.startswith(":"):
                self.params.append(part[1:])
                pattern.append("([^/]*)")
            else:
                pattern.append(re.escape(part))
        # a path without parameters is compared as it is (compiling costs each run 0.3 ms)
        self.regex = re.compile("".join(pattern)) if self.params else None

    def match(self, path):
        """The path parameters when `path` matches this route, else None."""
        if self.regex is None:
            return {} if path == self.path else None
        found = self.regex.fullmatch(path)
        return None if found is None else dict(zip(self.params, found.groups(), strict=True))


def http_endpoint(
    path,
    require_credentials=False,
    authenticate_users=False,
    authenticate_user=False,
    methods=("GET", "POST"),
    enable_cors=False,
    cross_site_session=False,
):
    """Serve the decorated function at the widget's base URL + `path`.

    `:name` segments become keyword arguments, as do query-string and form parameters.
    `authenticate_users=True` lets in only the app's users (HTTP Basic, or already logged in).
    """
    authenticate = authenticate_users or authenticate_user

    def decorator(fn):
        served = _session.wrap_route(fn, authenticate)
        _routes.append(_Route(path, served, methods, enable_cors, require_credentials))
        return fn

    return decorator


route = http_endpoint


class HttpResponse:
    """A custom HTTP response: `HttpResponse(status, body, headers)`.

    A body that is an iterator or a generator streams (Widgetbox): each piece it yields is
    sent as it is yielded, str as UTF-8 and bytes as they are; with the content type
    `text/event-stream`, each str is one server-sent event's data and each dict one event's
    fields (`data`, `event`, `id`, `retry`). The run's limits hold for the whole stream."""

    def __init__(self, status=200, body="", headers=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def __repr__(self):
        return f"HttpResponse(status={self.status!r})"


class _LoadAppResponse:
    """A route's answer that loads the app (FormResponse, AppResponder): the form or module
    to open (neither: the app's own start-up), the form's arguments, the data the client
    reads as `anvil.server.startup_data`, and `meta` tags for the page (`title`,
    `description`...). Only a GUI widget's routes (on its app's `/_/api/`) can answer so."""

    def __init__(self, *, form=None, module=None, args=(), kwargs=None, data=None, meta=None):
        self.form = form
        self.module = module
        self.args = list(args)
        self.kwargs = dict(kwargs or {})
        self.data = data
        self.meta = meta

    def __repr__(self):
        opens = f"form={self.form!r}" if self.form else f"module={self.module!r}"
        return f"<LoadAppResponse {opens if self.form or self.module else 'the app'}>"


def FormResponse(form_name, *args, **kwargs):
    """Answer the request with the app's page opening `form_name`, made with `args` and
    `kwargs` (as `open_form` would)."""
    return _LoadAppResponse(form=form_name, args=args, kwargs=kwargs)


class AppResponder:
    """Answer the request with the app's page, giving its client code `data` (as
    `anvil.server.startup_data`) and its page `meta` tags: `.load_form(name, *args,
    **kwargs)`, `.load_module(name)` or `.load_app()` (the app's own start-up)."""

    def __init__(self, *args, **kwargs):
        if args:
            raise TypeError("AppResponder() takes keyword arguments only (data, meta)")
        unexpected = sorted(set(kwargs) - {"data", "meta"})
        if unexpected:
            raise TypeError(f"AppResponder() got an unexpected keyword argument {unexpected[0]!r}")
        self.data = kwargs.get("data")
        self.meta = kwargs.get("meta")

    def load_form(self, form_name, *args, **kwargs):
        return _LoadAppResponse(
            form=form_name, args=args, kwargs=kwargs, data=self.data, meta=self.meta
        )

    def load_module(self, module_name):
        return _LoadAppResponse(module=module_name, data=self.data, meta=self.meta)

    def load_app(self):
        return _LoadAppResponse(data=self.data, meta=self.meta)


def __getattr__(name):
    if name == "startup_data":  # what a LoadAppResponse gave the page: the client's alone
        raise RuntimeError("anvil.server.startup_data is only available on the client")
    raise AttributeError(f"module 'anvil.server' has no attribute {name!r}")


class HttpRequest:
    """The HTTP request being answered (see `anvil.server.request`)."""

    def __init__(
        self,
        *,
        path,
        method,
        query_params,
        form_params,
        headers,
        body,
        origin,
        remote_address,
        username=None,
        password=None,
    ):
        self.path = path
        self.method = method
        self.query_params = query_params
        self.form_params = form_params
        self.headers = headers
        self.body = BlobMedia(headers.get("content-type", "application/octet-stream"), body)
        self.origin = origin
        self.remote_address = remote_address
        self.username = username
        self.password = password
        self.user = None
        self._body_json = _NOT_READ

    @property
    def body_json(self):
        """The body decoded as JSON when the request's content type is JSON, else None."""
        if self._body_json is _NOT_READ:
            self._body_json = None
            content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type == "application/json" or content_type.endswith("+json"):
                import json

                self._body_json = json.loads(self.body.get_bytes() or b"null")
        return self._body_json


_NOT_READ = object()


class _CurrentRequest:
    """`anvil.server.request`: the request being handled, only inside an HTTP endpoint."""

    _current: HttpRequest | None = None

    def __getattr__(self, name):
        current = type(self)._current
        if current is None:
            raise RuntimeError(
                "anvil.server.request is only available while handling an HTTP request"
            )
        return getattr(current, name)

    def __repr__(self):
        return f"<anvil.server.request for {type(self)._current and type(self)._current.path!r}>"


request = _CurrentRequest()


def call(fn_name, *args, **kwargs):
    """Call one of this widget's `@anvil.server.callable` functions by name.

    Arguments and the result go through the same conversion as a call from a client:
    tuples become lists, and values that cannot be serialized raise SerializationError.
    """
    fn = _callables.get(fn_name)
    if fn is None:
        raise NoServerFunctionError(f'No server function matching "{fn_name}" has been registered')
    args, kwargs = _round_trip(list(args)), _round_trip(kwargs)
    return _round_trip(fn(*args, **kwargs))


def _round_trip(value):
    """What crossing the boundary does to a value (through JSON, as a real call would)."""
    try:
        return _serialize.decode(_json.loads(_json.dumps(_serialize.encode(value))))
    except _serialize.SerializationError as e:
        raise SerializationError(str(e)) from None
