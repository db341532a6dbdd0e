"""Forms: the `<Name>Template` classes made from designs, and the open form.

The loader writes `forms/_anvil_designer.py`, which makes one template per design:

    Form1Template = template("Form1", {...the design...})

so client code reads as in Anvil: `class Form1(Form1Template)` whose `__init__` calls
`self.init_components(**properties)`. Every named component becomes an attribute of the form,
and each bound event calls the form's method with `sender` and `event_name`.
"""

import sys

from . import _platform
from ._basic import __all__ as _basic_names
from ._component import Component
from ._containers import BY_NAME as CONTAINERS

_open = None


def _component_types():
    from . import _basic, _containers

    found = {name: getattr(_basic, name) for name in _basic_names}
    found.update(_containers.BY_NAME)
    return found


class _Form:
    """What a form template adds to its container type."""

    _form_name = ""
    _design = {}

    def __new__(cls, *args, **properties):
        self = object.__new__(cls)
        self._setup()
        self.item = {}
        return self

    def __init__(self, **properties):
        self.init_components(**properties)

    def init_components(self, **properties):
        """Build the form's components from its design, bind its events, then set
        `properties` (e.g. `item`) on the form."""
        if self.__dict__.get("_initialised"):
            return
        self._initialised = True
        design = self._design
        container = design.get("container") or {}
        for name, value in (container.get("properties") or {}).items():
            setattr(self, name, value)
        for event, method in (container.get("event_bindings") or {}).items():
            self._bind(self, "the form", event, method)
        self._build_children(self, design.get("components") or [], _component_types())
        for name, value in properties.items():
            setattr(self, name, value)

    def _build_children(self, container, specs, types):
        for spec in specs:
            name = spec["name"]
            kind = types[spec["type"]]
            child = kind(**(spec.get("properties") or {}))
            setattr(self, name, child)
            for event, method in (spec.get("event_bindings") or {}).items():
                self._bind(child, name, event, method)
            container.add_component(child, **(spec.get("layout_properties") or {}))
            if spec.get("components"):
                self._build_children(child, spec["components"], types)

    def _bind(self, target, label, event, method):
        handler = getattr(self, method, None)
        if handler is None or not callable(handler):
            raise AttributeError(
                f"{type(self).__name__} has no method {method}(), which the design binds to "
                f"the {event} event of {label}; add it to the form's code"
            )
        target.add_event_handler(event, handler)


def template(name, design):
    """The `<name>Template` class for a form's design."""
    container = (design.get("container") or {}).get("type") or "ColumnPanel"
    base = CONTAINERS[container]

    class Template(_Form, base):
        pass

    Template.__name__ = Template.__qualname__ = name + "Template"
    Template._form_name = name
    Template._design = design
    return Template


def _form_class(name):
    module_name = "forms." + name
    __import__(module_name)
    module = sys.modules[module_name]
    found = getattr(module, name, None)
    if found is None:
        raise ImportError(f"forms/{name}.py defines no class {name}")
    return found


def open_form(form, *args, **properties):
    """Show `form` (a form, or a form's name and the arguments to make it) in place of the
    open one, and return it."""
    global _open
    if isinstance(form, str):
        form = _form_class(form)(*args, **properties)
    elif args or properties:
        raise TypeError("open_form(form) takes no other arguments when given a form")
    if not isinstance(form, Component):
        raise TypeError(f"open_form() needs a form or a form's name, not {type(form).__name__}")
    if form is _open:
        return form
    dom = _platform.get()
    old = _open
    if old is not None:
        dom.detach(old._dom)
        old._set_shown(False)
    form.remove_from_parent()
    _open = form
    dom.append(dom.root(), form._dom)
    form._set_shown(True)
    return form


def get_open_form():
    """The form open_form() showed last, or None."""
    return _open
