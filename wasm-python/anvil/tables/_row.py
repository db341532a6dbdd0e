"""Rows, and the values they hold: what a column value becomes on the wire and back.

A Row caches the values the host sent with it (a row record, tables-design.md section 3) and
fetches the rest with the `row` operation when code asks for a column it does not hold: one
read from a search with `q.fetch_only`, a column created since, or after `update()` with no
arguments (Anvil's way to refresh a row). Links come back as Rows holding only their id, read
on first use; media as `TableMedia`, whose bytes are fetched on first `get_bytes()`.

In a browser, what the host hands over carries a capability (`cap`, opaque here): a row keeps
its own and those of the rows it links to (a record's `links`), a stored media value its own,
and each sends it along when it reads itself again, so the host lets the browser read what
server code returned, and pass rows back to server functions (host/gui/capabilities.py).
"""

import anvil
from anvil._server_errors import SerializationError
from anvil.tables import _transport, _wire
from anvil.tables._errors import NoSuchColumnError, RowDeleted, TableError

DELETED = "This row has been deleted"


def encode_value(value):
    """The wire form of a value to write or to search for (a Row as its reference, Media with
    its bytes, or as its reference when it is already stored); SerializationError when a data
    table cannot hold it."""
    try:
        return _wire.encode(value, _write_form)
    except _wire.WireError as e:
        raise SerializationError(str(e)) from None


def encode_values(values):
    """The wire form of a {column: value} dict."""
    for name in values:
        if not isinstance(name, str):
            raise TypeError(f"column names are strings, not {type(name).__name__}")
    return {name: encode_value(value) for name, value in values.items()}


def decode_value(form):
    """The value a wire form from the host stands for."""
    try:
        return _wire.decode(form, row=Row, media=TableMedia.from_payload)
    except _wire.WireError as e:
        raise TableError(f"a value from the server could not be read: {e}") from None


def _write_form(value):
    if isinstance(value, Row):
        return _wire.row_form(value.get_id())
    if isinstance(value, TableMedia):
        return value.ref_form()  # already stored: the host copies it, no bytes travel
    if isinstance(value, anvil.Media):
        return _wire.media_form(value.content_type, value.name, value.get_bytes())
    return None


def _record_form(value):
    """A value of a row handed on (to client code): media stays a reference."""
    if isinstance(value, Row):
        return _wire.row_form(value.get_id())
    if isinstance(value, TableMedia):
        return value.ref_form()
    return None


def _copy(value):
    """Lists and dicts (simpleObject values) copied, so changing one never changes the cache."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


class Row:
    """A table row: a mapping of column names to values, plus `get_id`, `update`, `delete`.

    Made from what the host sends; code gets rows from tables, searches and links."""

    def __init__(self, row_id, table=None, values=None, complete=False):
        self._id = row_id
        self._table = table
        self._values = values if values is not None else {}
        self._complete = complete
        self._deleted = False
        self._cap = None  # the host's capability for this row (in a browser)

    @classmethod
    def from_record(cls, record, complete=True):
        """The row a record of the host stands for; `complete` when it holds every column
        (not a search with `q.fetch_only`)."""
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise TableError("a row from the server could not be read")
        row = cls(record["id"], record.get("table"))
        row._load(record, complete)
        return row

    def record(self, complete=True):
        """This row as a record (its values in wire form), for handing it on: with every
        column, unless `complete` is false (then with those it holds)."""
        self._check()
        if complete and not self._complete:
            self._fetch()
        values = {name: _wire.encode(value, _record_form) for name, value in self._values.items()}
        record = {"id": self._id, "table": self._table, "values": values}
        if self._cap is not None:
            record["cap"] = self._cap
        return record

    def _load(self, record, complete=True):
        values = record.get("values")
        if not isinstance(values, dict):
            raise TableError("a row from the server could not be read")
        self._values = {name: decode_value(form) for name, form in values.items()}
        self._complete = complete
        if isinstance(record.get("table"), str):
            self._table = record["table"]
        if isinstance(record.get("cap"), str):
            self._cap = record["cap"]
        links = record.get("links")
        if isinstance(links, dict) and links:
            for value in self._values.values():
                for linked in value if isinstance(value, list) else (value,):
                    if isinstance(linked, Row) and isinstance(links.get(linked._id), str):
                        linked._cap = links[linked._id]

    def _check(self):
        if self._deleted:
            raise RowDeleted(DELETED)

    def _call(self, op):
        try:
            return _transport.call(op)
        except RowDeleted:
            self._deleted = True
            self._values = {}
            raise

    def _fetch(self):
        self._check()
        op = {"op": "row", "id": self._id}
        if self._cap is not None:
            op["cap"] = self._cap
        self._load(self._call(op))

    def _full(self):
        self._check()
        if not self._complete:
            self._fetch()
        return self._values

    # -- the mapping ---------------------------------------------------------------------

    def __getitem__(self, column):
        if not isinstance(column, str):
            raise TypeError(f"Row columns are always strings, not {type(column).__name__}")
        self._check()
        if column not in self._values:
            # Not fetched (q.fetch_only, a refresh), or a column made since this row was read.
            self._fetch()
            if column not in self._values:
                raise NoSuchColumnError(f"No such column '{column}'")
        return _copy(self._values[column])

    def __setitem__(self, column, value):
        if not isinstance(column, str):
            raise TypeError(f"Row columns are always strings, not {type(column).__name__}")
        self.update(**{column: value})

    def get(self, column, default=None):
        """The value of `column`, or `default` when the table has no such column."""
        if column in self._full():
            return self[column]
        return default

    def keys(self):
        return list(self._full())

    def values(self):
        return [_copy(value) for value in self._full().values()]

    def items(self):
        return [(name, _copy(value)) for name, value in self._full().items()]

    def __iter__(self):
        """(column, value) pairs, as Anvil's rows give."""
        return iter(self.items())

    def __contains__(self, column):
        return column in self._full()

    # -- identity ------------------------------------------------------------------------

    def get_id(self):
        """The row's unique id, such as `"[3,17]"`."""
        self._check()
        return self._id

    def __eq__(self, other):
        if not isinstance(other, Row):
            return NotImplemented
        return self._id == other._id

    def __ne__(self, other):
        if not isinstance(other, Row):
            return NotImplemented
        return self._id != other._id

    def __hash__(self):
        self._check()
        return hash(self._id)

    # -- changes -------------------------------------------------------------------------

    def update(self, *args, **values):
        """Set several columns at once; with no arguments, forget the cached values so the
        next read fetches them again (Anvil's way to refresh a row)."""
        if len(args) > 1:
            raise TypeError(f"update expected at most 1 positional argument, got {len(args)}")
        if args:
            values = dict(args[0], **values)
        self._check()
        if not values:
            self._values = {}
            self._complete = False
            return
        op = {"op": "update", "id": self._id, "values": encode_values(values)}
        self._load(self._call(op))

    def delete(self):
        """Delete this row from its table."""
        self._check()
        self._call({"op": "delete", "id": self._id})
        self._deleted = True
        self._values = {}

    def refresh(self):
        """Read the row's values again now."""
        self._fetch()

    def _wb_encode(self):
        """The form `anvil._serialize` sends (a row returned to client code, or passed on)."""
        return {_wire.TAG: "row", "v": self.record()}

    def __repr__(self):
        if self._deleted:
            return "<anvil.tables.Row (deleted)>"
        shown = []
        for name, value in self._values.items():
            if len(shown) == 5:
                break
            if isinstance(value, str):
                text = value if len(value) <= 20 else value[:17] + "..."
                shown.append(f"{name}={text!r}")
            elif value is None or isinstance(value, (bool, int, float)):
                shown.append(f"{name}={value!r}")
        rest = len(self._values) - len(shown)
        if rest:
            more = f"{rest} more column{'s' if rest != 1 else ''}"
            shown.append(f"plus {more}" if shown else more)
        return f"<anvil.tables.Row: {', '.join(shown)}>" if shown else "<anvil.tables.Row>"


class TableMedia(anvil.Media):
    """A media value stored in a table: its bytes are fetched (op `media`) when first read."""

    def __init__(self, ref, content_type, name, length, cap=None):
        self._ref = ref
        self.content_type = content_type
        self.name = name
        self._length = length
        self._data = None
        self._cap = cap  # the host's capability for it (in a browser)
        self._blob = None  # its bytes as the browser's BlobMedia, for a URL

    @classmethod
    def from_payload(cls, payload):
        ref = payload.get("ref")
        if type(ref) is not int:
            raise _wire.WireError("a media value from the server has no reference")
        return cls(
            ref,
            payload.get("content_type") or "application/octet-stream",
            payload.get("name"),
            payload.get("length"),
            payload.get("cap") if isinstance(payload.get("cap"), str) else None,
        )

    def get_bytes(self):
        if self._data is None:
            op = {"op": "media", "ref": self._ref}
            if self._cap is not None:
                op["cap"] = self._cap
            answer = _transport.call(op)
            try:
                self._data = _wire.media_data(answer)
            except _wire.WireError as e:
                raise TableError(f"a media value from the server could not be read: {e}") from None
        return self._data

    @property
    def length(self):
        if type(self._length) is int:
            return self._length
        return len(self.get_bytes())

    def get_url(self, download=True):
        """In a browser, a URL of its bytes (for an Image or a Link, as the browser's other
        Media have); None in server code, as for media made there."""
        if not _transport.in_browser():
            return None
        if self._blob is None:
            self._blob = anvil.BlobMedia(self.content_type, self.get_bytes(), name=self.name)
        return self._blob.get_url(download)

    def ref_form(self):
        return _wire.media_ref_form(self._ref, self.content_type, self.name, self._length)

    def __repr__(self):
        return f"<anvil.tables media: {self.content_type}, {self.length} bytes>"
