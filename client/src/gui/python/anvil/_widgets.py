"""Components beyond the basic controls: RichText, Plot, FileLoader, Canvas and
YouTubeVideo. Their look is client/src/gui/draw.js; here is what they do."""

from . import _platform
from ._component import Component, Container, component

# -- RichText -----------------------------------------------------------------------------------


def _placeholders(text):
    """The `{name}` and `{name:spec}` keys in `text` (`{{` and `}}` are braces)."""
    found = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "{}" and text[index : index + 2] in ("{{", "}}"):
            index += 2
            continue
        if char == "{":
            end = text.find("}", index + 1)
            key = text[index + 1 : end] if end > 0 else ""
            if key and "{" not in key and not key[0].isspace():
                found.append(key)
                index = end + 1
                continue
        index += 1
    return found


@component("RichText")
class RichText(Container):
    """Text in Markdown (or plain text, or safe HTML) with {slots}: `data` fills them with
    values ({name:spec} formats one), and add_component(c, slot="name") with components."""

    def _drawn_own(self):
        data = self._props.get("data") or {}
        found = {}
        if self._props.get("enable_slots") and hasattr(data, "get"):
            for key in _placeholders(self._props.get("content") or ""):
                name, _, spec = key.partition(":")
                if name in data:
                    try:
                        found[key] = format(data[name], spec)
                    except (TypeError, ValueError):
                        found[key] = str(data[name])
        return {"_data": found}

    def _drawn_again(self, name):
        Container._drawn_again(self, name)
        if name in ("data", "content", "enable_slots", "format"):
            self._redraw_own("_data")

    def clear(self, slot=None):
        """Remove every component (or those in `slot`)."""
        for child in list(self._children):
            if slot is None or child._layout.get("slot") == slot:
                child.remove_from_parent()


# -- Plot ---------------------------------------------------------------------------------------


def _plain(value, depth=0):
    """A figure's value as JSON: graph objects and dicts as objects, dates as ISO text."""
    if depth > 60:
        raise ValueError("the plot's data is nested too deeply")
    to_json = getattr(value, "to_plotly_json", None)
    if to_json is not None:
        value = to_json()
    if isinstance(value, dict):
        return {str(key): _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1) for item in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    iso = getattr(value, "isoformat", None)
    if iso is not None:
        return iso()
    try:
        return [_plain(item, depth + 1) for item in value]
    except TypeError:
        return str(value)


@component("Plot")
class Plot(Component):
    """A Plotly chart: `data` (traces from plotly.graph_objects, or dicts), `layout`,
    `config`, or `figure` with all of them; click, hover, select ... events carry `points`."""

    def _drawn_own(self):
        figure = self._props.get("figure")
        data = self._props.get("data")
        layout = self._props.get("layout")
        if figure is None and data is None and layout is None:
            return {"_figure": ""}
        if figure is None:
            if data is not None and not isinstance(data, (list, tuple)):
                data = [data]
            figure = {"data": data or [], "layout": layout or {}}
        plain = _plain(figure)
        if not isinstance(plain, dict):
            plain = {"data": plain}
        if self._props.get("config") is not None:
            plain["config"] = _plain(self._props["config"])
        return {"_figure": _platform.get().json_dumps(plain)}

    def _drawn_again(self, name):
        Component._drawn_again(self, name)
        if name in ("data", "layout", "config", "figure", "interactive", "height"):
            self._redraw_own("_figure")

    def _wire(self):
        self._listen(self._dom, "wb-plot", self._plotted)

    def _plotted(self, event):
        found = _platform.get().json_loads(str(event.detail))
        name = found.get("event")
        if name == "afterplot":
            self.raise_event(name)
        elif name in self._event_names:
            self.raise_event(name, points=found.get("points") or [])

    def redraw(self):
        """Draw the plot again (after changing its data in place)."""
        self._redraw_own("_figure")

    def relayout(self, update):
        layout = dict(_plain(self._props.get("layout") or {}))
        layout.update(_plain(update))
        self.layout = layout

    def restyle(self, update, trace_indices=None):
        traces = [dict(_plain(trace)) for trace in (self._props.get("data") or [])]
        for index, trace in enumerate(traces):
            if trace_indices is None or index in trace_indices:
                trace.update(_plain(update))
        self.data = traces

    def _grow(self, update, trace_indices, at_end):
        traces = [dict(_plain(trace)) for trace in (self._props.get("data") or [])]
        update = _plain(update)
        for position, index in enumerate(trace_indices):
            for key, values in update.items():
                added = list(values[position])
                old = list(traces[index].get(key) or [])
                traces[index][key] = old + added if at_end else added + old
        self.data = traces

    def extend_traces(self, update, trace_indices, max_points=None):
        self._grow(update, trace_indices, True)

    def prepend_traces(self, update, trace_indices, max_points=None):
        self._grow(update, trace_indices, False)

    def to_image(self, *args, **kwargs):
        raise NotImplementedError("Plot.to_image is not available in Widgetbox yet")


# -- FileLoader ---------------------------------------------------------------------------------


@component("FileLoader")
class FileLoader(Component):
    """A button to choose files: `file` (the first) and `files` are Media objects; `change`
    carries them as `file` and `files`."""

    _writeback = {"file": ("change",), "files": ("change",)}

    def _parts(self, dom):
        self._input = dom.control(self._dom, self._kind)

    def _wire(self):
        self._listen(self._dom, "wb-files", self._chosen)
        self._listen(self._input, "focus", lambda event: self.raise_event("focus"))
        self._listen(self._input, "blur", lambda event: self.raise_event("lost_focus"))

    def _chosen(self, event):
        from ._media import BlobMedia

        files = []
        for found in event.detail:
            files.append(
                BlobMedia._from_page(str(found.type), found.bytes, str(found.name), int(found.size))
            )
        self._props["files"] = files
        self._props["file"] = files[0] if files else None
        self._redraw_own("_state")
        self.raise_event("change", file=self._props["file"], files=list(files))

    def _coerce(self, name, value):
        if name == "files":
            return list(value or [])
        return Component._coerce(self, name, value)

    def _drawn_own(self):
        files = self._props.get("files") or []
        shown = self._props.get("show_state") and files
        return {"_state": ", ".join(media.name or "file" for media in files) if shown else ""}

    def _drawn_again(self, name):
        Component._drawn_again(self, name)
        if name in ("file", "files", "show_state"):
            if name == "file" and self._props["file"] is None:
                self._props["files"] = []
            self._redraw_own("_state")

    def clear(self):
        """Forget the chosen files."""
        self._props["file"] = None
        self._props["files"] = []
        _platform.get().set_prop(self._input, "value", "")
        self._redraw_own("_state")

    def focus(self):
        _platform.get().call(self._input, "focus")

    def open_file_selector(self):
        _platform.get().call(self._input, "click")


# -- Canvas -------------------------------------------------------------------------------------

_CONTEXT = {
    "stroke_style": "strokeStyle",
    "fill_style": "fillStyle",
    "line_width": "lineWidth",
    "line_cap": "lineCap",
    "line_join": "lineJoin",
    "miter_limit": "miterLimit",
    "font": "font",
    "text_align": "textAlign",
    "text_baseline": "textBaseline",
    "shadow_offset_x": "shadowOffsetX",
    "shadow_offset_y": "shadowOffsetY",
    "shadow_blur": "shadowBlur",
    "shadow_color": "shadowColor",
    "global_alpha": "globalAlpha",
    "global_composite_operation": "globalCompositeOperation",
}

_METHODS = {
    "begin_path": "beginPath",
    "close_path": "closePath",
    "move_to": "moveTo",
    "line_to": "lineTo",
    "arc": "arc",
    "arc_to": "arcTo",
    "rect": "rect",
    "quadratic_curve_to": "quadraticCurveTo",
    "bezier_curve_to": "bezierCurveTo",
    "fill": "fill",
    "stroke": "stroke",
    "clip": "clip",
    "fill_rect": "fillRect",
    "stroke_rect": "strokeRect",
    "clear_rect": "clearRect",
    "fill_text": "fillText",
    "stroke_text": "strokeText",
    "save": "save",
    "restore": "restore",
    "translate": "translate",
    "rotate": "rotate",
    "scale": "scale",
    "transform": "transform",
    "set_transform": "setTransform",
    "reset_transform": "resetTransform",
}


class _Gradient:
    """A gradient for fill_style or stroke_style; add_color_stop(offset, colour)."""

    def __init__(self, js):
        self._js = js

    def add_color_stop(self, offset, color):
        _platform.get().call(self._js, "addColorStop", offset, color)


def _context_property(name, js_name):
    def fget(self):
        return self._context_values.get(name)

    def fset(self, value):
        self._context_values[name] = value
        js_value = value._js if isinstance(value, _Gradient) else value
        _platform.get().set_prop(self._context(), js_name, js_value)

    return property(fget, fset)


def _context_method(js_name):
    def call(self, *args):
        return _platform.get().call(self._context(), js_name, *args)

    call.__name__ = js_name
    return call


@component("Canvas")
class Canvas(Component):
    """A surface to draw on: the methods and properties of the browser's 2D drawing
    context, with Python names (fill_rect, stroke_style, ...). `reset` is raised when it is
    shown, with its drawing size set to its size on the page."""

    def _setup(self, properties=None, design=None):
        if "_props" in self.__dict__:
            return
        self._ctx = None
        self._context_values = {}
        Component._setup(self, properties, design)

    def _parts(self, dom):
        self._canvas = dom.control(self._dom, self._kind)

    def _context(self):
        if self._ctx is None:
            self._ctx = _platform.get().call(self._canvas, "getContext", "2d")
        return self._ctx

    def _wire(self):
        for event, name in (
            ("mouseenter", "mouse_enter"),
            ("mouseleave", "mouse_leave"),
            ("mousemove", "mouse_move"),
            ("mousedown", "mouse_down"),
            ("mouseup", "mouse_up"),
        ):
            self._listen(self._canvas, event, lambda e, name=name: self._mouse(name, e))

    def _mouse(self, name, event):
        args = {"x": event.offsetX, "y": event.offsetY}
        if name in ("mouse_down", "mouse_up"):
            args["button"] = event.button + 1
        self.raise_event(name, **args)

    def _shown_changed(self, shown):
        if shown:
            self.reset_context()

    def reset_context(self):
        """Size the drawing to the component as drawn, clear it, and raise `reset`."""
        dom = _platform.get()
        # attributes, not properties: Brython's elements take `width` as a style
        dom.set_attr(self._canvas, "width", str(dom.get_prop(self._canvas, "clientWidth") or 300))
        dom.set_attr(self._canvas, "height", str(dom.get_prop(self._canvas, "clientHeight") or 150))
        self._context_values = {}
        self.raise_event("reset")

    def get_width(self):
        return int(_platform.get().call(self._canvas, "getAttribute", "width") or 300)

    def get_height(self):
        return int(_platform.get().call(self._canvas, "getAttribute", "height") or 150)

    def measure_text(self, text):
        """The width of `text` in pixels, in the current font."""
        measured = _platform.get().call(self._context(), "measureText", str(text))
        return measured.width

    def create_linear_gradient(self, x0, y0, x1, y1):
        return _Gradient(
            _platform.get().call(self._context(), "createLinearGradient", x0, y0, x1, y1)
        )

    def create_radial_gradient(self, x0, y0, r0, x1, y1, r1):
        dom = _platform.get()
        return _Gradient(dom.call(self._context(), "createRadialGradient", x0, y0, r0, x1, y1, r1))

    def get_image(self, source):
        """A picture to draw with draw_image, from a URL or a Media object."""
        from ._media import Media

        dom = _platform.get()
        image = dom.create("img")
        dom.set_prop(image, "src", source.get_url() if isinstance(source, Media) else str(source))
        return image

    def draw_image(self, image, *args):
        """Draw a picture from get_image (once it has loaded)."""
        dom = _platform.get()
        if dom.get_prop(image, "complete"):
            dom.call(self._context(), "drawImage", image, *args)


for _name, _js in _CONTEXT.items():
    setattr(Canvas, _name, _context_property(_name, _js))
for _name, _js in _METHODS.items():
    setattr(Canvas, _name, _context_method(_js))


# -- YouTubeVideo -------------------------------------------------------------------------------


@component("YouTubeVideo")
class YouTubeVideo(Component):
    """A YouTube video (youtube_id); play(), pause() and stop() ask the player."""

    def play(self):
        _platform.get().draw_call("youtubeCommand", self._dom, "playVideo")

    def pause(self):
        _platform.get().draw_call("youtubeCommand", self._dom, "pauseVideo")

    def stop(self):
        _platform.get().draw_call("youtubeCommand", self._dom, "stopVideo")


__all__ = ["Canvas", "FileLoader", "Plot", "RichText", "YouTubeVideo"]
