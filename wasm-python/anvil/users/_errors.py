"""The exceptions of `anvil.users`, as Anvil names them. One source for server code (the
guest) and the browser (the client bundles this file), so an exception raised by server code
is raised again in the browser as the class of the same name.

Each reports `anvil.users` as its module, so the guest reports an uncaught one as
`anvil.users.AuthenticationFailed` (its `qualified_type`).
"""

from anvil._server_errors import AnvilWrappedError


class UserExists(AnvilWrappedError):
    """Signing up with an email address that has an account already."""


class AuthenticationFailed(AnvilWrappedError):
    """Logging in failed (the base of the more precise failures below)."""


class EmailNotConfirmed(AuthenticationFailed):
    """The account has not followed its confirmation link yet."""


class AccountIsNotEnabled(AuthenticationFailed):
    """The account is disabled (or waits for the owner to enable it)."""


class TooManyPasswordFailures(AuthenticationFailed):
    """Too many wrong passwords: for the account (reset it by email) or from the address."""


class MFARequired(AuthenticationFailed):
    """Kept for compatibility: Widgetbox's Users service has no two-factor authentication."""


class PasswordNotAcceptable(AnvilWrappedError):
    """The new password breaks the app's rules (its minimum length)."""


class PasswordResetRequested(AnvilWrappedError):
    """Kept for compatibility: resets happen on the page the emailed link opens."""


EXCEPTIONS = (
    UserExists,
    AuthenticationFailed,
    EmailNotConfirmed,
    AccountIsNotEnabled,
    TooManyPasswordFailures,
    MFARequired,
    PasswordNotAcceptable,
    PasswordResetRequested,
)

for _cls in EXCEPTIONS:
    _cls.__module__ = "anvil.users"
del _cls

BY_NAME = {cls.__name__: cls for cls in EXCEPTIONS}
