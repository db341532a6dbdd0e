"""The Users service's emails: confirming an address, and resetting a password. Each carries
a link to the app's own origin with a signed token (`signing.py`, purpose "links"): a
confirmation names the row and its address (valid for `CONFIRM_SECONDS`); a reset names the
row, its address and a fingerprint of its current password hash, so it works once and only
until the password changes (valid for `RESET_SECONDS`, as Anvil's emails say).

They go out through the `[email]` settings and the widget's daily allowance like any email
of the widget (`email/handler.py`), from `accounts@<the configured domain>`, named after the
widget.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any

from widgetbox.host.email.handler import EmailHandler
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import HostCall

CONFIRM_SECONDS = 7 * 24 * 3600
RESET_SECONDS = 10 * 60
CONFIRM, RESET = "confirm", "reset"
CONFIRM_PATH = "/_/email-confirm"
RESET_PATH = "/_/reset-password"


def fingerprint(password_hash: Any) -> str:
    return hashlib.sha256(str(password_hash or "").encode()).hexdigest()[:16]


def _message(widget: Widget, to: str, subject: str, lines: list[str], link: str) -> dict[str, Any]:
    text = "\n\n".join([*lines[:-1], link, lines[-1]])
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in lines[:-1])
    anchor = html.escape(link, quote=True)
    body += f'<p><a href="{anchor}">{anchor}</a></p>\n<p>{html.escape(lines[-1])}</p>\n'
    return {
        "to": [to],
        "from_address": "accounts",
        "from_name": f"{widget.title[:80]} Accounts",
        "subject": subject,
        "text": text,
        "html": body,
    }


def confirmation(widget: Widget, to: str, link: str) -> dict[str, Any]:
    return _message(
        widget,
        to,
        "Confirm your email address",
        [
            f"Thanks for signing up to {widget.title}. Please follow this link to confirm "
            "that this is your email address:",
            "If you did not sign up, you can ignore this email.",
        ],
        link,
    )


def reset(widget: Widget, to: str, link: str) -> dict[str, Any]:
    return _message(
        widget,
        to,
        "Reset your password",
        [
            f"Someone asked to reset the password of your account ({to}) with "
            f"{widget.title}. To choose a new password, follow this link:",
            "The link works for ten minutes. If you did not ask, you can ignore this email.",
        ],
        link,
    )


def send(
    handler: EmailHandler | None, widget: Widget, message: dict[str, Any], timeout: float
) -> None:
    """Send through the email service; raises its `HostCallError` (not configured, the
    widget's daily allowance, the SMTP server's refusal)."""
    if handler is None:
        from widgetbox.host.email import NOT_CONFIGURED
        from widgetbox.runtime import HostCallError

        raise HostCallError("NotConfigured", NOT_CONFIGURED)
    handler(HostCall("email.send", {"widget_id": widget.id}, timeout), message)
