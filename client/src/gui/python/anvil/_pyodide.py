"""The adapter for Pyodide: the DOM through `js`, the components' drawing through
`js.wbDraw` (client/src/gui/draw.js), Python callbacks kept alive as proxies, server calls as
synchronous requests."""

import json

import js
from pyodide.ffi import create_once_callable, create_proxy, to_js

from ._platform import DomAdapter


class Adapter(DomAdapter):
    name = "pyodide"

    def __init__(self):
        super().__init__(js.document, js.window)
        self._listeners = []

    def _js(self, props):
        return to_js(props, dict_converter=js.Object.fromEntries)

    def draw(self, kind, props):
        return self._draw.draw(kind, self._js(props))

    def update(self, element, kind, name, props):
        self._draw.update(element, kind, name, self._js(props))

    def slot(self, parent_kind, layout):
        return self._draw.slot(parent_kind, self._js(layout))

    def attach(self, container, kind, holder, layout, before):
        self._draw.attach(container, kind, holder, self._js(layout), before)

    def bytes_of(self, js_bytes):
        return js_bytes.to_bytes()

    def object_url(self, data, content_type):
        if isinstance(data, (bytes, bytearray)):
            data = to_js(bytes(data))
        return str(self._draw.objectUrl(data, content_type))

    def listen(self, element, event, fn):
        proxy = create_proxy(fn)
        self._listeners.append(proxy)  # alive as long as the page
        element.addEventListener(event, proxy)

    def set_timeout(self, fn, seconds):
        return ("timeout", js.setTimeout(create_once_callable(fn), seconds * 1000), None)

    def set_interval(self, fn, seconds):
        proxy = create_proxy(fn)
        return ("interval", js.setInterval(proxy, seconds * 1000), proxy)

    def clear(self, handle):
        kind, number, proxy = handle
        if kind == "timeout":
            js.clearTimeout(number)
        else:
            js.clearInterval(number)
            proxy.destroy()

    def json_dumps(self, value):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    def json_loads(self, text):
        return json.loads(text)
