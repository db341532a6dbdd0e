"""`anvil.server.session`, `get_session_id`, `cookies`, `context`, `get_app_origin` and
`get_api_origin` in server code, and what `@anvil.server.callable` and `@anvil.server.route`
wrap around the decorated function (`require_user`, `authenticate_users`, and saving the
session when the call returns).

Each call runs in a fresh interpreter, so the session lives on the host (the bridge operation
`session`): it is fetched on first use, and when the call returns it is sent back if it
changed (Anvil keeps it only when the call succeeds). It holds what a server function may
return, Media aside; the host caps its size. For a browser (a GUI app's calls and its own
endpoints) it is that browser's session with the app; in scripts, scheduled tasks and a
widget's HTTP API it lasts for the run.
"""

from anvil import _serialize
from anvil._server_errors import (
    CookieError,
    PermissionDenied,
    SerializationError,
    SessionExpiredError,
)

OP = "session"
DEFAULT_DAYS = 30
UNAUTHORIZED_REALM = 'Basic realm="Widgetbox App API"'

_depth = 0
"""Server functions running (one inside another through `anvil.server.call`)."""


def _call(op, **data):
    from _widgetbox import bridge

    try:
        return bridge.call(OP, {"op": op, **data})
    except bridge.HostCallError as e:
        kind = getattr(e, "kind", "")
        if kind == "SessionExpired":
            raise SessionExpiredError(str(e)) from None
        if kind == "CookieError":
            raise CookieError(str(e)) from None
        if kind == "TooLarge":
            raise SerializationError(str(e)) from None
        raise


def _dumps(value):
    import json

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _encode(value, what):
    """The codec's form of `value`, which may hold anything a server function may return
    except Media (Anvil's rule for the session and cookies)."""
    try:
        encoded = _serialize.encode(value)
    except _serialize.SerializationError as e:
        raise SerializationError(f"Tried to store illegal value in {what}. {e}") from None
    if _holds_media(encoded):
        raise SerializationError(f"Tried to store illegal value in {what}. Media cannot be kept")
    return encoded


def _holds_media(encoded):
    pending = [encoded]
    while pending:
        found = pending.pop()
        if isinstance(found, list):
            pending.extend(found)
        elif isinstance(found, dict):
            if found.get(_serialize.TAG) == "media":
                return True
            pending.extend(found.values())
    return False


# -- anvil.server.session -----------------------------------------------------------------------


class Session:
    """`anvil.server.session`: a dict kept between the calls of one browser's session."""

    def __init__(self):
        self._data = None
        self._saved = None

    def _dict(self):
        if self._data is None:
            found = _call("load")["data"]
            self._saved = _dumps(found)
            self._data = _serialize.decode(found)
        return self._data

    @property
    def session_id(self):
        return get_session_id()

    def __getitem__(self, key):
        return self._dict()[key]

    def __setitem__(self, key, value):
        self._dict()[key] = value

    def __delitem__(self, key):
        del self._dict()[key]

    def __contains__(self, key):
        return key in self._dict()

    def __iter__(self):
        return iter(list(self._dict()))

    def __len__(self):
        return len(self._dict())

    def __eq__(self, other):
        return self._dict() == (other._dict() if isinstance(other, Session) else other)

    __hash__ = None

    def get(self, key, default=None):
        return self._dict().get(key, default)

    def keys(self):
        return self._dict().keys()

    def values(self):
        return self._dict().values()

    def items(self):
        return self._dict().items()

    def pop(self, key, *default):
        return self._dict().pop(key, *default)

    def setdefault(self, key, default=None):
        return self._dict().setdefault(key, default)

    def update(self, *args, **kwargs):
        self._dict().update(*args, **kwargs)

    def clear(self):
        self._dict().clear()

    def __repr__(self):
        return f"<Session:{self._dict()!r}>"

    def _save(self):
        """Send the session back if code used it and it changed."""
        if self._data is None:
            return
        encoded = _encode(self._data, "a anvil.server.session")
        text = _dumps(encoded)
        if text != self._saved:
            _call("save", data=encoded)
            self._saved = text


session = Session()


def _forget_run():
    """What this module learnt in a run, forgotten before the next one in the same
    interpreter (persistent mode: `_widgetbox.driver`)."""
    global _depth
    _depth = 0
    session._data = session._saved = None
    CallContext._found = None


def get_session_id():
    """The current session's id (a browser's session is made if it had none)."""
    return _call("id")


# -- anvil.server.cookies -----------------------------------------------------------------------


class Cookie:
    """`anvil.server.cookies.local` or `.shared`: values kept in the visitor's browser."""

    def __init__(self, jar):
        self._jar = jar

    def __getitem__(self, name):
        found = _call("cookie_get", jar=self._jar, name=_name(name))
        if not found["found"]:
            raise KeyError(name)
        return _serialize.decode(found["value"])

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name):
        return _call("cookie_get", jar=self._jar, name=_name(name))["found"]

    def __setitem__(self, name, value):
        self.set(DEFAULT_DAYS, **{_name(name): value})

    def __delitem__(self, name):
        _call("cookie_delete", jar=self._jar, name=_name(name))

    def set(self, timeout_days=DEFAULT_DAYS, **values):
        """Keep each `name=value` for `timeout_days` (30 by default)."""
        encoded = {}
        for name, value in values.items():
            try:
                encoded[name] = _encode(value, "a cookie")
            except SerializationError as e:
                if "Media" in str(e):
                    raise CookieError("Cannot store Media in cookies.") from None
                raise
        _call("cookie_set", jar=self._jar, days=timeout_days, values=encoded)

    def clear(self):
        _call("cookie_clear", jar=self._jar)

    def __repr__(self):
        return f"<anvil.server.cookies.{self._jar}>"


def _name(name):
    if not isinstance(name, str):
        raise TypeError(f"cookie names are strings, not {type(name).__name__}")
    return name


class Cookies:
    def __init__(self):
        self.local = Cookie("local")
        self.shared = Cookie("shared")


cookies = Cookies()


# -- anvil.server.context ------------------------------------------------------------------------


class ClientInfo:
    """Who started the session: `type` ('browser', 'http', 'background_task'), `ip`."""

    def __init__(self, found):
        self.type = found.get("type")
        self.ip = found.get("ip")
        self.location = found.get("location")

    def __repr__(self):
        return f"ClientInfo(type={self.type!r}, ip={self.ip!r})"


class StackFrame:
    """Where the calling code ran: `type`, and `is_trusted` (server code is)."""

    def __init__(self, type, is_trusted):
        self.type = type
        self.is_trusted = is_trusted

    def __repr__(self):
        return f"StackFrame(type={self.type!r}, is_trusted={self.is_trusted!r})"


class CallContext:
    """`anvil.server.context`: what started the code that is running."""

    _found = None

    def _get(self):
        if CallContext._found is None:
            CallContext._found = _call("context")
        return CallContext._found

    @property
    def type(self):
        return self._get()["type"]

    @property
    def client(self):
        return ClientInfo(self._get()["client"])

    @property
    def remote_caller(self):
        if _depth > 1:  # called by this widget's own server code (anvil.server.call)
            return StackFrame("server_module", True)
        caller = self._get()["remote_caller"]
        return None if caller is None else StackFrame(caller["type"], caller["is_trusted"])

    @property
    def background_task_id(self):
        return self._get().get("background_task_id")

    def __repr__(self):
        return f"<CallContext client={self.client!r} remote_caller={self.remote_caller!r}>"


context = CallContext()


def get_app_origin(environment_type=None, **kwargs):
    """The app's URL (a GUI app's own origin; for other widgets, their API's)."""
    return context._get()["app_origin"]


def get_api_origin(environment_type=None, **kwargs):
    """Where the app's HTTP endpoints are served (a GUI app's is `<app>/_/api`)."""
    return context._get()["api_origin"]


# -- around server functions ---------------------------------------------------------------------


def wrap_callable(fn, name, require_user=None):
    """`fn` as `@anvil.server.callable` registers it: the user checked first when
    `require_user` says so (True, or a function of the user), the session saved after."""

    def server_function(*args, **kwargs):
        global _depth
        _depth += 1
        try:
            if require_user:
                _check_user(require_user, name)
            value = fn(*args, **kwargs)
        finally:
            _depth -= 1
        if _depth == 0:
            session._save()
        return value

    server_function.__wrapped__ = fn
    server_function.__name__ = getattr(fn, "__name__", name)
    server_function.__doc__ = getattr(fn, "__doc__", None)
    return server_function


def _check_user(require_user, name):
    import anvil.users

    predicate = hasattr(require_user, "__call__")  # noqa: B004 - `callable` may be shadowed
    user = anvil.users.get_user() if predicate else anvil.users._logged_in()
    if user is None:
        if not predicate:
            message = "You must be logged in to call this server function"
        else:
            message = f"You must be logged in to call server function '{name}'"
        raise anvil.users.AuthenticationFailed(message)
    if predicate and not require_user(user):
        raise PermissionDenied(f"You do not have permission to call server function '{name}'")


def wrap_route(fn, authenticate_users=False):
    """`fn` as `@anvil.server.route` serves it: with `authenticate_users`, the logged-in
    user or the request's HTTP Basic credentials checked against the app's users (401 with
    `WWW-Authenticate` otherwise, as Anvil answers), `request.user` set; the session saved
    after."""

    def endpoint(**kwargs):
        import anvil.server

        if authenticate_users:
            import anvil.users

            request = anvil.server.request
            try:
                user = anvil.users.get_user() or anvil.users.login_with_email(
                    request.username, request.password
                )
            except Exception:  # any failure is the same 401, as in Anvil
                user = None
            if user is None:
                return anvil.server.HttpResponse(
                    401, "Unauthorized", {"WWW-Authenticate": UNAUTHORIZED_REALM}
                )
            anvil.server._CurrentRequest._current.user = user
        value = fn(**kwargs)
        session._save()
        return value

    endpoint.__wrapped__ = fn
    endpoint.__name__ = getattr(fn, "__name__", "endpoint")
    return endpoint
