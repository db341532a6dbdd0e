"""`anvil.google.mail`: sending email through Gmail, not available on Widgetbox
(`anvil.email.send` sends through the server's own SMTP server); importing works, using
anything raises `ServiceNotAvailable`."""

from anvil._unavailable import unavailable
from anvil.google import SERVICE

__all__ = []  # a star import takes nothing: every name is a placeholder

__getattr__ = unavailable(__name__, SERVICE)
