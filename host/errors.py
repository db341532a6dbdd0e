"""Domain errors: what Widgetbox's rules refuse, in Widgetbox's words, with no HTTP in them.

Domain code (accounts, widgets, runs, schedules, secrets, packages, GUI designs) raises
these; `web/errors.py` is the one place that turns them into answers: the JSON error shape,
the error page, a widget API's answer and a GUI app's server-call answer.

Each carries a `code`, stable for programs (`version_conflict`, `slug_taken`), a `message`
written for the person who caused it (never host internals), optional `details` (data a
client can use, such as both versions of a conflict) and, for refusals that pass, the
seconds after which trying again makes sense (`retry_after`).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Something Widgetbox's rules refuse."""

    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
        self.retry_after = retry_after


class NotFound(DomainError):
    """There is no such thing, or the viewer may not know it exists."""


class Moved(DomainError):
    """It lives at another address now: `old` was a widget's address (slug), `new` is its
    current one. Answered with a permanent redirect to the same URL at the new address."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__("moved", f"The widget {old!r} is now at {new!r}.", {"slug": new})
        self.old = old
        self.new = new


class LoginRequired(DomainError):
    """Only a signed-in person may do this."""


class BadCredentials(DomainError):
    """The username or password is wrong."""


class Forbidden(DomainError):
    """The viewer may see this but not do it (not the owner, not the admin, sign-up closed)."""


class Conflict(DomainError):
    """It clashes with what is there: a name taken, a version saved meanwhile."""


class Invalid(DomainError):
    """A value breaks a rule (the message says which)."""


class Malformed(DomainError):
    """What was sent is not well-formed (a design that is not one, by its file and place)."""


class TooMany(DomainError):
    """One person asked for too much at once (too many runs waiting); try again later."""


class Busy(DomainError):
    """Widgetbox cannot take this now (every slot busy, the queue full); try again later."""


DISK_FULL_RETRY_AFTER = 30
"""Seconds a client is told to wait before trying again while the disk is full."""


class DiskFull(DomainError):
    """The server's disk is full: a change could not be stored, or work could not start
    because it could not be recorded (`could_not_start`). Nothing else was changed."""

    def __init__(
        self, what: str = "this change could not be saved", *, could_not_start: bool = False
    ) -> None:
        super().__init__(
            "disk_full",
            f"The server's disk is full: {what}. Nothing else was changed; free some space on "
            "the server (or ask its administrator to) and try again.",
            retry_after=DISK_FULL_RETRY_AFTER,
        )
        self.could_not_start = could_not_start
