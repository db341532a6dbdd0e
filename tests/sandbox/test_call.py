"""Call mode: `@anvil.server.callable` functions called with Anvil's conversion rules."""

from __future__ import annotations

import datetime
import textwrap

import pytest

from widgetbox.runtime import Call, Code, Runtime, SerializationError, Status

pytestmark = pytest.mark.sandbox

SERVER = Code.single(
    textwrap.dedent(
        """
        import datetime
        import anvil.server

        @anvil.server.callable
        def echo(*args, **kwargs):
            return {"args": args, "kwargs": kwargs, "types": [type(a).__name__ for a in args]}

        @anvil.server.callable("renamed")
        def original():
            return "by name"

        @anvil.server.callable
        def today(when):
            return when + datetime.timedelta(days=1)

        @anvil.server.callable
        def fails():
            raise ValueError("bad value")

        @anvil.server.callable
        def no_function():
            raise anvil.server.NoServerFunctionError("raised on purpose")

        @anvil.server.callable
        def unserializable():
            return {1, 2}

        @anvil.server.callable
        def via_call(x):
            return anvil.server.call("echo", (x, x))

        @anvil.server.callable
        def prints():
            print("from the server")
            return None
        """
    )
)


def test_arguments_and_results_follow_anvils_rules(runtime: Runtime) -> None:
    when = datetime.datetime(2026, 11, 24, 10, 30, tzinfo=datetime.UTC)
    result = runtime.run(
        Call(SERVER, "echo", (1, "two", (3, 4), datetime.date(2026, 1, 2)), {"when": when})
    )
    assert result.status is Status.OK, result.message
    assert result.value == {
        "args": [1, "two", [3, 4], datetime.date(2026, 1, 2)],
        "kwargs": {"when": when},
        "types": ["int", "str", "list", "date"],
    }


def test_callables_can_be_registered_under_another_name(runtime: Runtime) -> None:
    assert runtime.run(Call(SERVER, "renamed")).value == "by name"
    missing = runtime.run(Call(SERVER, "original"))
    assert missing.error is not None
    assert missing.error.type == "NoServerFunctionError"


def test_dates_can_be_computed_on(runtime: Runtime) -> None:
    result = runtime.run(Call(SERVER, "today", (datetime.date(2026, 12, 31),)))
    assert result.value == datetime.date(2027, 1, 1)


def test_an_unknown_function_is_a_typed_error(runtime: Runtime) -> None:
    result = runtime.run(Call(SERVER, "nope"))
    assert result.status is Status.ERROR
    assert result.error is not None
    assert result.error.qualified_type == "anvil.server.NoServerFunctionError"
    assert result.error.message == 'No server function matching "nope" has been registered'


def test_exceptions_carry_their_type(runtime: Runtime) -> None:
    plain = runtime.run(Call(SERVER, "fails"))
    assert plain.error is not None
    assert (plain.error.type, plain.error.message, plain.error.qualified_type) == (
        "ValueError",
        "bad value",
        "",
    )
    assert plain.error.frames[-1].line == 'raise ValueError("bad value")'
    anvil_error = runtime.run(Call(SERVER, "no_function"))
    assert anvil_error.error is not None
    assert anvil_error.error.qualified_type == "anvil.server.NoServerFunctionError"


def test_an_unserializable_result_is_a_serialization_error(runtime: Runtime) -> None:
    result = runtime.run(Call(SERVER, "unserializable"))
    assert result.error is not None
    assert result.error.qualified_type == "anvil.server.SerializationError"
    assert "set" in result.error.message


def test_unserializable_arguments_are_refused_before_running(runtime: Runtime) -> None:
    with pytest.raises(SerializationError):
        runtime.run(Call(SERVER, "echo", (object(),)))


def test_server_code_can_call_its_own_callables(runtime: Runtime) -> None:
    result = runtime.run(Call(SERVER, "via_call", ("x",)))
    assert result.value["args"] == [["x", "x"]]


def test_output_of_a_call_is_captured(runtime: Runtime) -> None:
    result = runtime.run(Call(SERVER, "prints"))
    assert (result.value, result.stdout) == (None, "from the server\n")


def test_modules_importing_each_other_register_their_callables(runtime: Runtime) -> None:
    code = Code(
        files={
            "server_code/main.py": "import anvil.server\nfrom server_code import extra\n",
            "server_code/extra.py": (
                "import anvil.server\n@anvil.server.callable\ndef more():\n    return 42\n"
            ),
        },
        entry="server_code/main.py",
    )
    assert runtime.run(Call(code, "more")).value == 42


PORTABLE = Code.single(
    textwrap.dedent(
        """
        import anvil.server

        @anvil.server.portable_class
        class Cart:
            def __init__(self, items):
                self.items = items

            def total(self):
                return sum(price for _, price in self.items)

        @anvil.server.callable
        def grow(cart, item):
            cart.items.append(item)
            media = anvil.BlobMedia("text/plain", b"hi")
            return {"cart": cart, "total": cart.total(), "media": media}
        """
    ),
    name="server.py",
)


def test_portable_objects_and_media_cross_a_call_both_ways(runtime: Runtime) -> None:
    """A portable object from the caller arrives as its class (its methods work) and goes
    back in the same form; the host keeps both as they came (`Carried`)."""
    from widgetbox.runtime import decode_value, encode_value

    sent = decode_value(
        {"$wb": "portable", "v": {"class": "server.Cart", "data": {"items": [["pen", 2]]}}}
    )
    result = runtime.run(Call(PORTABLE, "grow", (sent, ["ink", 3])))
    assert result.status is Status.OK, result.error
    value = encode_value(result.value)
    assert value["total"] == 5
    assert value["cart"] == {
        "$wb": "portable",
        "v": {"class": "server.Cart", "data": {"items": [["pen", 2], ["ink", 3]]}},
    }
    assert value["media"] == {
        "$wb": "media",
        "v": {"content_type": "text/plain", "name": None, "data": "aGk="},
    }
