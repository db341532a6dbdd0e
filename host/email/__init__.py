"""Email from widgets: `anvil.email.send` in server code sends through the SMTP server of
the `[email]` settings. See ARCHITECTURE.md ("Running widgets": Email).

- Without `email_host` and `email_from`, sending raises `anvil.email.SendFailure` saying
  email is not configured on this server.
- Mail comes from `email_from`; widget code may choose the local part (`from_address=
  "support"`) and any display name, never another domain: an address on another domain is
  sent from its local part at `email_from`'s domain, as Anvil replaces a domain an app may
  not send from.
- Every field is checked strictly and in linear time (addresses, sizes, counts), and no value
  can add a header (line breaks are refused everywhere).
- Each widget may send `email_per_widget_per_day` emails a day (UTC), counted in the
  database before the send and given back when it certainly failed.
- Delivery is all or nothing per email, within the bridge call's timeout.

    addresses.py   addresses and lists of them, read strictly: `Mailbox`, `parse_mailbox`
    request.py     the guest's request decoded and checked into an `Outgoing` email; the
                   limits (recipients, attachments, sizes)
    sender.py      `build_message` (the MIME message, with the stdlib `email` package) and
                   `SmtpSender` (delivery with `smtplib`, one deadline)
    records.py     the daily count (`email_sends`)
    handler.py     the bridge handler `email.send`; `register` offers it on a `Bridge` and
                   returns it
"""

from widgetbox.host.email.addresses import AddressError, Mailbox, parse_mailbox, split_list
from widgetbox.host.email.handler import NOT_CONFIGURED, OP, EmailHandler, register
from widgetbox.host.email.records import day_of, give_back, sent_on, take_send
from widgetbox.host.email.request import (
    MAX_ATTACHMENTS,
    MAX_CONTENT_BYTES,
    MAX_RECIPIENTS,
    Attachment,
    Outgoing,
    choose_sender,
    parse_request,
)
from widgetbox.host.email.sender import SendError, SmtpSender, build_message, new_message_id

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_CONTENT_BYTES",
    "MAX_RECIPIENTS",
    "NOT_CONFIGURED",
    "OP",
    "AddressError",
    "Attachment",
    "EmailHandler",
    "Mailbox",
    "Outgoing",
    "SendError",
    "SmtpSender",
    "build_message",
    "choose_sender",
    "day_of",
    "give_back",
    "new_message_id",
    "parse_mailbox",
    "parse_request",
    "register",
    "sent_on",
    "split_list",
    "take_send",
]
