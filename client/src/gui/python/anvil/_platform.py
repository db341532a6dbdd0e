"""The browser runtime underneath: one adapter object per runtime (`_brython.Adapter`,
`_pyodide.Adapter`), installed once at start-up. Everything that touches the DOM, timers or
HTTP goes through it, so the components above are the same on Brython and Pyodide (and on
CPython with a fake adapter, in the unit tests).

An adapter offers:

    draw(kind, props) -> element    update(element, kind, name, props)
    control(element, kind) -> element         release(holder)
    place(container, kind, child, layout, before | None, hidden, invisible) -> holder
                                    the components' drawing, client/src/gui/draw.js (shared
                                    with the designer); props: JSON-like values, no None;
                                    `place` is draw.js's `slot` and `attach` in one call
    draw_call(name, *args)          another of the drawing's functions (e.g. youtubeCommand)
    create(tag) -> element          root() / overlay() -> element
    append(parent, child)           insert(parent, child, before)     detach(element)
    query(element, selector) -> element | None
    set_text(element, text)         set_attr(element, name, value | None)
    set_style(element, name, value | None)   set_class(element, name, on)
    set_prop(element, name, value)  get_prop(element, name)
    call(element, method, *args) -> its result
    listen(element, event, fn)      fn(event): the event offers .key, .detail; on Pyodide fn runs
                                    a moment after the event (able to wait, see suspend.js), too
                                    late to stop it: what must happen during an event is done
                                    in JavaScript (draw.js, stop_propagation)
    stop_propagation(element, event)   stop such events at the element, in the browser itself
    set_timeout(fn, seconds) / set_interval(fn, seconds) -> handle;  clear(handle)
    post(url, text) -> (status, text)   a request to the app's own origin: it waits by
                                    suspending when it can (below), else synchronously
    fetch_bytes(url) -> (status, bytes, content type)   the same, for bytes
    can_wait() -> bool              this Python call can suspend until something happens,
                                    the page going on meanwhile (Pyodide with JSPI, entered
                                    from an event, a timer or the start-up)
    waiter() -> .wait() / .wake()   a one-shot to suspend on, when can_wait()
    js_window() -> window           js_array(list) -> a JavaScript array (for `anvil.js`)
    js_await(promise) -> its value  suspending, when can_wait()
    bytes_of(js_bytes) -> bytes     base64_of(js_bytes) -> text
    object_url(bytes | js_bytes, content_type) -> a blob: URL
    json_dumps(value) / json_loads(text)
    location_hash() -> text         set_location_hash(text, replace)
    encode_uri(text) / decode_uri(text)
    focused() -> element | None     contains(element, other) -> bool
    app_info() -> JSON text         `anvil.app`'s facts (client/src/gui/app-info.js)
    set_theme_color(name, value) -> bool   a theme colour's new value on the page
    console_error(text) / console_warn(text)     confirm(text) -> bool       ready()

`DomAdapter` holds what both adapters do alike (the DOM's own methods); each adds how values
and callbacks cross into JavaScript on its runtime.
"""

current = None


class DomAdapter:
    """What both adapters do alike: the DOM's own methods, reached the same way from Brython
    and from Pyodide once given the page's `document` and `window`. Each runtime's adapter
    adds how values and callbacks cross into JavaScript (draw, update, slot, listen, timers,
    JSON)."""

    def __init__(self, document, window):
        self._document = document
        self._window = window
        self._root = document.getElementById("wb-app")
        self._overlay = document.getElementById("wb-overlay")
        self._draw = window.wbDraw

    def control(self, element, kind):
        return self._draw.control(element, kind)

    def create(self, tag):
        return self._document.createElement(tag)

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

    def call(self, element, method, *args):
        return getattr(element, method)(*args)

    def query(self, element, selector):
        return element.querySelector(selector)

    def release(self, holder):
        self._draw.release(holder)

    def draw_call(self, name, *args):
        return getattr(self._draw, name)(*args)

    def base64_of(self, js_bytes):
        return str(self._draw.base64(js_bytes))

    def fetch_bytes(self, url):
        request = self._window.XMLHttpRequest.new()
        request.open("GET", url, False)
        request.overrideMimeType("text/plain; charset=x-user-defined")
        try:
            request.send()
        except Exception:
            return 0, b"", ""
        text = str(request.responseText)
        content_type = str(request.getResponseHeader("content-type") or "").split(";")[0]
        return request.status, bytes(ord(ch) & 0xFF for ch in text), content_type

    def location_hash(self):
        return str(self._window.location.hash)

    def set_location_hash(self, text, replace):
        target = "#" + text if text else self._window.location.pathname
        if replace:
            self._window.history.replaceState(None, "", target)
        elif text:
            self._window.location.hash = text
        else:
            self._window.history.pushState(None, "", target)

    def encode_uri(self, text):
        return str(self._window.encodeURIComponent(text))

    def decode_uri(self, text):
        try:
            return str(self._window.decodeURIComponent(text))
        except Exception:
            return text

    def focused(self):
        return self._document.activeElement

    def contains(self, element, other):
        return bool(element.contains(other))

    def app_info(self):
        return str(self._window.wbApp.info())

    def set_theme_color(self, name, value):
        return bool(self._window.wbApp.setColor(name, value))

    def console_warn(self, text):
        self._window.console.warn(text)

    def can_wait(self):
        return False

    def stop_propagation(self, element, event):
        self._window.wbJs.stopAt(element, event)

    def js_window(self):
        return self._window

    def js_array(self, items):
        return items

    def js_await(self, promise):
        raise RuntimeError("this runtime cannot wait for a JavaScript Promise")

    def waiter(self):
        raise RuntimeError("this runtime cannot wait for the page (only Pyodide can)")

    def post(self, url, text):
        request = self._window.XMLHttpRequest.new()
        request.open("POST", url, False)
        request.setRequestHeader("content-type", "application/json")
        try:
            request.send(text)
        except Exception:
            return 0, ""
        return request.status, request.responseText

    def console_error(self, text):
        self._window.console.error(text)

    def confirm(self, text):
        return bool(self._window.confirm(text))

    def ready(self):
        self._window.wbReady()


def get():
    if current is None:
        raise RuntimeError("the app's runtime has not started (anvil._platform.current is unset)")
    return current
