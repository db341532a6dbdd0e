"""Widgets' secrets: the key file, the cipher, names and values, the database functions,
the bridge handler, and `anvil.secrets` on the host's CPython with the real handler behind a
fake door."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from widgetbox.host import secrets
from widgetbox.host.errors import DomainError, Invalid, NotFound
from widgetbox.host.secrets import SecretBox, SecretDecryptError, SecretKeyError
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import iso, now
from widgetbox.runtime import Bridge, HostCall, HostCallError
from widgetbox.runtime._bridge import error_frame, parse_request

pytestmark = pytest.mark.unit

VALUE = "sk_live_51Hq-unit-test-value-ünïcode-🔑"


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return SecretBox(tmp_path / "data")


# -- the key file ----------------------------------------------------------------------------


def test_the_key_file_is_made_private_with_32_random_bytes(tmp_path: Path) -> None:
    data = tmp_path / "data"  # does not exist yet
    box = SecretBox(data)
    key = data / "secrets.key"
    assert box.path == key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(key.read_bytes()) == 32
    assert [p.name for p in data.iterdir()] == ["secrets.key"]  # no temporary file left
    assert key.read_bytes() not in repr(box).encode()


def test_the_key_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        SecretBox(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "secrets.key").stat().st_mode) == 0o600


def test_the_key_file_is_reused(tmp_path: Path) -> None:
    first = SecretBox(tmp_path)
    before = (tmp_path / "secrets.key").read_bytes()
    nonce, sealed = first.encrypt(1, "API_KEY", VALUE)
    second = SecretBox(tmp_path)
    assert (tmp_path / "secrets.key").read_bytes() == before
    assert second.decrypt(1, "API_KEY", nonce, sealed) == VALUE


def test_two_keys_differ(tmp_path: Path) -> None:
    one = SecretBox(tmp_path / "one")
    two = SecretBox(tmp_path / "two")
    assert (tmp_path / "one" / "secrets.key").read_bytes() != (
        tmp_path / "two" / "secrets.key"
    ).read_bytes()
    nonce, sealed = one.encrypt(1, "A", VALUE)
    with pytest.raises(SecretDecryptError):
        two.decrypt(1, "A", nonce, sealed)


def test_concurrent_starts_agree_on_one_key(tmp_path: Path) -> None:
    boxes: list[SecretBox] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        boxes.append(SecretBox(tmp_path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    nonce, sealed = boxes[0].encrypt(3, "N", VALUE)
    assert all(box.decrypt(3, "N", nonce, sealed) == VALUE for box in boxes)
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.key"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "holds 0 bytes"),
        (b"x" * 31, "holds 31 bytes"),
        (b"x" * 33, "more than 32 bytes"),
        (b"ab" * 32, "more than 32 bytes"),  # a hex key is not a key
    ],
)
def test_a_key_file_of_the_wrong_size_is_refused(tmp_path: Path, content: bytes, says: str) -> None:
    key = tmp_path / "secrets.key"
    key.write_bytes(content)
    key.chmod(0o600)
    with pytest.raises(SecretKeyError, match=says) as refused:
        SecretBox(tmp_path)
    message = str(refused.value)
    assert str(key) in message
    assert "will not start" in message
    assert key.read_bytes() == content  # never replaced


def test_a_key_file_that_cannot_be_opened_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "secrets.key"
    key.write_bytes(os.urandom(32))
    real_open = Path.open

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == key:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(SecretKeyError, match=r"cannot be read \(Permission denied\)") as refused:
        SecretBox(tmp_path)
    assert str(key) in str(refused.value)
    monkeypatch.undo()
    assert len(key.read_bytes()) == 32  # left as it was


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "secrets.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o000)
    try:
        with pytest.raises(SecretKeyError, match="cannot be read") as refused:
            SecretBox(tmp_path)
    finally:
        key.chmod(0o600)
    assert str(key) in str(refused.value)
    assert len(key.read_bytes()) == 32


def test_a_folder_in_place_of_the_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secrets.key").mkdir()
    with pytest.raises(SecretKeyError, match=r"secrets\.key"):
        SecretBox(tmp_path)


def test_a_dangling_link_in_place_of_the_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secrets.key").symlink_to(tmp_path / "elsewhere.key")
    with pytest.raises(SecretKeyError, match="does not exist"):
        SecretBox(tmp_path)
    assert not (tmp_path / "elsewhere.key").exists()


def test_a_key_that_cannot_be_created_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: Any, **kwargs: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "open", full)
    with pytest.raises(SecretKeyError, match=r"could not be created \(No space left on device\)"):
        SecretBox(tmp_path)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_a_key_readable_by_others_is_used_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = tmp_path / "secrets.key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    SecretBox(tmp_path)
    assert "should be 0600" in caplog.text
    assert key.read_bytes().hex() not in caplog.text


# -- the cipher ------------------------------------------------------------------------------


def test_round_trip(box: SecretBox) -> None:
    nonce, sealed = box.encrypt(7, "API_KEY", VALUE)
    assert len(nonce) == 12
    assert VALUE.encode() not in sealed
    assert len(sealed) == len(VALUE.encode()) + 16  # the GCM tag
    assert box.decrypt(7, "API_KEY", nonce, sealed) == VALUE


def test_empty_and_largest_values_round_trip(box: SecretBox) -> None:
    for value in ("", "é" * (secrets.MAX_VALUE_BYTES // 2)):
        nonce, sealed = box.encrypt(1, "X", value)
        assert box.decrypt(1, "X", nonce, sealed) == value


def test_every_value_gets_a_fresh_nonce(box: SecretBox) -> None:
    sealed = [box.encrypt(1, "SAME", "same value") for _ in range(50)]
    assert len({nonce for nonce, _ in sealed}) == 50
    assert len({ciphertext for _, ciphertext in sealed}) == 50


def test_a_ciphertext_is_bound_to_its_widget(box: SecretBox) -> None:
    nonce, sealed = box.encrypt(1, "API_KEY", VALUE)
    with pytest.raises(SecretDecryptError):
        box.decrypt(2, "API_KEY", nonce, sealed)
    with pytest.raises(SecretDecryptError):
        box.decrypt(11, "API_KEY", nonce, sealed)


def test_a_ciphertext_is_bound_to_its_name(box: SecretBox) -> None:
    nonce, sealed = box.encrypt(1, "API_KEY", VALUE)
    for other in ("api_key", "API_KEY2", "API", "OTHER"):
        with pytest.raises(SecretDecryptError):
            box.decrypt(1, other, nonce, sealed)


def test_the_binding_is_unambiguous(box: SecretBox) -> None:
    # widget 1 + name "2a" must not be widget 12 + name "a", nor any other split
    nonce, sealed = box.encrypt(1, "a2", VALUE)
    with pytest.raises(SecretDecryptError):
        box.decrypt(12, "a", nonce, sealed)


def test_a_tampered_ciphertext_fails(box: SecretBox) -> None:
    nonce, sealed = box.encrypt(1, "API_KEY", VALUE)
    for i in (0, len(sealed) // 2, len(sealed) - 1):  # the text and the tag
        tampered = bytearray(sealed)
        tampered[i] ^= 0x01
        with pytest.raises(SecretDecryptError):
            box.decrypt(1, "API_KEY", nonce, bytes(tampered))
    with pytest.raises(SecretDecryptError):
        box.decrypt(1, "API_KEY", nonce, sealed[:-1])
    with pytest.raises(SecretDecryptError):
        box.decrypt(1, "API_KEY", bytes(12), sealed)  # another nonce
    with pytest.raises(SecretDecryptError):
        box.decrypt(1, "API_KEY", b"", sealed)  # a malformed nonce


def test_a_decrypt_error_does_not_carry_the_value(box: SecretBox) -> None:
    nonce, sealed = box.encrypt(1, "API_KEY", VALUE)
    with pytest.raises(SecretDecryptError) as failed:
        box.decrypt(2, "API_KEY", nonce, sealed)
    assert VALUE not in str(failed.value)
    assert failed.value.__cause__ is None
    assert failed.value.__suppress_context__


# -- names and values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["A", "a", "API_KEY", "db-password", "x" * 64, "Z9_-", "k1", "Stripe_Live-2"]
)
def test_valid_names(name: str) -> None:
    assert secrets.check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * 65,
        "1key",
        "_key",
        "-key",
        "key name",
        "key.name",
        "key/name",
        "kéy",
        "ключ",
        "key\n",
        "key\x00",
        "KEY\t",
        "\uff4b\uff45\uff59",  # fullwidth "key": not ASCII letters
        "key\u0661",  # an Arabic-Indic digit one
    ],
)
def test_invalid_names(name: str) -> None:
    with pytest.raises(DomainError) as refused:
        secrets.check_name(name)
    assert (type(refused.value), refused.value.code) == (Invalid, "invalid_secret_name")


def test_a_name_that_is_not_text_is_refused() -> None:
    with pytest.raises(DomainError, match="letters"):
        secrets.check_name(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["", "x", "é" * (secrets.MAX_VALUE_BYTES // 2), "x" * secrets.MAX_VALUE_BYTES]
)
def test_valid_values(value: str) -> None:
    assert secrets.check_value(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "x" * (secrets.MAX_VALUE_BYTES + 1),
        "é" * (secrets.MAX_VALUE_BYTES // 2 + 1),  # 64 Ki characters, but not 64 KiB
        "ok\ud800",  # a lone surrogate is not UTF-8
    ],
)
def test_invalid_values(value: str) -> None:
    with pytest.raises(DomainError) as refused:
        secrets.check_value(value)
    assert (type(refused.value), refused.value.code) == (Invalid, "invalid_secret_value")
    assert value not in refused.value.message


def test_a_value_that_is_not_text_is_refused() -> None:
    with pytest.raises(DomainError, match="text"):
        secrets.check_value(b"bytes")  # type: ignore[arg-type]


# -- the database ----------------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(tmp_path / "widgetbox.db")
    yield db
    db.close()


def add_widget(database: Database, slug: str) -> int:
    def add(db: Any) -> int:
        stamp = iso(now())
        if not db.execute("SELECT 1 FROM users WHERE id = 1").fetchone():
            db.table("users").insert(
                {"id": 1, "username": "ann", "password_hash": "-", "created_at": stamp}
            )
        return int(
            db.table("widgets")
            .insert(
                {
                    "owner_id": 1,
                    "kind": "script",
                    "title": slug,
                    "slug": slug,
                    "visibility": "private",
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
            .last_pk
        )

    return database.write_now(add)


def test_the_migration_makes_the_table(database: Database) -> None:
    def describe(db: Any) -> tuple[list[str], list[Any]]:
        return db["secrets"].columns_dict, db.execute("PRAGMA foreign_key_list(secrets)").fetchall()

    columns, keys = database.read_now(describe)
    assert {"widget_id", "name", "nonce", "ciphertext", "created_at", "updated_at"} <= set(columns)
    [key] = keys
    assert (key[2], key[3], key[4], key[6]) == ("widgets", "widget_id", "id", "CASCADE")


def test_set_list_get_delete(database: Database, box: SecretBox) -> None:
    widget = add_widget(database, "one")
    info = database.write_now(secrets.set_secret, box, widget, "B_KEY", VALUE)
    assert info.name == "B_KEY"
    assert info.created_at == info.updated_at
    database.write_now(secrets.set_secret, box, widget, "A_KEY", "other")
    listed = database.read_now(secrets.list_secrets, widget)
    assert [s.name for s in listed] == ["A_KEY", "B_KEY"]
    assert not any(VALUE in repr(s) for s in listed)

    sealed = database.read_now(secrets.get_sealed, widget, "B_KEY")
    assert sealed is not None
    assert box.decrypt(widget, "B_KEY", sealed.nonce, sealed.ciphertext) == VALUE
    assert database.read_now(secrets.get_sealed, widget, "C_KEY") is None

    database.write_now(secrets.delete_secret, widget, "B_KEY")
    assert [s.name for s in database.read_now(secrets.list_secrets, widget)] == ["A_KEY"]
    with pytest.raises(DomainError) as missing:
        database.write_now(secrets.delete_secret, widget, "B_KEY")
    assert (type(missing.value), missing.value.code) == (NotFound, "no_such_secret")


def test_setting_again_replaces_the_value_and_keeps_the_creation_time(
    database: Database, box: SecretBox
) -> None:
    widget = add_widget(database, "one")
    first = database.write_now(secrets.set_secret, box, widget, "KEY", "first")
    before = database.read_now(secrets.get_sealed, widget, "KEY")
    second = database.write_now(secrets.set_secret, box, widget, "KEY", "second")
    after = database.read_now(secrets.get_sealed, widget, "KEY")
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
    assert before is not None
    assert after is not None
    assert after.nonce != before.nonce
    assert box.decrypt(widget, "KEY", after.nonce, after.ciphertext) == "second"
    assert len(database.read_now(secrets.list_secrets, widget)) == 1


def test_names_are_per_widget_and_case_sensitive(database: Database, box: SecretBox) -> None:
    one, two = add_widget(database, "one"), add_widget(database, "two")
    database.write_now(secrets.set_secret, box, one, "KEY", "one's")
    database.write_now(secrets.set_secret, box, one, "key", "lower")
    database.write_now(secrets.set_secret, box, two, "KEY", "two's")
    assert [s.name for s in database.read_now(secrets.list_secrets, one)] == ["KEY", "key"]
    assert [s.name for s in database.read_now(secrets.list_secrets, two)] == ["KEY"]


def test_set_validates_before_storing(database: Database, box: SecretBox) -> None:
    widget = add_widget(database, "one")
    with pytest.raises(DomainError, match="name"):
        database.write_now(secrets.set_secret, box, widget, "1bad", VALUE)
    with pytest.raises(DomainError, match="KiB"):
        database.write_now(secrets.set_secret, box, widget, "OK", "x" * 70_000)
    assert database.read_now(secrets.list_secrets, widget) == []


def test_deleting_a_widget_deletes_its_secrets(database: Database, box: SecretBox) -> None:
    widget = add_widget(database, "one")
    database.write_now(secrets.set_secret, box, widget, "KEY", VALUE)
    database.write_now(lambda db: db.execute("DELETE FROM widgets WHERE id = ?", [widget]))
    count = database.read_now(lambda db: db.execute("SELECT count(*) FROM secrets").fetchone())
    assert count == (0,)


# -- the bridge handler ----------------------------------------------------------------------


def call(widget_id: Any) -> HostCall:
    context = {} if widget_id is None else {"widget_id": widget_id}
    return HostCall(op=secrets.OP, context=context, timeout=5.0)


def test_the_handler_answers_the_runs_widgets_secret(database: Database, box: SecretBox) -> None:
    one, two = add_widget(database, "one"), add_widget(database, "two")
    database.write_now(secrets.set_secret, box, one, "KEY", VALUE)
    handler = secrets.SecretsHandler(database, box)
    assert handler(call(one), "KEY") == VALUE
    with pytest.raises(HostCallError) as missing:
        handler(call(two), "KEY")  # another widget's run
    assert missing.value.kind == "NotFound"
    assert "'KEY'" in missing.value.message
    with pytest.raises(HostCallError) as missing:
        handler(call(one), "OTHER")
    assert (missing.value.kind, missing.value.message) == ("NotFound", "No such secret 'OTHER'.")


@pytest.mark.parametrize(
    ("widget_id", "data", "kind"),
    [
        (None, "KEY", "NotFound"),  # a run without a widget
        ("1", "KEY", "NotFound"),
        (True, "KEY", "NotFound"),
        (1, None, "BadRequest"),
        (1, ["KEY"], "BadRequest"),
        (1, "bad name", "NotFound"),
        (1, "x" * 100_000, "NotFound"),
    ],
)
def test_the_handler_refuses_what_cannot_be_a_secret(
    database: Database, box: SecretBox, widget_id: Any, data: Any, kind: str
) -> None:
    widget = add_widget(database, "one")
    database.write_now(secrets.set_secret, box, widget, "KEY", VALUE)
    with pytest.raises(HostCallError) as refused:
        secrets.SecretsHandler(database, box)(call(widget_id), data)
    assert refused.value.kind == kind
    assert len(refused.value.message) < 200
    assert VALUE not in refused.value.message


def test_a_value_moved_to_another_widget_does_not_decrypt(
    database: Database, box: SecretBox, caplog: pytest.LogCaptureFixture
) -> None:
    one, two = add_widget(database, "one"), add_widget(database, "two")
    database.write_now(secrets.set_secret, box, one, "KEY", VALUE)
    database.write_now(secrets.set_secret, box, two, "KEY", "placeholder")
    # copy one's ciphertext over two's, as someone with the database file might
    database.write_now(
        lambda db: db.execute(
            "UPDATE secrets SET nonce = (SELECT nonce FROM secrets WHERE widget_id = ?), "
            "ciphertext = (SELECT ciphertext FROM secrets WHERE widget_id = ?) "
            "WHERE widget_id = ?",
            [one, one, two],
        )
    )
    with pytest.raises(HostCallError) as refused:
        secrets.SecretsHandler(database, box)(call(two), "KEY")
    assert refused.value.kind == "Undecryptable"
    assert VALUE not in refused.value.message
    assert "does not decrypt" in caplog.text
    assert VALUE not in caplog.text


def test_register_returns_the_handler_it_offers(database: Database, box: SecretBox) -> None:
    widget = add_widget(database, "one")
    database.write_now(secrets.set_secret, box, widget, "KEY", VALUE)
    bridge = Bridge(max_workers=1)
    try:
        handler = secrets.register(bridge, database, box)
        assert isinstance(handler, secrets.SecretsHandler)
        assert (handler.db, handler.box) == (database, box)
        assert handler(call(widget), "KEY") == VALUE
        frame = bridge.dispatch(secrets.OP, "KEY", call(widget))
        assert json.loads(frame) == {"ok": VALUE}
    finally:
        bridge.close()


# -- anvil.secrets, with the real handler behind a fake door ---------------------------------


@pytest.fixture
def guest(
    guest_modules: None, database: Database, box: SecretBox
) -> Iterator[tuple[types.ModuleType, dict[str, Any], int]]:
    """`anvil.secrets`, its door leading to a real bridge with the handler registered; the
    context dict is the run's (change `widget_id` to be another widget's run)."""
    import _widgetbox.bridge as guest_bridge
    import anvil.secrets

    widget = add_widget(database, "one")
    database.write_now(secrets.set_secret, box, widget, "API_KEY", VALUE)
    bridge = Bridge(max_workers=2)
    secrets.register(bridge, database, box)
    context: dict[str, Any] = {"widget_id": widget}

    def door(frame: bytes) -> bytes:
        try:
            op, data = parse_request(frame)
        except HostCallError as e:
            return error_frame(e.kind, e.message)
        return bridge.dispatch(op, data, HostCall(op=op, context=context, timeout=5.0))

    guest_bridge.set_door(door)
    try:
        yield anvil.secrets, context, widget
    finally:
        guest_bridge.set_door(None)
        bridge.close()


def test_get_secret_answers_the_value(guest: tuple[types.ModuleType, dict[str, Any], int]) -> None:
    module, _, _ = guest
    assert module.get_secret("API_KEY") == VALUE


def test_a_missing_secret_raises_secret_error(
    guest: tuple[types.ModuleType, dict[str, Any], int],
) -> None:
    module, context, _ = guest
    import anvil.server

    with pytest.raises(module.SecretError, match="No such secret 'MISSING'") as missing:
        module.get_secret("MISSING")
    assert isinstance(missing.value, anvil.server.AnvilWrappedError)
    context["widget_id"] += 1  # another widget's run
    with pytest.raises(module.SecretError, match="API_KEY"):
        module.get_secret("API_KEY")
    with pytest.raises(module.SecretError):
        module.get_secret("not a name")


def test_a_name_that_is_not_text_is_a_type_error(
    guest: tuple[types.ModuleType, dict[str, Any], int],
) -> None:
    module, _, _ = guest
    with pytest.raises(TypeError, match="string"):
        module.get_secret(5)


def test_a_host_without_secrets_raises_secret_error(guest_modules: None) -> None:
    import _widgetbox.bridge as guest_bridge
    import anvil.secrets

    guest_bridge.set_door(lambda frame: error_frame("UnknownOperation", "no such operation"))
    try:
        with pytest.raises(anvil.secrets.SecretError, match="not available"):
            anvil.secrets.get_secret("API_KEY")
    finally:
        guest_bridge.set_door(None)


def test_other_bridge_failures_pass_through(guest_modules: None) -> None:
    import _widgetbox.bridge as guest_bridge
    import anvil.secrets

    guest_bridge.set_door(lambda frame: error_frame("LimitExceeded", "too many calls"))
    try:
        with pytest.raises(guest_bridge.LimitExceeded):
            anvil.secrets.get_secret("API_KEY")
    finally:
        guest_bridge.set_door(None)


def test_the_guest_module_imports_cheaply() -> None:
    # Beyond what the driver has already imported (anvil.server), only the bridge is loaded.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import anvil.server; "
        "before = set(sys.modules); import anvil.secrets; "
        "print(sorted(set(sys.modules) - before))"
    )
    guest = Path(__file__).parents[2] / "wasm-python"
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, str(guest)], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["['_widgetbox',", "'_widgetbox.bridge',", "'anvil.secrets']"]
