"""The MIME message `build_message` writes (`host/email/sender.py`), read back with the
standard library's parser: headers, Bcc only in the envelope, the parts' shape, names and
content IDs, and nothing but 7-bit data."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest

from widgetbox.host.email import build_message, new_message_id, parse_mailbox, parse_request

pytestmark = pytest.mark.unit

DEFAULT = parse_mailbox("Widgetbox <noreply@mail.example.com>")
WHEN = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def written(**fields: Any) -> tuple[bytes, EmailMessage]:
    """The message's bytes as sent, and those bytes parsed again."""
    fields.setdefault("to", "joe@example.org")
    outgoing = parse_request(fields, DEFAULT)
    raw = build_message(outgoing, new_message_id(outgoing), WHEN).as_bytes()
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return raw, parsed


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def shape(part: EmailMessage) -> Any:
    if part.is_multipart():
        return {part.get_content_type(): [shape(sub) for sub in part.iter_parts()]}  # type: ignore[arg-type]
    return part.get_content_type()


def test_headers_and_bcc_only_in_the_envelope() -> None:
    raw, message = written(
        to='Joe <joe@example.org>, "Doe, Jane" <jane@example.org>',
        cc=["ann@example.org"],
        bcc=["hidden@example.org"],
        subject="Quarterly report",
        text="Hello",
    )
    assert message["From"] == "Widgetbox <noreply@mail.example.com>"
    assert message["To"] == 'Joe <joe@example.org>, "Doe, Jane" <jane@example.org>'
    assert message["Cc"] == "ann@example.org"
    assert message["Subject"] == "Quarterly report"
    assert message["Date"] == "Fri, 04 Dec 2026 09:30:00 +0000"
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith("@mail.example.com>")
    assert message["Bcc"] is None
    assert b"hidden@example.org" not in raw
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_non_ascii_is_encoded_so_the_message_is_7_bit() -> None:
    raw, message = written(
        to="Zoë <zoe@example.org>",
        from_name="Ünïcode Sender",
        subject="Grüße 🌍",
        text="Käse " * 50,
        html="<p>Café</p>",
        attachments=[{"name": "résumé.txt", "data": b64("é".encode())}],
    )
    assert raw.isascii()
    assert message["Subject"] == "Grüße 🌍"
    assert message["From"] == "Ünïcode Sender <noreply@mail.example.com>"
    assert message["To"] == "Zoë <zoe@example.org>"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().rstrip("\r\n") == "Käse " * 50
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "résumé.txt"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "text/plain"),
        ({"text": "t"}, "text/plain"),
        ({"html": "<p>h</p>"}, "text/html"),
        ({"text": "t", "html": "<p>h</p>"}, {"multipart/alternative": ["text/plain", "text/html"]}),
        (
            {"text": "t", "html": "<img src=cid:logo>", "inline": True},
            {
                "multipart/alternative": [
                    "text/plain",
                    {"multipart/related": ["text/html", "image/png"]},
                ]
            },
        ),
        (
            {"html": "<img src=cid:logo>", "inline": True, "attached": True},
            {
                "multipart/mixed": [
                    {"multipart/related": ["text/html", "image/png"]},
                    "application/pdf",
                ]
            },
        ),
        (
            {"text": "t", "html": "<p>h</p>", "attached": True},
            {
                "multipart/mixed": [
                    {"multipart/alternative": ["text/plain", "text/html"]},
                    "application/pdf",
                ]
            },
        ),
    ],
)
def test_the_parts_take_anvils_shape(fields: dict[str, Any], expected: Any) -> None:
    if fields.pop("inline", False):
        fields["inline_attachments"] = [
            {"cid": "logo", "content_type": "image/png", "data": b64(b"PNG")}
        ]
    if fields.pop("attached", False):
        fields["attachments"] = [
            {"name": "a.pdf", "content_type": "application/pdf", "data": b64(b"%PDF")}
        ]
    _, message = written(**fields)
    assert shape(message) == expected


def test_neither_text_nor_html_sends_an_empty_text() -> None:
    _, message = written()
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == ""


def test_attachments_and_inline_parts_arrive_whole() -> None:
    data = bytes(range(256)) * 10
    _, message = written(
        html='<img src="cid:chart">',
        attachments=[
            {"name": "data.bin", "data": b64(data)},
            {"content_type": "text/csv; charset=utf-8", "data": b64(b"a,b\r\n1,2\r\n")},
        ],
        inline_attachments=[{"cid": "chart", "name": "chart.png", "data": b64(b"\x89PNG")}],
    )
    attachments = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in attachments] == [
        ("data.bin", "application/octet-stream"),
        ("Attachment 2", "text/csv"),
    ]
    assert attachments[0].get_content() == data
    assert attachments[1].get_content_charset() == "utf-8"
    related = message.get_body(("related",))
    assert related is not None
    [html, chart] = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert chart["Content-ID"] == "<chart>"
    assert chart.get_content_disposition() == "inline"
    assert chart.get_filename() == "chart.png"
    assert chart.get_content() == b"\x89PNG"


def test_each_message_has_its_own_id() -> None:
    ids = {written()[1]["Message-ID"] for _ in range(20)}
    assert len(ids) == 20
