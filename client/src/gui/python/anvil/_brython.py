"""The adapter for Brython: the DOM through `browser`, the components' drawing through
`window.wbDraw` (client/src/gui/draw.js), JSON through JavaScript's own parser (Brython's
`json` module is slow to import), server calls as synchronous requests."""

import javascript
from browser import document, window


class Adapter:
    name = "brython"

    def __init__(self):
        self._root = document.getElementById("wb-app")
        self._overlay = document.getElementById("wb-overlay")
        self._draw = window.wbDraw

    # props: a fresh dict each time (Brython keeps a dict's JavaScript twin), no None in it
    def draw(self, kind, props):
        return self._draw.draw(kind, props)

    def update(self, element, kind, name, props):
        self._draw.update(element, kind, name, props)

    def control(self, element, kind):
        return self._draw.control(element, kind)

    def slot(self, parent_kind, layout):
        return self._draw.slot(parent_kind, layout)

    def create(self, tag):
        return document.createElement(tag)

    def root(self):
        return self._root

    def overlay(self):
        return self._overlay

    def append(self, parent, child):
        parent.appendChild(child)

    def insert(self, parent, child, before):
        parent.insertBefore(child, before)

    def detach(self, element):
        element.remove()

    def set_text(self, element, text):
        element.textContent = text

    def set_attr(self, element, name, value):
        if value is None:
            element.removeAttribute(name)
        else:
            element.setAttribute(name, value)

    def set_style(self, element, name, value):
        if value is None:
            element.style.removeProperty(name)
        else:
            element.style.setProperty(name, value)

    def set_class(self, element, name, on):
        element.classList.toggle(name, bool(on))

    def set_prop(self, element, name, value):
        setattr(element, name, value)

    def get_prop(self, element, name):
        return getattr(element, name)

    def call(self, element, method):
        getattr(element, method)()

    def listen(self, element, event, fn):
        element.addEventListener(event, fn)

    def set_timeout(self, fn, seconds):
        return ("timeout", window.setTimeout(fn, seconds * 1000))

    def set_interval(self, fn, seconds):
        return ("interval", window.setInterval(fn, seconds * 1000))

    def clear(self, handle):
        kind, number = handle
        if kind == "timeout":
            window.clearTimeout(number)
        else:
            window.clearInterval(number)

    def post(self, url, text):
        request = window.XMLHttpRequest.new()
        request.open("POST", url, False)
        request.setRequestHeader("content-type", "application/json")
        try:
            request.send(text)
        except Exception:
            return 0, ""
        return request.status, request.responseText

    def json_dumps(self, value):
        return javascript.JSON.stringify(value)

    def json_loads(self, text):
        return javascript.JSON.parse(text)

    def console_error(self, text):
        window.console.error(text)

    def confirm(self, text):
        return bool(window.confirm(text))

    def ready(self):
        window.wbReady()
