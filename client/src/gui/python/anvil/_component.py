"""What every component and container shares: properties from the catalogue, events, a
place in a container, and being shown on the open form.

A component's properties are attributes (`self.label_1.text = "Hi"`); each is declared once,
in the catalogue, and installed on the class by `component("Label")`. Setting one stores the
value and has the page draw it: the drawing itself is client/src/gui/draw.js, the same one the
designer's canvas uses, reached through the runtime's adapter (`draw`, `update`, `control`,
`slot`, `attach`). What stays here is behaviour: values, events, containers, show and hide.

Values from code are checked (a wrong type raises); values from a design are taken as Anvil
takes them: one the component cannot use is kept aside and reported once, with every other,
as a warning in the console (`_warnings`), never an error that stops the form.
"""

from . import _platform
from ._catalogue import COMPONENTS
from ._errors import guarded

_TEXT = ("string", "text", "uri", "color", "icon", "html", "json")
_AS_GIVEN = ("value", "object", "spacing", "form", "role", "size", "date")
_NOT_DRAWN = ("value", "object", "form")
"""Types whose values stay in Python (the drawing never needs them)."""


class ComponentTag:
    """`component.tag`: a place for your own attributes (`self.button_1.tag.row = 3`)."""

    def __repr__(self):
        return f"ComponentTag({self.__dict__!r})"


def _coerce(owner, name, spec, value):  # noqa: PLR0912 - one branch per property type
    kind = spec.get("type")
    if value is None:
        if spec.get("nullable") or kind in _AS_GIVEN:
            return None
        if kind in _TEXT:
            return ""
        raise TypeError(f"{owner}.{name} cannot be None")
    if kind in _TEXT:
        return value if isinstance(value, str) else str(value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{owner}.{name} must be a number, not {type(value).__name__}")
        return value
    if kind == "size":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(
                f"{owner}.{name} must be a number or CSS text, not {type(value).__name__}"
            )
        return value
    if kind == "boolean":
        return bool(value)
    if kind == "enum":
        options = spec.get("options", ())
        if value not in options:
            raise ValueError(f"{owner}.{name} must be one of {', '.join(options)}, not {value!r}")
        return value
    if kind == "items":
        if isinstance(value, str):
            return [line for line in value.split("\n") if line]
        return list(value)
    if kind == "role":
        if isinstance(value, (list, tuple)):
            return [str(item) for item in value]
        return str(value)
    return value


def _property(name, help_text):
    def fget(self):
        return self._get(name)

    def fset(self, value):
        self._set(name, value)

    return property(fget, fset, None, help_text)


def component(kind):
    """Class decorator: give the class the catalogue's properties and events of `kind`."""

    def install(cls):
        spec = COMPONENTS[kind]
        cls._kind = kind
        cls._specs = spec["properties"]
        cls._event_names = spec["events"]
        cls._layout_specs = spec["layout_properties"]
        cls._invisible = spec["invisible"]
        # worked out once per type, not once per component made (a form may make hundreds)
        cls._defaults = {name: prop.get("default") for name, prop in cls._specs.items()}
        cls._list_defaults = tuple(
            name for name, value in cls._defaults.items() if isinstance(value, list)
        )
        cls._drawn_names = tuple(
            name for name, prop in cls._specs.items() if prop.get("type") not in _NOT_DRAWN
        )
        for name, prop in spec["properties"].items():
            if name not in cls.__dict__:
                setattr(cls, name, _property(name, prop.get("help", "")))
        return cls

    return install


# -- warnings: what a design holds that a component cannot use ------------------------------

_warnings = []


def warn(text):
    """Keep a warning for the console (`flush_warnings` prints them together)."""
    _warnings.append(text)


def flush_warnings(title):
    """Print the warnings kept so far as one console warning."""
    if not _warnings:
        return
    found = list(_warnings)
    del _warnings[:]
    _platform.get().console_warn(title + ":\n  " + "\n  ".join(found))


class Component:
    """The base of every component."""

    _kind = "Component"
    _specs = {}
    _event_names = ()
    _layout_specs = {}
    _invisible = False
    """True for components with no appearance (Timer)."""
    _defaults = {}
    _list_defaults = ()
    """The catalogue's default values (those that are lists: copied for each component)."""
    _drawn_names = ()
    """The properties the drawing takes (by their type: see `_NOT_DRAWN`)."""
    _writeback = {}
    """Property -> the events after which a data binding writes its value back."""

    def __init__(self, **properties):
        if "_props" not in self.__dict__:
            self._setup(properties)
            return
        for name, value in properties.items():
            if name not in self._specs:
                raise TypeError(f"{self._kind} has no property {name!r}")
            setattr(self, name, value)

    # -- set-up and properties ------------------------------------------------------------

    def _setup(self, properties=None, design=None):
        """Create the component's state and element (once; a form does it in __new__), with
        `properties` given at creation (from code: checked) and `design` (from a design:
        what does not fit is kept aside with a warning) instead of the catalogue's defaults."""
        if "_props" in self.__dict__:
            return
        properties = properties or {}
        for name in properties:
            if name not in self._specs:
                raise TypeError(f"{self._kind} has no property {name!r}")
        self._props = dict(self._defaults)
        for name in self._list_defaults:
            self._props[name] = list(self._props[name])
        self._extra = {}
        for name, value in (design or {}).items():
            if name not in self._specs:
                self._extra[name] = value
                continue
            try:
                self._props[name] = self._coerce(name, value)
            except (TypeError, ValueError) as e:
                self._extra[name] = value
                warn(f"{e}: kept, not used")
        for name, value in properties.items():
            self._props[name] = self._coerce(name, value)
        self._handlers = {}
        self._internal = {}
        self._shown = False
        self._parent = None
        self._wrapper = None
        dom = _platform.get()
        self._dom = dom.draw(self._kind, self._drawn())
        self._parts(dom)
        # the base's `_drawn_again` acts on a component in a container only: this one is not
        # in one yet, so only a type with its own has it called
        if type(self)._drawn_again is not Component._drawn_again:
            for name in self._specs:
                self._drawn_again(name)
        self._wire()

    def _parts(self, dom):
        """Keep the drawn element's parts that behaviour needs (e.g. a Button's button)."""

    def _wire(self):
        """Listen to the element's DOM events (components with events override this)."""

    def _get(self, name):
        if name == "tag" and self._props.get("tag") is None:
            self._props["tag"] = ComponentTag()
        return self._props[name]

    def _coerce(self, name, value):
        return _coerce(self._kind, name, self._specs[name], value)

    def _set(self, name, value):
        self._props[name] = self._coerce(name, value)
        self._render(name)

    def _drawn(self):
        """The properties as the drawing takes them: plain values, none left out."""
        props = self._props
        if type(self)._draw_value is Component._draw_value:  # what it would do, without a call each
            found = {name: props[name] for name in self._drawn_names if props[name] is not None}
        else:
            found = {}
            for name, value in props.items():
                drawn = self._draw_value(name, value)
                if drawn is not None:
                    found[name] = drawn
        found.update(self._drawn_own())
        return found

    def _drawn_own(self):
        """The running app's own drawn values (names starting with "_", e.g. a page text)."""
        return {}

    def _draw_value(self, name, value):
        """`value` of property `name` for the drawing (None: none)."""
        if self._specs[name].get("type") in _NOT_DRAWN:
            return None
        return value

    def _render(self, name):
        _platform.get().update(self._dom, self._kind, name, self._drawn())
        self._drawn_again(name)

    def _redraw_own(self, name):
        """Draw one of the app's own values again (see `_drawn_own`)."""
        _platform.get().update(self._dom, self._kind, name, self._drawn())

    def _drawn_again(self, name):
        """After property `name` was drawn: what the component does about it beyond its
        look (e.g. a DropDown selects its value again)."""
        if name == "visible" and self._wrapper is not None:
            _platform.get().set_class(self._wrapper, "anvil-hidden", not self._props[name])

    def _listen(self, element, event, fn):
        _platform.get().listen(element, event, guarded(fn))

    # -- events -----------------------------------------------------------------------------

    def _check_event(self, event_name):
        if event_name not in self._event_names and not str(event_name).startswith("x-"):
            known = ", ".join(self._event_names) or "none"
            raise ValueError(
                f"{self._kind} has no event {event_name!r} (its events: {known}; "
                "your own events start with 'x-')"
            )

    def set_event_handler(self, event_name, handler):
        """Make `handler` the only handler of `event_name` (None: no handler)."""
        self._check_event(event_name)
        self._handlers[event_name] = [] if handler is None else [handler]

    def add_event_handler(self, event_name, handler):
        self._check_event(event_name)
        self._handlers.setdefault(event_name, []).append(handler)

    def remove_event_handler(self, event_name, handler=None):
        """Remove `handler`, or every handler of `event_name`."""
        self._check_event(event_name)
        if handler is None:
            self._handlers[event_name] = []
        elif handler in self._handlers.get(event_name, []):
            self._handlers[event_name].remove(handler)

    def _on(self, event_name, hook):
        """Call `hook()` before the handlers of `event_name` (data bindings' write-back)."""
        self._internal.setdefault(event_name, []).append(hook)

    def get_event_handlers(self, event_name):
        self._check_event(event_name)
        return tuple(self._handlers.get(event_name, ()))

    def raise_event(self, event_name, **event_args):
        """Call the handlers of `event_name` with `sender` and `event_name` (and
        `event_args`) as keyword arguments; your own events' names start with "x-"."""
        self._check_event(event_name)
        for hook in self._internal.get(event_name, ()):
            hook()
        result = None
        for handler in list(self._handlers.get(event_name, ())):
            result = handler(sender=self, event_name=event_name, **event_args)
        return result

    # -- place and visibility ---------------------------------------------------------------

    @property
    def parent(self):
        """The container holding this component, or None."""
        return self._parent

    def remove_from_parent(self):
        if self._parent is not None:
            self._parent._remove(self)

    def scroll_into_view(self, smooth=False):
        _platform.get().call(self._dom, "scrollIntoView")

    @property
    def dom_node(self):
        """The component's element (a JavaScript object on the page)."""
        return self._dom

    def _set_shown(self, shown):
        if shown == self._shown:
            return
        self._shown = shown
        self._shown_changed(shown)
        for child in self._child_list():
            child._set_shown(shown)
        event = "show" if shown else "hide"
        if event in self._event_names:
            self.raise_event(event)

    def _shown_changed(self, shown):
        """Called when the component appears on or leaves the open form."""

    def _child_list(self):
        return ()

    def __repr__(self):
        return f"<anvil.{self._kind}>"


class Container(Component):
    """A component that holds others, in order, each with its layout properties."""

    def _setup(self, properties=None, design=None):
        if "_props" in self.__dict__:
            return
        self._children = []
        Component._setup(self, properties, design)

    def add_component(self, component, index=None, **layout_properties):
        """Add `component` at the end (or before position `index`). Layout properties this
        container does not have are ignored."""
        if not isinstance(component, Component):
            raise TypeError(f"add_component() needs a component, not {type(component).__name__}")
        if component._parent is not None:
            raise ValueError(
                "this component is already in a container; call remove_from_parent() first"
            )
        if component is self:
            raise ValueError("a container cannot hold itself")
        layout = {}
        for name, spec in self._layout_specs.items():
            layout[name] = layout_properties.get(name, spec.get("default"))
        drawn = {name: value for name, value in layout.items() if value is not None}
        before = None
        if index is None or index >= len(self._children):
            self._children.append(component)
        else:
            index = max(0, index)
            before = self._children[index]._wrapper
            self._children.insert(index, component)
        hidden = not component._props.get("visible", True)
        wrapper = _platform.get().place(
            self._dom, self._kind, component._dom, drawn, before, hidden, component._invisible
        )
        component._parent = self
        component._wrapper = wrapper
        component._layout = layout
        self._added(component)
        if self._shown:
            component._set_shown(True)

    def _added(self, component):
        """After `component` was added (e.g. a DataGrid pages its rows again)."""

    def _remove(self, component):
        dom = _platform.get()
        dom.release(component._wrapper)
        dom.detach(component._dom)
        self._children.remove(component)
        component._parent = None
        component._wrapper = None
        if component._shown:
            component._set_shown(False)
        self._added(None)

    def clear(self):
        """Remove every component."""
        for child in list(self._children):
            child.remove_from_parent()

    def get_components(self):
        """The components in this container, in order."""
        return list(self._children)

    def _child_list(self):
        return list(self._children)


@component("Label")
class InvalidComponent(Component):
    """What a design names but this app cannot make (an unknown type, a form of another
    app): a visible placeholder, so the rest of the form still works."""

    def __init__(self, text="", **properties):
        self._setup()
        self.text = text
        self.foreground = "#b42318"
        self.border = "1px dashed #b42318"
