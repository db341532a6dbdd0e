"""The bridge handler `email.send`: the email `anvil.email.send` asks for, checked
(`request.py`), counted against the run's widget's daily cap (`records.py`), written and sent
through the SMTP server of the `[email]` settings (`sender.py`) before the bridge gives up on
the call. `register` offers it on a `Bridge` and returns it.

It answers `{"message_id"}`; refusals are `HostCallError`s the guest raises as
`anvil.email.SendFailure`: `NotConfigured` (no `[email]` settings), `NotFound` (a run
without a widget), `BadRequest` (a field, by name), `LimitExceeded` (the daily cap),
`SendFailure` and `Timeout` (the SMTP server's refusal or silence). Addresses, subjects and
contents are never logged: a send is logged with its widget, its recipients' number and its
Message-ID.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from widgetbox.host.email.addresses import AddressError, Mailbox, parse_mailbox
from widgetbox.host.email.records import day_of, give_back, take_send
from widgetbox.host.email.request import parse_request
from widgetbox.host.email.sender import SendError, SmtpSender, build_message, new_message_id
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.full_disk import is_disk_full
from widgetbox.host.storage.times import now
from widgetbox.runtime import Bridge, HostCall, HostCallError

if TYPE_CHECKING:
    from widgetbox.host.config import EmailSettings

log = logging.getLogger("widgetbox.host.email")

T = TypeVar("T")

OP = "email.send"
"""The bridge operation `anvil.email.send` calls."""

NOT_CONFIGURED = (
    "Email is not configured on this server: its administrator has to set the [email] "
    "settings (email_host and email_from) before widgets can send email."
)


class EmailHandler:
    """`email.send` for the run's widget (`call.context["widget_id"]`): one per server,
    shared by every run."""

    def __init__(
        self, db: Database, settings: EmailSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.per_day = settings.email_per_widget_per_day
        """Emails one widget may send a day: the setting, or what an admin set in the app
        (`admin/limits.py`), read at every send."""
        self.default_sender: Mailbox | None = None
        self.sender: SmtpSender | None = None
        if settings.configured:
            assert settings.email_from is not None
            try:
                self.default_sender = parse_mailbox(settings.email_from)
            except AddressError as e:  # config.py checks it; this is its type's proof
                raise ValueError(f"email_from is not an address: {e}") from None
            self.sender = SmtpSender(settings, ssl_context=ssl_context)

    def __call__(self, call: HostCall, data: Any) -> dict[str, str]:
        if self.sender is None or self.default_sender is None:
            raise HostCallError("NotConfigured", NOT_CONFIGURED)
        widget_id = call.context.get("widget_id")
        if not isinstance(widget_id, int) or isinstance(widget_id, bool):
            raise HostCallError("NotFound", "Email is sent by widgets, and this run has none.")
        outgoing = parse_request(data, self.default_sender)
        moment = now()
        day = day_of(moment)
        limit = self.per_day
        if not self._count(take_send, widget_id, day, limit):
            raise HostCallError(
                "LimitExceeded",
                f"The email was not sent: this widget has sent its {limit:,} emails for today, "
                "the most this server allows a widget in a day (UTC).",
            )
        message_id = new_message_id(outgoing)
        message = build_message(outgoing, message_id, moment)
        # Answer before the bridge gives up on the call, so the guest hears why.
        timeout = call.timeout - min(0.5, call.timeout / 10)
        try:
            self.sender.send(
                message,
                self.default_sender.address,
                outgoing.recipients,
                timeout,
                helo=self.default_sender.domain,
            )
        except SendError as e:
            if not e.maybe_sent:
                with contextlib.suppress(HostCallError):  # logged; the send's error matters
                    self._count(give_back, widget_id, day)
            log.info("widget %d: an email was not sent: %s", widget_id, e.message)
            raise HostCallError(e.kind, e.message) from None
        log.info(
            "widget %d sent an email to %d recipients (%s)",
            widget_id,
            len(outgoing.recipients),
            message_id,
        )
        return {"message_id": message_id}

    def _count(self, fn: Callable[..., T], widget_id: int, *args: object) -> T:
        """`fn(db, widget_id, *args)` in a write transaction; a failure refuses the send."""
        try:
            return self.db.write_now(fn, widget_id, *args)
        except sqlite3.Error as e:
            log.exception("could not count an email of widget %d", widget_id)
            reason = "its disk is full" if is_disk_full(e) else "its database failed"
            raise HostCallError(
                "SendFailure",
                f"The email was not sent: the server could not count it against the widget's "
                f"daily limit ({reason}).",
            ) from None


def register(
    bridge: Bridge,
    db: Database,
    settings: EmailSettings,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> EmailHandler:
    """Offer `email.send` to guests on `bridge`, counting in `db` and sending as `settings`
    say (without settings it answers that email is not configured); returns the handler,
    for whoever needs it later (the bridge keeps no other way to reach it). `ssl_context`
    exists for tests."""
    handler = EmailHandler(db, settings, ssl_context=ssl_context)
    bridge.register(OP, handler)
    return handler
