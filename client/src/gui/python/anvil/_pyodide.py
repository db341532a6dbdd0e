"""The adapter for Pyodide: the DOM through `js`, the components' drawing through
`js.wbDraw` (client/src/gui/draw.js), Python callbacks kept alive as proxies, server calls as
synchronous requests."""

import json

import js
from pyodide.ffi import create_once_callable, create_proxy, to_js


class Adapter:
    name = "pyodide"

    def __init__(self):
        self._root = js.document.getElementById("wb-app")
        self._overlay = js.document.getElementById("wb-overlay")
        self._listeners = []
        self._draw = js.wbDraw

    def _js(self, props):
        return to_js(props, dict_converter=js.Object.fromEntries)

    def draw(self, kind, props):
        return self._draw.draw(kind, self._js(props))

    def update(self, element, kind, name, props):
        self._draw.update(element, kind, name, self._js(props))

    def control(self, element, kind):
        return self._draw.control(element, kind)

    def slot(self, parent_kind, layout):
        return self._draw.slot(parent_kind, self._js(layout))

    def create(self, tag):
        return js.document.createElement(tag)

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

    def post(self, url, text):
        request = js.XMLHttpRequest.new()
        request.open("POST", url, False)
        request.setRequestHeader("content-type", "application/json")
        try:
            request.send(text)
        except Exception:
            return 0, ""
        return request.status, request.responseText

    def json_dumps(self, value):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    def json_loads(self, text):
        return json.loads(text)

    def console_error(self, text):
        js.console.error(text)

    def confirm(self, text):
        return bool(js.window.confirm(text))

    def ready(self):
        js.wbReady()
