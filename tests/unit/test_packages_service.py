"""Packages in the database and the background service: locks carried by saves, restores
and forks; the environment a version runs with (the previous one while a new one
installs); shared environments; garbage collection. A real SQLite file and a local index."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from packaging.version import Version

from tests.package_index import PackageIndex, sdist, wheel
from widgetbox.host.accounts.users import User, create_user
from widgetbox.host.config import load
from widgetbox.host.packages import Lock, Locked, PackageService, records
from widgetbox.host.packages.builtin import Builtin
from widgetbox.host.storage.database import Database
from widgetbox.host.widgets import records as widgets

pytestmark = pytest.mark.unit

FILES = {"main.py": "import demo_lib\nprint(demo_lib.VERSION)\n"}
LOCK = Lock(
    "demo-lib", "3.15.0", (Locked("demo-lib", "1.0", filename="d.whl", url="u", sha256="ab"),)
)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "widgetbox.db")
    yield database
    database.close()


@pytest.fixture
def owner(db: Database) -> User:
    return db.write_now(create_user, "alice", "x", True)


def make(db: Database, owner: User, requirements: str | None, title: str = "W") -> widgets.Widget:
    files = dict(FILES)
    if requirements is not None:
        files["requirements.txt"] = requirements
    return db.write_now(widgets.create, owner, "script", title, None, "private", files)


def save(db: Database, owner: User, widget: widgets.Widget, **files: str) -> int:
    def write(conn: sqlite_utils.Database) -> int:
        current = widgets._by_id(conn, widget.id)
        merged = {**widgets.head_files(conn, current), **files}
        merged = {path: text for path, text in merged.items() if text}
        return widgets.save(conn, current, owner, current.head_version, merged)[1]

    return db.write_now(write)


def state(db: Database, widget: widgets.Widget, version: int) -> records.VersionPackages | None:
    return db.read_now(records.get, widget.id, version)


def ready(db: Database, widget: widgets.Widget, version: int, lock: Lock = LOCK) -> None:
    db.write_now(records.record_ready, widget.id, version, lock, 123)


# -- records ---------------------------------------------------------------------------------


def test_a_version_without_requirements_has_no_packages(db: Database, owner: User) -> None:
    widget = make(db, owner, None)
    assert state(db, widget, 1) is None
    assert db.read_now(records.active, widget.id, 1) == (1, None)
    assert state(db, make(db, owner, "# none yet\n"), 1) is None


def test_new_requirements_are_pending_until_installed(db: Database, owner: User) -> None:
    widget = make(db, owner, "Demo_Lib\n")
    found = state(db, widget, 1)
    assert found is not None
    assert (found.status, found.requirements, found.lock) == ("pending", "demo-lib", None)
    ready(db, widget, 1)
    found = state(db, widget, 1)
    assert found is not None
    assert found.status == "ready"
    assert found.lock == LOCK
    assert found.environment == LOCK.key
    assert db.read_now(records.environment, LOCK.key)["size"] == 123


def test_a_save_keeps_the_lock_when_the_requirements_stay_the_same(
    db: Database, owner: User
) -> None:
    widget = make(db, owner, "demo-lib\n")
    ready(db, widget, 1)
    version = save(
        db, owner, widget, **{"main.py": "print(2)\n", "requirements.txt": "demo_lib # x"}
    )
    found = state(db, widget, version)
    assert found is not None
    assert found.status == "ready"
    assert found.lock == LOCK
    changed = save(db, owner, widget, **{"requirements.txt": "demo-lib>=1\n"})
    found = state(db, widget, changed)
    assert found is not None
    assert found.status == "pending"
    assert found.lock is None


def test_a_restore_and_a_fork_get_the_same_lock(db: Database, owner: User) -> None:
    widget = make(db, owner, "demo-lib\n")
    ready(db, widget, 1)
    save(db, owner, widget, **{"requirements.txt": "helper\n"})

    def restore(conn: sqlite_utils.Database) -> int:
        return widgets.restore(conn, widgets._by_id(conn, widget.id), owner, 1)[1]

    restored = db.write_now(restore)
    found = state(db, widget, restored)
    assert found is not None
    assert (found.status, found.lock) == ("ready", LOCK)

    bob = db.write_now(create_user, "bob", "x", True)
    origin = db.read_now(widgets.find, widget.slug)  # now at version 3, the restore
    copy = db.write_now(widgets.fork, origin, bob)
    found = state(db, copy, 1)
    assert found is not None
    assert (found.status, found.lock) == ("ready", LOCK)
    assert found.environment == LOCK.key


def test_a_version_runs_with_the_previous_environment_until_its_own_is_ready(
    db: Database, owner: User
) -> None:
    widget = make(db, owner, "demo-lib\n")
    assert db.read_now(records.active, widget.id, 1) == (0, None)  # nothing settled yet
    ready(db, widget, 1)
    v2 = save(db, owner, widget, **{"requirements.txt": "demo-lib\nhelper\n"})
    assert db.read_now(records.active, widget.id, v2) == (1, LOCK.key)
    db.write_now(records.finish, widget.id, v2, "failed", "helper: no wheel")
    v3 = save(db, owner, widget, **{"main.py": "print(3)\n"})  # same failing requirements
    assert state(db, widget, v3) is not None
    assert db.read_now(records.active, widget.id, v3) == (1, LOCK.key)
    v4 = save(db, owner, widget, **{"requirements.txt": ""})  # no requirements: no packages
    assert db.read_now(records.active, widget.id, v4) == (v4, None)
    v5 = save(db, owner, widget, **{"requirements.txt": "other\n"})
    assert db.read_now(records.active, widget.id, v5) == (v4, None)


def test_collection_forgets_environments_no_version_uses(db: Database, owner: User) -> None:
    widget = make(db, owner, "demo-lib\n")
    ready(db, widget, 1)
    other = Lock("x", "3.15.0", (Locked("x", "1", filename="x.whl", url="u", sha256="cd"),))
    db.write_now(records.record_ready, widget.id, 1, other, 1)  # a reinstall moved version 1
    assert other.key is not None
    assert LOCK.key is not None
    assert db.write_now(records.collect, frozenset({LOCK.key})) == {LOCK.key, other.key}
    assert db.write_now(records.collect, frozenset()) == {other.key}
    assert db.read_now(records.environment, LOCK.key) is None
    db.write_now(widgets.delete, widget)
    assert db.write_now(records.collect, frozenset()) == set()


# -- the service -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    folder = tmp_path_factory.mktemp("wheels")
    served = PackageIndex()
    served.add(wheel(folder, "demo-lib", "1.0", requires=["helper", "numpy"]))
    served.add(wheel(folder, "helper", "1.2"))
    served.add(sdist(folder, "sdistonly", "1.0"))
    with served.serving():
        yield served


class Harness:
    def __init__(self, tmp_path: Path, index: PackageIndex, **settings: Any) -> None:
        self.config = load(
            environ={},
            overrides={"data_dir": tmp_path / "data", "package_index": index.url, **settings},
        )
        self.db = Database(self.config.database_path)
        self.owner = self.db.write_now(create_user, "alice", "x", True)
        numpy = Builtin("numpy", Version("2.5.2"), ())
        self.service = PackageService(self.config, self.db, builtins=lambda: {"numpy": numpy})

    async def folder(self, widget_id: int, version: int) -> Path | None:
        """The environment folder the version runs with, as the runner reads it."""
        return await self.db.read(self.service.folder_for, widget_id, version)

    def run(self, scenario: Callable[[], Awaitable[None]]) -> None:
        """Run `scenario` with the service started; stop it and close the database after."""

        async def main() -> None:
            await self.service.start()
            try:
                await scenario()
            finally:
                await self.service.stop()
                self.db.close()

        asyncio.run(main())

    async def settle(self, widget: widgets.Widget, version: int) -> records.VersionPackages:
        await self.service.request(widget.id, version)
        deadline = time.monotonic() + 20
        while True:
            found = await self.db.read(records.get, widget.id, version)
            assert found is not None
            if found.status != "pending":
                return found
            assert time.monotonic() < deadline, "the install did not finish"
            await asyncio.sleep(0.01)


def test_two_widgets_with_the_same_requirements_share_one_environment(
    tmp_path: Path, index: PackageIndex
) -> None:
    h = Harness(tmp_path, index, package_installs=2)

    async def scenario() -> None:
        one = make(h.db, h.owner, "demo-lib\n", "one")
        two = make(h.db, h.owner, "demo-lib  # same\n", "two")
        first, second = await asyncio.gather(h.settle(one, 1), h.settle(two, 1))
        assert first.status == second.status == "ready", (first.message, second.message)
        assert first.environment == second.environment is not None
        assert sorted(p.name for p in h.config.packages_dir.iterdir()) == [first.environment]
        path = await h.folder(one.id, 1)
        assert path == h.config.packages_dir / first.environment
        assert (path / "demo_lib" / "__init__.py").is_file()
        assert {p.name for p in first.lock.packages if p.builtin} == {"numpy"}  # type: ignore[union-attr]

        # garbage collection: kept while a version uses it, removed after
        assert await h.service.collect_garbage() == []
        await h.db.write(widgets.delete, one)
        assert await h.service.collect_garbage() == []
        await h.db.write(widgets.delete, two)
        assert await h.service.collect_garbage() == [first.environment]
        assert list(h.config.packages_dir.iterdir()) == []
        assert await h.db.read(records.environment, first.environment) is None

    h.run(scenario)


def test_a_failed_install_says_why_and_keeps_the_previous_environment(
    tmp_path: Path, index: PackageIndex
) -> None:
    h = Harness(tmp_path, index)

    async def scenario() -> None:
        widget = make(h.db, h.owner, "helper\n")
        assert (await h.settle(widget, 1)).status == "ready"
        before = await h.folder(widget.id, 1)
        v2 = save(h.db, h.owner, widget, **{"requirements.txt": "helper\nsdistonly\n"})
        failed = await h.settle(widget, v2)
        assert failed.status == "failed"
        assert failed.message.startswith("sdistonly 1.0 publishes no wheel")
        assert await h.folder(widget.id, v2) == before is not None
        assert h.service.progress(widget.id, v2) is None
        # a retry runs again (and fails again, for the same reason)
        assert await h.service.retry(widget.id, v2)
        assert (await h.settle(widget, v2)).status == "failed"

    h.run(scenario)


def test_an_older_pending_version_is_skipped_for_the_newer_one(
    tmp_path: Path, index: PackageIndex
) -> None:
    h = Harness(tmp_path, index)

    async def scenario() -> None:
        widget = make(h.db, h.owner, "helper\n")
        v2 = save(h.db, h.owner, widget, **{"requirements.txt": "demo-lib\n"})
        skipped = await h.settle(widget, 1)
        assert skipped.status == "skipped"
        assert (
            skipped.message == "Version 2 changed the widget before these packages were installed."
        )
        assert (await h.settle(widget, v2)).status == "ready"

    h.run(scenario)


def test_pending_installs_resume_at_start_and_a_missing_folder_is_reinstalled(
    tmp_path: Path, index: PackageIndex
) -> None:
    h = Harness(tmp_path, index)

    async def scenario() -> None:
        widget = make(h.db, h.owner, "demo-lib\n")  # saved while the service was down
        leftover = h.config.packages_dir / ".tmp-interrupted"
        leftover.mkdir(parents=True)
        await h.service.start()
        try:
            assert not leftover.exists()
            deadline = time.monotonic() + 20
            while (
                found := await h.db.read(records.get, widget.id, 1)
            ) and found.status == "pending":
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            assert found is not None
            assert found.status == "ready"
            assert found.environment
            folder = h.config.packages_dir / found.environment
            shutil.rmtree(folder)
            assert await h.folder(widget.id, 1) is None
            index.requests.clear()
            again = await h.settle(widget, 1)  # request() notices, installs the same lock
            assert again.lock == found.lock
            assert folder.is_dir()
            assert index.pages() == []  # from the lock: no resolution
        finally:
            await h.service.stop()
            h.db.close()

    h.run(scenario)


def test_a_latest_version_whose_folder_is_gone_is_installed_again_at_start(
    tmp_path: Path, index: PackageIndex
) -> None:
    """As after restoring a backup (which holds the database only): no save or run asks."""
    h = Harness(tmp_path, index)

    async def scenario() -> None:
        widget = make(h.db, h.owner, "demo-lib\n")
        installed = await h.settle(widget, 1)
        assert installed.status == "ready"
        assert installed.environment
        await h.service.stop()
        shutil.rmtree(h.config.packages_dir / installed.environment)
        index.requests.clear()
        h.service = PackageService(h.config, h.db, builtins=h.service.builtins)
        await h.service.start()
        deadline = time.monotonic() + 20
        while await h.folder(widget.id, 1) is None:
            assert time.monotonic() < deadline, "not installed again"
            await asyncio.sleep(0.01)
        again = await h.db.read(records.get, widget.id, 1)
        assert again is not None
        assert (again.status, again.lock) == ("ready", installed.lock)
        assert index.pages() == []  # from the lock: no resolution

    h.run(scenario)
