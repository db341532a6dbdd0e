"""alert, confirm and Notification.

`buttons` are texts or (text, value) pairs, as in Anvil: `alert(..., buttons=[("No", False),
("Yes", True)])`. As in Anvil, `alert` and `confirm` wait for the visitor's answer and return
the value of the button that closed the dialog (None when dismissed), the page going on
meanwhile: that needs a runtime that can suspend Python (Pyodide with JSPI, `_platform`'s
`can_wait`). Where Python cannot wait (Brython), `alert` shows its dialog and returns None at
once, and `confirm` asks with the browser's own dialog, which does wait: OK answers the first
button's value, Cancel the second's. Either way `on_close(value)`, if given to `alert`, is
called with the value that closed the dialog.
"""

from . import _platform, _waiting
from ._component import Component
from ._errors import guarded

STYLES = ("info", "success", "warning", "danger")


def _element(tag, *classes, text=None):
    dom = _platform.get()
    element = dom.create(tag)
    for name in classes:
        dom.set_class(element, name, True)
    if text is not None:
        dom.set_text(element, text)
    return element


class _Alert:
    def __init__(self, content, title, buttons, large, dismissible, role, on_close):
        dom = _platform.get()
        self._on_close = on_close
        self._content = content if isinstance(content, Component) else None
        self._backdrop = _element("div", "wb-modal-backdrop")
        box = _element("div", "wb-modal")
        dom.set_class(box, "wb-modal-large", bool(large))
        if role:
            dom.set_class(box, "anvil-role-" + role, True)
        dom.set_attr(box, "role", "alertdialog")
        dom.set_attr(box, "aria-modal", "true")
        if title:
            heading = _element("h2", "wb-modal-title", text=str(title))
            dom.append(box, heading)
            dom.set_attr(box, "aria-label", str(title))
        body = _element("div", "wb-modal-body")
        if self._content is not None:
            self._content.remove_from_parent()
            dom.append(body, self._content._dom)
            _contents.append(self._content)
        else:
            dom.set_text(body, "" if content is None else str(content))
        dom.append(box, body)
        row = _element("div", "wb-modal-buttons")
        first = None
        for text, value in _buttons(buttons):
            button = _element("button", "wb-modal-button", text=text)
            dom.set_attr(button, "type", "button")
            dom.listen(button, "click", guarded(lambda event, value=value: self.close(value)))
            dom.append(row, button)
            first = first or button
        dom.append(box, row)
        dom.append(self._backdrop, box)
        if dismissible:
            # a click outside the dialog closes it; clicks inside stop at the dialog
            dom.listen(self._backdrop, "click", guarded(lambda event: self.close(None)))
            dom.stop_propagation(box, "click")
            dom.listen(box, "keydown", guarded(self._keydown))
        dom.append(dom.overlay(), self._backdrop)
        if self._content is not None:
            self._content._set_shown(True)
        if first is not None:
            dom.call(first, "focus")
        self.open = True

    def _keydown(self, event):
        if event.key == "Escape":
            self.close(None)

    def close(self, value=None):
        if not self.open:
            return
        self.open = False
        _platform.get().detach(self._backdrop)
        if self._content is not None:
            _platform.get().detach(self._content._dom)
            if self._content in _contents:
                _contents.remove(self._content)
            self._content._set_shown(False)
        if self._on_close is not None:
            self._on_close(value)


_contents = []


def open_contents():
    """The components shown in open alerts."""
    return list(_contents)


def _buttons(buttons):
    if buttons is None:
        return [("OK", True)]
    found = []
    for button in buttons:
        if isinstance(button, str):
            found.append((button, button))
        else:
            text, value = button
            found.append((str(text), value))
    return found


def alert(
    content,
    title="",
    buttons=None,
    large=False,
    dismissible=True,
    role=None,
    on_close=None,
):
    """Show a message (text or a component) in a dialog with buttons (default: OK, True);
    `buttons` are texts or (text, value) pairs. Waits for the answer and returns the value
    of the button that closed the dialog, or None when dismissed (where the runtime cannot
    wait: returns None at once). `on_close(value)`, if given, is called with it too."""

    def show(done):
        _Alert(content, title, buttons, large, dismissible, role, done)

    return _waiting.answer_of(show, on_close)


def confirm(content, title="", buttons=None, large=False, dismissible=False, role=None):
    """Ask a question (default answers: Yes, True and No, False) and return the chosen
    button's value (None when dismissed). Where the runtime cannot wait, the browser's own
    dialog asks: OK answers the first button's value, Cancel the second's."""
    choices = _buttons(buttons) if buttons is not None else [("Yes", True), ("No", False)]
    if _platform.get().can_wait():
        return alert(content, title, choices, large, dismissible, role)
    text = str(content) if not title else f"{title}\n\n{content}"
    if buttons is not None:
        names = [label for label, _ in choices[:2]]
        keys = ("OK", "Cancel")[: len(names)]
        if names:
            pairs = zip(names, keys, strict=True)
            text += "\n\n" + " / ".join(f"{label} ({key})" for label, key in pairs)
    yes = bool(_platform.get().confirm(text))
    if yes:
        return choices[0][1] if choices else True
    return choices[1][1] if len(choices) > 1 else None


class Notification:
    """A message that pops up in a corner: `Notification("Saved").show()`; it goes after
    `timeout` seconds (None or 0: when clicked). Also a context manager, shown while the
    block runs."""

    def __init__(self, message, title="", style="info", timeout=2):
        if style not in STYLES:
            raise ValueError(f"a Notification's style is one of {', '.join(STYLES)}")
        self.message = message
        self.title = title
        self.style = style
        self.timeout = timeout
        self._element = None
        self._handle = None

    def show(self):
        if self._element is not None:
            return self
        dom = _platform.get()
        toast = _element("div", "wb-toast", "wb-toast-" + self.style)
        dom.set_attr(toast, "role", "status")
        if self.title:
            dom.append(toast, _element("strong", "wb-toast-title", text=str(self.title)))
        dom.append(toast, _element("span", "wb-toast-message", text=str(self.message)))
        dom.listen(toast, "click", guarded(lambda event: self.hide()))
        dom.append(dom.overlay(), toast)
        self._element = toast
        if self.timeout:
            self._handle = dom.set_timeout(guarded(self.hide), self.timeout)
        return self

    def hide(self):
        if self._element is None:
            return
        dom = _platform.get()
        if self._handle is not None:
            dom.clear(self._handle)
            self._handle = None
        dom.detach(self._element)
        self._element = None

    def __enter__(self):
        self.timeout = None
        return self.show()

    def __exit__(self, *exc_info):
        self.hide()
        return False
