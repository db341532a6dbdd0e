"""The containers: ColumnPanel, LinearPanel, FlowPanel, GridPanel, XYPanel, HtmlPanel (a
design's HtmlTemplate), DataGrid, DataRowPanel and RepeatingPanel (Link is a container too,
in _basic.py). Each child sits in a holder element that the drawing puts in its place
(client/src/gui/draw-containers.js: rows and columns, slots, cells); what is behaviour stays
here: a RepeatingPanel's copies of its item template, a DataGrid's pages, a DataRowPanel's
values from its item."""

from . import _platform
from ._component import Container, component


@component("ColumnPanel")
class ColumnPanel(Container):
    """Components in rows and columns (a design's grid_position); each component added in
    code gets a row of its own."""


@component("LinearPanel")
class LinearPanel(Container):
    """Components one below the other."""


@component("FlowPanel")
class FlowPanel(Container):
    """Components side by side, wrapping when they do not fit."""


@component("GridPanel")
class GridPanel(Container):
    """Components in named rows on 12 columns: add_component(c, row="A", col_xs=2, width_xs=8)."""


@component("XYPanel")
class XYPanel(Container):
    """Components at x, y positions: add_component(c, x=10, y=20, width=100)."""

    def get_width(self):
        """The width of the area in pixels, as drawn now."""
        return _platform.get().get_prop(self._dom, "clientWidth")


class _DomNodes:
    """`form.dom_nodes["name"]`: the HTML template's element with anvil-name="name"."""

    def __init__(self, owner):
        self._owner = owner

    def __getitem__(self, name):
        found = _platform.get().query(self._owner._dom, f'[anvil-name="{name}"]')
        if found is None:
            raise KeyError(name)
        return found

    def get(self, name, default=None):
        try:
            return self[name]
        except KeyError:
            return default


@component("HtmlTemplate")
class HtmlPanel(Container):
    """An HTML page with slots that hold components: a theme asset (html="@theme:name.html",
    the app's theme/assets/name.html; "@theme:standard-page.html" is Widgetbox's standard
    page, with title, left-nav, nav-right and default slots, when the app has none of its
    own), or your own HTML with anvil-slot="name" elements. add_component(c, slot="title")."""

    @property
    def dom_nodes(self):
        return _DomNodes(self)

    def call_js(self, name, *args):
        raise NotImplementedError(
            "call_js runs JavaScript from the page's HTML, which this app's page does not run"
        )


HtmlTemplate = HtmlPanel


# -- DataGrid, DataRowPanel, RepeatingPanel -----------------------------------------------------


def _grid_of(component):
    """The DataGrid `component` is in, or None."""
    node = component._parent
    while node is not None:
        if isinstance(node, DataGrid):
            return node
        node = node._parent
    return None


def _plain(value):
    """`value` as the drawing takes it (JSON-like)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


@component("DataGrid")
class DataGrid(Container):
    """A table: columns ([{"id", "title", "data_key", "width", "expand"}]), a header, and
    pages of rows (DataRowPanels, or a RepeatingPanel of them); rows added with pinned=True
    show on every page."""

    def _setup(self, properties=None, design=None):
        if "_props" in self.__dict__:
            return
        self._page = 0
        self._page_text = ""
        Container._setup(self, properties, design)

    def _draw_value(self, name, value):
        if name == "columns":
            return _plain(value or [])
        return Container._draw_value(self, name, value)

    def _drawn_own(self):
        return {"_pages": self._page_text}

    def _parts(self, dom):
        self._buttons = {
            page: dom.query(self._dom, f':scope > .anvil-dg-footer [data-page="{page}"]')
            for page in ("first", "previous", "next", "last")
        }

    def _wire(self):
        moves = {
            "first": self.jump_to_first_page,
            "previous": self.previous_page,
            "next": self.next_page,
            "last": self.jump_to_last_page,
        }
        for page, button in self._buttons.items():
            if button is not None:
                self._listen(button, "click", lambda event, move=moves[page]: move())

    def _drawn_again(self, name):
        Container._drawn_again(self, name)
        if name == "columns" and "_children" in self.__dict__:
            for row in self._rows(everything=True):
                row._show_columns()
        if name in ("rows_per_page", "show_page_controls"):
            self.repaginate()

    def _added(self, component):
        self.repaginate()

    def _rows(self, everything=False):
        """The rows that pages hold (not pinned), in order; with `everything`, every
        DataRowPanel in the grid."""
        found = []
        for child in self._children:
            if isinstance(child, RepeatingPanel):
                found.extend(c for c in child._children if isinstance(c, DataRowPanel))
            elif isinstance(child, DataRowPanel) and (
                everything or not child._layout.get("pinned")
            ):
                found.append(child)
        return found

    def _per_page(self):
        per = self._props.get("rows_per_page")
        return int(per) if per else 0

    def repaginate(self):
        """Show the rows of the current page again (after rows came or went)."""
        if "_children" not in self.__dict__:
            return
        rows = self._rows()
        per = self._per_page()
        pages = max(1, -(-len(rows) // per)) if per else 1
        self._page = min(self._page, pages - 1)
        start = self._page * per
        dom = _platform.get()
        for index, row in enumerate(rows):
            off = bool(per) and not (start <= index < start + per)
            if row._wrapper is not None:
                dom.set_class(row._wrapper, "anvil-dg-off", off)
        text = ""
        if per and self._props.get("show_page_controls") and len(rows) > per:
            end = min(start + per, len(rows))
            first = "1" if self._page == 0 else "0"
            last = "1" if self._page >= pages - 1 else "0"
            text = f"{start + 1}\u2013{end} of {len(rows)}|{first}|{last}"
        if text != self._page_text:
            self._page_text = text
            self._redraw_own("_pages")

    def _pages(self):
        per = self._per_page()
        return max(1, -(-len(self._rows()) // per)) if per else 1

    def get_page(self):
        """The page shown (0 is the first)."""
        return self._page

    def set_page(self, page):
        self._page = max(0, min(int(page), self._pages() - 1))
        self.repaginate()

    def next_page(self):
        self.set_page(self._page + 1)

    def previous_page(self):
        self.set_page(self._page - 1)

    def jump_to_first_page(self):
        self.set_page(0)

    def jump_to_last_page(self):
        self.set_page(self._pages() - 1)


@component("DataRowPanel")
class DataRowPanel(Container):
    """A row of a DataGrid: shows item[data_key] in each of the grid's columns that holds
    no component; add_component(c, column="A") puts a component in column A."""

    def _setup(self, properties=None, design=None):
        if "_props" in self.__dict__:
            return
        self._columns = []
        Container._setup(self, properties, design)

    def _drawn_own(self):
        return {
            "_columns": [
                {"id": str(column.get("id", "")), "data_key": str(column.get("data_key") or "")}
                for column in self._columns
            ],
            "_values": self._values(),
        }

    def _values(self):
        item = self._props.get("item")
        if not self._props.get("auto_display_data") or item is None:
            return {}
        found = {}
        for column in self._columns:
            key = column.get("data_key")
            if not key:
                continue
            try:
                value = item[key]
            except Exception:  # noqa: S112 - an item without that key shows nothing there
                continue
            found[str(column.get("id", ""))] = "" if value is None else str(value)
        return found

    def _show_columns(self):
        grid = _grid_of(self)
        columns = list(grid._props.get("columns") or []) if grid is not None else []
        columns = [column for column in columns if isinstance(column, dict)]
        if columns != self._columns:
            self._columns = columns
            self._redraw_own("_columns")
        self._redraw_own("_values")

    def _drawn_again(self, name):
        Container._drawn_again(self, name)
        if name in ("item", "auto_display_data") and "_columns" in self.__dict__:
            self._redraw_own("_values")

    def _shown_changed(self, shown):
        if shown:
            self._show_columns()


@component("RepeatingPanel")
class RepeatingPanel(Container):
    """One copy of its item_template (a form, or a form's name such as
    "Form1.RowTemplate1") for each of its items; each copy's `item` is its item, and its
    `parent` this panel (so `self.parent.raise_event("x-...")` reaches handlers set here)."""

    def _drawn_again(self, name):
        Container._drawn_again(self, name)
        if name in ("items", "item_template") and "_children" in self.__dict__:
            self._populate()

    def _template(self):
        found = self._props.get("item_template")
        if isinstance(found, str) and found:
            from ._forms import form_class

            return form_class(found)
        return found

    def _populate(self):
        for child in list(self._children):
            child.remove_from_parent()
        items = self._props.get("items")
        template = self._template()
        if items is None or template is None:
            return
        for item in items:
            self.add_component(template(item=item))
        grid = _grid_of(self)
        if grid is not None:
            grid.repaginate()

    def raise_event_on_children(self, event_name, **event_args):
        """Raise `event_name` on every copy of the item template."""
        for child in list(self._children):
            child.raise_event(event_name, **event_args)


BY_NAME = {
    "ColumnPanel": ColumnPanel,
    "LinearPanel": LinearPanel,
    "FlowPanel": FlowPanel,
    "GridPanel": GridPanel,
    "XYPanel": XYPanel,
    "HtmlTemplate": HtmlPanel,
    "HtmlPanel": HtmlPanel,
    "DataGrid": DataGrid,
    "DataRowPanel": DataRowPanel,
    "RepeatingPanel": RepeatingPanel,
}

__all__ = [
    "ColumnPanel",
    "DataGrid",
    "DataRowPanel",
    "FlowPanel",
    "GridPanel",
    "HtmlPanel",
    "HtmlTemplate",
    "LinearPanel",
    "RepeatingPanel",
    "XYPanel",
]
