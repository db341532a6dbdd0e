"""The email itself and its delivery: `build_message` writes an `Outgoing` as a MIME message
with the standard library's `email` package, and `SmtpSender` hands it to the SMTP server of
the `[email]` settings with `smtplib`, within a deadline.

The message's shape: text, or HTML, or both as `multipart/alternative`; inline attachments
beside the HTML in `multipart/related`; attachments after all that in `multipart/mixed`.
It is all 7-bit (non-ASCII text is quoted-printable or base64, names RFC 2047 words), so any
server takes it. Bcc recipients are in the envelope only, never in a header.

The delivery is all or nothing: every recipient is offered to the server before the message
is, and if it refuses any, the transaction is reset and nothing is sent. Each step's socket
timeout is what is left of the deadline. `SendError` says what went wrong in words for the
widget's owner (the SMTP server's own reply only when it concerns an address), and whether
the email may have gone anyway (`maybe_sent`: the connection failed after the message was
handed over).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import smtplib
import ssl
import time
from collections.abc import Callable
from datetime import datetime
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import TYPE_CHECKING, TypeVar

from widgetbox.host.email.request import Outgoing

if TYPE_CHECKING:
    from widgetbox.host.config import EmailSettings

log = logging.getLogger("widgetbox.host.email")

POLICY = email_policy.SMTP.clone(cte_type="7bit")
"""CRLF line ends, and nothing but 7-bit data in the message."""

T = TypeVar("T")


class SendError(Exception):
    """The email was not sent (or, with `maybe_sent`, may have been); `kind` is `Timeout` or
    `SendFailure`; the message is for the widget's owner."""

    def __init__(self, message: str, *, kind: str = "SendFailure", maybe_sent: bool = False):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.maybe_sent = maybe_sent


def new_message_id(outgoing: Outgoing) -> str:
    """A fresh Message-ID on the sender's domain."""
    return make_msgid(domain=outgoing.sender.domain)


def build_message(outgoing: Outgoing, message_id: str, date: datetime) -> EmailMessage:
    """`outgoing` as a MIME message, with its Message-ID and Date."""
    message = EmailMessage(policy=POLICY)
    message["From"] = outgoing.sender.header()
    if outgoing.to:
        message["To"] = tuple(mailbox.header() for mailbox in outgoing.to)
    if outgoing.cc:
        message["Cc"] = tuple(mailbox.header() for mailbox in outgoing.cc)
    message["Subject"] = outgoing.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if outgoing.text is not None or outgoing.html is None:
        message.set_content(outgoing.text or "")
        if outgoing.html is not None:
            message.add_alternative(outgoing.html, subtype="html")
    else:
        message.set_content(outgoing.html, subtype="html")
    if outgoing.inline:
        # the HTML (else the only body) takes its inline parts into multipart/related
        body = message
        if message.is_multipart():
            *_, last = message.iter_parts()
            assert isinstance(last, EmailMessage)
            body = last
        for part in outgoing.inline:
            body.add_related(
                part.data,
                part.maintype,
                part.subtype,
                cid=f"<{part.cid}>",
                filename=part.filename,
                disposition="inline",
                params=_params(part.charset),
            )
    for part in outgoing.attachments:
        message.add_attachment(
            part.data,
            part.maintype,
            part.subtype,
            filename=part.filename,
            params=_params(part.charset),
        )
    return message


def _params(charset: str | None) -> dict[str, str] | None:
    return {"charset": charset} if charset else None


class SmtpSender:
    """Sends messages through the SMTP server of the `[email]` settings. Safe to share
    between threads: each send has its own connection."""

    def __init__(
        self, settings: EmailSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        if settings.email_host is None:
            raise ValueError("no SMTP server is configured")
        self.host = settings.email_host
        self.port = settings.port
        self.security = settings.email_security
        self.user = settings.email_user
        self.password = None if settings.email_password is None else str(settings.email_password)
        self.ssl_context = ssl_context or ssl.create_default_context()

    def send(
        self,
        message: EmailMessage,
        envelope_from: str,
        recipients: list[str],
        timeout: float,
        helo: str,
    ) -> None:
        """Deliver `message` to `recipients` within `timeout` seconds, or raise SendError."""
        deadline = time.monotonic() + timeout
        payload = message.as_bytes()
        smtp = self._open(deadline, helo)
        try:
            self._transact(smtp, deadline, envelope_from, recipients, payload)
        finally:
            _close(smtp)

    def _open(self, deadline: float, helo: str) -> smtplib.SMTP:
        """A connection, protected as the settings say, or SendError."""
        try:
            return self._connect(deadline, helo)
        except SendError:
            raise
        except TimeoutError:
            raise self._timeout(handed_over=False) from None
        except ssl.SSLCertVerificationError as e:
            log.error("the SMTP server %s:%d's certificate does not verify: %s", *self._at, e)
            raise SendError(
                "The email was not sent: the TLS certificate of this server's mail server could "
                "not be verified; its administrator has to check the [email] settings."
            ) from None
        except (OSError, smtplib.SMTPException) as e:
            if _timed_out(e, deadline):
                raise self._timeout(handed_over=False) from None
            log.error("could not connect to the SMTP server %s:%d: %s", *self._at, e)
            raise SendError(
                "The email was not sent: this server's mail server could not be reached; its "
                "administrator has to check the [email] settings."
            ) from None

    def _transact(
        self,
        smtp: smtplib.SMTP,
        deadline: float,
        envelope_from: str,
        recipients: list[str],
        payload: bytes,
    ) -> None:
        """Log in, offer the sender and every recipient, then hand the message over."""
        handed_over = False
        try:
            self._login(smtp, deadline)
            self._step(smtp, deadline, smtp.ehlo_or_helo_if_needed)
            code, reply = self._step(smtp, deadline, lambda: smtp.mail(envelope_from))
            if code != 250:
                log.error("the SMTP server refused the sender %s: %d", envelope_from, code)
                raise SendError(
                    f"The email was not sent: the mail server refused the sender "
                    f"{envelope_from} ({_reply(code, reply)})."
                )
            refused = []
            for address in recipients:
                code, reply = self._step(smtp, deadline, functools.partial(smtp.rcpt, address))
                if code not in {250, 251}:
                    refused.append(f"{address} ({_reply(code, reply)})")
            if refused:
                with contextlib.suppress(OSError, smtplib.SMTPException):  # closed next anyway
                    self._step(smtp, deadline, smtp.rset)
                raise SendError(_refusal(refused))
            handed_over = True
            self._step(smtp, deadline, lambda: smtp.data(payload))
        except SendError:
            raise
        except TimeoutError:
            raise self._timeout(handed_over=handed_over) from None
        except smtplib.SMTPDataError as e:
            refusal = _reply(e.smtp_code, e.smtp_error)
            raise SendError(
                f"The email was not sent: the mail server refused it ({refusal})."
            ) from None
        except (OSError, smtplib.SMTPException) as e:
            if _timed_out(e, deadline):
                raise self._timeout(handed_over=handed_over) from None
            log.error("the SMTP conversation with %s:%d failed: %r", *self._at, e)
            if handed_over:
                raise SendError(
                    "The connection to the mail server broke while it was taking the email; "
                    "it may or may not have been sent.",
                    maybe_sent=True,
                ) from None
            raise SendError(
                "The email was not sent: the conversation with this server's mail server failed."
            ) from None

    @property
    def _at(self) -> tuple[str, int]:
        return self.host, self.port

    def _connect(self, deadline: float, helo: str) -> smtplib.SMTP:
        left = _left(deadline)
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, local_hostname=helo, timeout=left, context=self.ssl_context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, local_hostname=helo, timeout=left)
        if self.security == "starttls":
            try:
                self._step(smtp, deadline, lambda: smtp.starttls(context=self.ssl_context))
            except smtplib.SMTPNotSupportedError:
                _close(smtp)
                log.error("the SMTP server %s:%d does not offer STARTTLS", *self._at)
                raise SendError(
                    "The email was not sent: this server's mail server does not offer STARTTLS; "
                    "its administrator has to check the [email] settings."
                ) from None
            except BaseException:
                _close(smtp)
                raise
        return smtp

    def _login(self, smtp: smtplib.SMTP, deadline: float) -> None:
        if self.user is None or self.password is None:
            return
        user, password = self.user, self.password
        try:
            self._step(smtp, deadline, lambda: smtp.login(user, password))
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as e:
            log.error("the SMTP server %s:%d refused the log-in of %r: %s", *self._at, user, e)
            raise SendError(
                "The email was not sent: this server's mail server refused its log-in; its "
                "administrator has to check the [email] settings."
            ) from None

    @staticmethod
    def _step(smtp: smtplib.SMTP, deadline: float, action: Callable[[], T]) -> T:
        """`action` with the socket's timeout set to what is left of the deadline."""
        left = _left(deadline)
        if smtp.sock is not None:
            smtp.sock.settimeout(left)
        return action()

    def _timeout(self, *, handed_over: bool) -> SendError:
        log.warning("the SMTP server %s:%d did not answer in time", *self._at)
        if handed_over:
            return SendError(
                "The mail server did not confirm the email in time; it may or may not have "
                "been sent.",
                kind="Timeout",
                maybe_sent=True,
            )
        return SendError(
            "The email was not sent: this server's mail server did not answer in time.",
            kind="Timeout",
        )


def _timed_out(error: BaseException, deadline: float) -> bool:
    """Whether `error` is a timeout, itself or as the cause smtplib wrapped (it reports a
    read that timed out as "Connection unexpectedly closed")."""
    cause = error.__cause__ or error.__context__
    return (
        isinstance(error, TimeoutError)
        or isinstance(cause, TimeoutError)
        or time.monotonic() >= deadline
    )


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _refusal(refused: list[str]) -> str:
    shown = ", ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
    which = "the recipient" if len(refused) == 1 else "the recipients"
    return f"The email was not sent: the mail server refused {which} {shown}."


def _reply(code: int, reply: bytes | str) -> str:
    """An SMTP reply as a message may show it: its code and one short line of text."""
    text = reply.decode("ascii", "replace") if isinstance(reply, bytes) else str(reply)
    text = " ".join("".join(c if c.isprintable() else " " for c in text[:200]).split())
    return f"{code} {text}".strip()


def _close(smtp: smtplib.SMTP) -> None:
    """End the session politely if it answers at once, and close the socket anyway."""
    try:
        if smtp.sock is not None:
            smtp.sock.settimeout(1.0)
            smtp.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        smtp.close()
