"""`anvil.microsoft`: Anvil's Microsoft service (sign-in and the Graph API), which Widgetbox
does not provide. It and `anvil.microsoft.auth` import, so an app that imports them loads;
using anything from them raises `anvil._unavailable.ServiceNotAvailable` naming the service."""

from anvil._unavailable import unavailable

SERVICE = "the Microsoft service (anvil.microsoft)"

__all__ = []  # a star import takes nothing: every name is a placeholder

__getattr__ = unavailable(__name__, SERVICE, submodules=("auth",))
