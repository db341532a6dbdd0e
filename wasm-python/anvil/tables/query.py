"""`anvil.tables.query`, imported as `q`: the query operators of Anvil's Data Tables.

`app_tables.people.search(age=q.greater_than(18), name=q.ilike("j%"))`: an operator is the
value of a column; `any_of`, `all_of` and `none_of` (`not_`) combine operators for one column
(`age=q.any_of(q.less_than(5), q.greater_than(60))`) or conditions on several columns
(`q.any_of(name="Ann", age=q.greater_than(60))`). `fetch_only` and `page_size` are options
given to `search()` among its positional arguments.

Each operator makes its node of the query tree the host runs (tables-design.md section 3).
"""

from anvil.tables._errors import TableError
from anvil.tables._row import encode_value

__all__ = [
    "all_of",
    "any_of",
    "between",
    "fetch_only",
    "full_text_match",
    "greater_than",
    "greater_than_or_equal_to",
    "ilike",
    "less_than",
    "less_than_or_equal_to",
    "like",
    "none_of",
    "not_",
    "only_cols",
    "page_size",
]


class _Query:
    """An operator; `_tree(column)` makes its node (`column` None at the top of a search)."""

    def _key(self):
        raise NotImplementedError

    def _tree(self, column):
        raise NotImplementedError

    def _needs_column(self, column):
        if column is None:
            name = type(self).__name__
            raise TableError(
                f"q.{name}() must be the value of a column, as in search(column=q.{name}(...))"
            )

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()

    def __ne__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._key() != other._key()

    def __hash__(self):
        return hash((type(self).__name__, self._key()))

    def __repr__(self):
        return f"q.{type(self).__name__}{self._key()!r}"


class _ValueQuery(_Query):
    _op = ""

    def __init__(self, value):
        self.value = value

    def _key(self):
        return (self.value,)

    def _tree(self, column):
        self._needs_column(column)
        return {self._op: [column, encode_value(self.value)]}


class greater_than(_ValueQuery):
    """Match values greater than `value`."""

    _op = "gt"


class less_than(_ValueQuery):
    """Match values less than `value`."""

    _op = "lt"


class greater_than_or_equal_to(_ValueQuery):
    """Match values greater than or equal to `value`."""

    _op = "ge"


class less_than_or_equal_to(_ValueQuery):
    """Match values less than or equal to `value`."""

    _op = "le"


class between(_Query):
    """Match values from `min` to `max`: by default including `min` and excluding `max`."""

    def __init__(self, min, max, min_inclusive=True, max_inclusive=False):
        self.min = min
        self.max = max
        self.min_inclusive = bool(min_inclusive)
        self.max_inclusive = bool(max_inclusive)

    def _key(self):
        return (self.min, self.max, self.min_inclusive, self.max_inclusive)

    def _tree(self, column):
        self._needs_column(column)
        low, high = encode_value(self.min), encode_value(self.max)
        return {"between": [column, low, high, self.min_inclusive, self.max_inclusive]}


class _PatternQuery(_Query):
    _op = ""

    def __init__(self, pattern):
        self.pattern = pattern

    def _key(self):
        return (self.pattern,)

    def _tree(self, column):
        self._needs_column(column)
        return {self._op: [column, encode_value(self.pattern)]}


class like(_PatternQuery):
    """Match strings with SQL's LIKE, case-sensitively: `%` any run of characters, `_` one."""

    _op = "like"


class ilike(_PatternQuery):
    """Match strings with SQL's LIKE, ignoring case."""

    _op = "ilike"


class full_text_match(_Query):
    """Match text containing the words of `query` (every word, any form); with `raw=True`,
    `query` is given to the full-text engine as it is."""

    def __init__(self, query, raw=False):
        self.query = query
        self.raw = bool(raw)

    def _key(self):
        return (self.query, self.raw)

    def _tree(self, column):
        self._needs_column(column)
        return {"fts": [column, encode_value(self.query), self.raw]}


class _Combination(_Query):
    _op = ""

    def __init__(self, *query_expressions, **column_values):
        self.args = query_expressions
        self.kwargs = column_values

    def _key(self):
        return (self.args, tuple(sorted(self.kwargs.items())))

    def _tree(self, column):
        if column is None:
            children = [condition(arg) for arg in self.args]
            children += [column_condition(name, value) for name, value in self.kwargs.items()]
        else:
            if self.kwargs:
                raise TableError(
                    f"q.{type(self).__name__}() cannot take keyword arguments when it is the "
                    f"value of the column '{column}'"
                )
            children = [column_condition(column, arg) for arg in self.args]
        return {self._op: children}


class all_of(_Combination):
    """Match when every condition given matches."""

    _op = "all"


class any_of(_Combination):
    """Match when at least one condition given matches."""

    _op = "any"


class none_of(_Combination):
    """Match when no condition given matches."""

    _op = "none"


not_ = none_of


class page_size:
    """A `search()` option: how many rows each round trip to the server fetches."""

    def __init__(self, rows):
        if type(rows) is not int or rows < 1:
            raise TableError("Page size must be a positive number.")
        self.rows = rows

    def __eq__(self, other):
        return isinstance(other, page_size) and other.rows == self.rows

    def __hash__(self):
        return hash(("page_size", self.rows))


class fetch_only:
    """A `search()` option: fetch only these columns with the rows (the others are fetched
    when read). `fetch_only("name", group=q.fetch_only("title"))` names a link's columns too."""

    def __init__(self, *only_cols, **linked_cols):
        spec = {}
        for column in only_cols:
            if not isinstance(column, str):
                raise TypeError("q.fetch_only() takes column names (strings)")
            spec[column] = True
        for column, only in linked_cols.items():
            if not isinstance(only, fetch_only):
                raise TypeError("q.fetch_only()'s keyword arguments must be q.fetch_only() too")
            spec[column] = only.spec
        self.spec = spec

    def columns(self):
        """The names of the columns to fetch (links by name: their rows are fetched later)."""
        return list(self.spec)

    def __eq__(self, other):
        return isinstance(other, fetch_only) and other.spec == self.spec

    def __hash__(self):
        return hash(("fetch_only", tuple(sorted(self.spec))))


class only_cols:
    """Anvil's column-restricted views (`table.client_readable(q.only_cols(...))`)."""

    def __init__(self, *cols):
        self.cols = tuple(sorted(cols))

    def __eq__(self, other):
        return isinstance(other, only_cols) and other.cols == self.cols

    def __hash__(self):
        return hash(("only_cols", self.cols))


# -- building the tree (used by anvil.tables) ------------------------------------------------


def column_condition(column, value):
    """The node for `column=value`: an operator, or a plain value to equal."""
    if isinstance(value, _Query):
        return value._tree(column)
    return {"eq": [column, encode_value(value)]}


def condition(arg):
    """The node for a positional condition (of `search`, `get`, or a combination at the top)."""
    if isinstance(arg, _Query):
        return arg._tree(None)
    raise TableError(
        f"Invalid query: {type(arg).__name__} is not a query; give column values as keyword "
        "arguments (name=value) or combine them with q.any_of(), q.all_of() or q.none_of()"
    )


def combine(nodes):
    """One node matching when all `nodes` match (`{"all": []}` matches every row)."""
    if len(nodes) == 1:
        return nodes[0]
    return {"all": list(nodes)}
