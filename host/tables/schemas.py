"""The Data Tables API's message shapes (msgspec structs: checked on the way in, described in
the OpenAPI document). Values are in the wire form of `values.py`: JSON, with
`{"$wb": "date"|"datetime"|"row"|"media"|"dict", "v": ...}` for what JSON has no type for."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from widgetbox.host.tables.tables_yaml import MAX_COLUMN_NAME

Access = Literal["none", "search", "full"]
ColumnType = Literal[
    "string",
    "number",
    "bool",
    "date",
    "datetime",
    "simpleObject",
    "media",
    "link_single",
    "link_multiple",
]
TableName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
ColumnName = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_COLUMN_NAME)]
Values = Annotated[
    dict[str, Any],
    msgspec.Meta(description="Column name -> value in the wire form (see the module's doc)"),
]
Cells = Annotated[
    dict[str, str],
    msgspec.Meta(description="Column name -> the value as text, read as a CSV cell is"),
]


class ColumnOut(msgspec.Struct):
    name: str
    type: ColumnType
    target: str | None
    """The linked table, for link columns."""


class TableOut(msgspec.Struct):
    name: str
    client: Access
    """What client code in the browser may do: none, search, or full (search, edit, delete)."""
    columns: list[ColumnOut]
    rows: int


class TablesOut(msgspec.Struct):
    version: int
    """The widget's latest version (whose `tables.yaml` this is)."""
    auto_create: bool
    """Whether writing an unknown column creates it (Anvil's "auto-create missing columns")."""
    tables: list[TableOut]
    problems: list[str]
    """What is wrong with `tables.yaml` when it cannot be read (then `tables` is empty)."""


class NewTable(msgspec.Struct, forbid_unknown_fields=True):
    name: TableName
    client: Access = "none"


class TableChanges(msgspec.Struct, forbid_unknown_fields=True):
    name: TableName | None = None
    client: Access | None = None


class Settings(msgspec.Struct, forbid_unknown_fields=True):
    auto_create: bool


class NewColumn(msgspec.Struct, forbid_unknown_fields=True):
    name: ColumnName
    type: ColumnType
    target: TableName | None = None


class ColumnChanges(msgspec.Struct, forbid_unknown_fields=True):
    name: ColumnName | None = None
    type: ColumnType | None = None
    target: TableName | None = None


class RowOut(msgspec.Struct):
    id: int
    """The row's number in its table (what the row URLs take)."""
    ref: str
    """The row's id as Anvil shows it (`row.get_id()`), `[table_id,row_id]`."""
    values: Values
    text: dict[str, str]
    """Each value as text, as the grid and CSV export show it."""


class RowsOut(msgspec.Struct):
    rows: list[RowOut]
    total: int
    offset: int
    limit: int
    order: str | None
    descending: bool


class RowIn(msgspec.Struct, forbid_unknown_fields=True):
    """Give values in their wire form (`values`), or as text read per column (`text`); a
    column named in both takes `values`. Columns left out keep their value (a new row:
    empty)."""

    values: Values = msgspec.field(default_factory=dict)
    text: Cells = msgspec.field(default_factory=dict)


class CsvIn(msgspec.Struct, forbid_unknown_fields=True):
    csv: Annotated[str, msgspec.Meta(description="The CSV text; its first line names columns")]


class Imported(msgspec.Struct):
    added: int
