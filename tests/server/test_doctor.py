"""`widgetbox doctor` against real things: the machine's interpreter cache and a broken one,
data folders with loose and tight permissions, the apps domain's DNS with names that
resolve here (localhost) and names that cannot (.invalid, RFC 6761), and the public URL
served by Widgetbox on loopback, by something else, and by nothing."""

from __future__ import annotations

import http.server
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.server._live import serve
from widgetbox.host.cli import main
from widgetbox.host.config import load
from widgetbox.host.doctor import FAIL, OK, WARN, Finding, data_folder, dns, examine
from widgetbox.host.doctor import interpreter as interpreter_check
from widgetbox.host.doctor import public_url as public_url_check
from widgetbox.runtime import Pin

pytestmark = pytest.mark.server


def doctor(tmp_path: Path, settings: str, *options: str) -> tuple[int, str]:
    """`widgetbox doctor` with this settings file (TOML), as an operator runs it."""
    config_file = tmp_path / "widgetbox.toml"
    config_file.write_text(settings)
    result = CliRunner().invoke(main, ["doctor", "--config", str(config_file), *options])
    return result.exit_code, result.output


def of(findings: list[Finding], check: str) -> list[tuple[str, str]]:
    return [(f.status, f.message) for f in findings if f.check == check]


def test_a_set_up_server_passes_and_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with serve(data, pool_size=0) as live:
        settings = f'[server]\ndata_dir = "{data}"\npublic_url = "{live.base}"\n'
        code, output = doctor(tmp_path, settings)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].startswith("ok    interpreter: ")
    assert "sha256 verified" in lines[0]
    assert f"ok    data folder: {data}: writable, private (mode 700)" in lines
    assert any(line.startswith("ok    apps DNS: apps at *.localhost") for line in lines)
    assert f"ok    public URL: {live.base} answers as Widgetbox, and is ready" in lines
    assert "WARN" not in output
    assert "FAIL" not in output
    assert lines[-1].startswith("0 failed, 0 warnings")


def test_a_missing_or_corrupt_interpreter_fails_with_the_fix(tmp_path: Path) -> None:
    empty = tmp_path / "empty-cache"
    code, output = doctor(tmp_path, f'[sandbox]\ncache_dir = "{empty}"\n', "--offline")
    assert code == 1
    assert "FAIL  interpreter: the interpreter file" in output
    assert "is missing" in output
    assert "fix: run `widgetbox prepare`" in output
    assert "public URL" not in output  # --offline

    pin = Pin.load()
    module = empty / "interpreter" / f"{pin.project}-{pin.version}" / Path(pin.module.member).name
    module.parent.mkdir(parents=True)
    module.write_bytes(bytes(pin.module.size))  # the right size, the wrong bytes
    config = load(environ={}, overrides={"cache_dir": empty})
    ((status, message),) = of(interpreter_check.check(config), "interpreter")
    assert status == FAIL
    assert f"its sha256 is not {pin.module.sha256}" in message


def test_data_folder_permissions_and_keys(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    config = load(environ={}, overrides={"data_dir": data})

    data.chmod(0o777)
    found = of(data_folder.check(config), "data folder")
    assert (FAIL, f"{data} is writable by every user (mode 777): anyone on the machine could "
            "replace the database") in found  # fmt: skip

    data.chmod(0o755)
    (key := data / "secrets.key").write_bytes(b"k" * 32)
    key.chmod(0o644)
    found = of(data_folder.check(config), "data folder")
    statuses = {status for status, _ in found if "mode" in _}
    assert statuses == {WARN, FAIL}
    assert (FAIL, f"{key} can be read by other users (mode 644)") in found

    data.chmod(0o700)
    key.chmod(0o600)
    found = of(data_folder.check(config), "data folder")
    assert found[0] == (OK, f"{data}: writable, private (mode 700)")
    assert found[1][0] == OK
    assert "GB free of" in found[1][1]

    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    config = load(environ={}, overrides={"data_dir": not_a_folder})
    assert of(data_folder.check(config), "data folder") == [
        (FAIL, f"{not_a_folder} is not a folder")
    ]


def test_too_little_free_space_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free = data_folder.shutil.disk_usage(tmp_path).free
    config = load(environ={}, overrides={"data_dir": tmp_path})
    monkeypatch.setattr(data_folder, "WARN_BELOW", free * 2)
    assert any(
        s == WARN and "GB free" in m for s, m in of(data_folder.check(config), "data folder")
    )
    monkeypatch.setattr(data_folder, "FAIL_BELOW", free * 2)
    assert any(
        s == FAIL and "GB free" in m for s, m in of(data_folder.check(config), "data folder")
    )


def test_the_database_is_read_and_its_pending_migrations_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    config = load(environ={}, overrides={"data_dir": data})
    assert of(data_folder.check(config), "database")[0][1].startswith("none yet at")
    with serve(data, pool_size=0):
        pass
    ((status, message),) = of(data_folder.check(config), "database")
    assert (status, message.endswith("sound, schema up to date")) == (OK, True)
    conn = sqlite3.connect(data / "widgetbox.db")
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('widgetbox', 'm999_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    ((status, message),) = of(data_folder.check(config), "database")
    assert status == FAIL
    assert "was migrated by a newer Widgetbox (m999_from_the_future)" in message
    (data / "widgetbox.db").write_bytes(b"garbage" * 1000)
    for suffix in ("-wal", "-shm"):
        (data / f"widgetbox.db{suffix}").unlink(missing_ok=True)
    ((status, message),) = of(data_folder.check(config), "database")
    assert status == FAIL
    assert "cannot be read" in message


def test_apps_dns_with_names_that_resolve_and_names_that_do_not(tmp_path: Path) -> None:
    assert dns.resolve("localhost")
    assert dns.resolve("localhost") <= {"127.0.0.1", "::1"}
    assert dns.resolve("wb-doctor-test.invalid") is None

    local = load(environ={}, overrides={})
    ((status, message),) = of(dns.check(local), "apps DNS")
    assert status == OK
    assert "*.localhost" in message

    nowhere = load(environ={}, overrides={"apps_domain": "apps.invalid"})
    ((status, message),) = of(dns.check(nowhere), "apps DNS")
    assert status == FAIL
    assert message.startswith("wb-doctor-")
    assert ".apps.invalid does not resolve" in message
    code, output = doctor(tmp_path, '[gui]\napps_domain = "apps.invalid"\n')
    assert code == 1
    assert "fix: add a DNS record *.apps.invalid" in output

    # apps on localhost while people reach Widgetbox by a public name: nobody else sees them
    public = load(
        environ={}, overrides={"public_url": "https://widgets.invalid", "apps_domain": None}
    )
    ((status, message),) = of(dns.check(public), "apps DNS")
    assert status == WARN
    assert "GUI apps will not open for anyone else" in message


@pytest.fixture
def not_widgetbox() -> Iterator[str]:
    """A web server on loopback that is not Widgetbox (every path: 404)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_the_public_url_must_be_widgetbox_and_ready(tmp_path: Path, not_widgetbox: str) -> None:
    def finding(url: str | None) -> tuple[str, str]:
        config = load(environ={}, overrides={"public_url": url} if url else {})
        ((status, message),) = of(public_url_check.check(config), "public URL")
        return status, message

    status, message = finding(f"http://127.0.0.1:{closed_port()}")
    assert status == FAIL
    assert "cannot be reached from here" in message
    status, message = finding(not_widgetbox)
    assert status == FAIL
    assert "/healthz answered 501, not Widgetbox's" in message  # no GET handler there
    status, message = finding(None)
    assert status == WARN
    assert "public_url is not set" in message

    data = tmp_path / "data"
    with serve(data, pool_size=0) as live:
        assert finding(live.base) == (OK, f"{live.base} answers as Widgetbox, and is ready")
        other = sqlite3.connect(live.config.database_path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            status, message = finding(live.base)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert status == WARN
        assert "is Widgetbox, but not ready (503): database: no write transaction" in message


def test_examine_offline_leaves_the_network_alone(tmp_path: Path) -> None:
    config = load(environ={}, overrides={"data_dir": tmp_path, "apps_domain": "apps.invalid"})
    checks = {finding.check for finding in examine(config, network=False)}
    assert checks == {"interpreter", "data folder", "database"}
