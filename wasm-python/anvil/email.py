"""`anvil.email` for widget server code running in Widgetbox's sandbox.

`send(...)` asks the host (the bridge's `email.send`) to send an email through the SMTP
server its administrator configured, and answers a `SendReport` with the `message_id`. As in
Anvil:

- `to`, `cc` and `bcc` are a string of comma-separated addresses or a list of strings, each
  a bare address (`joe@example.com`) or one with a name (`Joe Bloggs <joe@example.com>`);
- `from_address` is a local part (`"support"`) or an address; `from_name` the name shown;
- `subject`, `text` and `html` are strings (neither text nor HTML: an empty text body);
- `attachments` is a Media object or a list of them (None entries skipped), each sent with
  its name (else "Attachment N") and content type; `inline_attachments` is a dict of
  content IDs to Media, used from the HTML as `cid:ID`.

Differences, as this server decides: mail comes from the server's sender address
(`[email] email_from`), and `from_address` may choose only the local part: an address on
another domain is sent from its local part at the sender's domain (as Anvil replaces a domain
an app may not send from). There must be at least one recipient (Anvil would send to the app's
owner). A widget may send a number of emails a day. Everything the server refuses or fails at
raises `SendFailure` with the reason, including "Email is not configured on this server".
Receiving email (`handle_message`, `Message`, `Address`, `DeliveryFailure`) is not available:
those names import, and using them raises `ServiceNotAvailable`.
"""

import binascii

from _widgetbox import bridge as _bridge

from anvil import Media
from anvil._unavailable import unavailable
from anvil.server import AnvilWrappedError

__all__ = ["SendFailure", "SendReport", "send"]

_OP = "email.send"
_RECEIVING = frozenset({"handle_message", "Message", "Address", "DeliveryFailure"})


class SendFailure(AnvilWrappedError):
    """The email could not be sent; the message says why."""


class SendReport:
    """What `send` answers: `message_id`, the Message-ID header given to the email."""

    def __init__(self):
        raise TypeError("Cannot construct a SendReport manually")

    @classmethod
    def _made(cls, message_id):
        report = object.__new__(cls)
        report.message_id = message_id
        return report

    def __repr__(self):
        return f"<anvil.email.SendReport message_id={self.message_id!r}>"


def send(
    to=None,
    cc=None,
    bcc=None,
    from_address=None,
    from_name=None,
    subject=None,
    text=None,
    html=None,
    attachments=None,
    inline_attachments=None,
):
    """Send an email (see the module's notes); returns a `SendReport`."""
    payload = {}
    for name, value in (("to", to), ("cc", cc), ("bcc", bcc)):
        if value is not None:
            payload[name] = _addresses(name, value)
    for name, value in (
        ("from_address", from_address),
        ("from_name", from_name),
        ("subject", subject),
        ("text", text),
        ("html", html),
    ):
        if value is not None:
            if not isinstance(value, str):
                raise SendFailure(f"Keyword argument '{name}' must be a string.")
            payload[name] = value
    if attachments is not None:
        payload["attachments"] = _attachments(attachments)
    if inline_attachments is not None:
        payload["inline_attachments"] = _inline(inline_attachments)
    try:
        answer = _bridge.call(_OP, payload)
    except _bridge.UnknownOperation:
        raise SendFailure("Email is not available on this server") from None
    except _bridge.BadRequest as e:
        message = str(e)
        if message.startswith("a request may be at most"):
            message = f"This email and its attachments are too large to send: {message}"
        raise SendFailure(message) from None
    except _bridge.HostCallError as e:
        raise SendFailure(str(e)) from None
    return SendReport._made(answer.get("message_id") if isinstance(answer, dict) else None)


def _addresses(name, value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return list(value)
    raise SendFailure(f"Keyword argument '{name}' must be a string, or list of strings.")


def _media(media, cid=None):
    data = media.get_bytes()
    if isinstance(data, str):
        data = data.encode("utf-8")
    part = {
        "name": media.name,
        "content_type": media.content_type,
        "data": binascii.b2a_base64(bytes(data), newline=False).decode("ascii"),
    }
    if cid is not None:
        part["cid"] = cid
    return part


def _attachments(attachments):
    if isinstance(attachments, Media):
        attachments = [attachments]
    if not isinstance(attachments, (list, tuple)) or not all(
        item is None or isinstance(item, Media) for item in attachments
    ):
        raise SendFailure("Keyword argument 'attachments' must be a list of Media objects.")
    return [_media(item) for item in attachments if item is not None]


def _inline(inline_attachments):
    if not isinstance(inline_attachments, dict) or not all(
        isinstance(cid, str) and (media is None or isinstance(media, Media))
        for cid, media in inline_attachments.items()
    ):
        raise SendFailure("Inline attachments must be a map of strings to Media objects")
    return [
        _media(media, cid) for cid, media in inline_attachments.items() if cid and media is not None
    ]


__getattr__ = unavailable(__name__, "receiving email (anvil.email)", names=_RECEIVING)
