"""Cloning a git URL for an import (host/transfer/git_clone.py) against a real git server on
loopback (tests/git_server.py): the host name resolved once and the clone pinned to the
vetted address, the policy's refusals, the time and size bounds, and the server's own
environment kept out of git."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.git_server import GitServer, make_empty_repo, make_repo, serving
from widgetbox.host.errors import DomainError, Forbidden
from widgetbox.host.outbound import OutboundPolicy
from widgetbox.host.transfer import git_clone, trees

LOCAL = OutboundPolicy(allow_private=True)
APP = {
    "anvil.yaml": b"name: Forecast\n",
    "server_code/api.py": b"x = 1\n",
    ".gitignore": b"*.pyc\n",
}


@pytest.fixture
def git(tmp_path: Path) -> Iterator[GitServer]:
    root = tmp_path / "repos"
    root.mkdir()
    make_repo(root, "app.git", APP)
    make_repo(root, "big.git", {**APP, "theme/assets/photo.bin": os.urandom(300_000)})
    make_empty_repo(root, "empty.git")
    with serving(root) as state:
        yield state


def refusal(url: str, policy: OutboundPolicy = LOCAL, **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        git_clone.clone(url, policy, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_the_latest_commit_s_files(git: GitServer) -> None:
    read = git_clone.clone(git.url("app.git"), LOCAL)
    assert read.tree == dict(sorted(APP.items()))


def test_the_name_is_resolved_once_and_the_clone_pinned_to_that_address(git: GitServer) -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["127.0.0.1"]

    # the name exists in no DNS: only the pinned address can reach the server
    url = git.url("app.git", host="git.widgetbox.invalid")
    assert git_clone.clone(url, LOCAL, resolve=resolve).tree == dict(sorted(APP.items()))
    assert asked == [("git.widgetbox.invalid", git.port)]


def test_private_addresses_are_refused_unless_allowed(git: GitServer) -> None:
    for policy in (OutboundPolicy(), OutboundPolicy(allowlist=("other.example",))):
        error = refusal(git.url("app.git"), policy)
        assert isinstance(error, Forbidden)
        assert "loopback address" in error.message
    assert git.requests == []  # refused before anything was sent
    allowed = OutboundPolicy(allowlist=("git.internal",))
    url = git.url("app.git", host="git.internal")
    assert git_clone.clone(url, allowed, resolve=lambda host, port: ["127.0.0.1"]).tree
    # a name that resolves to any private address is refused, whichever comes first
    error = refusal(url, OutboundPolicy(), resolve=lambda host, port: ["93.184.215.14", "10.0.0.7"])
    assert "private address" in error.message
    # cloud metadata: never, whatever the settings
    for url in ("http://169.254.169.254/latest.git", "http://metadata.google.internal/x.git"):
        assert refusal(url).code == "git_url_refused"


def test_bounds(git: GitServer) -> None:
    small = git_clone.GitLimits(bounds=trees.Bounds(total_bytes=100_000))
    error = refusal(git.url("big.git"), limits=small)
    assert error.code == "git_too_large"
    few = git_clone.GitLimits(bounds=trees.Bounds(files=2))
    assert refusal(git.url("app.git"), limits=few).code == "invalid_files"
    git.delay = 3.0
    error = refusal(git.url("app.git"), limits=git_clone.GitLimits(timeout=1.0))
    assert error.code == "git_timeout"


def test_failures(git: GitServer) -> None:
    assert refusal(git.url("empty.git")).code == "git_empty"
    error = refusal(git.url("nothing-here.git"))
    assert (error.code, "is not a git repository" in error.message) == ("git_clone_failed", True)
    error = refusal(f"http://127.0.0.1:{_closed_port()}/app.git")
    assert "could not be reached" in error.message


def test_the_server_s_environment_stays_out_of_git(
    git: GitServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a proxy that does not exist and a configuration that would rewrite every URL
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    config = tmp_path / "gitconfig"
    config.write_text('[url "http://127.0.0.1:9/"]\n\tinsteadOf = http://\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'http.extraHeader'='X-Leak: 1'")
    assert git_clone.clone(git.url("app.git"), LOCAL).tree


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
