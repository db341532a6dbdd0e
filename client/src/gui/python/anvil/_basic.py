"""The basic components: Label, Button, TextBox, TextArea, CheckBox, RadioButton, DropDown,
DatePicker, Image, Link, Spacer, Timer."""

from . import _platform
from ._component import Component, component
from ._errors import guarded

_REFUSED_SCHEMES = ("javascript:", "vbscript:")


def _safe_url(url):
    """`url`, unless it would run script when followed (then "")."""
    compact = "".join(ch for ch in url if ch > " ").lower()
    return "" if compact.startswith(_REFUSED_SCHEMES) else url


def _datetime():
    import datetime  # slow to import on Brython: only when a date is used

    return datetime


@component("Label")
class Label(Component):
    """Shows text."""

    def _render_text(self, value):
        _platform.get().set_text(self._dom, value)


@component("Button")
class Button(Component):
    """A button; raises `click`."""

    def _build(self):
        dom = _platform.get()
        outer = dom.create("div")
        self._button = dom.create("button")
        dom.set_attr(self._button, "type", "button")
        dom.append(outer, self._button)
        return outer

    def _target(self):
        return self._button

    def _control(self):
        return self._button

    def _render_text(self, value):
        _platform.get().set_text(self._button, value)

    def _wire(self):
        self._listen(self._button, "click", lambda event: self.raise_event("click"))


class _TextInput(Component):
    """What TextBox and TextArea share: the text lives in the element."""

    _tag = "input"

    def _build(self):
        return _platform.get().create(self._tag)

    def _get(self, name):
        if name == "text":
            return _platform.get().get_prop(self._dom, "value")
        return self._props[name]

    def _render_text(self, value):
        _platform.get().set_prop(self._dom, "value", value)

    def _wire(self):
        self._listen(self._dom, "input", lambda event: self.raise_event("change"))
        self._listen(self._dom, "focus", lambda event: self.raise_event("focus"))
        self._listen(self._dom, "blur", lambda event: self.raise_event("lost_focus"))

    def focus(self):
        _platform.get().call(self._dom, "focus")

    def select(self):
        _platform.get().call(self._dom, "select")


@component("TextBox")
class TextBox(_TextInput):
    """One line of text; `pressed_enter` when the visitor presses Enter."""

    def _get(self, name):
        if name == "text" and self._props["type"] == "number":
            return _number(_platform.get().get_prop(self._dom, "value"))
        return _TextInput._get(self, name)

    def _set(self, name, value):
        if name == "text":
            value = "" if value is None else str(value)
        Component._set(self, name, value)

    def _render_type(self, value):
        self._render_hide_text(self._props["hide_text"])

    def _render_hide_text(self, value):
        kind = "password" if value else self._props["type"]
        _platform.get().set_attr(self._dom, "type", kind)

    def _wire(self):
        _TextInput._wire(self)
        self._listen(self._dom, "keydown", self._keydown)

    def _keydown(self, event):
        if event.key == "Enter":
            self.raise_event("pressed_enter")


def _number(text):
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


@component("TextArea")
class TextArea(_TextInput):
    """Several lines of text."""

    _tag = "textarea"


class _Choice(Component):
    """A labelled box or button: CheckBox and RadioButton."""

    _input_type = "checkbox"

    def _build(self):
        dom = _platform.get()
        outer = dom.create("label")
        self._input = dom.create("input")
        dom.set_attr(self._input, "type", self._input_type)
        self._label = dom.create("span")
        dom.append(outer, self._input)
        dom.append(outer, self._label)
        return outer

    def _control(self):
        return self._input

    def _render_text(self, value):
        _platform.get().set_text(self._label, value)


@component("CheckBox")
class CheckBox(_Choice):
    """A box the visitor ticks; raises `change`."""

    def _get(self, name):
        if name == "checked":
            return bool(_platform.get().get_prop(self._input, "checked"))
        return self._props[name]

    def _render_checked(self, value):
        _platform.get().set_prop(self._input, "checked", bool(value))

    def _wire(self):
        self._listen(self._input, "change", lambda event: self.raise_event("change"))


_radio_groups = {}


@component("RadioButton")
class RadioButton(_Choice):
    """One of several choices with the same `group_name`; raises `clicked` and `change`."""

    _input_type = "radio"

    def _get(self, name):
        if name == "selected":
            return bool(_platform.get().get_prop(self._input, "checked"))
        return self._props[name]

    def _render_selected(self, value):
        _platform.get().set_prop(self._input, "checked", bool(value))

    def _render_group_name(self, value):
        for members in _radio_groups.values():
            if self in members:
                members.remove(self)
        _radio_groups.setdefault(value, []).append(self)
        _platform.get().set_attr(self._input, "name", value)

    def _wire(self):
        self._listen(self._input, "click", lambda event: self.raise_event("clicked"))
        self._listen(self._input, "change", lambda event: self.raise_event("change"))

    def get_group_value(self):
        """The `value` of the selected button of this button's group, or None."""
        for member in _radio_groups.get(self._props["group_name"], ()):
            if member.selected:
                return member.value
        return None


@component("DropDown")
class DropDown(Component):
    """A list to choose from: `items` are text, or (text, value) pairs."""

    def _build(self):
        dom = _platform.get()
        outer = dom.create("div")
        self._select = dom.create("select")
        dom.append(outer, self._select)
        self._options = []
        self._values = []
        return outer

    def _target(self):
        return self._select

    def _control(self):
        return self._select

    def _wire(self):
        self._listen(self._select, "change", self._changed)

    def _changed(self, event):
        self._props["selected_value"] = self._read()
        self.raise_event("change")

    def _read(self):
        index = _platform.get().get_prop(self._select, "selectedIndex")
        if index is None or index < 0 or index >= len(self._values):
            return None
        return self._values[index]

    def _get(self, name):
        if name == "selected_value":
            return self._read()
        return self._props[name]

    def _render_items(self, value):
        self._rebuild()

    def _render_include_placeholder(self, value):
        self._rebuild()

    def _render_placeholder(self, value):
        self._rebuild()

    def _render_selected_value(self, value):
        self._select_value(value)

    def _rebuild(self):
        if "items" not in self._props or "placeholder" not in self._props:
            return
        dom = _platform.get()
        current = self._props.get("selected_value")
        for option in self._options:
            dom.detach(option)
        self._options = []
        self._values = []
        entries = []
        if self._props.get("include_placeholder"):
            entries.append((self._props.get("placeholder") or "", None))
        for item in self._props["items"]:
            if isinstance(item, str):
                entries.append((item, item))
            else:
                text, value = item
                entries.append((str(text), value))
        for text, value in entries:
            option = dom.create("option")
            dom.set_text(option, text)
            dom.append(self._select, option)
            self._options.append(option)
            self._values.append(value)
        self._select_value(current)

    def _select_value(self, value):
        index = -1
        for position, candidate in enumerate(self._values):
            if candidate == value:
                index = position
                break
        if (
            index < 0
            and value is None
            and self._values
            and not self._props.get("include_placeholder")
        ):
            index = 0
        _platform.get().set_prop(self._select, "selectedIndex", index)
        self._props["selected_value"] = self._values[index] if index >= 0 else None


@component("DatePicker")
class DatePicker(Component):
    """A date (`datetime.date`), or a date and time (`datetime.datetime`) with `pick_time`."""

    def _build(self):
        dom = _platform.get()
        outer = dom.create("div")
        self._input = dom.create("input")
        dom.set_attr(self._input, "type", "date")
        dom.append(outer, self._input)
        return outer

    def _target(self):
        return self._input

    def _control(self):
        return self._input

    def _wire(self):
        self._listen(self._input, "change", lambda event: self.raise_event("change"))

    def _set(self, name, value):
        if name in ("date", "min_date", "max_date"):
            self._props[name] = self._to_date(value, name)
            self._render(name)
            return
        Component._set(self, name, value)

    def _to_date(self, value, name):
        if value is None or value == "":
            return None
        datetime = _datetime()
        if isinstance(value, str):
            try:
                if "T" in value or " " in value.strip():
                    return datetime.datetime.fromisoformat(value.strip())
                return datetime.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"DatePicker.{name}: {value!r} is not a date") from None
        if isinstance(value, datetime.date):
            return value
        raise TypeError(f"DatePicker.{name} must be a date, not {type(value).__name__}")

    def _text(self, value):
        if value is None:
            return ""
        if self._props.get("pick_time"):
            datetime = _datetime()
            if not isinstance(value, datetime.datetime):
                value = datetime.datetime(value.year, value.month, value.day)
            return value.strftime("%Y-%m-%dT%H:%M")
        return value.isoformat()[:10]

    def _get(self, name):
        if name != "date":
            return self._props[name]
        text = _platform.get().get_prop(self._input, "value") or ""
        if not text:
            return None
        datetime = _datetime()
        if self._props.get("pick_time"):
            return datetime.datetime.fromisoformat(text)
        return datetime.date.fromisoformat(text)

    def _render_date(self, value):
        _platform.get().set_prop(self._input, "value", self._text(value))

    def _render_pick_time(self, value):
        current = self._props.get("date")
        dom = _platform.get()
        dom.set_attr(self._input, "type", "datetime-local" if value else "date")
        if "min_date" in self._props:
            self._render_min_date(self._props["min_date"])
            self._render_max_date(self._props["max_date"])
        if current is not None:
            self._render_date(current)

    def _render_min_date(self, value):
        _platform.get().set_attr(self._input, "min", self._text(value) or None)

    def _render_max_date(self, value):
        _platform.get().set_attr(self._input, "max", self._text(value) or None)


@component("Image")
class Image(Component):
    """A picture from a URL."""

    def _build(self):
        dom = _platform.get()
        outer = dom.create("div")
        self._img = dom.create("img")
        dom.set_attr(self._img, "alt", "")
        dom.append(outer, self._img)
        return outer

    def _render_source(self, value):
        _platform.get().set_attr(self._img, "src", _safe_url(value) or None)

    def _render_display_mode(self, value):
        self._swap_class("mode", "anvil-image-" + value.replace("_", "-"))

    def _render_height(self, value):
        _platform.get().set_style(self._dom, "height", None if value is None else f"{value}px")


@component("Link")
class Link(Component):
    """A link: opens `url` in a new tab; raises `click` either way."""

    def _build(self):
        return _platform.get().create("a")

    def _render_text(self, value):
        _platform.get().set_text(self._dom, value)

    def _render_url(self, value):
        dom = _platform.get()
        url = _safe_url(value)
        dom.set_attr(self._dom, "href", url or "#")
        dom.set_attr(self._dom, "target", "_blank" if url else None)
        dom.set_attr(self._dom, "rel", "noopener noreferrer" if url else None)

    def _wire(self):
        self._listen(self._dom, "click", self._clicked)

    def _clicked(self, event):
        if not _safe_url(self._props["url"]):
            event.preventDefault()
        self.raise_event("click")


@component("Spacer")
class Spacer(Component):
    """Empty space, `height` pixels high."""


@component("Timer")
class Timer(Component):
    """Raises `tick` every `interval` seconds while its form is open (0: stopped)."""

    _invisible = True

    def _setup(self):
        if "_props" in self.__dict__:
            return
        self._handle = None
        Component._setup(self)

    def _build(self):
        return _platform.get().create("span")

    def _render_interval(self, value):
        self._restart()

    def _shown_changed(self, shown):
        self._restart()

    def _restart(self):
        dom = _platform.get()
        if self._handle is not None:
            dom.clear(self._handle)
            self._handle = None
        interval = self._props.get("interval") or 0
        if self._shown and interval > 0:
            self._handle = dom.set_interval(guarded(self._tick), interval)

    def _tick(self):
        self.raise_event("tick")


__all__ = [
    "Button",
    "CheckBox",
    "DatePicker",
    "DropDown",
    "Image",
    "Label",
    "Link",
    "RadioButton",
    "Spacer",
    "TextArea",
    "TextBox",
    "Timer",
]
