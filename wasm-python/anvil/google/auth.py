"""`anvil.google.auth`: Google sign-in, not available on Widgetbox; importing works,
using anything raises `ServiceNotAvailable`."""

from anvil._unavailable import unavailable
from anvil.google import SERVICE

__all__ = []  # a star import takes nothing: every name is a placeholder

__getattr__ = unavailable(__name__, SERVICE)
