"""`app_tables` and its tables, and the views `client_readable()` and friends make.

What tables exist is asked once (op `describe`), when code first needs it, and kept: in the
sandbox that is once per run, since each run has its own interpreter. The sandbox also sends
the table names with the run (`_given`), so `app_tables.people` alone asks nothing; ids and
columns (`get_table_by_id`, `has_row`, `list_columns`) are still asked when needed.
"""

from anvil.tables import _transport, _wire
from anvil.tables import query as q
from anvil.tables._errors import TableError
from anvil.tables._row import Row, encode_values
from anvil.tables._search import SearchIterator, parse


class AppTables:
    """`app_tables`: the widget's tables, as attributes (`app_tables.people`) or by name
    (`app_tables["people"]`); iterating gives their names."""

    def __init__(self):
        object.__setattr__(self, "_tables", None)
        object.__setattr__(self, "_names", None)

    def _given(self, names):
        """The tables' names as the host sent them with the run: `app_tables.<name>` then
        needs no `describe`."""
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise TableError("the server's list of tables could not be read")
        object.__setattr__(self, "_names", frozenset(names))

    def _forget(self):
        """What the last run was told or asked, forgotten before the next one in the same
        interpreter (persistent mode: `_widgetbox.driver`)."""
        object.__setattr__(self, "_tables", None)
        object.__setattr__(self, "_names", None)

    def _has(self, name):
        if self._tables is None and self._names is not None:
            return name in self._names
        return name in self._describe()

    def _describe(self, refresh=False):
        """{name: {"id", "client", "columns"}} of the tables, asked once unless `refresh`."""
        if self._tables is None or refresh:
            answer = _transport.call({"op": "describe"})
            tables = answer.get("tables") if isinstance(answer, dict) else None
            if not isinstance(tables, dict):
                raise TableError("the server's list of tables could not be read")
            object.__setattr__(self, "_tables", tables)
        return self._tables

    def _info(self, name):
        info = self._describe().get(name)
        if info is None:
            info = self._describe(refresh=True).get(name)
        if info is None:
            raise TableError(f"No such app table: '{name}'")
        return info

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if not self._has(name):
            raise AttributeError(f"No such app table: '{name}'")
        return Table(name, self)

    def __getitem__(self, name):
        if not isinstance(name, str) or not self._has(name):
            raise KeyError(name)
        return Table(name, self)

    def __setattr__(self, name, value):
        raise AttributeError("app_tables is read-only")

    def __iter__(self):
        return iter(list(self._describe()))

    def __dir__(self):
        return sorted(set(self._describe()) | set(dir(type(self))))

    def __repr__(self):
        return "<anvil.tables.app_tables>"


class Table:
    """One table of `app_tables`."""

    def __init__(self, name, app):
        self._name = name
        self._app = app
        self._conditions = ()  # a view's restrictions, query nodes

    def _restrict(self, query):
        if not self._conditions:
            return query
        extra = [] if query == {"all": []} else [query]
        return q.combine(list(self._conditions) + extra)

    # -- rows in ------------------------------------------------------------------------

    def add_row(self, **values):
        """Add a row with these column values; answers the new Row."""
        op = {"op": "add_row", "table": self._name, "values": encode_values(values)}
        return Row.from_record(_transport.call(op))

    def add_rows(self, rows):
        """Add several rows (dicts of column values) at once, all or none; answers the Rows."""
        values = [encode_values(dict(row)) for row in rows]
        answer = _transport.call({"op": "add_rows", "table": self._name, "rows": values})
        if not isinstance(answer, list):
            raise TableError("the server's answer to add_rows could not be read")
        return [Row.from_record(record) for record in answer]

    # -- rows out -----------------------------------------------------------------------

    def get(self, *queries, **values):
        """The one row matching, or None; TableError when more than one row matches."""
        query, order, size, _fetch = parse(queries, values)
        if order or size is not None:
            raise TableError("get() returns one row: it takes no order_by() or q.page_size()")
        op = {"op": "get", "table": self._name, "query": self._restrict(query)}
        record = _transport.call(op)
        return None if record is None else Row.from_record(record)

    def get_by_id(self, row_id, fetch=None):
        """The row of this table with this id (`row.get_id()`), or None."""
        if not isinstance(row_id, str):
            raise TypeError(f"a row id is a string such as '[3,17]', not {type(row_id).__name__}")
        if fetch is not None and not isinstance(fetch, q.fetch_only):
            raise TypeError("get_by_id's fetch is a q.fetch_only() object")
        record = _transport.call({"op": "get_by_id", "table": self._name, "id": row_id})
        return None if record is None else Row.from_record(record)

    def search(self, *queries, **values):
        """The rows matching: column values as keyword arguments, operators of
        `anvil.tables.query`, and `order_by()`, `q.page_size()`, `q.fetch_only()` options."""
        query, order, size, fetch = parse(queries, values)
        found = SearchIterator(self, self._restrict(query), order, size, fetch)
        found._load_first()  # as Anvil: a bad query fails here, not when the rows are read
        return found

    def has_row(self, row):
        """Whether `row` is a row of this table (or view)."""
        if not isinstance(row, Row):
            return False
        try:
            table_id = _wire.parse_row_id(row._id)[0]
        except _wire.WireError:
            return False
        if table_id != self._app._info(self._name).get("id"):
            return False
        return self.get_by_id(row._id) is not None

    def __contains__(self, row):
        return self.has_row(row)

    def list_columns(self):
        """[{"name": ..., "type": ...}] of the table's columns, in order."""
        columns = self._app._describe(refresh=True).get(self._name, {}).get("columns", [])
        return [{"name": column["name"], "type": column["type"]} for column in columns]

    def delete_all_rows(self):
        """Delete every row of the table."""
        _transport.call({"op": "delete_all", "table": self._name})

    def to_csv(self, escape_for_excel=False):
        """The whole table as CSV (a BlobMedia, text/csv)."""
        return self.search().to_csv(escape_for_excel)

    # -- views --------------------------------------------------------------------------

    def client_readable(self, *queries, **values):
        """This table restricted to the rows matching (Widgetbox: on the server only)."""
        return TableView(self, queries, values)

    def client_writable(self, *queries, **values):
        """As `client_readable`; Widgetbox sets client access per table, in tables.yaml."""
        return TableView(self, queries, values)

    def client_writable_cascade(self, *queries, **values):
        """As `client_readable`; Widgetbox sets client access per table, in tables.yaml."""
        return TableView(self, queries, values)

    # -- the object ---------------------------------------------------------------------

    def __iter__(self):
        raise TypeError("a table cannot be iterated: iterate over table.search() for its rows")

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return (self._name, self._conditions) == (other._name, other._conditions)

    def __hash__(self):
        return hash(self._name)

    def _wb_encode(self):
        from anvil._serialize import SerializationError

        raise SerializationError(
            "tables and views cannot be passed to or from client code in Widgetbox: return "
            "rows or search results, or give the table client access in tables.yaml"
        )

    def __repr__(self):
        return f"<anvil.tables.Table: {self._name}>"


class TableView(Table):
    """A table restricted to the rows matching some conditions: searches and gets see only
    those rows, and rows added through it get its column values.

    Whether a given row is in the view (`get_by_id`, `has_row`) is checked here, so only for
    restrictions by column values (`name=value`), not by query operators."""

    def __init__(self, table, queries, values):
        Table.__init__(self, table._name, table._app)
        conditions = list(table._conditions)
        conditions += [q.condition(query) for query in queries]
        conditions += [q.column_condition(column, value) for column, value in values.items()]
        self._conditions = tuple(conditions)
        self._fixed = dict(getattr(table, "_fixed", {}))
        plain = not queries and not any(isinstance(v, q._Query) for v in values.values())
        self._checkable = getattr(table, "_checkable", True) and plain
        if plain:
            self._fixed.update(values)

    def _need_checkable(self, what):
        if not self._checkable:
            raise TableError(
                f"{what} through a view needs a view restricted by column values (name=value) "
                "only; this one has query operators"
            )

    def _with_fixed(self, values):
        self._need_checkable("Adding rows")
        values = dict(values)
        for column, fixed in self._fixed.items():
            if column in values and values[column] != fixed:
                raise TableError(f"the value of '{column}' does not match this view")
            values[column] = fixed
        return values

    def _holds(self, row):
        self._need_checkable("Looking rows up by id")
        full = row._full()
        return all(full.get(column) == fixed for column, fixed in self._fixed.items())

    def add_row(self, **values):
        return Table.add_row(self, **self._with_fixed(values))

    def add_rows(self, rows):
        return Table.add_rows(self, [self._with_fixed(dict(row)) for row in rows])

    def get_by_id(self, row_id, fetch=None):
        row = Table.get_by_id(self, row_id, fetch)
        return row if row is not None and self._holds(row) else None

    def delete_all_rows(self):
        raise TableError("delete_all_rows() cannot be called on a view")

    def __hash__(self):
        return hash((self._name, len(self._conditions)))

    def __repr__(self):
        return f"<anvil.tables view of {self._name}>"
