"""Starting an app: install the runtime's adapter, then open the startup form or run the
startup module (Anvil's two kinds of start-up; a module opens a form itself). The loader
(client/src/gui/boot.js) runs `start(Adapter(), "Form1", None)` once the runtime is ready."""

import sys

from . import _errors, _forms, _platform, _waiting


def start(adapter, startup_form, startup_module=None):
    from . import _app_data  # the app's own (the rest of the package may come from a snapshot)

    if "random" in sys.modules:  # imported before a memory snapshot: seeded per page
        sys.modules["random"].seed()
    _platform.current = adapter
    if adapter.can_wait():
        _waiting.install_sleep()
    try:
        if startup_module:
            __import__(f"{_app_data.PACKAGE}.{startup_module}")
        else:
            _forms.open_form(startup_form)
    except Exception as exc:
        _errors.handle(exc)
    adapter.ready()
