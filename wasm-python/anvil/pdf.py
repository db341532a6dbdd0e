"""`anvil.pdf`: Anvil's PDF rendering of forms (`render_form`, `PDFRenderer`), which
Widgetbox does not provide. Importing works, so an app that imports it loads; using anything
raises `anvil._unavailable.ServiceNotAvailable` naming the service."""

from anvil._unavailable import unavailable

__all__ = []  # a star import takes nothing: every name is a placeholder

__getattr__ = unavailable(__name__, "PDF rendering (anvil.pdf)")
