"""The guest's `email.send` request checked into an `Outgoing` email (`host/email/request.py`):
Anvil's argument rules and messages, the sender's domain, header injection, counts and sizes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from widgetbox.host.email import (
    MAX_ATTACHMENTS,
    MAX_CONTENT_BYTES,
    MAX_RECIPIENTS,
    Mailbox,
    parse_mailbox,
    parse_request,
)
from widgetbox.runtime import HostCallError

pytestmark = pytest.mark.unit

DEFAULT = parse_mailbox("Widgetbox <noreply@mail.example.com>")


def parse(**fields: Any) -> Any:
    fields.setdefault("to", "joe@example.org")
    return parse_request(fields, DEFAULT)


def refused(**fields: Any) -> str:
    with pytest.raises(HostCallError) as caught:
        parse(**fields)
    assert caught.value.kind == "BadRequest"
    return caught.value.message


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_plain_email() -> None:
    email = parse(subject="Hi", text="Hello")
    assert email.sender == Mailbox("noreply@mail.example.com", "Widgetbox")
    assert email.to == (Mailbox("joe@example.org"),)
    assert (email.cc, email.bcc, email.attachments, email.inline) == ((), (), (), ())
    assert (email.subject, email.text, email.html) == ("Hi", "Hello", None)


def test_recipients_as_strings_or_lists_and_each_address_once_in_the_envelope() -> None:
    email = parse(
        to='Joe <joe@example.org>, "Doe, Jane" <jane@example.org>',
        cc=["Ann <ann@example.org>", "JOE@example.org"],
        bcc=["hidden@example.org"],
    )
    assert [m.address for m in email.to] == ["joe@example.org", "jane@example.org"]
    assert email.to[1].name == "Doe, Jane"
    assert email.recipients == [
        "joe@example.org",
        "jane@example.org",
        "ann@example.org",
        "hidden@example.org",
    ]


def test_recipient_messages_are_anvils() -> None:
    assert refused(to=5) == "Keyword argument 'to' must be a string, or list of strings."
    assert refused(cc=["a@example.org", 5]) == (
        "Keyword argument 'cc' must be a string, or list of strings."
    )
    assert refused(to=["a@example.org, b@example.org"]).startswith(
        "Invalid email address: 'a@example.org, b@example.org'"
    )
    assert refused(to="a@example.org, nope").startswith(
        "Not a valid sequence of addresses: 'a@example.org, nope' (an address needs an '@')"
    )


def test_at_least_one_recipient_and_at_most_the_cap() -> None:
    assert "at least one recipient" in refused(to=None)
    assert "at least one recipient" in refused(to="", cc=[])
    assert parse(to=None, bcc="only@example.org").recipients == ["only@example.org"]
    many = [f"r{n}@example.org" for n in range(MAX_RECIPIENTS)]
    assert len(parse(to=many[:20], cc=many[20:40], bcc=many[40:]).recipients) == MAX_RECIPIENTS
    assert f"at most {MAX_RECIPIENTS} addresses" in refused(to=[*many, "one@more.org"])
    assert f"at most {MAX_RECIPIENTS} addresses" in refused(to=many, cc="x@example.org")
    assert "at most 20,000 characters" in refused(to="a@example.org," * 2000)


@pytest.mark.parametrize(
    ("from_address", "from_name", "expected"),
    [
        (None, None, Mailbox("noreply@mail.example.com", "Widgetbox")),
        ("", None, Mailbox("noreply@mail.example.com", "Widgetbox")),
        (None, "Support Team", Mailbox("noreply@mail.example.com", "Support Team")),
        (None, "", Mailbox("noreply@mail.example.com", "")),
        ("support", None, Mailbox("support@mail.example.com")),
        ("support@mail.example.com", "Help", Mailbox("support@mail.example.com", "Help")),
        ("support@MAIL.example.com", None, Mailbox("support@mail.example.com")),
        ("Help Desk <help@mail.example.com>", None, Mailbox("help@mail.example.com", "Help Desk")),
        (
            "Help Desk <help@mail.example.com>",
            "Override",
            Mailbox("help@mail.example.com", "Override"),
        ),
        # another domain: the local part at the sender's domain, as Anvil does
        ("ceo@bank.example", None, Mailbox("ceo@mail.example.com")),
        ("Bank <ceo@bank.example>", None, Mailbox("ceo@mail.example.com", "Bank")),
    ],
)
def test_the_sender_is_always_on_the_configured_domain(
    from_address: str | None, from_name: str | None, expected: Mailbox
) -> None:
    assert parse(from_address=from_address, from_name=from_name).sender == expected


def test_bad_senders_are_refused() -> None:
    assert refused(from_address="not an address").startswith("Invalid 'from' address:")
    assert "line breaks" in refused(from_address="a@mail.example.com\r\nBcc: v@example.org")
    assert "line breaks" in refused(from_name="Joe\r\nBcc: v@example.org")
    assert "must be a string" in refused(from_name=["Joe"])
    assert "Invalid 'from' address" in refused(from_address="a..b")


@pytest.mark.parametrize("field", ["subject"])
@pytest.mark.parametrize("bad", ["Hi\r\nBcc: v@example.org", "Hi\nX: y", "Hi\rX", "Hi\x00"])
def test_no_header_field_can_hold_a_line_break(field: str, bad: str) -> None:
    assert "line breaks" in refused(**{field: bad})


def test_header_injection_through_every_other_field_is_refused() -> None:
    injected = "x\r\nBcc: victim@example.org"
    assert refused(to=f"joe@example.org{injected}")
    assert refused(cc=[f"Joe{injected} <joe@example.org>"])
    assert refused(attachments=[{"name": f"a.txt{injected}", "data": b64(b"x")}])
    assert refused(attachments=[{"content_type": f"text/plain{injected}", "data": b64(b"x")}])
    assert refused(inline_attachments=[{"cid": f"logo{injected}", "data": b64(b"x")}])
    assert "'cid'" not in refused(inline_attachments=[{"cid": "a b", "data": b64(b"x")}])


def test_fields_must_be_strings_and_known() -> None:
    assert refused(subject=5) == "Keyword argument 'subject' must be a string."
    assert refused(text=b"bytes") == "Keyword argument 'text' must be a string."
    assert refused(html=True) == "Keyword argument 'html' must be a string."
    assert refused(reply_to="x@example.org") == "anvil.email.send has no argument 'reply_to'"
    assert "valid Unicode" in refused(text="lone \ud800 surrogate")
    with pytest.raises(HostCallError, match="an object of its fields"):
        parse_request(["to", "x@example.org"], DEFAULT)


def test_neither_text_nor_html_is_an_empty_email() -> None:
    email = parse()
    assert (email.subject, email.text, email.html) == ("", None, None)


def test_attachments_keep_their_names_and_types() -> None:
    email = parse(
        attachments=[
            {"name": "report.pdf", "content_type": "application/pdf", "data": b64(b"%PDF-1")},
            {"data": b64(b"\x00\x01")},
            {"name": "notes.txt", "content_type": "Text/Plain; charset=UTF-8", "data": b64(b"hi")},
        ],
        inline_attachments=[{"cid": "logo@x", "content_type": "image/png", "data": b64(b"png")}],
    )
    report, blob, notes = email.attachments
    assert (report.filename, report.maintype, report.subtype, report.data) == (
        "report.pdf",
        "application",
        "pdf",
        b"%PDF-1",
    )
    assert (blob.filename, blob.maintype, blob.subtype) == (
        "Attachment 2",
        "application",
        "octet-stream",
    )
    assert (notes.maintype, notes.subtype, notes.charset) == ("text", "plain", "UTF-8")
    [logo] = email.inline
    assert (logo.cid, logo.filename, logo.maintype) == ("logo@x", "Attachment 1", "image")


def test_malformed_attachments_are_refused() -> None:
    assert "must be Media objects" in refused(attachments=["not media"])
    assert "must be Media objects" in refused(attachments=[{"name": "x"}])
    assert "must be Media objects" in refused(attachments=[{"data": "", "extra": 1}])
    assert "not base64" in refused(attachments=[{"data": "not base64!"}])
    assert "not type/subtype" in refused(attachments=[{"content_type": "pdf", "data": ""}])
    assert "multipart/*" in refused(attachments=[{"content_type": "multipart/mixed", "data": ""}])
    assert "map of strings to Media" in refused(inline_attachments=[{"data": b64(b"x")}])
    assert f"at most {MAX_ATTACHMENTS}" in refused(attachments=[{"data": ""}] * 51)
    assert f"at most {MAX_ATTACHMENTS}" in refused(
        attachments=[{"data": ""}] * 30, inline_attachments=[{"cid": "c", "data": ""}] * 21
    )


def test_the_total_size_is_capped_before_decoding() -> None:
    half = b64(b"x" * (MAX_CONTENT_BYTES // 2))
    message = refused(attachments=[{"data": half}, {"data": half}], text="one byte too many")
    assert f"at most {MAX_CONTENT_BYTES:,} bytes" in message
    # an encoded attachment larger than the whole cap is refused by its length alone
    assert "at most" in refused(attachments=[{"data": "A" * (MAX_CONTENT_BYTES * 2)}])
    assert len(parse(attachments=[{"data": half}, {"data": half}]).attachments) == 2
