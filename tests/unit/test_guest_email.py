"""`anvil.email` on the host's CPython behind a fake door: what `send` asks the host for,
Anvil's argument errors before any call, and how the host's refusals arrive
(`SendFailure`)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from widgetbox.runtime._bridge import error_frame, ok_frame

pytestmark = pytest.mark.unit


class Door:
    """Records each request and answers with `answer` (a frame)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, Any]] = []
        self.answer = ok_frame({"message_id": "<1@mail.example.com>"})

    def __call__(self, frame: bytes) -> bytes:
        request = json.loads(frame)
        self.requests.append((request["op"], request["data"]))
        return self.answer


@pytest.fixture
def door(guest_modules: None) -> Iterator[Door]:
    import _widgetbox.bridge as guest_bridge

    door = Door()
    guest_bridge.set_door(door)
    try:
        yield door
    finally:
        guest_bridge.set_door(None)


def test_send_asks_the_host_and_answers_a_send_report(door: Door) -> None:
    import anvil
    import anvil.email

    report = anvil.email.send(
        to="Joe <joe@example.org>",
        cc=["ann@example.org", "bob@example.org"],
        bcc=("hidden@example.org",),
        from_address="support",
        from_name="Support",
        subject="Hi",
        text="Hello",
        html="<p>Hello <img src='cid:logo'></p>",
        attachments=[anvil.BlobMedia("application/pdf", b"%PDF", name="a.pdf"), None],
        inline_attachments={"logo": anvil.BlobMedia("image/png", b"PNG"), "skipped": None},
    )
    assert report.message_id == "<1@mail.example.com>"
    assert isinstance(report, anvil.email.SendReport)
    [(op, data)] = door.requests
    assert op == "email.send"
    assert data == {
        "to": "Joe <joe@example.org>",
        "cc": ["ann@example.org", "bob@example.org"],
        "bcc": ["hidden@example.org"],
        "from_address": "support",
        "from_name": "Support",
        "subject": "Hi",
        "text": "Hello",
        "html": "<p>Hello <img src='cid:logo'></p>",
        "attachments": [
            {
                "name": "a.pdf",
                "content_type": "application/pdf",
                "data": base64.b64encode(b"%PDF").decode(),
            }
        ],
        "inline_attachments": [
            {
                "name": None,
                "content_type": "image/png",
                "data": base64.b64encode(b"PNG").decode(),
                "cid": "logo",
            }
        ],
    }


def test_one_media_is_a_list_of_one_and_nothing_left_out_is_sent(door: Door) -> None:
    import anvil
    import anvil.email

    anvil.email.send(to="a@example.org", attachments=anvil.BlobMedia("text/plain", "hé", name="n"))
    [(_, data)] = door.requests
    assert data == {
        "to": "a@example.org",
        "attachments": [
            {
                "name": "n",
                "content_type": "text/plain",
                "data": base64.b64encode("hé".encode()).decode(),
            }
        ],
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"to": 5}, "Keyword argument 'to' must be a string, or list of strings."),
        (
            {"cc": ["a@example.org", 1]},
            "Keyword argument 'cc' must be a string, or list of strings.",
        ),
        ({"subject": 5}, "Keyword argument 'subject' must be a string."),
        ({"html": b"<p>"}, "Keyword argument 'html' must be a string."),
        (
            {"attachments": "file.txt"},
            "Keyword argument 'attachments' must be a list of Media objects.",
        ),
        (
            {"attachments": [b"bytes"]},
            "Keyword argument 'attachments' must be a list of Media objects.",
        ),
        (
            {"inline_attachments": ["x"]},
            "Inline attachments must be a map of strings to Media objects",
        ),
        (
            {"inline_attachments": {1: None}},
            "Inline attachments must be a map of strings to Media objects",
        ),
    ],
)
def test_anvils_argument_errors_come_before_any_call(
    door: Door, kwargs: dict[str, Any], message: str
) -> None:
    import anvil.email
    import anvil.server

    with pytest.raises(anvil.email.SendFailure) as caught:
        anvil.email.send(**kwargs)
    assert str(caught.value) == message
    assert isinstance(caught.value, anvil.server.AnvilWrappedError)
    assert door.requests == []


def test_unknown_arguments_are_a_type_error(door: Door) -> None:
    import anvil.email

    with pytest.raises(TypeError):
        anvil.email.send(to="a@example.org", reply_to="b@example.org")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            error_frame("NotConfigured", "Email is not configured on this server: ..."),
            "Email is not configured on this server: ...",
        ),
        (
            error_frame("LimitExceeded", "this widget has sent its 100 emails for today"),
            "this widget has sent its 100 emails for today",
        ),
        (error_frame("Timeout", "did not answer in time"), "did not answer in time"),
        (error_frame("BadRequest", "Invalid email address: 'x'"), "Invalid email address: 'x'"),
        (
            error_frame("UnknownOperation", "no such operation"),
            "Email is not available on this server",
        ),
        (
            error_frame("BadRequest", "a request may be at most 1,048,576 bytes, not 2,000,000"),
            "This email and its attachments are too large to send: a request may be at most "
            "1,048,576 bytes, not 2,000,000",
        ),
    ],
)
def test_every_refusal_is_a_send_failure(door: Door, frame: bytes, message: str) -> None:
    import anvil.email

    door.answer = frame
    with pytest.raises(anvil.email.SendFailure) as caught:
        anvil.email.send(to="a@example.org", text="hi")
    assert str(caught.value) == message


def test_a_send_report_cannot_be_made_by_hand(guest_modules: None) -> None:
    import anvil.email

    with pytest.raises(TypeError, match="Cannot construct a SendReport manually"):
        anvil.email.SendReport()


def test_receiving_email_names_import_and_refuse_use(guest_modules: None) -> None:
    import anvil.email
    from anvil._unavailable import ServiceNotAvailable
    from anvil.email import handle_message  # an app that only imports it loads

    with pytest.raises(
        ServiceNotAvailable,
        match=r"anvil\.email\.handle_message: receiving email \(anvil\.email\) is not available",
    ):

        @handle_message
        def incoming(message: Any) -> None:
            pass

    with pytest.raises(ServiceNotAvailable):
        anvil.email.DeliveryFailure("no")
    with pytest.raises(AttributeError):
        anvil.email.no_such_thing  # noqa: B018 - the attribute lookup is the test
