"""plotly.graph_objects in the browser: traces (Scatter, Bar, Pie), Layout and Figure as
objects whose attributes are the plotly.js attributes (`go.Scatter(x=[1, 2], y=[3, 4],
mode="lines")`, `layout.xaxis.title = "Time"`). A Plot takes them, or plain dicts, as its
`data`, `layout` and `figure`; each becomes its JSON (`to_plotly_json()`)."""


class _Object:
    """Attributes as the keys of a plotly.js object; a missing one is made on first use
    (`layout.xaxis.title.text = "x"`)."""

    _type = None

    def __init__(self, arg=None, **properties):
        data = {}
        if isinstance(arg, _Object):
            data.update(arg.to_plotly_json())
        elif isinstance(arg, dict):
            data.update(arg)
        data.update(properties)
        object.__setattr__(self, "_data", {})
        for key, value in data.items():
            setattr(self, key, value)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        data = object.__getattribute__(self, "_data")
        if name not in data:
            data[name] = _Object()
        return data[name]

    def __setattr__(self, name, value):
        if isinstance(value, dict):
            value = _Object(value)
        self._data[name] = value

    def __getitem__(self, name):
        return self._data[name]

    def __setitem__(self, name, value):
        setattr(self, name, value)

    def __contains__(self, name):
        return name in self._data

    def update(self, values=None, **properties):
        for key, value in dict(values or {}, **properties).items():
            setattr(self, key, value)
        return self

    def to_plotly_json(self):
        found = {}
        if self._type is not None:
            found["type"] = self._type
        for key, value in self._data.items():
            plain = value.to_plotly_json() if isinstance(value, _Object) else value
            if isinstance(value, _Object) and not plain:
                continue
            found[key] = plain
        return found

    def __repr__(self):
        return f"{type(self).__name__}({self.to_plotly_json()!r})"


class Scatter(_Object):
    _type = "scatter"


class Bar(_Object):
    _type = "bar"


class Pie(_Object):
    _type = "pie"


class Layout(_Object):
    pass


class Figure:
    """Traces and a layout together: a Plot's `figure`."""

    def __init__(self, data=None, layout=None):
        if isinstance(data, dict):
            layout = layout if layout is not None else data.get("layout")
            data = data.get("data")
        if data is not None and not isinstance(data, (list, tuple)):
            data = [data]
        self.data = list(data or [])
        self.layout = layout if isinstance(layout, Layout) else Layout(layout or {})

    def add_trace(self, trace):
        self.data.append(trace)
        return self

    def update_layout(self, values=None, **properties):
        self.layout.update(values, **properties)
        return self

    def to_plotly_json(self):
        data = [trace.to_plotly_json() if hasattr(trace, "to_plotly_json") else trace
                for trace in self.data]  # fmt: skip
        return {"data": data, "layout": self.layout.to_plotly_json()}


__all__ = ["Bar", "Figure", "Layout", "Pie", "Scatter"]
