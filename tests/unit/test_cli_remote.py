"""The remote command line's own logic, without a server: merging a clone with the server's
versions, writing into the folder, the credentials file, server addresses, server-sent
events, and what each command says about itself. tests/server/test_cli_remote.py runs the
commands against a real server."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from widgetbox.host.cli import checkout, credentials, main
from widgetbox.host.cli.connect import RemoteError
from widgetbox.host.cli.remote import Remote, make_token, parse_events

pytestmark = pytest.mark.unit


# -- comparing and merging -----------------------------------------------------------------


def test_changes_by_file() -> None:
    old = {"a.py": b"1", "b.py": b"2", "c.py": b"3"}
    new = {"a.py": b"1", "b.py": b"two", "d.py": b"4"}
    assert checkout.changes(old, new) == {"b.py": "modified", "c.py": "deleted", "d.py": "added"}


def test_a_merge_takes_the_servers_changes_and_keeps_the_folders() -> None:
    base = {"same": b"s", "ours": b"o", "theirs": b"t", "gone": b"g", "both": b"b"}
    local = {"same": b"s", "ours": b"O", "theirs": b"t", "gone": b"g", "both": b"B", "mine": b"m"}
    head = {"same": b"s", "ours": b"o", "theirs": b"T", "both": b"B", "new": b"n"}
    merged = checkout.merge(base, local, head)
    assert merged.tree == {
        "same": b"s",
        "ours": b"O",
        "theirs": b"T",
        "both": b"B",  # changed alike on both sides: no conflict
        "mine": b"m",
        "new": b"n",
    }
    assert merged.taken == {"theirs": "modified", "gone": "deleted", "new": "added"}
    assert merged.kept == {"ours": "modified", "mine": "added"}
    assert merged.conflicts == []


def test_a_file_changed_differently_on_both_sides_is_a_conflict() -> None:
    merged = checkout.merge({"a": b"1"}, {"a": b"mine"}, {"a": b"theirs"})
    assert merged.conflicts == ["a"]
    assert merged.tree == {"a": b"mine"}
    deleted_here = checkout.merge({"a": b"1"}, {}, {"a": b"theirs"})
    assert deleted_here.conflicts == ["a"]


def test_without_a_base_only_one_sided_files_merge() -> None:
    merged = checkout.merge(None, {"a": b"1", "b": b"x"}, {"a": b"1", "b": b"y", "c": b"z"})
    assert merged.conflicts == ["b"]
    assert merged.taken == {"c": "added"}


# -- the folder ----------------------------------------------------------------------------


def test_apply_writes_changes_and_removes_emptied_folders(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "old.py").write_text("old")
    (tmp_path / "main.py").write_text("1")
    old = {"pkg/old.py": b"old", "main.py": b"1"}
    new = {"main.py": b"2", "deep/er/new.bin": b"\x00\xff"}
    assert checkout.apply(tmp_path, old, new) == {
        "deep/er/new.bin": "added",
        "main.py": "modified",
        "pkg/old.py": "deleted",
    }
    assert (tmp_path / "main.py").read_bytes() == b"2"
    assert (tmp_path / "deep" / "er" / "new.bin").read_bytes() == b"\x00\xff"
    assert not (tmp_path / "pkg").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "main.py"]


@pytest.mark.parametrize("path", ["../escape.py", "/etc/x", ".widgetbox/remote.toml", "a//b"])
def test_apply_refuses_paths_outside_the_folder_or_its_link(tmp_path: Path, path: str) -> None:
    with pytest.raises(RemoteError, match="cannot hold"):
        checkout.apply(tmp_path, {}, {path: b"x"})
    assert list(tmp_path.iterdir()) == []


def test_apply_never_writes_through_a_symbolic_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "clone"
    root.mkdir()
    (root / "lib").symlink_to(outside)
    with pytest.raises(RemoteError, match="symbolic link"):
        checkout.apply(root, {}, {"ok.py": b"1", "lib/x.py": b"x"})
    assert list(outside.iterdir()) == []
    assert not (root / "ok.py").exists()  # every path is checked before anything is written


def test_unchanged_binary_files_are_sent_as_the_servers_own_text() -> None:
    known = {"logo.png": "data:image/png;charset=x;base64,AAE=", "main.py": "print(1)\n"}
    tree = {"logo.png": b"\x00\x01", "main.py": b"print(2)\n", "new.bin": b"\xff"}
    sent = checkout.files_to_send(tree, known)
    assert sent["logo.png"] == known["logo.png"]
    assert sent["main.py"] == "print(2)\n"
    assert sent["new.bin"] == "data:application/octet-stream;base64,/w=="


# -- credentials and addresses -------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://Widgets.Example.com/", "https://widgets.example.com"),
        ("widgets.example.com", "https://widgets.example.com"),
        ("localhost:8000", "http://localhost:8000"),
        ("127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ],
)
def test_a_servers_address_is_its_origin(given: str, origin: str) -> None:
    assert credentials.server_url(given) == origin


@pytest.mark.parametrize(
    "given", ["ftp://x", "https://", "https://h/sub/path", "https://user:pw@h", "https://h?q=1"]
)
def test_other_addresses_are_refused(given: str) -> None:
    with pytest.raises(credentials.CredentialsError):
        credentials.server_url(given)


def test_the_credentials_file_is_private_and_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    login = credentials.Login("https://w.example", 'al"ice', "wbt_x", "cli on box", "2027-01-01")
    permissive = os.umask(0)  # whatever the umask, the modes below hold
    try:
        saved = credentials.save(credentials.Logins("https://w.example", {login.server: login}))
    finally:
        os.umask(permissive)
    assert saved == tmp_path / "config" / "widgetbox" / "credentials.toml"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert not credentials.readable_by_others()
    assert credentials.load() == credentials.Logins(login.server, {login.server: login})
    saved.chmod(0o644)
    assert credentials.readable_by_others()


def test_a_damaged_credentials_file_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "widgetbox").mkdir()
    (tmp_path / "widgetbox" / "credentials.toml").write_text("[servers.'x']\nusername = 1\n")
    with pytest.raises(credentials.CredentialsError, match="damaged"):
        credentials.load()


# -- the HTTP client -----------------------------------------------------------------------


def test_server_sent_events_are_parsed_as_sent() -> None:
    lines = [
        ": a comment",
        "event: status",
        'data: {"status": "running"}',
        "",
        "event: output",
        "data: line one",
        "data: line two",
        "",
        "data: unnamed",
    ]
    assert list(parse_events(lines)) == [
        ("status", '{"status": "running"}'),
        ("output", "line one\nline two"),
        ("message", "unnamed"),
    ]


def error(status: int, code: str, message: str = "Nope.") -> httpx.Response:
    body = {"error": {"status": status, "code": code, "message": message, "details": {}}}
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("answer", "exit_code", "words"),
    [
        (error(401, "token_expired"), 7, "Your login to http://w has expired: log in again"),
        (error(401, "token_revoked"), 7, "was revoked"),
        (error(403, "insufficient_scope", "Needs write."), 7, "Needs write. Log in again"),
        (error(404, "not_found", "There is no widget 'x'."), 1, "There is no widget 'x'."),
        (httpx.Response(502, text="<html>"), 1, "answered 502 Bad Gateway"),
        (
            httpx.Response(307, headers={"location": "https://w/"}),
            7,
            "sends requests to https://w/",
        ),
        (  # a former address is followed only on the same server
            httpx.Response(308, headers={"location": "https://w/api/widgets"}),
            7,
            "sends requests to https://w/api/widgets",
        ),
    ],
)
def test_refusals_become_errors_with_an_exit_status(
    answer: httpx.Response, exit_code: int, words: str
) -> None:
    transport = httpx.MockTransport(lambda request: answer)
    with (
        Remote("http://w", "wbt_secret", transport=transport) as remote,
        pytest.raises(RemoteError) as raised,
    ):
        remote.get("/api/widgets")
    assert raised.value.exit_code == exit_code
    assert words in raised.value.message
    assert "wbt_secret" not in raised.value.message


def test_the_token_goes_in_the_authorization_header_only() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    with Remote("http://w", "wbt_secret", transport=httpx.MockTransport(answer)) as remote:
        assert remote.get("/api/session") == {"ok": True}
    assert seen[0].headers["authorization"] == "Bearer wbt_secret"
    assert "cookie" not in seen[0].headers


def test_signing_in_sends_the_csrf_token_and_signs_out() -> None:
    calls: list[tuple[str, str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path, request.headers.get("x-csrf-token")))
        if request.method == "GET":
            return httpx.Response(200, json={"user": None}, headers={"set-cookie": "wb_csrf=c1"})
        if request.url.path == "/api/auth/login":
            return httpx.Response(
                200, json={"user": {"username": "alice"}}, headers={"set-cookie": "wb_session=s"}
            )
        if request.url.path == "/api/tokens":
            token = {"name": "cli on box", "expires_at": "2027-01-01T00:00:00Z"}
            return httpx.Response(201, json={"token": token, "value": "wbt_new"})
        return httpx.Response(200, json={"user": None})

    made = make_token(
        "http://w", "alice", "pw", "cli on box", 90, transport=httpx.MockTransport(answer)
    )
    assert (made.value, made.username, made.name) == ("wbt_new", "alice", "cli on box")
    assert calls == [
        ("GET", "/api/session", None),
        ("POST", "/api/auth/login", "c1"),
        ("POST", "/api/tokens", "c1"),
        ("POST", "/api/auth/logout", "c1"),
    ]


# -- the commands --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["login"], ["URL", "--token", "--password-stdin", "0600", "Example:", "Exit status"]),
        (["logout"], ["revoke it in Settings", "Example:", "Exit status"]),
        (["list"], ["--server", "--json", "Example:", "Exit status"]),
        (["clone"], ["SLUG", "FOLDER", ".widgetbox.toml", "Example:", "Exit status"]),
        (["pull"], ["--force", "both sides", "Example:", "Exit status"]),
        (["push"], ["--force", "--message", "newer version", "Example:", "Exit status"]),
        (["status"], ["file by file", "--json", "Example:", "Exit status"]),
        (["logs"], ["--follow", "--lines", "--json", "Example:", "Exit status"]),
        (["open"], ["--browser", "Example:", "Exit status"]),
        (["watch"], ["--debounce", "Ctrl-C", "Example:", "Exit status"]),
        (["run"], ["SLUG", "--remote", "--push", "cloned", "Example:", "7 (remote)"]),
    ],
)
def test_every_remote_command_explains_itself(args: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    for word in words:
        assert word in result.output, word


def test_run_tells_local_and_remote_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    runner = CliRunner()
    nothing = runner.invoke(main, ["run"])
    assert nothing.exit_code == 2
    assert "Name a FILE to run here" in nothing.output
    missing = runner.invoke(main, ["run", "no/such/file.py"])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    limits = runner.invoke(main, ["run", "--timeout", "5", "my-widget"])
    assert limits.exit_code == 2
    assert "--timeout and --memory are for local runs" in limits.output
    remote = runner.invoke(main, ["run", "my-widget"])
    assert remote.exit_code == 7
    assert "Not logged in: run `widgetbox login URL` first." in remote.output


def test_a_renamed_widgets_former_address_is_followed_with_the_token() -> None:
    seen: list[tuple[str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        if request.url.path == "/api/widgets/old":
            return httpx.Response(308, headers={"location": "/api/widgets/new"})
        return httpx.Response(200, json={"slug": "new"})

    with Remote("http://w", "wbt_secret", transport=httpx.MockTransport(answer)) as remote:
        assert remote.request("PUT", "/api/widgets/old", body={"x": 1}) == {"slug": "new"}
    assert seen == [
        ("/api/widgets/old", "Bearer wbt_secret"),
        ("/api/widgets/new", "Bearer wbt_secret"),
    ]
