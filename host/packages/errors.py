"""What can go wrong with a widget's packages, as exceptions whose message is written for the
widget's owner (it is shown in the IDE as it is)."""

from __future__ import annotations

from typing import Literal


class PackageError(Exception):
    """The requirements cannot be resolved or installed; `message` says which package and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RequirementsError(PackageError):
    """A line of the requirements is not a plain requirement from the package index."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"requirements.txt line {line}: {message}")
        self.line = line


class LimitExceeded(PackageError):
    """An install hit one of its limits: `limit` is "size" (bytes downloaded) or "time"."""

    def __init__(self, limit: Literal["size", "time"], message: str) -> None:
        super().__init__(message)
        self.limit = limit


class Cancelled(PackageError):
    """The install was stopped because Widgetbox is shutting down."""

    def __init__(self) -> None:
        super().__init__("The install was interrupted by a restart of Widgetbox.")
