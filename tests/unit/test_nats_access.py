"""The files a NATS client connects with (runtime/remote/_access.py), checked before any
connection and never shown: a CA or certificate that cannot be used, a seed that is not
one, a seed others may read; `widgetbox nkey`; nats-server's configuration with nkey users
(the same permissions as password users) and TLS; the nats_* settings."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import _certs
from widgetbox.host.cli import main
from widgetbox.host.config import ConfigError, load
from widgetbox.runtime.remote import Access, _auth, new_seed, public_key

pytestmark = pytest.mark.unit

SEED_LOOKALIKE = "SUAJUNKJUNKJUNKJUNKJUNKJUNKJUNKJUNKJUNKJUNKJUNKJUNKJUNKJUNKJUNK"


def test_a_new_seed_is_its_owners_only_and_gives_its_public_key(tmp_path: Path) -> None:
    seed = tmp_path / "worker.nk"
    public = new_seed(seed)
    assert public.startswith("U")
    assert len(public) == 56
    assert seed.read_text().startswith("SU")
    assert seed.stat().st_mode & 0o777 == 0o600
    assert public_key(seed) == public
    with pytest.raises(FileExistsError):
        new_seed(seed)  # never overwritten
    assert public_key(seed) == public


def test_the_nkey_command_makes_a_seed_and_prints_its_public_key(tmp_path: Path) -> None:
    seed = tmp_path / "host.nk"
    made = CliRunner().invoke(main, ["nkey", str(seed)])
    assert made.exit_code == 0, made.output
    assert made.output.strip() == public_key(seed)
    assert seed.read_text().strip() not in made.output  # the secret stays in the file
    again = CliRunner().invoke(main, ["nkey", str(seed)])
    assert again.exit_code == 1
    assert "exists already" in again.output


@pytest.mark.parametrize("text", ["", "not a seed\n", SEED_LOOKALIKE, "UABC" + "A" * 52])
def test_a_file_that_is_not_a_seed_is_named_but_not_shown(tmp_path: Path, text: str) -> None:
    seed = tmp_path / "bad.nk"
    seed.write_text(text)
    seed.chmod(0o600)
    with pytest.raises(ValueError, match="not an nkey user seed") as raised:
        Access(nkey=seed).check()
    assert str(seed) in str(raised.value)
    assert not text.strip() or text.strip() not in str(raised.value)


def test_a_seed_with_a_wrong_checksum_is_refused(tmp_path: Path) -> None:
    seed = tmp_path / "typo.nk"
    new_seed(seed)
    text = seed.read_text().strip()
    seed.write_text(text[:-1] + ("A" if text[-1] != "A" else "B"))
    with pytest.raises(ValueError, match="not an nkey user seed"):
        public_key(seed)


def test_a_seed_others_may_read_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seed = tmp_path / "open.nk"
    new_seed(seed)
    seed.chmod(0o644)
    with caplog.at_level(logging.WARNING, "widgetbox.runtime.remote"):
        Access(nkey=seed).check()
    assert "may be read by other users" in caplog.text
    assert seed.read_text().strip() not in caplog.text


def test_tls_files_that_cannot_be_used_are_named(tmp_path: Path) -> None:
    ca = _certs.authority(tmp_path / "ca")
    client = ca.issue("w1", client=True)
    other = _certs.authority(tmp_path / "other").issue("w1", client=True)
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello\n")
    assert Access(ca=ca.cert, cert=client.cert, key=client.key).tls() is not None
    assert Access().tls() is None  # nats-py's default context, for a tls:// URL
    for access, named in (
        (Access(ca=not_pem), not_pem),
        (Access(ca=tmp_path / "missing.pem"), tmp_path / "missing.pem"),
        (Access(ca=ca.cert, cert=client.cert, key=other.key), client.cert),  # not its key
    ):
        with pytest.raises(ValueError, match="not a readable") as raised:
            access.check()
        assert str(named) in str(raised.value)
    with pytest.raises(ValueError, match="needs its certificate"):
        Access(ca=ca.cert, key=client.key).check()


def test_nats_server_knows_nkey_users_with_the_same_permissions(tmp_path: Path) -> None:
    config = json.loads(
        _auth.server_config(
            listen="127.0.0.1:4222",
            store_dir=tmp_path,
            host_nkey="UHOST",
            workers={"w1": "p1"},
            worker_nkeys={"w2": "UW2"},
            tls={"cert_file": "/c.pem", "key_file": "/k.pem"},
        )
    )
    users = config["authorization"]["users"]
    assert {"nkey": "UHOST"} in users  # the host may do anything
    w2 = next(user for user in users if user.get("nkey") == "UW2")
    assert set(w2) == {"nkey", "permissions"}
    assert w2["permissions"] == _auth.worker_permissions("w2")
    assert not any(user.get("user") == _auth.HOST_USER for user in users)
    assert config["tls"] == {"cert_file": "/c.pem", "key_file": "/k.pem"}


def test_the_nats_settings_are_checked(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    settings = tmp_path / "widgetbox.toml"
    settings.write_text("")
    found = load(
        settings, environ={"WIDGETBOX_NATS_URL": "tls://nats1:4222", "WIDGETBOX_NATS_CA": str(ca)}
    )
    assert found.sandbox.nats_ca == ca
    with pytest.raises(ConfigError, match="nats_ca set but nats_url is not"):
        load(settings, environ={"WIDGETBOX_NATS_CA": str(ca)})
    with pytest.raises(ConfigError, match="expected the path of an existing file"):
        load(settings, environ={"WIDGETBOX_NATS_URL": "x", "WIDGETBOX_NATS_NKEY": "/no/such"})
    with pytest.raises(ConfigError, match="a client key needs its certificate"):
        load(settings, environ={"WIDGETBOX_NATS_URL": "x", "WIDGETBOX_NATS_KEY": str(ca)})
    both = {"WIDGETBOX_NATS_NKEY": str(ca), "WIDGETBOX_NATS_CREDS": str(ca)}
    with pytest.raises(ConfigError, match="nats_nkey and nats_creds are both set"):
        load(settings, environ={"WIDGETBOX_NATS_URL": "x", **both})
    with pytest.raises(ConfigError, match="nats_creds set but nats_url is not"):
        load(settings, environ={"WIDGETBOX_NATS_CREDS": str(ca)})


def test_urls_are_logged_without_users_and_passwords() -> None:
    from widgetbox.runtime.remote._link import where

    assert where("tls://w1:s3cret@nats1:4222, nats://h:p://x@nats2:4222") == (
        "tls://nats1:4222,nats://nats2:4222"
    )
    assert where("w1:s3cret@nats1") == "nats1"
    assert where("tls://nats1:4222") == "tls://nats1:4222"
