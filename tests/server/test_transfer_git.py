"""Importing from a git URL over the JSON API, against a real git server (`git http-backend`
on loopback, tests/git_server.py): an Anvil app's repository becomes a widget; loopback is
refused unless the `[imports]` settings allow it; every kind of failure says what it is.
Cloning itself (pinning, bounds, the strict environment) is tested in
tests/unit/test_git_clone.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import anvil_repo
from tests.git_server import GitServer, make_repo, serving
from tests.server._client import Browser, assert_error
from tests.server.conftest import Server

pytestmark = pytest.mark.server


@pytest.fixture
def git(tmp_path: Path) -> Iterator[GitServer]:
    root = tmp_path / "repos"
    root.mkdir()
    make_repo(root, "forecast.git", anvil_repo.api())
    make_repo(root, "linked.git", anvil_repo.api(), links={"server_code/extra.py": "../x"})
    with serving(root) as state:
        yield state


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server(git_import_allow_private=True)


def from_git(browser: Browser, url: str, **fields: str):  # type: ignore[no-untyped-def]
    # multipart, as the import page sends it (an empty file part stays out)
    return browser.post(
        "/api/imports", files={"git_url": (None, url), **{k: (None, v) for k, v in fields.items()}}
    )


def test_an_anvil_app_imports_from_a_git_url(git: GitServer, alice: Browser, anon: Browser) -> None:
    answer = from_git(alice, git.url("forecast.git"), visibility="public")
    assert answer.status_code == 201, answer.text
    widget = answer.json()["widget"]
    assert widget["kind"] == "http"
    assert answer.json()["source"] == "anvil"
    forecast = anon.get(f"/w/{widget['slug']}/forecast/paris")
    assert forecast.json() == {"city": "paris", "tomorrow": "sunny"}
    # the clone spoke git's smart protocol to the server
    assert any(path.endswith("/git-upload-pack") for path in git.requests)


def test_loopback_is_refused_by_default_with_a_clear_message(
    git: GitServer, make_server: Callable[..., Server], tmp_path: Path
) -> None:
    default = make_server(data_dir=tmp_path / "default")
    alice = default.user("alice")
    for url in (git.url("forecast.git"), git.url("forecast.git", host="localhost")):
        error = assert_error(from_git(alice, url), 403, "git_url_refused")
        assert "loopback address" in error["message"]
        assert "git_import_allow_private" in error["message"]
    assert git.requests == []  # nothing reached the server


def test_failures_are_named(git: GitServer, alice: Browser) -> None:
    cases = [
        ("ssh://example.com/app.git", 422, "invalid_git_url", "Only https and http"),
        ("https://me:secret@example.com/app.git", 422, "invalid_git_url", "credentials"),
        ("not a url", 422, "invalid_git_url", "not an absolute"),
        (git.url("missing.git"), 400, "git_clone_failed", "is not a git repository"),
        (git.url("linked.git"), 400, "invalid_files", "a symbolic link"),
    ]
    for url, status, code, words in cases:
        error = assert_error(from_git(alice, url), status, code)
        assert words in error["message"], (url, error)
    git.redirects["/moved"] = git.url("forecast.git")
    error = assert_error(from_git(alice, git.url("moved")), 400, "git_clone_failed")
    assert "redirect" in error["message"]


def test_one_source_at_a_time(git: GitServer, alice: Browser) -> None:
    both = alice.post(
        "/api/imports",
        files={"file": ("app.zip", anvil_repo.zipped(anvil_repo.api()), "application/zip")},
        data={"git_url": git.url("forecast.git")},
    )
    assert_error(both, 422, "two_sources")
    assert_error(alice.post("/api/imports", files={"title": (None, "x")}), 422, "nothing_to_import")


def test_the_import_page_offers_a_git_url(alice: Browser) -> None:
    page = alice.get("/import")
    assert 'name="git_url"' in page.text
