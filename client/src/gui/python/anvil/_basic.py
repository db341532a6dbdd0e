"""The basic components: Label, Button, TextBox, TextArea, CheckBox, RadioButton, DropDown,
DatePicker, Image, Link, Spacer, Timer. How they look is client/src/gui/draw.js (shared with
the designer); here is what they do.

`_writeback` names, per property, the events after which a data binding with write-back
stores the property's value (as Anvil does: a TextBox on pressed_enter and lost_focus, a
CheckBox on change)."""

from . import _platform
from ._component import Component, Container, component
from ._errors import guarded


def _datetime():
    import datetime  # slow to import on Brython: only when a date is used

    return datetime


@component("Label")
class Label(Component):
    """Shows text."""


@component("Button")
class Button(Component):
    """A button; raises `click`."""

    def focus(self):
        _platform.get().call(self._button, "focus")

    def _parts(self, dom):
        self._button = dom.control(self._dom, self._kind)

    def _wire(self):
        self._listen(self._button, "click", lambda event: self.raise_event("click"))


class _TextInput(Component):
    """What TextBox and TextArea share: the text lives in the element."""

    _writeback = {"text": ("lost_focus",)}

    def _get(self, name):
        if name == "text":
            return _platform.get().get_prop(self._dom, "value")
        return Component._get(self, name)

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

    _writeback = {"text": ("pressed_enter", "lost_focus")}

    def _get(self, name):
        if name == "text" and self._props["type"] == "number":
            return _number(_platform.get().get_prop(self._dom, "value"))
        return _TextInput._get(self, name)

    def _coerce(self, name, value):
        if name == "text":
            value = "" if value is None else str(value)
        return Component._coerce(self, name, value)

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


class _Choice(Component):
    """A labelled box or button: CheckBox and RadioButton."""

    def _parts(self, dom):
        self._input = dom.control(self._dom, self._kind)


@component("CheckBox")
class CheckBox(_Choice):
    """A box the visitor ticks; raises `change`. With `allow_indeterminate`, `checked` may be
    None (neither)."""

    _writeback = {"checked": ("change",)}

    def _get(self, name):
        if name == "checked":
            dom = _platform.get()
            if self._props.get("allow_indeterminate") and dom.get_prop(
                self._input, "indeterminate"
            ):
                return None
            return bool(dom.get_prop(self._input, "checked"))
        return Component._get(self, name)

    def _wire(self):
        self._listen(self._input, "change", lambda event: self.raise_event("change"))


_radio_groups = {}


@component("RadioButton")
class RadioButton(_Choice):
    """One of several choices with the same `group_name`; raises `clicked` and `change`."""

    _writeback = {"selected": ("change",)}

    def _get(self, name):
        if name == "selected":
            return bool(_platform.get().get_prop(self._input, "checked"))
        return Component._get(self, name)

    def _drawn_again(self, name):
        _Choice._drawn_again(self, name)
        if name == "group_name":
            for members in _radio_groups.values():
                if self in members:
                    members.remove(self)
            _radio_groups.setdefault(self._props[name], []).append(self)

    def _draw_value(self, name, value):
        return None if name == "value" else value  # the value is the app's own

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

    _writeback = {"selected_value": ("change",)}

    def _parts(self, dom):
        self._select = dom.control(self._dom, self._kind)

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
        return Component._get(self, name)

    def _draw_value(self, name, value):
        if name == "selected_value":
            return None  # the values are the app's own: selected below, by position
        if name == "items":
            return [item if isinstance(item, str) else str(item[0]) for item in value]
        return Component._draw_value(self, name, value)

    def _drawn_again(self, name):
        Component._drawn_again(self, name)
        if name in ("items", "include_placeholder", "placeholder", "selected_value"):
            self._select_value(self._props["selected_value"])

    def _entries(self):
        """The value of each option, in order."""
        values = [None] if self._props["include_placeholder"] else []
        for item in self._props["items"]:
            values.append(item if isinstance(item, str) else item[1])
        return values

    def _select_value(self, value):
        self._values = self._entries()
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

    _writeback = {"date": ("change",)}

    def _parts(self, dom):
        self._input = dom.control(self._dom, self._kind)

    def _wire(self):
        self._listen(self._input, "change", lambda event: self.raise_event("change"))

    def _coerce(self, name, value):
        if name in ("date", "min_date", "max_date"):
            return self._to_date(value, name)
        return Component._coerce(self, name, value)

    def _draw_value(self, name, value):
        if name in ("date", "min_date", "max_date"):
            return None if value is None else value.isoformat()  # as the input takes it
        return Component._draw_value(self, name, value)

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

    def _get(self, name):
        if name != "date":
            return Component._get(self, name)
        text = _platform.get().get_prop(self._input, "value") or ""
        if not text:
            return None
        datetime = _datetime()
        if self._props.get("pick_time"):
            return datetime.datetime.fromisoformat(text)
        return datetime.date.fromisoformat(text)


def _media_url(value):
    """A URL property's value for the drawing: a Media object's URL, or the text."""
    from ._media import Media

    if isinstance(value, Media):
        return value.get_url()
    return value


@component("Image")
class Image(Component):
    """A picture from a URL or a Media object."""

    def _coerce(self, name, value):
        if name == "source" and _is_media(value):
            return value
        return Component._coerce(self, name, value)

    def _draw_value(self, name, value):
        if name == "source":
            return _media_url(value)
        return Component._draw_value(self, name, value)


def _is_media(value):
    from ._media import Media

    return isinstance(value, Media)


@component("Link")
class Link(Container):
    """A link: opens `url` (a URL, or a Media object to download) in a new tab, and raises
    `click` either way; like a ColumnPanel, it can hold components."""

    def _coerce(self, name, value):
        if name == "url" and _is_media(value):
            return value
        return Component._coerce(self, name, value)

    def _draw_value(self, name, value):
        if name == "url":
            return _media_url(value)
        return Component._draw_value(self, name, value)

    def _drawn_own(self):
        url = self._props.get("url")
        return {"_download": url.name or "download"} if _is_media(url) else {}

    def _drawn_again(self, name):
        Container._drawn_again(self, name)
        if name == "url":
            self._redraw_own("_download")

    def _wire(self):
        self._listen(self._dom, "click", self._clicked)

    def _clicked(self, event):
        # without a (safe) URL the drawing keeps the click from following its "#" (draw.js)
        self.raise_event("click")


@component("Spacer")
class Spacer(Component):
    """Empty space, `height` pixels high."""


@component("Timer")
class Timer(Component):
    """Raises `tick` every `interval` seconds while its form is open (0: stopped)."""

    _invisible = True

    def _setup(self, properties=None, design=None):
        if "_props" in self.__dict__:
            return
        self._handle = None
        Component._setup(self, properties, design)

    def _drawn_again(self, name):
        Component._drawn_again(self, name)
        if name == "interval":
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
