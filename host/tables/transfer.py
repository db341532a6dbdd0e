"""CSV in and out of a table. Import reads every line before anything is written: the
columns are mapped by the header's names, every cell is read into its column's type
(`cells.read_cell`), and when anything does not fit, every problem is listed by line and
nothing is added (all or nothing). A cell holds at most 128 KiB (the csv module's limit).
Export writes the header and then each row's cells as
`cells.cell_text` shows them, which import reads back the same."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from widgetbox.host.errors import Invalid
from widgetbox.host.tables.cells import NOT_IMPORTABLE, CellError, cell_text, read_cell

MAX_ROWS = 100_000
"""Rows one import may add."""
MAX_PROBLEMS = 100
"""Problems an answer lists (the count says how many there were in all)."""


@dataclass(frozen=True)
class Problem:
    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"


def read_csv(text: str, columns: Mapping[str, str], table: str) -> list[dict[str, Any]]:
    """The rows (column name -> wire value) of CSV `text` for a table with `columns` (name ->
    type); 422 `invalid_csv` listing every problem by line when any line does not fit."""
    problems: list[Problem] = []
    rows: list[dict[str, Any]] = []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    header: list[str] | None = None
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or record == [""]:
                continue  # a blank line
            if header is None:
                header = _header(record, columns, table, line, problems)
                continue
            if len(rows) >= MAX_ROWS:
                problems.append(Problem(line, None, f"an import adds at most {MAX_ROWS:,} rows"))
                break
            rows.append(_row(record, header, columns, line, problems))
    except csv.Error as e:
        problems.append(Problem(reader.line_num or 1, None, f"this is not valid CSV ({e})"))
    if header is None and not problems:
        problems.append(Problem(1, None, "the file is empty: its first line names the columns"))
    if problems:
        raise invalid(problems)
    return rows


def _header(
    record: list[str], columns: Mapping[str, str], table: str, line: int, problems: list[Problem]
) -> list[str]:
    names = [name.strip() for name in record]
    seen: set[str] = set()
    for name in names:
        if not name:
            problems.append(Problem(line, None, "a column has no name in the header"))
        elif name in seen:
            problems.append(Problem(line, name, "this column is named twice"))
        elif name not in columns:
            problems.append(Problem(line, name, f"table {table!r} has no such column"))
        elif columns[name] in NOT_IMPORTABLE:
            problems.append(
                Problem(line, name, f"{columns[name]} columns cannot be imported; leave it out")
            )
        seen.add(name)
    return names


def _row(
    record: list[str],
    header: list[str],
    columns: Mapping[str, str],
    line: int,
    problems: list[Problem],
) -> dict[str, Any]:
    if len(record) != len(header):
        problems.append(
            Problem(line, None, f"{len(record)} values, but the header names {len(header)} columns")
        )
        return {}
    row: dict[str, Any] = {}
    for name, text in zip(header, record, strict=True):
        kind = columns.get(name)
        if kind is None or kind in NOT_IMPORTABLE:
            continue  # reported with the header
        try:
            row[name] = read_cell(kind, text)
        except CellError as e:
            problems.append(Problem(line, name, str(e)))
    return row


def line_of_row(text: str, index: int) -> int:
    """The line where data row `index` (0-based, after the header) starts."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    start, seen = 1, -1
    for record in reader:
        line, start = start, reader.line_num + 1
        if not record or record == [""]:
            continue
        if seen == index:
            return line
        seen += 1
    return start


def invalid(problems: list[Problem]) -> Invalid:
    shown = problems[:MAX_PROBLEMS]
    first = "; ".join(str(p) for p in shown[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return Invalid(
        "invalid_csv",
        f"Nothing was imported: {len(problems)} problem{'s' if len(problems) != 1 else ''}: "
        f"{first}{more}.",
        {"problems": [p.as_dict() for p in shown], "count": len(problems)},
    )


def write_csv(columns: Mapping[str, str], records: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The CSV text of `records` (column name -> wire value), in chunks of about 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(columns))
    for record in records:
        writer.writerow([cell_text(kind, record.get(name)) for name, kind in columns.items()])
        if buffer.tell() >= 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
