"""The package service: installs widgets' packages in the background, answers which
environment a widget version runs with, and collects environments nobody uses.

Installs wait in a queue and run on their own threads (`package_installs` at a time), never
on the event loop; the database is touched only through `Database.read`/`write`. Progress
lives in memory (it changes many times a second); the outcome goes to the database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlite_utils

from widgetbox.host.config import Config
from widgetbox.host.packages import builtin, install, records
from widgetbox.host.packages.builtin import Builtins
from widgetbox.host.packages.environments import Environments
from widgetbox.host.packages.errors import Cancelled, PackageError
from widgetbox.host.packages.install import Installed, Job, Prepare
from widgetbox.host.packages.limits import size_text
from widgetbox.host.packages.progress import Progress
from widgetbox.host.storage.database import Database

log = logging.getLogger("widgetbox.host")

Key = tuple[int, int]
"""(widget id, version number)."""


class PackageService:
    def __init__(
        self,
        config: Config,
        db: Database,
        *,
        builtins: Callable[[], Builtins] = builtin.of_sandbox,
        prepare: Prepare | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.environments = Environments(config.packages_dir)
        self.builtins = builtins
        self.prepare = prepare
        """Called with each new environment folder before it is published (see `Prepare`)."""
        self._executor = ThreadPoolExecutor(
            config.packages.package_installs, thread_name_prefix="widgetbox-packages"
        )
        self._queue: asyncio.Queue[Key] | None = None
        self._waiting: set[Key] = set()
        self._progress: dict[Key, Progress] = {}
        self._cancel = threading.Event()
        self._workers: list[asyncio.Task[None]] = []

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Clean up after interrupted installs and resume the pending ones. A widget's
        latest version whose environment folder is gone (a restored backup, which holds the
        database only, or a removed `packages/` folder) is installed again from its lock."""
        await asyncio.to_thread(self.environments.start)
        self._queue = asyncio.Queue()
        self._workers = [
            asyncio.create_task(self._work(), name=f"widgetbox-packages-{n}")
            for n in range(self.config.packages.package_installs)
        ]
        await self.db.write(records.skip_superseded)
        for widget_id, version, key in await self.db.read(records.ready_environments):
            if not self.environments.exists(key):
                log.warning("environment %s is missing; installing it again", key)
                await self.db.write(records.set_pending, widget_id, version)
        for widget_id, version in await self.db.read(records.pending):
            self._enqueue(widget_id, version)

    async def stop(self) -> None:
        """Stop running installs (their versions stay pending and resume at the next start)."""
        self._cancel.set()
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)

    # -- what handlers and the runner use --------------------------------------------------

    async def request(self, widget_id: int, version: int) -> None:
        """Install the version's packages if they are pending, or if they are ready but their
        environment folder is gone (then the same lock is installed again)."""
        state = await self.db.read(records.get, widget_id, version)
        if state is None:
            return
        if state.status == "ready":
            if state.environment is None or self.environments.exists(state.environment):
                return
            log.warning("environment %s is missing; installing it again", state.environment)
            await self.db.write(records.set_pending, widget_id, version)
        elif state.status != "pending":
            return
        self._enqueue(widget_id, version)

    async def retry(self, widget_id: int, version: int) -> bool:
        """Install a version's packages again after a failure. False when it has none."""
        state = await self.db.read(records.get, widget_id, version)
        if state is None:
            return False
        if state.status in ("failed", "skipped"):
            await self.db.write(records.set_pending, widget_id, version)
        await self.request(widget_id, version)
        return True

    def progress(self, widget_id: int, version: int) -> Progress | None:
        """How far the version's install has come, while it is queued or running."""
        return self._progress.get((widget_id, version))

    def folder_for(self, db: sqlite_utils.Database, widget_id: int, version: int) -> Path | None:
        """The folder of the environment `version` runs with, ready to mount read-only at a
        path on the guest's `sys.path`; None when it runs without packages. While a new
        version's packages install, this is the previous version's environment. (Inside a
        `Database.read`, so the runner reads it with the files in one go.)"""
        _, key = records.active(db, widget_id, version)
        return self.path_of(key)

    def path_of(self, key: str | None) -> Path | None:
        """The folder of environment `key`, if it is there."""
        if key is None:
            return None
        path = self.environments.path(key)
        if not path.is_dir():
            log.warning("environment %s is missing", key)
            return None
        return path

    async def collect_garbage(self) -> list[str]:
        """Remove the environments no widget version uses; returns their keys."""
        protected = self.environments.begin_collection()
        try:
            recorded = await self.db.write(records.collect, protected)
        except BaseException:
            self.environments.abort_collection()
            raise
        removed = await asyncio.to_thread(self.environments.end_collection, recorded)
        if removed:
            log.info("removed %d unused package environments", len(removed))
        return removed

    # -- the queue -------------------------------------------------------------------------

    def _enqueue(self, widget_id: int, version: int) -> None:
        key = (widget_id, version)
        if key in self._waiting or self._queue is None:
            return
        self._waiting.add(key)
        self._progress[key] = Progress("queued", "waiting for other installs to finish")
        self._queue.put_nowait(key)

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            key = await self._queue.get()
            self._waiting.discard(key)
            try:
                await self._install(*key)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the package install of widget %d version %d failed", *key)
            finally:
                self._progress.pop(key, None)

    async def _install(self, widget_id: int, version: int) -> None:
        state = await self.db.read(records.get, widget_id, version)
        if state is None or state.status != "pending":
            return
        head = await self.db.read(records.head, widget_id)
        if head is not None and head > version:
            message = f"Version {head} changed the widget before these packages were installed."
            await self.db.write(records.finish, widget_id, version, "skipped", message)
            return
        job = Job(
            requirements=state.requirements,
            index_url=self.config.packages.package_index,
            max_bytes=self.config.packages.package_max_bytes,
            seconds=self.config.packages.package_timeout,
            lock=state.lock,
            builtins=self.builtins,
            prepare=self.prepare,
            cancel=self._cancel,
        )

        def on_progress(progress: Progress) -> None:
            self._progress[(widget_id, version)] = progress

        started = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            installed: Installed = await loop.run_in_executor(
                self._executor,
                functools.partial(install.run, job, self.environments, on_progress),
            )
        except Cancelled:
            return  # stays pending; resumed at the next start
        except PackageError as e:
            await self.db.write(records.finish, widget_id, version, "failed", e.message)
            return
        except Exception:
            incident = secrets.token_hex(6)
            log.exception("package install incident %s", incident)
            message = (
                f"The install failed on Widgetbox's side (incident {incident}); it has been "
                "logged. Try again later."
            )
            await self.db.write(records.finish, widget_id, version, "failed", message)
            return
        try:
            await self.db.write(
                records.record_ready, widget_id, version, installed.lock, installed.size
            )
        finally:
            if installed.key is not None:
                self.environments.release(installed.key)
        log.info(
            "packages of widget %d version %d ready in %.1f s: %d installed (%s), %d built in",
            widget_id,
            version,
            time.monotonic() - started,
            len(installed.lock.installed),
            size_text(installed.size),
            len(installed.lock.packages) - len(installed.lock.installed),
        )
