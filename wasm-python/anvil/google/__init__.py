"""`anvil.google`: Anvil's Google service (sign-in, Drive, Sheets, Gmail), which Widgetbox
does not provide. It and its modules `auth`, `drive`, `sheets` and `mail` import, so an app
that imports them loads; using anything from them raises
`anvil._unavailable.ServiceNotAvailable` naming the service."""

from anvil._unavailable import unavailable

SERVICE = "the Google service (anvil.google)"

__all__ = []  # a star import takes nothing: every name is a placeholder

__getattr__ = unavailable(__name__, SERVICE, submodules=("auth", "drive", "sheets", "mail"))
