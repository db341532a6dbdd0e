"""Values a browser carries for an app (`signing.py`) and the cookie jars of
`anvil.server.cookies` (`cookies.py`): signed per purpose and per widget, expiring, read as
empty when changed, and bounded as Anvil bounds them."""

from __future__ import annotations

import pytest

from widgetbox.host.app_sessions.cookies import MAX_CHARS, CookieError, Jar
from widgetbox.host.app_sessions.signing import Signer

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_signed_value_opens_only_for_its_kind_widget_and_time(clock: Clock) -> None:
    signer = Signer("secret", "links", clock)
    mine = signer.of(1, "2026-01-01")
    value = mine.sign("confirm", {"r": "[1,2]"}, 60)
    assert mine.open("confirm", value) == {"r": "[1,2]", "k": "confirm", "e": int(clock.now) + 60}
    assert mine.open("reset", value) is None
    assert signer.of(1, "2026-01-02").open("confirm", value) is None  # a reused id
    assert Signer("secret", "cookies", clock).of(1, "2026-01-01").open("confirm", value) is None
    assert Signer("other secret", "links", clock).of(1, "2026-01-01").open("confirm", value) is None
    body, mac = value.split(".")
    assert mine.open("confirm", body + "." + mac[::-1]) is None
    assert mine.open("confirm", body[:-2] + "xx." + mac) is None
    for junk in (None, "", "a.b.c", "x" * 9000, "not base64!.mac"):
        assert mine.open("confirm", junk) is None
    clock.now += 61
    assert mine.open("confirm", value) is None


def test_a_jar_keeps_entries_until_each_expires(clock: Clock) -> None:
    signer = Signer("secret", "cookies", clock).of(1, "x")
    jar = Jar.read("local", None, signer)
    assert jar.get("a") == (False, None)
    jar.set({"a": 1}, 1, signer)
    jar.set({"b": [1, 2]}, 10, signer)
    value, max_age = jar.cookie_value(signer)
    assert max_age == 10 * 86400
    again = Jar.read("local", value, signer)
    assert again.get("a") == (True, 1)
    assert again.get("b") == (True, [1, 2])
    clock.now += 2 * 86400
    later = Jar.read("local", value, signer)
    assert later.get("a") == (False, None)
    assert later.get("b") == (True, [1, 2])
    # another jar's value, or a changed one, reads as empty
    assert Jar.read("shared", value, signer).entries == {}
    assert Jar.read("local", value.replace(".", "Z.", 1), signer).entries == {}


def test_deleting_and_clearing(clock: Clock) -> None:
    signer = Signer("secret", "cookies", clock).of(1, "x")
    jar = Jar.read("local", None, signer)
    jar.set({"a": 1, "b": 2}, 30, signer)
    jar.delete("a")
    jar.set({"b": None}, 30, signer)  # None deletes too
    assert jar.entries == {}
    assert jar.cookie_value(signer) == (None, 0)
    jar.clear()
    assert jar.changed


def test_a_jar_is_bounded(clock: Clock) -> None:
    signer = Signer("secret", "cookies", clock).of(1, "x")
    jar = Jar.read("local", None, signer)
    with pytest.raises(CookieError, match="Cookie too big"):
        jar.set({"big": "x" * MAX_CHARS}, 30, signer)
    assert jar.entries == {}
    for days in (0, -1, 3651):
        with pytest.raises(CookieError, match="expiry"):
            jar.set({"a": 1}, days, signer)
