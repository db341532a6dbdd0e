"""Forms: the `<Name>Template` classes made from designs, forms used as components, data
bindings, and the open form.

The loader writes an `_anvil_designer.py` in each folder of forms (as Anvil generates it),
which makes one template per design:

    Form1Template = template("Form1", {...the design...})

so client code reads as in Anvil: `class Form1(Form1Template)` whose `__init__` calls
`self.init_components(**properties)`. Every named component becomes an attribute of the form,
each bound event calls the form's method with `sender` and `event_name`, and each data binding
sets its property from its code (`self.item['name']`) whenever the form's `item` is set or
`refresh_data_bindings()` is called (raising `refreshing_data_bindings` first); a binding with
write-back stores the property's value back when the visitor changes it. A design names its
forms from the app's client code root (`Form1.RowTemplate1`): `anvil._app_data.FORMS` gives
each one's module.

What a design holds that cannot be used (an unknown component type, a property the component
does not have, an event bound to a method the form lacks) is reported once per form as a
console warning, as Anvil does, and the form still opens.
"""

import sys

from . import _platform
from ._catalogue import FORM_EVENTS
from ._component import Component, InvalidComponent, flush_warnings, warn

_open = None
CUSTOM = "form:"


_types = {}
"""The component classes by type name (made once: a RepeatingPanel builds a form per row)."""


def _component_types():
    if not _types:
        from . import _basic, _containers, _widgets

        _types.update({name: getattr(_basic, name) for name in _basic.__all__})
        _types.update({name: getattr(_widgets, name) for name in _widgets.__all__})
        _types.update(_containers.BY_NAME)
    return _types


def form_class(name):
    """The class of the form named `name` ("Form1", "Form1.RowTemplate1")."""
    from . import _app_data  # the app's own: imported once the app's files are there

    module_name = _app_data.FORMS.get(name)
    if module_name is None:
        raise ImportError(
            f"this app has no form {name!r} (its forms: {', '.join(sorted(_app_data.FORMS))})"
        )
    __import__(module_name)
    module = sys.modules[module_name]
    class_name = name.rsplit(".", 1)[-1]
    found = getattr(module, class_name, None)
    if found is None:
        raise ImportError(f"{module_name} defines no class {class_name}")
    return found


class _Form:
    """What a form template adds to its container type."""

    _form_name = ""
    _design = {}

    def __new__(cls, *args, **properties):
        self = object.__new__(cls)
        container = cls._design.get("container") or {}
        self._setup(design=container.get("properties") or {})
        self._item = {}
        self._bindings = []
        self._initialising = False
        return self

    def __init__(self, **properties):
        self.init_components(**properties)

    # -- item and data bindings -----------------------------------------------------------

    @property
    def item(self):
        """The form's item: data bindings read it (`self.item['name']`)."""
        return self._item

    @item.setter
    def item(self, value):
        self._item = value
        if "item" in self._specs:
            Component._set(self, "item", value)  # a DataRowPanel shows it
        if not self._initialising and self.__dict__.get("_initialised"):
            self.refresh_data_bindings()

    def refresh_data_bindings(self):
        """Set every data-bound property from its code again."""
        self.raise_event("refreshing_data_bindings")
        scope = self._scope()
        for target, label, prop, code, _ in self._bindings:
            try:
                value = eval(code, scope, {"self": self})  # noqa: S307 - the app's own code
            except Exception as e:
                e.args = (f"{e} (in the data binding of {label}.{prop})", *e.args[1:])
                raise
            setattr(target, prop, value)

    def _scope(self):
        module = sys.modules.get(type(self).__module__)
        return module.__dict__ if module is not None else {}

    # -- building ---------------------------------------------------------------------------

    def init_components(self, **properties):
        """Build the form's components from its design, bind its events and data bindings,
        then set `properties` (e.g. `item`) on the form and refresh its data bindings."""
        if self.__dict__.get("_initialised"):
            return
        self._initialised = True
        design = self._design
        container = design.get("container") or {}
        for event, method in (container.get("event_bindings") or {}).items():
            self._bind(self, "the form", event, method)
        self._build_children(self, design.get("components") or [], _component_types())
        self._initialising = True
        try:
            for name, value in properties.items():
                setattr(self, name, value)
        finally:
            self._initialising = False
        flush_warnings(f"Form {self._form_name}: parts of its design are not used")
        if self._bindings:
            self.refresh_data_bindings()

    def _build_children(self, container, specs, types):
        for spec in specs:
            if not isinstance(spec, dict):
                continue
            child = self._make(spec, types)
            name = spec.get("name")
            if name:
                setattr(self, name, child)
            for event, method in (spec.get("event_bindings") or {}).items():
                self._bind(child, name, event, method)
            self._data_bindings(child, name, spec.get("data_bindings") or [])
            self._add(container, child, spec.get("layout_properties") or {})
            if spec.get("components"):
                if hasattr(child, "add_component"):
                    self._build_children(child, spec["components"], types)
                else:
                    kind = spec.get("type")
                    warn(f"{name}: a {kind} holds no components; its components are not drawn")

    def _make(self, spec, types):
        kind = spec.get("type")
        name = spec.get("name")
        properties = spec.get("properties") or {}
        if isinstance(kind, str) and kind.startswith(CUSTOM):
            return self._custom(name, kind[len(CUSTOM) :], properties)
        cls = types.get(kind)
        if cls is None:
            warn(f"{name}: unknown component type {kind!r}, drawn as a placeholder")
            return InvalidComponent(text=f"{name}: {kind} is not available in Widgetbox")
        child = cls.__new__(cls)
        child._setup(design=properties)
        for key in child._extra:
            warn(f"{name}.{key}: a {kind} has no property {key!r}: kept, not used")
        return child

    def _custom(self, name, form_name, properties):
        """A form used as a component: made with its design's properties (and the defaults
        of the custom properties it declares)."""
        try:
            cls = form_class(form_name)
        except ImportError as e:
            warn(f"{name}: {e}; drawn as a placeholder")
            return InvalidComponent(text=f"{name}: the form {form_name} is not available")
        given = dict(properties)
        for declared in (getattr(cls, "_design", {}) or {}).get("properties") or []:
            if (
                isinstance(declared, dict)
                and declared.get("name") not in given
                and "default_value" in declared
            ):
                given[declared["name"]] = declared["default_value"]
        return cls(**given)

    def _add(self, container, child, layout):
        known = container._layout_specs
        for key in layout:
            if key not in known:
                warn(f"{container._kind} has no layout property {key!r}: not used")
        container.add_component(
            child, **{key: value for key, value in layout.items() if key in known}
        )

    def _bind(self, target, label, event, method):
        if not method:
            return
        handler = getattr(self, method, None) if isinstance(method, str) else None
        if handler is None or not callable(handler):
            warn(
                f"{type(self).__name__} has no method {method}(), which the design binds to "
                f"the {event} event of {label}: add it to the form's code"
            )
            return
        try:
            target.add_event_handler(event, handler)
        except ValueError as e:
            warn(f"{label}: {e}")

    def _data_bindings(self, target, label, bindings):
        for binding in bindings:
            if not isinstance(binding, dict):
                continue
            prop = binding.get("property")
            code = (binding.get("code") or "").strip()
            if not prop or not code:
                continue
            where = f"<data binding {self._form_name}.{label}.{prop}>"
            try:
                compiled = _compiled(code, where, "eval")
            except SyntaxError as e:
                warn(f"{label}.{prop}: the data binding {code!r} is not Python ({e.msg})")
                continue
            self._bindings.append((target, label, prop, compiled, code))
            if binding.get("writeback"):
                self._write_back(target, label, prop, code, where)

    def _write_back(self, target, label, prop, code, where):
        try:
            compiled = _compiled(f"{code} = _wb_value", where, "exec")
        except SyntaxError:
            warn(f"{label}.{prop}: write-back needs code that can be assigned to: {code!r}")
            return
        events = getattr(target, "_writeback", {}).get(prop, ())
        if not events:
            warn(f"{label}.{prop}: a {target._kind} does not write {prop} back")

        def store():
            scope = {"self": self, "_wb_value": getattr(target, prop)}
            exec(compiled, self._scope(), scope)  # noqa: S102 - the app's own binding

        for event in events:
            target._on(event, store)


_code = {}
"""Data bindings' code compiled once per binding, not once per form made (a RepeatingPanel
makes its item template once per row)."""


def _compiled(code, where, mode):
    key = (code, where, mode)
    found = _code.get(key)
    if found is None:
        found = _code[key] = compile(code, where, mode)
    return found


def template(name, design):
    """The `<name>Template` class for a form's design."""
    from ._containers import BY_NAME, ColumnPanel

    container = (design.get("container") or {}).get("type") or "ColumnPanel"
    base = BY_NAME.get(container)
    if base is None:
        warn(f"a form's container is a container type, not {container!r}: drawn as a ColumnPanel")
        base = ColumnPanel

    class Template(_Form, base):
        pass

    Template.__name__ = Template.__qualname__ = name.rsplit(".", 1)[-1] + "Template"
    Template._form_name = name
    Template._design = design
    declared = [
        event["name"]
        for event in design.get("events") or []
        if isinstance(event, dict) and isinstance(event.get("name"), str)
    ]
    Template._event_names = tuple(dict.fromkeys([*base._event_names, *FORM_EVENTS, *declared]))
    return Template


def open_form(form, *args, **properties):
    """Show `form` (a form, or a form's name and the arguments to make it) in place of the
    open one, and return it."""
    global _open
    if isinstance(form, str):
        form = form_class(form)(*args, **properties)
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
    flush_warnings(f"Form {getattr(form, '_form_name', '') or type(form).__name__}")
    return form


def get_open_form():
    """The form open_form() showed last, or None."""
    return _open


def get_focused_component():
    """The component that has the keyboard's focus (on the open form or in an alert), or
    None."""
    dom = _platform.get()
    focused = dom.focused()
    if focused is None:
        return None
    roots = [_open] if _open is not None else []
    from ._dialogs import open_contents

    roots.extend(open_contents())
    found = None
    for root in roots:
        node = root
        while node is not None and dom.contains(node._dom, focused):
            found = node
            node = next(
                (child for child in node._child_list() if dom.contains(child._dom, focused)),
                None,
            )
    return found
