"""Email addresses as widget code writes them (`host/email/addresses.py`): what is accepted,
what is refused and why, and that hostile lengths are refused before any work."""

from __future__ import annotations

import pytest

from widgetbox.host.email.addresses import (
    MAX_MAILBOX,
    AddressError,
    Mailbox,
    check_address,
    parse_mailbox,
    split_list,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("joe@example.com", Mailbox("joe@example.com")),
        ("  joe@Example.COM  ", Mailbox("joe@example.com")),
        ("Joe Bloggs <joe@example.com>", Mailbox("joe@example.com", "Joe Bloggs")),
        ('"Bloggs, Joe" <joe@example.com>', Mailbox("joe@example.com", "Bloggs, Joe")),
        ('"Joe \\"JB\\" Bloggs" <joe@example.com>', Mailbox("joe@example.com", 'Joe "JB" Bloggs')),
        ("<joe@example.com>", Mailbox("joe@example.com")),
        ("Zoë Ünïcode <zoe@example.com>", Mailbox("zoe@example.com", "Zoë Ünïcode")),
        ("first.last+tag@sub.example.co.uk", Mailbox("first.last+tag@sub.example.co.uk")),
        ("o'brien@example.com", Mailbox("o'brien@example.com")),
        ("user@bücher.example", Mailbox("user@xn--bcher-kva.example")),
        ("root@localhost", Mailbox("root@localhost")),
    ],
)
def test_addresses_people_write_are_read(text: str, expected: Mailbox) -> None:
    assert parse_mailbox(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("joe", "needs an '@'"),
        ("@example.com", "before '@' is empty"),
        ("joe@", "domain after '@' is empty"),
        ("jo e@example.com", "write an address as"),
        ("joe@exam ple.com", "write an address as"),
        (".joe@example.com", "may not start or end with '.'"),
        ("jo..e@example.com", "hold '..'"),
        ('"quoted local"@example.com', "write an address as"),
        ("joé@example.com", "may only hold letters"),
        ("joe@[127.0.0.1]", "may only hold letters, digits, '-'"),
        ("joe@-example.com", "may only hold letters, digits, '-'"),
        ("joe@example..com", "1 to 63 characters"),
        ("joe@" + "a" * 64 + ".com", "1 to 63 characters"),
        ("x" * 65 + "@example.com", "at most 64 characters"),
        ("Joe <joe@example.com", "write an address as"),
        ("Joe joe@example.com>", "'>' has no '<'"),
        ("Jo<e <joe@example.com>", "double quotes"),
        ('"Joe <joe@example.com>', "double quotes"),
        ("Joe <joe@example.com> <x@y.z>", "double quotes"),
    ],
)
def test_malformed_addresses_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(AddressError, match=reason.replace(".", r"\.").replace("'", "'")):
        parse_mailbox(text)


@pytest.mark.parametrize(
    "text",
    [
        "joe@example.com\r\nBcc: victim@example.com",
        "Joe\n <joe@example.com>",
        "Joe <joe@example.com>\rX-Injected: 1",
        "joe@example.com\x00",
        '"Joe\r\nBcc: v@example.com" <joe@example.com>',
    ],
)
def test_line_breaks_and_control_characters_are_refused(text: str) -> None:
    with pytest.raises(AddressError, match="line breaks or control characters"):
        parse_mailbox(text)


def test_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(AddressError, match="valid Unicode"):
        parse_mailbox("Jo\ud800 <joe@example.com>")


def test_a_name_is_quoted_or_encoded_in_the_header() -> None:
    assert (
        str(parse_mailbox('"Bloggs, Joe" <joe@example.com>')) == '"Bloggs, Joe" <joe@example.com>'
    )
    assert str(parse_mailbox("joe@example.com")) == "joe@example.com"
    assert parse_mailbox("Joe <joe@example.com>").domain == "example.com"
    assert parse_mailbox("Joe <joe@example.com>").local == "joe"


def test_lists_split_on_commas_outside_quotes_and_brackets() -> None:
    text = 'a@example.com, "Doe, Jane" <jane@example.com>,, <odd,name@x> , b@example.com,'
    assert split_list(text) == [
        "a@example.com",
        ' "Doe, Jane" <jane@example.com>',
        " <odd,name@x> ",
        " b@example.com",
    ]
    assert split_list("") == []
    assert split_list(" , ") == []
    with pytest.raises(AddressError, match="not closed"):
        split_list('"open, a@example.com')


def test_hostile_lengths_are_refused_before_any_work() -> None:
    # A long string of the characters a backtracking parser chokes on is refused by length.
    for text in (" " * 10**6, '"' + "\\" * 10**6, "<" * 10**6 + ">", "a" * 10**6 + "@x.com"):
        with pytest.raises(AddressError, match="at most"):
            parse_mailbox(text)
    with pytest.raises(AddressError, match="at most 254"):
        check_address("a" * 64 + "@" + ".".join(["b" * 63] * 4))
    # the longest accepted shape is read
    longest = "N" * 200 + " <" + "a" * 64 + "@" + ".".join(["b" * 63] * 2 + ["c" * 61]) + ">"
    assert len(longest) <= MAX_MAILBOX
    assert parse_mailbox(longest).name == "N" * 200
