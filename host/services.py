"""What the app runs besides its handlers, started and stopped with it: the database, the
package installs, the sandbox runtime with its bridge services (outbound HTTP, secrets), the
run queue and runner, the scheduler, and hourly maintenance. Handlers find them on
`app.state`."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timedelta
from pathlib import Path

from litestar import Litestar

from widgetbox.host import outbound, secrets
from widgetbox.host.accounts import sessions
from widgetbox.host.accounts.sessions import limits
from widgetbox.host.config import Config
from widgetbox.host.packages import PackageError, PackageService, builtin
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.admission import RunQueue
from widgetbox.host.runs.live import LiveRuns
from widgetbox.host.runs.runner import Runner
from widgetbox.host.schedules.scheduler import Scheduler, SystemClock
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import iso, now
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import CompileFailed, Runtime

log = logging.getLogger("widgetbox.host")

MAINTENANCE_EVERY = 3600.0


class Services:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.secret_box = secrets.SecretBox(config.server.data_dir)
        self.outbound_policy = outbound.OutboundPolicy.from_config(config)
        self._maintenance: asyncio.Task[None] | None = None
        self.packages: PackageService | None = None

    async def start(self, app: Litestar) -> None:
        config = self.config
        db = Database(config.database_path)
        app.state.db = db
        interrupted = await db.write(runs.interrupt_unfinished)
        if interrupted:
            log.warning("%d runs were interrupted by the last shutdown", interrupted)
        log.info("database ready at %s", config.database_path)
        queue = RunQueue(config.run_workers, config.runs.runs_per_user, config.runs.queue_size)
        runtime = await asyncio.to_thread(
            Runtime,
            pool_size=config.sandbox.pool_size,
            workers=queue.capacity,
            cache=config.sandbox.cache_dir,
        )
        app.state.runtime = runtime
        self.packages = app.state.packages = PackageService(
            config,
            db,
            builtins=functools.partial(builtin.of_sandbox, runtime.interpreter),
            prepare=functools.partial(compile_for_sandbox, runtime),
        )
        await self.packages.start()
        await self._maintain_once(db)  # dead sessions go before the first request
        outbound.register(runtime.bridge, self.outbound_policy)
        secrets.register(runtime.bridge, db, self.secret_box)
        app.state.live = LiveRuns()
        app.state.runner = Runner(
            runtime, db, queue, app.state.live, self.run_context, self.packages.folder_for
        )
        app.state.scheduler = Scheduler(db, app.state.runner, SystemClock())
        app.state.scheduler.start()
        self._maintenance = asyncio.create_task(self._maintain(db))
        log.info(
            "sandbox ready: %d workers, %d interpreters pooled",
            config.run_workers,
            config.sandbox.pool_size,
        )

    async def stop(self, app: Litestar) -> None:
        """Running work is told to stop and recorded; then the sandbox and the database
        close cleanly."""
        if self._maintenance is not None:
            self._maintenance.cancel()
            await asyncio.gather(self._maintenance, return_exceptions=True)
        state = app.state
        if "scheduler" in state:
            await state.scheduler.stop()
        if "runner" in state:
            await state.runner.stop()
        if "packages" in state:  # before the runtime: an install may be compiling in it
            await state.packages.stop()
        if "runtime" in state:
            await asyncio.to_thread(state.runtime.close)
        if "db" in state:
            state.db.close()
            log.info("database closed")

    def run_context(self, widget: Widget, run_id: int | None) -> dict[str, object]:
        """What bridge handlers learn about the run they serve, and its services' budgets."""
        return {
            "widget_id": widget.id,
            "owner_id": widget.owner_id,
            "run_id": run_id,
            "outbound": outbound.OutboundBudget.for_policy(self.outbound_policy),
        }

    async def _maintain(self, db: Database) -> None:
        """Hourly, after the pass at start-up."""
        while True:
            await asyncio.sleep(MAINTENANCE_EVERY)
            await self._maintain_once(db)

    async def _maintain_once(self, db: Database) -> None:
        """Forget expired sessions, old runs' output and unused package environments."""
        idle, lifetime = limits(self.config)
        try:
            await db.write(sessions.prune_sessions, idle, lifetime)
            cutoff = iso(now() - timedelta(days=self.config.runs.run_output_days))
            await db.write(runs.prune_output, self.config.runs.runs_kept, cutoff)
            if self.packages is not None:
                await self.packages.collect_garbage()
        except Exception:
            log.exception("maintenance failed; trying again in an hour")


def compile_for_sandbox(runtime: Runtime, folder: Path) -> None:
    """Compile a new package environment's modules to bytecode in the sandbox, so that
    importing them costs what a stdlib import does (the install's `prepare` step)."""
    try:
        modules = runtime.compile_packages(folder)
    except CompileFailed as e:
        raise PackageError(f"The packages could not be compiled for the sandbox: {e}") from None
    log.debug("compiled %d modules of %s", modules, folder.name)
