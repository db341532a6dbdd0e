"""The Users service's built-in forms in the browser: `anvil.users.login_with_form()`,
`signup_with_form()` and `change_password_with_form()` (the shared `anvil.users` package
hands them over here; they do not exist in server code).

They are the app's own dialogs (`_dialogs.py`: the same look as `alert`), built of its
components, and work with the keyboard: the first field has the focus, Enter moves to the
next field and, in the last one, submits; Escape cancels when the form may be cancelled. A
failed attempt keeps the dialog open with Anvil's message under the fields.

As in Anvil, each form waits for the visitor and returns the logged-in (or new) user, or None
when it was cancelled (`change_password_with_form`: True when changed), where the runtime can
suspend Python (Pyodide with JSPI, see `_dialogs.py`); elsewhere (Brython) it returns None at
once. Either way `on_close(user)`, if given, is called when it is done. `login_with_form`
returns the user at once, without a dialog, when one is logged in already (or remembered).
"""

from . import _dialogs, _waiting
from ._basic import CheckBox, Label, Link, TextBox
from ._containers import LinearPanel
from ._errors import guarded

ERROR_COLOUR = "#b42318"


def _users():
    import anvil.users

    return anvil.users


def _config():
    from anvil import users

    return users._call("config") or {}


def _field(placeholder, hide=False, text=""):
    return TextBox(placeholder=placeholder, hide_text=hide, text=text or "")


def _error_label():
    return Label(text="", foreground=ERROR_COLOUR, bold=True)


class _Form(_dialogs._Alert):
    """A dialog whose submit button (value `submit`) runs `attempt()` and stays open when
    it fails; any other button or a dismissal closes it."""

    def __init__(self, panel, title, buttons, dismissible, attempt, done, first):
        self._attempt = attempt
        self._done = done
        _dialogs._Alert.__init__(self, panel, title, buttons, False, dismissible, None, None)
        if first is not None:
            first.focus()

    def close(self, value=None):
        if value == "submit" and self.open:
            outcome = self._attempt()
            if outcome is _STAY:
                return
            _dialogs._Alert.close(self, value)
            self._done(outcome)
            return
        if self.open:
            _dialogs._Alert.close(self, value)
            self._done(_Cancelled(value))


class _Cancelled:
    def __init__(self, value):
        self.value = value


_STAY = object()


def _finish(on_close, user):
    if on_close is not None:
        guarded(on_close)(user)


def _answered(show):
    """`show(..., on_close=...)` made to return its answer, waiting for it where the runtime
    can suspend Python (else it returns what `show` does: None while a dialog is open)."""

    def run(*args, on_close=None, **kwargs):
        return _waiting.answer_of(lambda done: show(*args, on_close=done, **kwargs), on_close)

    run.__name__ = show.__name__
    run.__doc__ = show.__doc__
    return run


# -- log in ------------------------------------------------------------------------------------


@_answered
def login_with_form(
    show_signup_option=True,
    remember_by_default=True,
    allow_remembered=True,
    allow_cancel=False,
    initial_email=None,
    fetch=None,
    on_close=None,
):
    """Show the log-in form and return the user once logged in (None if cancelled), also
    given to `on_close(user)`. Returns the user at once when one is logged in already
    (then no form is shown)."""
    if allow_remembered:
        user = _users().get_user()
        if user is not None:
            _finish(on_close, user)
            return user
    _LogIn(show_signup_option, remember_by_default, allow_cancel, initial_email, on_close)
    return None


class _LogIn:
    """The log-in dialog, and where its links lead (sign-up, a reset email)."""

    def __init__(self, show_signup_option, remember_by_default, allow_cancel, email, on_close):
        self.users = _users()
        config = _config()
        self.allow_cancel = allow_cancel
        self.remember_by_default = remember_by_default
        self.on_close = on_close
        self.panel = LinearPanel()
        self.email = _field("email@address.com", text=email or "")
        self.password = _field("password", hide=True)
        forgot = Link(text="Forgot your password?", align="right")
        self.error = _error_label()
        for component in (
            Label(text="Email:"),
            self.email,
            Label(text="Password:"),
            self.password,
            forgot,
            self.error,
        ):
            self.panel.add_component(component)
        self.remember = None
        if config.get("remember_me"):
            self.remember = CheckBox(text="Remember me", checked=bool(remember_by_default))
            self.panel.add_component(self.remember)
        if config.get("allow_signup") and show_signup_option:
            signup = Link(text="Sign up for a new account")
            signup.set_event_handler("click", lambda **event: self.dialog.close("signup"))
            self.panel.add_component(signup)
        self.email.set_event_handler("pressed_enter", lambda **event: self.password.focus())
        self.password.set_event_handler(
            "pressed_enter", lambda **event: self.dialog.close("submit")
        )
        forgot.set_event_handler("click", lambda **event: self.dialog.close("forgot"))
        self.show("")

    def show(self, message):
        self.error.text = message or ""
        buttons = [("Log In", "submit")] + ([("Cancel", None)] if self.allow_cancel else [])
        first = self.password if self.email.text else self.email
        self.dialog = _Form(
            self.panel, "Log In", buttons, self.allow_cancel, self.attempt, self.done, first
        )

    def attempt(self):
        remember = bool(self.remember and self.remember.checked)
        try:
            return self.users.login_with_email(
                self.email.text.strip(), self.password.text, remember=remember
            )
        except self.users.AuthenticationFailed as e:
            self.error.text = str(e)
            self.password.text = ""
            self.password.focus()
            return _STAY

    def done(self, outcome):
        if not isinstance(outcome, _Cancelled):
            _finish(self.on_close, outcome)
        elif outcome.value == "signup":
            signup_with_form(
                remember_by_default=self.remember_by_default,
                allow_cancel=True,
                initial_email=self.email.text,
                on_close=self.signed_up,
            )
        elif outcome.value == "forgot":
            _reset_form(self.email.text, self.show)
        else:
            _finish(self.on_close, None)

    def signed_up(self, user):
        logged_in = self.users.get_user(allow_remembered=False) if user is not None else None
        if logged_in is not None:
            _finish(self.on_close, logged_in)
        else:
            self.show("")


def _reset_form(initial_email, then):
    """Ask for the address to send a password-reset link to; `then(message)` after."""
    users = _users()
    panel = LinearPanel()
    email = _field("email@address.com", text=initial_email)
    error = _error_label()
    panel.add_component(Label(text="We will email you a link to choose a new password."))
    panel.add_component(email)
    panel.add_component(error)
    form = {}

    def attempt():
        try:
            users.send_password_reset_email(email.text.strip())
        except users.AuthenticationFailed as e:
            error.text = str(e)
            return _STAY
        return email.text.strip()

    def done(outcome):
        if isinstance(outcome, _Cancelled):
            then("")
        else:
            then(f"Requested password reset for {outcome}. Check your email.")

    email.set_event_handler("pressed_enter", lambda **event: form["dialog"].close("submit"))
    buttons = [("Send", "submit"), ("Cancel", None)]
    form["dialog"] = _Form(panel, "Reset password by email", buttons, True, attempt, done, email)


# -- sign up -----------------------------------------------------------------------------------


@_answered
def signup_with_form(
    remember_by_default=True,
    allow_cancel=False,
    initial_email="",
    initial_password="",
    fetch=None,
    on_close=None,
):
    """Show the sign-up form and return the new user (None if cancelled), also given to
    `on_close(user)`."""
    users = _users()
    config = _config()
    if not config.get("allow_signup"):
        raise Exception("New user signup is not enabled")
    panel = LinearPanel()
    email = _field("address@example.com", text=initial_email)
    password = _field("password", hide=True, text=initial_password)
    again = _field("repeat password", hide=True)
    error = _error_label()
    for component in (
        Label(text="Email:"),
        email,
        Label(text="Password:"),
        password,
        Label(text="Retype password:"),
        again,
        error,
    ):
        panel.add_component(component)
    remember = None
    if config.get("remember_me") and not config.get("confirm_email"):
        remember = CheckBox(text="Remember me", checked=bool(remember_by_default))
        panel.add_component(remember)
    form = {}

    def attempt():
        address = email.text.strip()
        if len(address) < 5 or "@" not in address or "." not in address:
            error.text = "Enter an email address"
            email.focus()
            return _STAY
        if password.text != again.text:
            error.text = "Passwords do not match"
            password.text = again.text = ""
            password.focus()
            return _STAY
        try:
            return users.signup_with_email(
                address, password.text, remember=bool(remember and remember.checked)
            )
        except (users.UserExists, users.PasswordNotAcceptable, users.AuthenticationFailed) as e:
            error.text = str(e)
            password.text = again.text = ""
            password.focus()
            return _STAY

    def done(outcome):
        if isinstance(outcome, _Cancelled):
            _finish(on_close, None)
            return
        if config.get("confirm_email"):
            _dialogs.alert(
                f"We've sent a confirmation email to {email.text.strip()}. Open your inbox "
                "and follow the link to complete your sign-up.",
                title="Confirm your email",
                on_close=lambda value: _finish(on_close, outcome),
            )
            return
        _finish(on_close, outcome)

    first = email if not initial_email else (password if not password.text else again)
    email.set_event_handler("pressed_enter", lambda **event: password.focus())
    password.set_event_handler("pressed_enter", lambda **event: again.focus())
    again.set_event_handler("pressed_enter", lambda **event: form["dialog"].close("submit"))
    buttons = [("Sign Up", "submit")] + ([("Cancel", None)] if allow_cancel else [])
    form["dialog"] = _Form(panel, "Sign Up", buttons, allow_cancel, attempt, done, first)


# -- change password ---------------------------------------------------------------------------


@_answered
def change_password_with_form(require_old_password=True, on_close=None):
    """Let the logged-in user change their password: True when changed (None if
    cancelled), also given to `on_close`."""
    users = _users()
    panel = LinearPanel()
    old = _field("Old password", hide=True)
    new = _field("New password", hide=True)
    again = _field("Confirm new password", hide=True)
    error = _error_label()
    for component in (old, new, again, error):
        panel.add_component(component)
    form = {}

    def attempt():
        if new.text != again.text:
            error.text = "Passwords do not match"
            return _STAY
        try:
            users.reset_password(old.text, new.text)
        except (users.AuthenticationFailed, users.PasswordNotAcceptable) as e:
            error.text = str(e)
            return _STAY
        return True

    def done(outcome):
        _finish(on_close, None if isinstance(outcome, _Cancelled) else True)

    old.set_event_handler("pressed_enter", lambda **event: new.focus())
    new.set_event_handler("pressed_enter", lambda **event: again.focus())
    again.set_event_handler("pressed_enter", lambda **event: form["dialog"].close("submit"))
    buttons = [("Change", "submit"), ("Cancel", None)]
    form["dialog"] = _Form(panel, "Change password", buttons, True, attempt, done, old)
