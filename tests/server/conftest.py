"""The server tier's fixtures: a fresh app per test on a database file in tmp_path, driven
in-process by Litestar's TestClient, with as many independent browsers as a test needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import TestClient

from tests.server._client import Browser, signup
from widgetbox.host.accounts import users as accounts
from widgetbox.host.accounts.sessions import cookie_name as session_cookie_name
from widgetbox.host.app import create_app
from widgetbox.host.config import Config, load
from widgetbox.host.storage.database import Database
from widgetbox.host.web.guards import csrf_cookie_name

REAL_HASHER = accounts._hasher
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


class Server:
    """A running app (its lifespan entered) and the browsers that talk to it. Browsers share
    the first client's event loop, so they see one app with one database."""

    def __init__(self, app: Litestar, config: Config, client: TestClient[Any]) -> None:
        self.app = app
        self.config = config
        self._main = client

    @property
    def db(self) -> Database:
        db: Database = self.app.state.db
        return db

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(*args)` on the app's event loop (awaited if it is a coroutine function), from
        the test's thread: how a test drives the app's own tasks (the scheduler's tick)."""
        return self._main.blocking_portal.call(fn, *args)

    def browser(self) -> Browser:
        """A new visitor with an empty cookie jar (anonymous until it signs up or logs in)."""
        client: TestClient[Any] = TestClient(self.app, base_url=base_url(self.config))
        client.blocking_portal = self._main.blocking_portal
        return Browser(client, csrf_cookie_name(self.config), session_cookie_name(self.config))

    def user(self, username: str) -> Browser:
        """A new browser, signed up as `username`."""
        browser = self.browser()
        signup(browser, username)
        return browser


def base_url(config: Config) -> str:
    # TestClient warns about a host without a dot; an https public_url has one.
    return (
        config.server.public_url
        if config.https and config.server.public_url
        else "http://testserver.local"
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with tiny costs: a sign-up takes microseconds instead of ~80 ms. The stored
    hash names its own parameters, so verification is unaffected. `real_password_hashing`
    restores the production hasher for the test that checks it."""
    monkeypatch.setattr(accounts, "_hasher", FAST_HASHER)


@pytest.fixture
def real_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", REAL_HASHER)


@pytest.fixture
def make_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Server]]:
    """`make_server(environ=None, **settings)`: a fresh app with these settings (data in
    tmp_path/data unless `data_dir` is given) and WIDGETBOX_* variables, started; stopped at
    the end of the test."""
    monkeypatch.chdir(tmp_path)  # no ./widgetbox.toml from the developer's checkout
    stack = ExitStack()

    def make(environ: Mapping[str, str] | None = None, **overrides: Any) -> Server:
        settings = {
            "data_dir": tmp_path / "data",
            # one client address for every browser here: only the rate-limit test limits it
            "login_attempts_per_minute": 10_000,
            # runs start their interpreter on demand; no pool to fill and close per test
            "pool_size": 0,
            **overrides,
        }
        config = load(environ=dict(environ or {}), overrides=settings)
        app = create_app(config)
        client = stack.enter_context(TestClient(app, base_url=base_url(config)))
        return Server(app, config, client)

    with stack:
        yield make


@contextmanager
def running_server(data: Path, **settings: Any) -> Iterator[Server]:
    """The app on the data folder `data` from start to stop: the block's end stops it in
    order, as a server's shutdown does (a restart is two blocks on one folder)."""
    config = load(
        environ={},
        overrides={"data_dir": data, "login_attempts_per_minute": 10_000, "pool_size": 0}
        | settings,
    )
    app = create_app(config)
    with TestClient(app, base_url=base_url(config)) as client:
        yield Server(app, config, client)


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server()


@pytest.fixture
def admin(server: Server) -> Browser:
    """The first account (the admin, with the example widgets)."""
    return server.user("admin")


@pytest.fixture
def alice(server: Server, admin: Browser) -> Browser:
    """An ordinary account (signed up after the admin)."""
    return server.user("alice")


@pytest.fixture
def bob(server: Server, alice: Browser) -> Browser:
    """Another ordinary account."""
    return server.user("bob")


@pytest.fixture
def anon(server: Server) -> Browser:
    return server.browser()
