"""`anvil.google.drive`: Google Drive (`app_files` and the rest), not available on
Widgetbox; importing works (`from anvil.google.drive import app_files` too), using anything
raises `ServiceNotAvailable`."""

from anvil._unavailable import unavailable
from anvil.google import SERVICE

__all__ = []  # a star import takes nothing: every name is a placeholder

__getattr__ = unavailable(__name__, SERVICE)
