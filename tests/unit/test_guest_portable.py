"""`@anvil.server.portable_class` (wasm-python/anvil/_portable.py, shared with the browser):
instances of an app's own classes cross server calls both ways, by Anvil's rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.unit


def crossed(value: Any) -> Any:
    """`value` encoded, sent as JSON and decoded, as a server call carries it."""
    from anvil import _serialize

    return _serialize.decode(json.loads(json.dumps(_serialize.encode(value))))


def test_an_instance_crosses_with_its_attributes(guest_modules: None) -> None:
    import datetime

    import anvil.server

    @anvil.server.portable_class
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y
            self.when = datetime.date(2026, 12, 5)

    back = crossed({"p": Point(1, 2)})["p"]
    assert type(back) is Point
    assert (back.x, back.y, back.when) == (1, 2, datetime.date(2026, 12, 5))


def test_custom_serialization_and_a_chosen_name(guest_modules: None) -> None:
    import anvil.server

    @anvil.server.portable_class("money")
    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

        def __serialize__(self, global_data: dict[str, Any]) -> int:
            return self.cents

        def __deserialize__(self, data: int, global_data: dict[str, Any]) -> None:
            self.cents = data

    from anvil import _serialize

    assert _serialize.encode(Money(250)) == {
        "$wb": "portable",
        "v": {"class": "money", "data": 250},
    }
    assert crossed([Money(250)])[0].cents == 250

    @anvil.server.portable_class
    class Built:
        def __init__(self, value: str) -> None:
            self.value = value

        def __serialize__(self, global_data: dict[str, Any]) -> str:
            return self.value

        @classmethod
        def __new_deserialized__(cls, data: str, global_data: dict[str, Any]) -> Built:
            return cls(data.upper())

    assert crossed(Built("abc")).value == "ABC"


def test_an_unknown_or_malformed_class_is_refused(guest_modules: None) -> None:
    import anvil.server  # registers the decoder
    from anvil import _serialize

    assert anvil.server.portable_class is not None
    with pytest.raises(_serialize.SerializationError, match="no portable class is registered"):
        _serialize.decode({"$wb": "portable", "v": {"class": "nope.Nope", "data": {}}})
    with pytest.raises(_serialize.SerializationError, match="class's name"):
        _serialize.decode({"$wb": "portable", "v": {"data": {}}})


def test_the_host_passes_a_portable_object_through_unchanged() -> None:
    from widgetbox.runtime import decode_value, encode_value

    form = {"$wb": "portable", "v": {"class": "app.Point", "data": {"x": 1}}}
    assert encode_value(decode_value(form)) == form
