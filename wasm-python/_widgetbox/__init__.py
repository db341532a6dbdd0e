"""Widgetbox's side of the sandbox: the bridge to the host and the driver that runs a widget.

Everything here runs inside the CPython-on-WASI guest, and is also importable on an ordinary
CPython for unit tests (where the bridge has no door unless a test installs one).
"""
