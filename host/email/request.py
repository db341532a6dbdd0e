"""The guest's `email.send` request, decoded and checked into an `Outgoing` email.

What `anvil.email.send` sends (every field optional; the guest leaves out what is None):

    to, cc, bcc          a string of comma-separated addresses, or a list of strings of one
                         address each ("Name <a@example.com>" or "a@example.com")
    from_address         the sender: a local part ("support"), or an address on the default
                         sender's domain; an address on another domain keeps its local part
                         and takes the default sender's domain, as Anvil replaces a domain
                         an app may not send from
    from_name            the sender's display name
    subject, text, html  strings
    attachments          [{"name", "content_type", "data" (base64)}]
    inline_attachments   [{"cid", "name", "content_type", "data"}]

Every check is linear in the request's size, and sizes are checked before anything is
decoded. Refusals are `HostCallError("BadRequest", ...)` whose message names the field and
shows at most a short part of a refused value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from widgetbox.host.email.addresses import (
    AddressError,
    Mailbox,
    check_address,
    check_domain,
    check_local,
    check_name,
    encodable,
    parse_mailbox,
    split_list,
    split_mailbox,
)
from widgetbox.runtime import HostCallError

MAX_RECIPIENTS = 50
"""Addresses in To, Cc and Bcc together."""
MAX_LIST_CHARS = 20_000
"""Characters in one of to, cc or bcc (a string, or a list's strings together)."""
MAX_SUBJECT = 1_000
MAX_ATTACHMENTS = 50
"""Attachments and inline attachments together."""
MAX_FILE_NAME = 255
MAX_CID = 200
MAX_CONTENT_BYTES = 10 * 1024 * 1024
"""Text, HTML and attachments together, in bytes (before any transfer encoding)."""

FIELDS = frozenset(
    {
        "to",
        "cc",
        "bcc",
        "from_address",
        "from_name",
        "subject",
        "text",
        "html",
        "attachments",
        "inline_attachments",
    }
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MIME_NAME = r"[A-Za-z0-9!#$&^_.+-]{1,127}"
_CONTENT_TYPE = re.compile(rf"({_MIME_NAME})/({_MIME_NAME})")
_CHARSET = re.compile(r"[A-Za-z0-9._:-]{1,40}")
_CID = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1," + str(MAX_CID) + "}")


@dataclass(frozen=True)
class Attachment:
    """A file sent with the email; `cid` is set on inline attachments."""

    filename: str
    maintype: str
    subtype: str
    data: bytes
    charset: str | None = None
    cid: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """An email to send, every field checked."""

    sender: Mailbox
    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...]
    bcc: tuple[Mailbox, ...]
    subject: str
    text: str | None
    html: str | None
    attachments: tuple[Attachment, ...] = ()
    inline: tuple[Attachment, ...] = ()

    @property
    def recipients(self) -> list[str]:
        """Every address it goes to (To, Cc and Bcc), each once."""
        seen: dict[str, str] = {}
        for mailbox in (*self.to, *self.cc, *self.bcc):
            seen.setdefault(mailbox.address.lower(), mailbox.address)
        return list(seen.values())


def bad(message: str) -> HostCallError:
    return HostCallError("BadRequest", message)


def shown(value: str, limit: int = 80) -> str:
    """A refused value as a message may show it: quoted, and cut short."""
    return repr(value[:limit]) + ("..." if len(value) > limit else "")


def parse_request(data: Any, default_sender: Mailbox) -> Outgoing:
    """The email `data` asks for, from `default_sender`'s domain."""
    if not isinstance(data, dict):
        raise bad("an email is sent as an object of its fields")
    unknown = [key for key in data if key not in FIELDS]
    if unknown:
        raise bad(f"anvil.email.send has no argument {shown(str(unknown[0]), 40)}")
    to = _recipients(data, "to")
    cc = _recipients(data, "cc")
    bcc = _recipients(data, "bcc")
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise bad(f"an email may go to at most {MAX_RECIPIENTS} addresses (to, cc and bcc)")
    if not (to or cc or bcc):
        raise bad(
            "an email needs at least one recipient (to, cc or bcc); Widgetbox does not send "
            "to the app's owner by default"
        )
    subject = _text(data, "subject", MAX_SUBJECT) or ""
    if _CONTROL.search(subject):
        raise bad("the subject may not contain line breaks or control characters")
    text = _text(data, "text", MAX_CONTENT_BYTES)
    html = _text(data, "html", MAX_CONTENT_BYTES)
    attachments = _attachments(data.get("attachments"), inline=False)
    inline = _attachments(data.get("inline_attachments"), inline=True)
    if len(attachments) + len(inline) > MAX_ATTACHMENTS:
        raise bad(f"an email may have at most {MAX_ATTACHMENTS} attachments")
    size = sum(len(part.data) for part in (*attachments, *inline))
    size += sum(len(body.encode("utf-8")) for body in (text, html) if body)
    if size > MAX_CONTENT_BYTES:
        raise bad(
            f"an email's text, HTML and attachments may be at most {MAX_CONTENT_BYTES:,} bytes "
            f"together, not {size:,}"
        )
    return Outgoing(
        sender=choose_sender(
            _text(data, "from_address", 1_000), _text(data, "from_name", 1_000), default_sender
        ),
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject,
        text=text,
        html=html,
        attachments=attachments,
        inline=inline,
    )


def choose_sender(from_address: str | None, from_name: str | None, default: Mailbox) -> Mailbox:
    """Anvil's rules for the From address on Widgetbox: none is the default sender; a bare
    local part ("support") or an address on any domain is sent from that local part at the
    default sender's domain. The name is `from_name`, else the one in `from_address`, else
    (for the default sender) the default's."""
    try:
        if not from_address:
            name = default.name if from_name is None else check_name(from_name)
            return Mailbox(default.address, name)
        given_name, address = split_mailbox(from_address)
        local, at, domain = address.rpartition("@")
        if at:
            check_domain(domain)
        else:
            local = address
        name = check_name(given_name if from_name is None else from_name)
        return Mailbox(check_address(f"{check_local(local)}@{default.domain}"), name)
    except AddressError as e:
        raise bad(f"Invalid 'from' address: {shown(from_address or '')} ({e})") from None


def _text(data: dict[str, Any], key: str, limit: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(f"Keyword argument '{key}' must be a string.")
    if len(value) > limit:
        raise bad(f"'{key}' may be at most {limit:,} characters, not {len(value):,}")
    if not encodable(value):
        raise bad(f"'{key}' must be valid Unicode text")
    return value


def _recipients(data: dict[str, Any], key: str) -> tuple[Mailbox, ...]:
    value = data.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        if len(value) > MAX_LIST_CHARS:
            raise bad(f"'{key}' may be at most {MAX_LIST_CHARS:,} characters")
        try:
            return tuple(parse_mailbox(item) for item in split_list(value))
        except AddressError as e:
            raise bad(f"Not a valid sequence of addresses: {shown(value)} ({e})") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad(f"Keyword argument '{key}' must be a string, or list of strings.")
    if len(value) > MAX_RECIPIENTS or sum(len(item) for item in value) > MAX_LIST_CHARS:
        raise bad(f"an email may go to at most {MAX_RECIPIENTS} addresses (to, cc and bcc)")
    found = []
    for item in value:
        try:
            found.append(parse_mailbox(item))
        except AddressError as e:
            raise bad(f"Invalid email address: {shown(item)} ({e})") from None
    return tuple(found)


def _attachments(value: Any, *, inline: bool) -> tuple[Attachment, ...]:
    what = "Inline attachments" if inline else "Attachments"
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_ATTACHMENTS:
        raise bad(f"{what} are a list of at most {MAX_ATTACHMENTS}")
    found = []
    budget = MAX_CONTENT_BYTES
    for index, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise bad(f"{what} must be Media objects")
        allowed = {"name", "content_type", "data", *(("cid",) if inline else ())}
        if not set(item) <= allowed or "data" not in item:
            raise bad(f"{what} must be Media objects")
        attachment = _attachment(item, index, budget, inline, what)
        budget -= len(attachment.data)
        found.append(attachment)
    return tuple(found)


def _attachment(
    item: dict[str, Any], index: int, budget: int, inline: bool, what: str
) -> Attachment:
    def field(key: str, limit: int, check: Callable[[str], bool] | None = None) -> str | None:
        value = item.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str) or len(value) > limit or (check and not check(value)):
            raise bad(f"{what}: the {key.replace('_', ' ')} of attachment {index} is not valid")
        return value

    name = field("name", MAX_FILE_NAME, lambda v: not _CONTROL.search(v) and encodable(v))
    content_type = field("content_type", 300, lambda v: v.isascii() and not _CONTROL.search(v))
    cid = field("cid", MAX_CID, lambda v: _CID.fullmatch(v) is not None) if inline else None
    if inline and cid is None:
        raise bad("Inline attachments must be a map of strings to Media objects")
    maintype, subtype, charset = _content_type(content_type, index, what)
    encoded = item.get("data")
    if not isinstance(encoded, str):
        raise bad(f"{what}: attachment {index} has no data")
    padding = encoded.endswith("=") + encoded.endswith("==")
    if len(encoded) // 4 * 3 - padding > budget:  # what it decodes to, at most
        raise bad(
            f"an email's text, HTML and attachments may be at most {MAX_CONTENT_BYTES:,} bytes "
            "together"
        )
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise bad(f"{what}: the data of attachment {index} is not base64") from None
    return Attachment(
        filename=name or f"Attachment {index}",
        maintype=maintype,
        subtype=subtype,
        data=data,
        charset=charset,
        cid=cid,
    )


def _content_type(text: str | None, index: int, what: str) -> tuple[str, str, str | None]:
    """(maintype, subtype, charset) of a Media's content type; none is binary data."""
    if text is None:
        return "application", "octet-stream", None
    kind, _, params = text.partition(";")
    found = _CONTENT_TYPE.fullmatch(kind.strip())
    if found is None:
        raise bad(f"{what}: the content type of attachment {index} is not type/subtype")
    maintype, subtype = found.group(1).lower(), found.group(2).lower()
    if maintype in {"multipart", "message"}:
        raise bad(f"{what}: attachment {index} may not be of type {maintype}/*")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        value = value.strip().strip('"')
        if key.strip().lower() == "charset" and _CHARSET.fullmatch(value):
            charset = value
    return maintype, subtype, charset
