"""Starting an app: install the runtime's adapter and open the startup form. The loader
(client/src/gui/boot.js) runs `start(Adapter(), "Form1")` once the runtime is ready."""

from . import _errors, _forms, _platform


def start(adapter, startup_form):
    _platform.current = adapter
    try:
        _forms.open_form(startup_form)
    except Exception as exc:
        _errors.handle(exc)
    adapter.ready()
