"""A course's work taken away (teachers): the grid as CSV, and every submission that counts
as a zip of plain folders, one per assignment and student, each the submitted version's
files with `.widgetbox.toml` (`transfer/folders.py`, so `widgetbox import` takes any of them
back), and the grid's CSV beside them."""

from __future__ import annotations

import csv
import io

import sqlite_utils

from widgetbox.host.courses.grid import Grid
from widgetbox.host.transfer import folders, trees
from widgetbox.host.widgets import records as widgets

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell a spreadsheet would take for a formula: a student's name is theirs to choose."""


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def grid_csv(grid: Grid) -> str:
    """One line per student; for each assignment its status, the submitted version and
    when, the check score and the last run's status."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["name", "username"]
    for a in grid.assignments:
        header += [
            f"{a.title}: status",
            f"{a.title}: version",
            f"{a.title}: submitted at",
            f"{a.title}: check score",
            f"{a.title}: last run",
        ]
    writer.writerow([_cell(h) for h in header])
    for row in grid.rows:
        line: list[object] = [row.name, row.username]
        for c in row.cells:
            line += [c.status, c.version, c.submitted_at, c.score, c.last_run]
        writer.writerow([_cell(value) for value in line])
    return out.getvalue()


def submitted(grid: Grid) -> list[tuple[str, str, int]]:
    """Each submission that counts: its folder in the archive (`NN-assignment/username/`),
    the copy's slug and the version."""
    found = []
    for index, assignment in enumerate(grid.assignments):
        folder = f"{index + 1:02d}-{widgets.slugify(assignment.title)}"
        for row in sorted(grid.rows, key=lambda row: row.username):
            cell = row.cells[index]
            if cell.version is not None and cell.copy is not None:
                found.append((f"{folder}/{row.username}/", cell.copy, cell.version))
    return found


def folder_of(db: sqlite_utils.Database, slug: str, version: int) -> trees.Tree | None:
    """A submitted version as a plain folder: its files and `.widgetbox.toml`."""
    widget = widgets.find(db, slug)
    if widget is None:
        return None
    files = widgets.version(db, widget, version).files
    meta = folders.Meta(widget.kind, widget.title, "private", widget.slug)
    try:
        return folders.folder_tree(meta, files)
    except folders.FolderError:  # it has a file named like the metadata: its files only
        return trees.tree_of(files)
