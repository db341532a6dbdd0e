"""`anvil.secrets` for widget server code running in Widgetbox's sandbox.

`get_secret(name)` answers the value of the widget's secret called `name`, as its owner set
it; the host decrypts it (the bridge's `secrets.get`) for this run's widget only. A secret
that is not set raises `SecretError`, as in Anvil.
"""

from _widgetbox import bridge as _bridge

from anvil.server import AnvilWrappedError

__all__ = ["SecretError", "get_secret"]

_OP = "secrets.get"
_SECRET_KINDS = frozenset(("NotFound", "BadRequest", "Undecryptable"))
"""The host's refusals that mean "there is no such secret you can read"."""


class SecretError(AnvilWrappedError):
    """The secret does not exist (or cannot be read)."""


def get_secret(secret_name):
    """Retrieve the named secret."""
    if not isinstance(secret_name, str):
        raise TypeError(f"a secret's name is a string, not {type(secret_name).__name__}")
    try:
        return _bridge.call(_OP, secret_name)
    except _bridge.UnknownOperation:
        raise SecretError("App Secrets are not available on this server") from None
    except _bridge.HostCallError as e:
        if e.kind in _SECRET_KINDS:
            raise SecretError(str(e)) from None
        raise
