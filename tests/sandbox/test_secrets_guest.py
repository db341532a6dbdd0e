"""`anvil.secrets.get_secret` end to end: widget code in the sandbox asks for a secret, the
host's `secrets.get` handler reads and decrypts it for the run's widget (the run's
`context["widget_id"]`), and a secret that is missing, or another widget's, raises
`anvil.secrets.SecretError` in the guest.

The shared runtime's bridge gets the handler once per session, with its own database and key
in a temporary folder.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from widgetbox.host import secrets
from widgetbox.host.secrets import SecretBox, SecretsHandler
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import iso, now
from widgetbox.runtime import Code, Limits, RunResult, Runtime, Script, Status

pytestmark = pytest.mark.sandbox

VALUE = "sk_live_sandbox-ünïcødé-🔑-" + uuid.uuid4().hex


@pytest.fixture(scope="session")
def store(runtime: Runtime, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretsHandler]:
    """The handler on the session's bridge, as `register` returned it."""
    folder = tmp_path_factory.mktemp("secrets")
    database = Database(folder / "widgetbox.db")
    handler = secrets.register(runtime.bridge, database, SecretBox(folder))
    yield handler
    database.close()


def add_widget(database: Database) -> int:
    """A new widget row (and its owner), with a unique slug."""

    def add(db: Any) -> int:
        stamp = iso(now())
        tag = uuid.uuid4().hex[:12]
        owner = db.table("users").insert(
            {"username": f"u{tag}", "password_hash": "-", "created_at": stamp}
        )
        return int(
            db.table("widgets")
            .insert(
                {
                    "owner_id": owner.last_pk,
                    "kind": "script",
                    "title": "Secretive",
                    "slug": f"w-{tag}",
                    "visibility": "private",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            .last_pk
        )

    return database.write_now(add)


@pytest.fixture
def widget(store: SecretsHandler) -> int:
    """A widget with the secret API_KEY = VALUE."""
    found = add_widget(store.db)
    store.db.write_now(secrets.set_secret, store.box, found, "API_KEY", VALUE)
    return found


def run(runtime: Runtime, source: str, context: dict[str, Any] | None = None) -> RunResult:
    return runtime.run(
        Script(Code.single(textwrap.dedent(source))),
        limits=Limits.script().with_(timeout=30),
        context=context,
    )


PRELUDE = """
import json
import anvil.secrets
import anvil.server

def attempt(name):
    try:
        return {"value": anvil.secrets.get_secret(name)}
    except anvil.secrets.SecretError as e:
        return {"error": type(e).__name__, "message": str(e),
                "wrapped": isinstance(e, anvil.server.AnvilWrappedError)}
"""


def attempts(runtime: Runtime, names: list[str], context: dict[str, Any] | None) -> list[Any]:
    result = run(
        runtime,
        PRELUDE + f"for name in {names!r}:\n    print(json.dumps(attempt(name)))\n",
        context,
    )
    assert result.status is Status.OK, (result.message, result.stderr, result.stdout)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_server_code_reads_its_widgets_secret(runtime: Runtime, widget: int) -> None:
    result = run(
        runtime,
        """
        import anvil.secrets
        value = anvil.secrets.get_secret("API_KEY")
        print(type(value).__name__, len(value), value == anvil.secrets.get_secret("API_KEY"))
        print(value)
        """,
        {"widget_id": widget},
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert result.stdout == f"str {len(VALUE)} True\n{VALUE}\n"
    assert result.host_calls == 2


def test_the_largest_value_crosses_the_bridge(
    runtime: Runtime, store: SecretsHandler, widget: int
) -> None:
    largest = "é" * (secrets.MAX_VALUE_BYTES // 2)
    store.db.write_now(secrets.set_secret, store.box, widget, "LARGE", largest)
    [answer] = attempts(runtime, ["LARGE"], {"widget_id": widget})
    assert answer == {"value": largest}


def test_a_missing_secret_raises_secret_error(runtime: Runtime, widget: int) -> None:
    answers = attempts(runtime, ["MISSING", "api_key", "not a name"], {"widget_id": widget})
    assert answers[0] == {
        "error": "SecretError",
        "message": "No such secret 'MISSING'.",
        "wrapped": True,
    }
    assert answers[1]["message"] == "No such secret 'api_key'."  # names are case-sensitive
    assert answers[2]["error"] == "SecretError"


def test_an_uncaught_secret_error_is_the_widgets_error(runtime: Runtime, widget: int) -> None:
    result = run(
        runtime,
        """
        import anvil.secrets
        anvil.secrets.get_secret("MISSING")
        """,
        {"widget_id": widget},
    )
    assert result.status is Status.ERROR
    assert result.error is not None
    assert result.error.type == "SecretError"
    assert result.error.message == "No such secret 'MISSING'."


def test_another_widget_cannot_read_it(
    runtime: Runtime, store: SecretsHandler, widget: int
) -> None:
    other = add_widget(store.db)
    store.db.write_now(secrets.set_secret, store.box, other, "OWN", "other's own")
    answers = attempts(runtime, ["API_KEY", "OWN"], {"widget_id": other})
    assert answers[0] == {
        "error": "SecretError",
        "message": "No such secret 'API_KEY'.",
        "wrapped": True,
    }
    assert answers[1] == {"value": "other's own"}
    # and the first widget does not see the other's
    assert attempts(runtime, ["OWN"], {"widget_id": widget})[0]["error"] == "SecretError"


def test_a_run_without_a_widget_has_no_secrets(runtime: Runtime, widget: int) -> None:
    for context in (None, {"widget_id": str(widget)}, {"widget": widget}):
        [answer] = attempts(runtime, ["API_KEY"], context)
        assert answer["error"] == "SecretError", context
        assert VALUE not in json.dumps(answer)


def test_a_secret_deleted_or_replaced_is_seen_by_the_next_call(
    runtime: Runtime, store: SecretsHandler, widget: int
) -> None:
    store.db.write_now(secrets.set_secret, store.box, widget, "ROTATED", "old")
    assert attempts(runtime, ["ROTATED"], {"widget_id": widget}) == [{"value": "old"}]
    store.db.write_now(secrets.set_secret, store.box, widget, "ROTATED", "new")
    assert attempts(runtime, ["ROTATED"], {"widget_id": widget}) == [{"value": "new"}]
    store.db.write_now(secrets.delete_secret, widget, "ROTATED")
    assert attempts(runtime, ["ROTATED"], {"widget_id": widget})[0]["error"] == "SecretError"


def test_a_name_that_is_not_text_is_a_type_error(runtime: Runtime, widget: int) -> None:
    result = run(
        runtime,
        """
        import anvil.secrets
        try:
            anvil.secrets.get_secret(["API_KEY"])
        except TypeError as e:
            print("TypeError", e)
        """,
        {"widget_id": widget},
    )
    assert result.stdout == "TypeError a secret's name is a string, not list\n"
    assert result.host_calls == 0
