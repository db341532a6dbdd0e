"""Starting an app: install the runtime's adapter, then open the startup form or run the
startup module (Anvil's two kinds of start-up; a module opens a form itself). The loader
(client/src/gui/boot.js) runs `start(Adapter(), "Form1", None, None)` once the runtime is
ready.

A page served as a route's answer (`FormResponse`, `AppResponder`: host/gui/load_app.py)
passes `load`, JSON text of what to open instead ({form, module, args, kwargs, data}, the
values encoded as a server call's answer): the form made with those arguments, else the
module, else the app's own start-up; `data` becomes `anvil.server.startup_data`."""

import sys

from . import _errors, _forms, _platform, _waiting


def start(adapter, startup_form, startup_module=None, load=None):
    from . import _app_data  # the app's own (the rest of the package may come from a snapshot)

    if "random" in sys.modules:  # imported before a memory snapshot: seeded per page
        sys.modules["random"].seed()
    _platform.current = adapter
    if adapter.can_wait():
        _waiting.install_sleep()
    try:
        form, args, kwargs = startup_form, [], {}
        if load is not None:
            loaded_form, args, kwargs, loaded_module = _loaded(adapter.json_loads(load))
            if loaded_form:
                form, startup_module = loaded_form, None
            elif loaded_module:
                startup_module = loaded_module
        if startup_module:
            __import__(f"{_app_data.PACKAGE}.{startup_module}")
        else:
            _forms.open_form(form, *args, **kwargs)
    except Exception as exc:
        _errors.handle(exc)
    adapter.ready()


def _loaded(load):
    """(form, args, kwargs, module) of a route's answer, its startup data set."""
    from . import _serialize, server

    server.startup_data = _serialize.decode(load["data"])
    if load["form"]:
        args, kwargs = _serialize.decode(load["args"]), _serialize.decode(load["kwargs"])
        return load["form"], args, kwargs, None
    return None, [], {}, load["module"]
