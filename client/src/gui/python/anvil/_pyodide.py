"""The adapter for Pyodide: the DOM through `js`, the components' drawing through
`js.wbDraw` (client/src/gui/draw.js; properties handed over as JSON text), Python callbacks
kept alive as one proxy that calls each listener by its key.

With JavaScript Promise Integration (JSPI; Chromium has it) client Python can wait without
freezing the page: the browser enters Python through `wbSuspend.promising`
(client/src/gui/suspend.js) for events and timers, and the start-up runs under
`runPythonAsync`, so a call that waits (a server call, an alert's answer, `time.sleep`)
suspends only its own Python stack. Without JSPI, server calls are synchronous requests and
nothing else waits, as on Brython."""

import json

import js
from pyodide.ffi import can_run_sync, create_once_callable, create_proxy, run_sync, to_js

from ._platform import DomAdapter

_JSON = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
"""The drawing's properties as JSON text: one encoder for every call (`json.dumps` with an
option makes a new one each time); ASCII, the quickest text to hand over."""


class _Waiter:
    """A one-shot: `wait()` suspends this Python call until `wake()` (from another)."""

    def __init__(self):
        self._settled = js.wbSuspend.waiter()

    def wake(self):
        self._settled.wake()

    def wait(self):
        run_sync(self._settled.promise)


class Adapter(DomAdapter):
    name = "pyodide"

    def __init__(self):
        super().__init__(js.document, js.window)
        self.suspends = bool(can_run_sync())
        """True when the browser has JSPI (decided at start-up, which runs able to wait)."""
        self._listeners = {}
        """Every listener's function by its key: one proxy (`_enter`) calls them all."""
        self._enter = self._entry(create_proxy(self._dispatch))  # alive as long as the page
        # the functions called for every component, looked up once (each lookup crosses too)
        self._draw_fn = self._draw.draw
        self._update_fn = self._draw.update
        self._place_fn = self._draw.place
        self._listen_fn = js.wbSuspend.listen

    def _js(self, props):
        """`props` for the drawing: its JSON text (boot.js parses it), as a string crosses
        into JavaScript at once where `to_js` converts a dict entry by entry."""
        try:
            return _JSON.encode(props)
        except (TypeError, ValueError):  # NaN, infinity or an object JSON lacks: as before
            return to_js(props, dict_converter=js.Object.fromEntries)

    def _entry(self, proxy):
        """What the browser calls to run `proxy`: through `promising` when Python can wait."""
        return js.wbSuspend.promising(proxy) if self.suspends else proxy

    def draw(self, kind, props):
        return self._draw_fn(kind, self._js(props))

    def update(self, element, kind, name, props):
        self._update_fn(element, kind, name, self._js(props))

    def place(self, container, kind, child, layout, before, hidden, invisible):
        return self._place_fn(container, kind, child, self._js(layout), before, hidden, invisible)

    def bytes_of(self, js_bytes):
        return js_bytes.to_bytes()

    def object_url(self, data, content_type):
        if isinstance(data, (bytes, bytearray)):
            data = to_js(bytes(data))
        return str(self._draw.objectUrl(data, content_type))

    def listen(self, element, event, fn):
        key = len(self._listeners)
        self._listeners[key] = fn
        self._listen_fn(element, event, self._enter, key)

    def _dispatch(self, key, event):
        return self._listeners[key](event)

    def set_timeout(self, fn, seconds):
        if self.suspends:
            entry = js.wbSuspend.promisingOnce(create_proxy(fn))
        else:
            entry = create_once_callable(fn)
        return ("timeout", js.setTimeout(entry, seconds * 1000), None)

    def set_interval(self, fn, seconds):
        proxy = create_proxy(fn)
        return ("interval", js.setInterval(self._entry(proxy), seconds * 1000), proxy)

    def clear(self, handle):
        kind, number, proxy = handle
        if kind == "timeout":
            js.clearTimeout(number)
        else:
            js.clearInterval(number)
            proxy.destroy()

    def can_wait(self):
        return self.suspends and bool(can_run_sync())

    def waiter(self):
        return _Waiter()

    def js_array(self, items):
        return to_js(items, dict_converter=js.Object.fromEntries)

    def js_await(self, promise):
        return run_sync(promise)

    def post(self, url, text):
        if not self.can_wait():
            return super().post(url, text)
        answer = run_sync(js.wbSuspend.postText(url, text))
        return int(answer[0]), str(answer[1])

    def fetch_bytes(self, url):
        if not self.can_wait():
            return super().fetch_bytes(url)
        answer = run_sync(js.wbSuspend.getBytes(url))
        return int(answer[0]), answer[1].to_bytes(), str(answer[2])

    def json_dumps(self, value):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    def json_loads(self, text):
        return json.loads(text)
