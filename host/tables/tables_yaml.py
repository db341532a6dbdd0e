"""A widget's `tables.yaml`: its Data Tables, their columns and who may use them from the
browser. The shape is Anvil's own `db_schema`:

    auto_create_columns: true        # optional; writing an unknown column creates it
    tables:
      people:
        client: none                 # none | search | full (what browser code may do)
        server: full                 # server code always has full access
        columns:
          - {name: name, type: string}
          - {name: manager, type: link_single, target: people}

Anvil's `anvil.yaml` forms are read too, so a `db_schema` can be pasted in: the same map
under `db_schema:` instead of `tables:`, and the older list of tables (`python_name`,
`access: {client, server, table_id}`, `columns` as a list or as a map by column id, links as
`liveObject`/`liveObjectArray` with a `table_id`). Keys Anvil writes that mean nothing here
(`title`, `admin_ui`, `client_hidden`, `indexes`, ids) are accepted and ignored.

`parse` lists every problem at once, each with where it is, in one SchemaError. It never
walks a value it does not expect (YAML aliases can make small text stand for a huge tree),
and never shows one but by its type, so its work is linear in the text."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

SCHEMA_FILE = "tables.yaml"
"""The widget file that holds the schema."""

COLUMN_TYPES = (
    "string",
    "number",
    "bool",
    "date",
    "datetime",
    "simpleObject",
    "media",
    "link_single",
    "link_multiple",
)
LINK_TYPES = ("link_single", "link_multiple")
ACCESS = ("none", "search", "full")

MAX_TEXT = 1_000_000
"""Characters of `tables.yaml` read at most."""
MAX_TABLES = 100
MAX_COLUMNS = 200
"""Columns per table (SQLite allows 2,000; every scalar column also has an index)."""
MAX_COLUMN_NAME = 100
TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""A Python identifier (`app_tables.<name>`), at most 64 characters (`fullmatch`)."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_OLD_TYPES = {"liveObject": "link_single", "liveObjectArray": "link_multiple"}
_TABLE_KEYS = {"client", "server", "columns"}
_TABLE_IGNORED = {"title", "indexes", "id", "name", "python_name", "access", "table_id"}
_COLUMN_KEYS = {"name", "type", "target"}
_COLUMN_IGNORED = {"admin_ui", "client_hidden", "table_id", "backend", "id"}

# libyaml's parser when PyYAML was built with it: the same results, much faster
_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    target: str | None = None
    """The linked table's name, for `link_single` and `link_multiple`."""


@dataclass(frozen=True)
class TableSpec:
    name: str
    client: str = "none"
    columns: tuple[ColumnSpec, ...] = ()


@dataclass(frozen=True)
class Schema:
    tables: Mapping[str, TableSpec] = field(default_factory=dict)
    auto_create: bool = True
    digest: str = ""
    """sha256 of the text it was read from: equal digests, equal schemas."""


class SchemaError(ValueError):
    """`tables.yaml` cannot be used; `problems` lists each problem with where it is."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{SCHEMA_FILE} has {_count(len(problems), 'problem')}:\n{listed}")


EMPTY = Schema(digest=hashlib.sha256(b"").hexdigest())
"""A widget without `tables.yaml`: no tables (auto-created columns need a table)."""


def parse(text: str | None) -> Schema:
    """The schema `text` describes (None or blank: no tables); SchemaError otherwise."""
    if text is None or not text.strip():
        return EMPTY
    return _parse(text)


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> Schema:
    # Cached by text: every run reads its widget's schema, and most runs of a widget share it.
    if len(text) > MAX_TEXT:
        raise SchemaError([f"it is longer than {MAX_TEXT:,} characters"])
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as e:
        raise SchemaError([_yaml_problem(e)]) from None
    except yaml.YAMLError as e:
        raise SchemaError([f"it is not valid YAML ({type(e).__name__})"]) from None
    reader = _Reader()
    schema = reader.document(document)
    if reader.problems:
        raise SchemaError(reader.problems)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return Schema(schema.tables, schema.auto_create, digest)


def _yaml_problem(e: yaml.MarkedYAMLError) -> str:
    mark = e.problem_mark or e.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{e.problem or e.context or 'not valid YAML'}"


class _Reader:
    """Reads a loaded document, collecting problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.names: set[Any] = set()
        """The schema's table names (what a link's target may be)."""

    def problem(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}" if where else what)

    def document(self, document: Any) -> Schema:
        if document is None:
            return EMPTY
        if isinstance(document, list):  # Anvil's older db_schema, pasted on its own
            return Schema(self.old_tables(document, "db_schema"))
        if not isinstance(document, dict):
            self.problem("", f"the file holds {_kind(document)}, not a map with `tables:`")
            return EMPTY
        auto_create = True
        if "auto_create_columns" in document:
            auto_create = self.boolean(document["auto_create_columns"], "auto_create_columns")
        for key in document:
            if key not in ("tables", "db_schema", "auto_create_columns"):
                self.problem(_show_key(key), "unknown key (expected `tables:`)")
        if "tables" in document and "db_schema" in document:
            self.problem("db_schema", "give the tables once, under `tables:`")
        key = "tables" if "tables" in document else "db_schema"
        tables = document.get(key)
        if tables is None:
            return Schema({}, auto_create)
        if isinstance(tables, list):
            return Schema(self.old_tables(tables, key), auto_create)
        if not isinstance(tables, dict):
            self.problem(key, f"expected a map of tables by name, not {_kind(tables)}")
            return Schema({}, auto_create)
        found = {}
        self.names = set(tables)
        for name, table in tables.items():
            where = f"{key}.{_show_key(name)}"
            if self.table_name(name, where):
                found[name] = self.table(name, table, where)
        self.check_all(found, key)
        return Schema(found, auto_create)

    # -- the map form ------------------------------------------------------------------------

    def table(self, name: str, table: Any, where: str) -> TableSpec:
        if not isinstance(table, dict):
            self.problem(where, f"expected a map (client, server, columns), not {_kind(table)}")
            return TableSpec(name)
        for key in table:
            if key not in _TABLE_KEYS | _TABLE_IGNORED:
                self.problem(f"{where}.{_show_key(key)}", "unknown key")
        client = self.access(table.get("client", "none"), f"{where}.client")
        self.access(table.get("server", "full"), f"{where}.server")
        columns = table.get("columns", [])
        if isinstance(columns, dict):  # keyed by column id, as Anvil's older files have them
            columns = list(columns.values())
        if not isinstance(columns, list):
            self.problem(f"{where}.columns", f"expected a list of columns, not {_kind(columns)}")
            return TableSpec(name, client)
        return TableSpec(name, client, self.columns(columns, f"{where}.columns", {}))

    def columns(
        self, columns: list[Any], where: str, table_ids: Mapping[Any, str]
    ) -> tuple[ColumnSpec, ...]:
        if len(columns) > MAX_COLUMNS:
            self.problem(where, f"a table has at most {MAX_COLUMNS} columns")
            columns = columns[:MAX_COLUMNS]
        found: list[ColumnSpec] = []
        names: set[str] = set()
        for index, column in enumerate(columns):
            spec = self.column(column, f"{where}[{index}]", table_ids)
            if spec is None:
                continue
            if spec.name in names:
                self.problem(f"{where}[{index}].name", f"a second column named {spec.name!r}")
                continue
            names.add(spec.name)
            found.append(spec)
        return tuple(found)

    def column(self, column: Any, where: str, table_ids: Mapping[Any, str]) -> ColumnSpec | None:
        if not isinstance(column, dict):
            self.problem(where, f"expected a map (name, type), not {_kind(column)}")
            return None
        for key in column:
            if key not in _COLUMN_KEYS | _COLUMN_IGNORED:
                self.problem(f"{where}.{_show_key(key)}", "unknown key")
        name = column.get("name")
        good_name = self.column_name(name, f"{where}.name")
        kind = column.get("type")
        target = column.get("target")
        if isinstance(kind, str) and kind in _OLD_TYPES:
            kind = _OLD_TYPES[kind]
            if target is None and "table_id" in column:
                target = table_ids.get(column["table_id"])
                if target is None:
                    self.problem(f"{where}.table_id", "no table in the schema has this id")
                    return None
        if not isinstance(kind, str) or kind not in COLUMN_TYPES:
            shown = repr(kind) if isinstance(kind, str) else _kind(kind)
            self.problem(
                f"{where}.type", f"{_cut(shown)} is not a column type ({', '.join(COLUMN_TYPES)})"
            )
            return None
        if kind in LINK_TYPES:
            if not isinstance(target, str) or not target:
                self.problem(f"{where}.target", f"a {kind} column names the table it links to")
                return None
            if target not in self.names:
                self.problem(
                    f"{where}.target", f"no table named {_cut(repr(target))} in the schema"
                )
                return None
        elif target is not None:
            self.problem(f"{where}.target", f"only links have a target, and this is a {kind}")
        if not good_name:
            return None
        assert isinstance(name, str)
        return ColumnSpec(name, kind, target if kind in LINK_TYPES else None)

    # -- Anvil's older list form -------------------------------------------------------------

    def old_tables(self, tables: list[Any], key: str) -> dict[str, TableSpec]:
        named: list[tuple[str, str, dict[Any, Any]]] = []
        table_ids: dict[Any, str] = {}
        for index, table in enumerate(tables):
            where = f"{key}[{index}]"
            if not isinstance(table, dict):
                self.problem(
                    where, f"expected a map (python_name, access, columns), not {_kind(table)}"
                )
                continue
            access = table.get("access") if isinstance(table.get("access"), dict) else {}
            assert isinstance(access, dict)
            name = table.get("python_name", access.get("python_name", table.get("name")))
            if not self.table_name(name, f"{where}.python_name"):
                continue
            assert isinstance(name, str)
            for id_key in (table.get("id"), access.get("table_id")):
                if isinstance(id_key, (int, str)) and not isinstance(id_key, bool):
                    table_ids[id_key] = name
                    table_ids[str(id_key)] = name
            named.append((name, where, table))
        found: dict[str, TableSpec] = {}
        self.names = {name for name, _where, _table in named}
        for name, where, table in named:
            if name in found:
                self.problem(f"{where}.python_name", f"a second table named {name!r}")
                continue
            access = table.get("access") if isinstance(table.get("access"), dict) else {}
            assert isinstance(access, dict)
            merged = {**table, **{k: access[k] for k in ("client", "server") if k in access}}
            for k in merged:
                if k not in _TABLE_KEYS | _TABLE_IGNORED:
                    self.problem(f"{where}.{_show_key(k)}", "unknown key")
            client = self.access(merged.get("client", "none"), f"{where}.client")
            self.access(merged.get("server", "full"), f"{where}.server")
            columns = merged.get("columns", [])
            if isinstance(columns, dict):
                columns = list(columns.values())
            if not isinstance(columns, list):
                self.problem(f"{where}.columns", f"expected columns, not {_kind(columns)}")
                columns = []
            found[name] = TableSpec(
                name, client, self.columns(columns, f"{where}.columns", table_ids)
            )
        self.check_all(found, key)
        return found

    # -- checks ------------------------------------------------------------------------------

    def check_all(self, tables: dict[str, TableSpec], where: str) -> None:
        if len(tables) > MAX_TABLES:
            self.problem(where, f"at most {MAX_TABLES} tables")

    def table_name(self, name: Any, where: str) -> bool:
        if isinstance(name, str) and TABLE_NAME.fullmatch(name):
            return True
        shown = _cut(repr(name)) if isinstance(name, str) else _kind(name)
        self.problem(
            where,
            f"{shown} is not a table name (a Python name: letters, digits and '_', "
            "not starting with a digit, at most 64 characters)",
        )
        return False

    def column_name(self, name: Any, where: str) -> bool:
        if not isinstance(name, str) or not name:
            self.problem(where, f"a column's name is text, not {_kind(name)}")
            return False
        if len(name) > MAX_COLUMN_NAME:
            self.problem(where, f"a column's name is at most {MAX_COLUMN_NAME} characters")
            return False
        if _CONTROL.search(name):
            self.problem(where, "a column's name has no control characters")
            return False
        return True

    def access(self, value: Any, where: str) -> str:
        if isinstance(value, str) and value in ACCESS:
            return value
        shown = _cut(repr(value)) if isinstance(value, str) else _kind(value)
        self.problem(where, f"{shown} is not an access level (none, search or full)")
        return "none"

    def boolean(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        self.problem(where, f"expected true or false, not {_kind(value)}")
        return True


def _kind(value: Any) -> str:
    """A value by its type only: never its repr, which may be huge (aliases)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}" if abs(value) < 1e15 else "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    return f"a {type(value).__name__}"


def _show_key(key: Any) -> str:
    return _cut(key) if isinstance(key, str) else f"<{_kind(key)}>"


def _cut(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def dump(schema: Schema) -> str:
    """`schema` as `tables.yaml` text in the map form (what `parse` reads back equal)."""
    tables: dict[str, Any] = {}
    for name, table in schema.tables.items():
        columns: list[dict[str, str]] = []
        for column in table.columns:
            entry = {"name": column.name, "type": column.type}
            if column.target is not None:
                entry["target"] = column.target
            columns.append(entry)
        tables[name] = {"client": table.client, "server": "full", "columns": columns}
    document: dict[str, Any] = {}
    if not schema.auto_create:
        document["auto_create_columns"] = False
    document["tables"] = tables
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
