"""`anvil.users`: the widget's Users service, with Anvil's API.

    user = anvil.users.get_user()               # a row of the `users` table, or None
    anvil.users.login_with_email(email, password, remember=True)
    anvil.users.signup_with_email(email, password)
    anvil.users.logout()

One source for server code and the browser (the client bundles this package, as it does
`anvil.tables`): in the sandbox each operation crosses the bridge as `users`; in a browser it
is a POST to the app's `/_/users`. Either way the host does the work (passwords are hashed
and checked there, never here) and answers a row record of the `users` table (its password
hash hidden), which becomes an `anvil.tables` Row. The forms (`login_with_form`,
`signup_with_form`) exist only in the browser (`anvil/_users_forms.py` of the client);
`force_login` only in server code.
"""

from anvil import _server_errors
from anvil.users._errors import (
    BY_NAME,
    EXCEPTIONS,
    AccountIsNotEnabled,
    AuthenticationFailed,
    EmailNotConfirmed,
    MFARequired,
    PasswordNotAcceptable,
    PasswordResetRequested,
    TooManyPasswordFailures,
    UserExists,
)

__all__ = [
    "AccountIsNotEnabled",
    "AuthenticationFailed",
    "EmailNotConfirmed",
    "MFARequired",
    "PasswordNotAcceptable",
    "PasswordResetRequested",
    "TooManyPasswordFailures",
    "UserExists",
    "change_password_with_form",
    "force_login",
    "get_user",
    "login_with_email",
    "login_with_form",
    "logout",
    "reset_password",
    "send_password_reset_email",
    "signup_with_email",
    "signup_with_form",
]

BRIDGE_OP = "users"
USERS_URL = "/_/users"

_NOT_SET = object()
_cached = _NOT_SET
"""Server code's logged-in user's record, once asked (a run is one call; what changes it
clears it). The Row is made from it when code asks for it (`anvil.tables` is then imported:
`require_user=True` alone never needs it)."""
_cached_row = _NOT_SET


def _bridge():
    try:
        from _widgetbox import bridge
    except ImportError:  # a browser
        return None
    return bridge


def in_browser():
    return _bridge() is None


def _error(kind, message):
    """The exception a refusal's kind names: an `anvil.users` or `anvil.server` class."""
    kind = str(kind or "")
    name = kind.rpartition(".")[2]
    if kind.startswith("anvil.users.") and name in BY_NAME:
        return BY_NAME[name](message)
    if kind == "SessionExpired":
        return _server_errors.SessionExpiredError(message)
    if kind.startswith("anvil.server."):
        for cls in _server_errors.EXCEPTIONS:
            if cls.__name__ == name:
                return cls(message)
    if kind == "anvil.email.SendFailure" and not in_browser():
        import anvil.email

        return anvil.email.SendFailure(message)
    return _server_errors.AnvilWrappedError(message)


def _call(op, **data):
    request = {"op": op, **data}
    bridge = _bridge()
    if bridge is None:
        from anvil.server import _post

        frame = _post(USERS_URL, request)
        if isinstance(frame.get("error"), dict):
            error = frame["error"]
            raise _error(error.get("kind"), str(error.get("message", "")))
        return frame.get("ok")
    try:
        return bridge.call(BRIDGE_OP, request)
    except bridge.UnknownOperation:
        raise _server_errors.AnvilWrappedError(
            "The Users service is not available on this server"
        ) from None
    except bridge.HostCallError as e:
        kind = getattr(e, "kind", "")
        if kind.startswith("anvil.") or kind == "SessionExpired":
            raise _error(kind, str(e)) from None
        raise


def _row(record):
    if record is None:
        return None
    from anvil.tables._row import Row

    return Row.from_record(record)


def _remember(record):
    global _cached, _cached_row
    user = _row(record)
    if not in_browser():
        _cached, _cached_row = record, user
    return user


def _forget():
    global _cached, _cached_row
    _cached = _cached_row = _NOT_SET


def _logged_in():
    """Server code's logged-in user's record (or None), asked once per run."""
    global _cached
    if _cached is _NOT_SET:
        _cached = _call("get_user", allow_remembered=True)
    return _cached


def get_user(allow_remembered=True, fetch=None):
    """The logged-in user (a row of the `users` table), or None. With `allow_remembered`
    (the default) a user who chose "Remember me" in an earlier session counts."""
    global _cached_row
    if in_browser() or not allow_remembered:
        return _row(_call("get_user", allow_remembered=bool(allow_remembered)))
    if _cached_row is _NOT_SET:
        _cached_row = _row(_logged_in())
    return _cached_row


def login_with_email(email, password, remember=False, fetch=None, mfa=None):
    """Log in with an email address and a password; the user's row, or AuthenticationFailed
    (or one of its subclasses). `remember=True` keeps the login in this browser for the
    app's "Remember me" days."""
    _forget()
    record = _call("login", email=email, password=password, remember=bool(remember))
    return _remember(record)


def signup_with_email(email, password, remember=False, fetch=None, mfa_method=None):
    """Sign up a new user; their row. They are logged in at once unless the app asks new
    users to confirm their address, or to be enabled by the owner. UserExists when the
    address has an account; PasswordNotAcceptable for a password too short."""
    _forget()
    record = _call("signup", email=email, password=password, remember=bool(remember))
    return _row(record)


def logout(invalidate_client_objects=False):
    """Log out (and forget "Remember me" in this browser)."""
    _forget()
    _call("logout")


def force_login(user_row, remember=False, fetch=None):
    """Log in as `user_row` (a row of the `users` table; None logs out), without a password:
    server code only."""
    if in_browser():
        raise Exception("You can only use force_login() in server modules")
    _forget()
    row_id = None
    if user_row is not None:
        get_id = getattr(user_row, "get_id", None)
        if get_id is None:
            raise TypeError("force_login() must be passed a row from the users table")
        row_id = get_id()
    return _remember(_call("force_login", id=row_id, remember=bool(remember)))


def send_password_reset_email(email):
    """Email `email` a link to choose a new password (AuthenticationFailed when no enabled
    account has that address)."""
    _call("send_reset", email=email)


def reset_password(old_password, new_password):
    """Change the logged-in user's password (the old one is checked first)."""
    _call("reset_password", old=old_password, new=new_password)


def _browser_only(name):
    def refuse(*args, **kwargs):
        if not in_browser():
            raise Exception(f"You can't use {name}() on the server (do it in form code instead)")
        from anvil import _users_forms

        return getattr(_users_forms, name)(*args, **kwargs)

    refuse.__name__ = name
    return refuse


login_with_form = _browser_only("login_with_form")
signup_with_form = _browser_only("signup_with_form")
change_password_with_form = _browser_only("change_password_with_form")


def _unavailable(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(
            f"anvil.users.{name}() is not available on Widgetbox: its Users service signs "
            "users in with an email address and a password"
        )

    refuse.__name__ = name
    return refuse


for _name in (
    "login_with_google",
    "signup_with_google",
    "login_with_facebook",
    "signup_with_facebook",
    "login_with_microsoft",
    "signup_with_microsoft",
    "login_with_saml",
    "signup_with_saml",
    "send_token_login_email",
    "configure_account_with_form",
):
    globals()[_name] = _unavailable(_name)
del _name

assert len(EXCEPTIONS) == len(BY_NAME)
