"""What an import found: every line at once, each with its file and place.

- `error`: what stops the import (nothing is created): an unreadable `anvil.yaml`, files
  past the limits, a design Widgetbox would refuse to save.
- `warning`: what was not imported or will not work as in Anvil (an unknown service, a
  dependency, a function only an Uplink provides, a component Widgetbox does not draw).
- `info`: what was done with a part of the app (the Data Tables schema went to `tables.yaml`,
  a scheduled task became the widget's schedule).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from widgetbox.host.errors import Malformed
from widgetbox.host.gui.findings import Finding

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Line:
    level: Level
    file: str
    """The file it is about ("" for the app as a whole)."""
    where: str
    """The place in the file: a key (`services[2]`), a component, a line; or ""."""
    message: str

    @property
    def text(self) -> str:
        place = ": ".join(part for part in (self.file, self.where) if part)
        return (
            f"{self.level}: {place}: {self.message}" if place else f"{self.level}: {self.message}"
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "level": self.level,
            "file": self.file,
            "where": self.where,
            "message": self.message,
        }


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)

    def add(self, level: Level, file: str, where: str, message: str) -> None:
        self.lines.append(Line(level, file, where, message))

    def error(self, file: str, where: str, message: str) -> None:
        self.add("error", file, where, message)

    def warning(self, file: str, where: str, message: str) -> None:
        self.add("warning", file, where, message)

    def info(self, file: str, where: str, message: str) -> None:
        self.add("info", file, where, message)

    def findings(self, level: Level, found: Iterable[Finding]) -> None:
        for finding in found:
            self.add(level, finding.file, finding.where, finding.problem)

    @property
    def errors(self) -> list[Line]:
        return [line for line in self.lines if line.level == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted(self) -> list[Line]:
        """Errors first, then warnings, then the rest; each in the order found."""
        return sorted(self.lines, key=lambda line: LEVELS.index(line.level))

    def as_list(self) -> list[dict[str, str]]:
        return [line.as_dict() for line in self.sorted()]


class ImportRefused(Malformed):
    """The app cannot be imported: `report` holds every line, the errors first."""

    def __init__(self, report: Report, code: str = "cannot_import") -> None:
        self.report = report
        errors = report.errors
        listed = "; ".join(line.text.removeprefix("error: ") for line in errors[:10])
        more = f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""
        count = f"{len(errors)} problems" if len(errors) != 1 else "1 problem"
        super().__init__(
            code,
            f"Nothing was imported ({count}): {listed}{more}",
            {
                "problems": [line.as_dict() for line in errors],
                "report": report.as_list(),
            },
        )
