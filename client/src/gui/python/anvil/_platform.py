"""The browser runtime underneath: one adapter object per runtime (`_brython.Adapter`,
`_pyodide.Adapter`), installed once at start-up. Everything that touches the DOM, timers or
HTTP goes through it, so the components above are the same on Brython and Pyodide (and on
CPython with a fake adapter, in the unit tests).

An adapter offers:

    draw(kind, props) -> element    update(element, kind, name, props)
    control(element, kind) -> element         slot(parent_kind, layout) -> element
                                    the components' drawing, client/src/gui/draw.js (shared
                                    with the designer); props: plain values, no None
    create(tag) -> element          root() / overlay() -> element
    append(parent, child)           insert(parent, child, before)     detach(element)
    set_text(element, text)         set_attr(element, name, value | None)
    set_style(element, name, value | None)   set_class(element, name, on)
    set_prop(element, name, value)  get_prop(element, name)    call(element, method)
    listen(element, event, fn)      fn(event): the event offers .key and .preventDefault()
    set_timeout(fn, seconds) / set_interval(fn, seconds) -> handle;  clear(handle)
    post(url, text) -> (status, text)   a synchronous request to the app's own origin
    json_dumps(value) / json_loads(text)
    console_error(text)             confirm(text) -> bool       ready()
"""

current = None


def get():
    if current is None:
        raise RuntimeError("the app's runtime has not started (anvil._platform.current is unset)")
    return current
