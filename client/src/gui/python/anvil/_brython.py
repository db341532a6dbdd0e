"""The adapter for Brython: the DOM through `browser`, the components' drawing through
`window.wbDraw` (client/src/gui/draw.js), JSON through JavaScript's own parser (Brython's
`json` module is slow to import), server calls as synchronous requests."""

import javascript
from browser import document, window

from ._platform import DomAdapter


class Adapter(DomAdapter):
    name = "brython"

    def __init__(self):
        super().__init__(document, window)

    # props: a fresh dict each time (Brython keeps a dict's JavaScript twin), no None in it
    def draw(self, kind, props):
        return self._draw.draw(kind, props)

    def update(self, element, kind, name, props):
        self._draw.update(element, kind, name, props)

    def place(self, container, kind, child, layout, before, hidden, invisible):
        return self._draw.place(container, kind, child, layout, before, hidden, invisible)

    def bytes_of(self, js_bytes):
        return bytes(self._draw.bytesToList(js_bytes))

    def object_url(self, data, content_type):
        if isinstance(data, (bytes, bytearray)):
            data = self._draw.listToBytes(list(data))
        return str(self._draw.objectUrl(data, content_type))

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

    def json_dumps(self, value):
        return javascript.JSON.stringify(value)

    def json_loads(self, text):
        return javascript.JSON.parse(text)
