"""Searches: `order_by`, what `search()`'s arguments mean, and the SearchIterator of results.

Results come a page at a time (op `search` with an offset): the first page when `search()` is
called, as in Anvil, so a bad query fails there; the others as code reaches them. Iterating
again starts again from the first page, which is kept; `len()` asks the host to count unless
the first page was all there is.
"""

import anvil
from anvil.tables import _transport, _wire
from anvil.tables import query as q
from anvil.tables._errors import TableError
from anvil.tables._row import Row

DEFAULT_PAGE_SIZE = 100


class order_by:
    """A `search()` option: sort the rows by `column_name` (ascending unless told)."""

    def __init__(self, column_name, ascending=True):
        if not isinstance(column_name, str):
            raise TypeError("order_by() takes a column's name (a string)")
        self.column_name = column_name
        self.ascending = bool(ascending)

    def __eq__(self, other):
        if not isinstance(other, order_by):
            return NotImplemented
        return (self.column_name, self.ascending) == (other.column_name, other.ascending)

    def __hash__(self):
        return hash((self.column_name, self.ascending))

    def __repr__(self):
        return f"order_by({self.column_name!r}, ascending={self.ascending!r})"


def parse(args, kwargs):
    """(query tree, order, page size or None, fetch_only columns or None) of the arguments of
    `search()` or `get()`."""
    nodes, order, size, fetch = [], [], None, None
    for arg in args:
        if isinstance(arg, order_by):
            order.append([arg.column_name, arg.ascending])
        elif isinstance(arg, q.page_size):
            size = arg.rows
        elif isinstance(arg, q.fetch_only):
            fetch = arg.columns()
        elif isinstance(arg, q.only_cols):
            raise TableError("q.only_cols() restricts the columns of a view: Widgetbox has none")
        else:
            nodes.append(q.condition(arg))
    for column, value in kwargs.items():
        nodes.append(q.column_condition(column, value))
    return q.combine(nodes), order, size, fetch


def _index(value, what):
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"search {what} must be integers, not {type(value).__name__}")
    return value.__index__()


class SearchIterator:
    """The rows a search matched, fetched a page at a time as code reads them."""

    def __init__(self, table, query, order=(), page_size=None, fetch_only=None):
        self._table = table
        self._query = query
        self._order = [list(item) for item in order]
        self._page_size = page_size
        """Rows per page: the code's choice, else the host's (sent as None), as the first page
        shows it (the host also lowers a size beyond its most)."""
        self._fetch_only = fetch_only
        self._first = None
        self._more = True
        self._window = None  # (offset, rows) of the last page read past the first
        self._cap = None  # the host's capability for this search (in a browser)

    def _op(self, op):
        if self._cap is not None:
            op["cap"] = self._cap
        return op

    def _page(self, offset):
        answer = _transport.call(
            self._op(
                {
                    "op": "search",
                    "table": self._table._name,
                    "query": self._query,
                    "order": self._order,
                    "page_size": self._page_size,
                    "offset": offset,
                    "fetch_only": self._fetch_only,
                }
            )
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("rows"), list):
            raise TableError("the server's search results could not be read")
        if isinstance(answer.get("cap"), str):
            self._cap = answer["cap"]
        complete = self._fetch_only is None
        rows = [Row.from_record(record, complete) for record in answer["rows"]]
        return rows, bool(answer.get("more"))

    def _load_first(self):
        if self._first is None:
            self._first, self._more = self._page(0)
            if self._more and self._first:
                self._page_size = len(self._first)  # later pages are asked for by offset
        return self._first

    def _at(self, index):
        """The row at `index` (0 or more), or None past the end."""
        first = self._load_first()
        if index < len(first):
            return first[index]
        if not self._more:
            return None
        window = self._window
        if window is None or not window[0] <= index < window[0] + len(window[1]):
            offset = index - index % self._page_size
            window = self._window = (offset, self._page(offset)[0])
        position = index - window[0]
        return window[1][position] if 0 <= position < len(window[1]) else None

    def __iter__(self):
        rows, more, offset = self._load_first(), self._more, 0
        while True:
            yield from rows
            if not more or not rows:
                return
            offset += len(rows)
            rows, more = self._page(offset)

    def __len__(self):
        if self._first is not None and not self._more:
            return len(self._first)
        count = _transport.call(
            self._op({"op": "count", "table": self._table._name, "query": self._query})
        )
        if type(count) is not int:
            raise TableError("the server's count could not be read")
        return count

    def __bool__(self):
        return True  # as Anvil's: a search is true even when it matched nothing

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._slice(index)
        position = _index(index, "indices")
        if position < 0:
            position += len(self)
        row = self._at(position) if position >= 0 else None
        if row is None:
            raise IndexError("search index out of range")
        return row

    def _slice(self, which):
        """An iterator over the rows of the slice `which` (as Anvil's, not a list)."""
        step = 1 if which.step is None else _index(which.step, "slice steps")
        if step <= 0:
            raise ValueError("search slices need a positive step")
        start = 0 if which.start is None else _index(which.start, "slice indices")
        stop = None if which.stop is None else _index(which.stop, "slice indices")
        if start < 0 or (stop is not None and stop < 0):
            start, stop, step = slice(start, stop, step).indices(len(self))
        return self._walk(start, stop, step)

    def _walk(self, start, stop, step):
        index = start
        while stop is None or index < stop:
            row = self._at(index)
            if row is None:
                return
            yield row
            index += step

    def refresh(self):
        """Forget the rows read so far: the next read searches again."""
        self._first, self._more, self._window = None, True, None

    def delete_all_rows(self):
        """Delete every row this search matches; answers how many were deleted."""
        deleted = _transport.call(
            {"op": "delete_where", "table": self._table._name, "query": self._query}
        )
        self.refresh()
        return deleted

    def to_csv(self, escape_for_excel=False):
        """The rows as CSV (a BlobMedia, text/csv): an ID column, then the table's columns."""
        columns = self._table.list_columns()
        lines = [",".join(['"ID"'] + [_quoted(c["name"], False) for c in columns])]
        for row in self:
            values = row._full()
            fields = [_quoted(row.get_id(), False)]
            for column in columns:
                value = values.get(column["name"])
                fields.append(_csv_field(column["type"], value, escape_for_excel))
            lines.append(",".join(fields))
        name = "".join(c for c in self._table._name if c.isalnum() or c in ". ") or "export"
        text = "\n".join(lines) + "\n"
        return anvil.BlobMedia("text/csv", text.encode("utf-8"), name=f"{name}.csv")

    def _wb_encode(self):
        """The form `anvil._serialize` sends: the search, with the first page of rows."""
        rows = self._load_first()
        payload = {
            "table": self._table._name,
            "query": self._query,
            "order": self._order,
            "page_size": self._page_size,
            "fetch_only": self._fetch_only,
            "rows": [row.record(complete=self._fetch_only is None) for row in rows],
            "more": self._more,
        }
        if self._cap is not None:
            payload["cap"] = self._cap
        return {_wire.TAG: "search", "v": payload}

    def __repr__(self):
        return f"<anvil.tables.SearchIterator of {self._table._name!r}>"


def _quoted(value, escape_for_excel):
    text = str(value)
    if escape_for_excel and text[:1] in ("=", "+", "-", "@"):
        text = "'" + text  # so a spreadsheet does not take it for a formula
    return '"' + text.replace('"', '""') + '"'


def _csv_field(column_type, value, escape_for_excel):
    if value is None:
        return ""
    if column_type == "bool":
        return "1" if value else "0"
    if column_type == "number":
        return str(value)
    if column_type in ("date", "datetime"):
        return _quoted(value.isoformat(), escape_for_excel)
    if column_type == "simpleObject":
        import json

        return _quoted(json.dumps(value), escape_for_excel)
    if column_type == "media":
        return "#MEDIA"
    if column_type == "link_single":
        return _quoted("#ROW" + value.get_id(), escape_for_excel)
    if column_type == "link_multiple":
        return _quoted("#ROWS[" + ",".join(row.get_id() for row in value) + "]", escape_for_excel)
    return _quoted(value, escape_for_excel)
