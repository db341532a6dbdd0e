"""The import and export API's message shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import msgspec
from litestar.datastructures import UploadFile

from widgetbox.host.transfer.report import Report
from widgetbox.host.widgets.schemas import WidgetOut

ZIP = "application/zip"


class ReportLine(msgspec.Struct):
    level: Literal["error", "warning", "info"]
    """error: nothing was imported because of it; warning: not imported, or will not work
    as in Anvil; info: what was done."""
    file: str
    """The file it is about, "" for the app as a whole."""
    where: str
    """The place in the file (a key such as `services[2]`, a component, a line), or ""."""
    message: str


class ImportOut(msgspec.Struct):
    widget: WidgetOut
    """The widget made (private unless asked otherwise)."""
    source: Literal["anvil", "folder"]
    """An Anvil app (anvil.yaml at the top) or a widget's folder (.widgetbox.toml)."""
    report: list[ReportLine]
    """Everything the import found, errors first, then warnings, then what it did."""
    url: str
    """The widget's page in the IDE."""


def report_lines(report: Report) -> list[ReportLine]:
    return [
        ReportLine(level=line.level, file=line.file, where=line.where, message=line.message)
        for line in report.sorted()
    ]


@dataclass
class ImportForm:
    """What the import page sends (multipart/form-data)."""

    file: UploadFile | None = None
    """A zip archive of an Anvil app's folder (anvil.yaml, client_code/, server_code/,
    theme/: its git repository) or of a widget's folder (.widgetbox.toml); one top folder
    in the archive is fine. Send this or `git_url`."""
    git_url: str | None = None
    """An http(s) URL of a git repository anyone may read, holding either folder: the
    server clones its default branch's latest commit. Send this or `file`."""
    title: str | None = None
    """The widget's title (default: the app's name in anvil.yaml)."""
    slug: str | None = None
    """Its address (default: made from the title)."""
    visibility: Literal["private", "unlisted", "public"] = "private"
