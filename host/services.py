"""What the app runs besides its handlers, started and stopped with it: the database, the
package installs, the sandbox runtime with its bridge services (outbound HTTP, secrets), the
run queue and runner, the scheduler, and hourly maintenance. Handlers find them on
`app.state`."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.datastructures import State

from widgetbox.host import email, outbound, secrets, tables, tasks
from widgetbox.host.accounts import password_links, sessions
from widgetbox.host.accounts.sessions import limits
from widgetbox.host.admin import limits as site_limits
from widgetbox.host.admin.usage import table_bytes
from widgetbox.host.app_sessions import AppSessions
from widgetbox.host.app_sessions import records as app_session_records
from widgetbox.host.app_sessions import register as register_sessions
from widgetbox.host.app_sessions.visit import BACKGROUND, HTTP
from widgetbox.host.app_users import UsersService, guard_for
from widgetbox.host.app_users import register as register_users
from widgetbox.host.config import Config
from widgetbox.host.courses import check_helpers
from widgetbox.host.courses import limits as course_limits
from widgetbox.host.courses.checking import Checker
from widgetbox.host.health import Metrics, MetricsPort
from widgetbox.host.packages import PackageError, PackageService, builtin
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.admission import RunQueue
from widgetbox.host.runs.live import LiveRuns
from widgetbox.host.runs.runner import Runner
from widgetbox.host.schedules.scheduler import Scheduler, SystemClock
from widgetbox.host.storage import data_lock
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import iso, now
from widgetbox.host.tables import autocolumns
from widgetbox.host.tables.limits import TableLimits
from widgetbox.host.tables.store import TablesStore
from widgetbox.host.tokens import records as token_records
from widgetbox.host.web.guards import server_secret
from widgetbox.host.widgets.records import Widget
from widgetbox.runtime import Code, CompileFailed, Recycle, Runtime

if TYPE_CHECKING:
    from widgetbox.runtime.remote import Access

log = logging.getLogger("widgetbox.host")

MAINTENANCE_EVERY = 3600.0


class Services:
    def __init__(self, config: Config, state: State) -> None:
        self.config = config
        self.secret_box = secrets.SecretBox(config.server.data_dir)
        self.outbound_policy = outbound.OutboundPolicy.from_config(config)
        self._maintenance: asyncio.Task[None] | None = None
        self.packages: PackageService | None = None
        settings = config.tables
        self.tables = TablesStore(
            config.server.data_dir,
            TableLimits(
                storage_bytes=settings.tables_max_bytes,
                page_rows=settings.tables_page_rows,
                op_seconds=settings.tables_op_seconds,
                ops_per_run=settings.tables_ops_per_run,
            ),
        )
        """Every widget's Data Tables file (`app.state.tables`)."""
        self._db: Database | None = None
        self.app_sessions: AppSessions | None = None
        self.metrics = Metrics(config, state)
        """The app's Prometheus registry (`app.state.metrics`; see `health/`)."""
        self._metrics_port = MetricsPort(config, self.metrics)
        self._data_lock: data_lock.Held | None = None

    async def start(self, app: Litestar) -> None:
        config = self.config
        # held while the app runs: `widgetbox restore` refuses to replace the data under it
        self._data_lock = data_lock.serving(config.server.data_dir)
        db = Database(config.database_path)
        app.state.db = self._db = db
        self.app_sessions = app.state.app_sessions = AppSessions(
            db, config, server_secret(config.server.data_dir)
        )
        interrupted = await db.write(runs.interrupt_started)
        if interrupted:
            log.warning("%d runs were interrupted by the last shutdown", interrupted)
        log.info("database ready at %s", config.database_path)
        queue = RunQueue(config.run_workers, config.runs.runs_per_user, config.runs.queue_size)
        runtime = await asyncio.to_thread(
            Runtime,
            pool_size=config.sandbox.pool_size,
            workers=queue.capacity,
            cache=config.sandbox.cache_dir,
            nats=config.sandbox.nats_url,
            nats_access=_nats_access(config),
            loop=asyncio.get_running_loop(),
        )
        app.state.runtime = runtime
        app.state.tables = self.tables
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
        mailer = email.register(runtime.bridge, db, config.email)
        tables.register(runtime.bridge)
        register_sessions(runtime.bridge)
        app.state.app_users = UsersService(self.tables, self.app_sessions, mailer)
        register_users(runtime.bridge, app.state.app_users)
        app.state.live = LiveRuns()
        # a course's limits on its students' copies of its assignments: their runs and checks
        admit = functools.partial(
            course_limits.check,
            site=course_limits.Limits.site(config),
            file_bytes=table_bytes(self.tables),
        )
        app.state.runner = Runner(
            runtime,
            db,
            queue,
            app.state.live,
            self.run_context,
            self.packages.folder_for,
            end_context=end_run_context,
            services=guest_services,
            observe=self.metrics.observe_run,
            recycle=Recycle(
                runs=config.sandbox.persistent_requests,
                idle=config.sandbox.persistent_idle_minutes * 60,
                memory_growth=config.sandbox.persistent_memory_growth_mib * 1024 * 1024,
            ),
            admit=admit,
        )
        tasks.register(runtime.bridge, db, app.state.runner)
        # classroom checks: the guest's helpers, and the runs a stopped server left behind
        check_helpers.register(runtime.bridge, runtime)
        app.state.checker = Checker(db, app.state.runner, admit)
        # the site-wide limits an admin set in the app, in effect from the start
        app.state.site_limits.attach(queue, mailer, await db.read(site_limits.stored))
        # what the last start left queued (it never began) runs now
        requeued = await app.state.runner.resume()
        if requeued:
            log.info("%d runs left queued by the last shutdown were queued again", requeued)
        resumed = await app.state.checker.resume()
        if resumed:
            log.info("%d check runs left unfinished by the last shutdown go on", resumed)
        app.state.scheduler = Scheduler(db, app.state.runner, SystemClock())
        app.state.scheduler.start()
        self._maintenance = asyncio.create_task(self._maintain(db))
        self._metrics_port.start()
        log.info(
            "sandbox ready: %d workers, %d interpreters pooled",
            config.run_workers,
            config.sandbox.pool_size,
        )

    async def stop(self, app: Litestar) -> None:
        """Running work is told to stop and recorded; then the sandbox and the database
        close cleanly."""
        self._metrics_port.stop()
        if self._maintenance is not None:
            self._maintenance.cancel()
            await asyncio.gather(self._maintenance, return_exceptions=True)
        state = app.state
        if "scheduler" in state:
            await state.scheduler.stop()
        if "checker" in state:  # before the runner: its tests are runs in the sandbox
            await state.checker.stop()
        if "runner" in state:
            await state.runner.stop()
        if "packages" in state:  # before the runtime: an install may be compiling in it
            await state.packages.stop()
        if "runtime" in state:
            await asyncio.to_thread(state.runtime.close)
        self.tables.close()
        if "db" in state:
            state.db.close()
            log.info("database closed")
        if self._data_lock is not None:
            self._data_lock.release()
            self._data_lock = None

    def run_context(self, widget: Widget, run_id: int | None, code: Code) -> dict[str, object]:
        """What bridge handlers learn about the run they serve, and its services' budgets
        and sessions (`end_run_context` ends them)."""
        return {
            "widget_id": widget.id,
            "owner_id": widget.owner_id,
            "run_id": run_id,
            "widget": widget,  # background tasks launch with the run's widget and code
            "code": code,
            "outbound": outbound.OutboundBudget.for_policy(self.outbound_policy),
            "tables": tables.TablesSession(
                self.tables,
                widget.id,
                code.files.get(tables.SCHEMA_FILE),
                # columns its code creates are added to the widget's tables.yaml
                on_new_columns=autocolumns.recorder(self._db, widget) if self._db else None,
                # the Users service's password hashes are the host's alone
                guarded=guard_for(code.files),
            ),
            # who started the run: a GUI app's call or endpoint replaces it with the
            # browser's visit (its session and cookies)
            "visit": (
                self.app_sessions.ephemeral(
                    widget, code.files, BACKGROUND if run_id is not None else HTTP, None
                )
                if self.app_sessions is not None
                else None
            ),
        }

    async def _maintain(self, db: Database) -> None:
        """Hourly, after the pass at start-up."""
        while True:
            await asyncio.sleep(MAINTENANCE_EVERY)
            await self._maintain_once(db)

    async def _maintain_once(self, db: Database) -> None:
        """Forget expired sessions, long-dead API tokens, expired set-password links, old
        runs' output and unused package environments."""
        idle, lifetime = limits(self.config)
        try:
            await db.write(sessions.prune_sessions, idle, lifetime)
            await db.write(token_records.prune)
            await db.write(password_links.prune)
            cutoff = iso(now() - timedelta(days=self.config.runs.run_output_days))
            await db.write(runs.prune_output, self.config.runs.runs_kept, cutoff)
            if self.app_sessions is not None:
                await db.write(app_session_records.prune, self.app_sessions.idle)
            if self.packages is not None:
                await self.packages.collect_garbage()
        except Exception:
            log.exception("maintenance failed; trying again in an hour")


def guest_services(code: Code) -> dict[str, object]:
    """What a run's guest is told with its job (`Job.services`): its tables' names, so that
    `app_tables.<name>` needs no host call."""
    names = tables.names_for_guest(code.files.get(tables.SCHEMA_FILE))
    return {} if names is None else {tables.OP: names}


def end_run_context(context: Mapping[str, object]) -> None:
    """The run has ended, whatever the outcome: its Data Tables session rolls back a
    transaction left open and releases the widget's writer lock."""
    session = context.get("tables")
    if isinstance(session, tables.TablesSession):
        session.end()


def compile_for_sandbox(runtime: Runtime, folder: Path) -> None:
    """Compile a new package environment's modules to bytecode in the sandbox, so that
    importing them costs what a stdlib import does (the install's `prepare` step)."""
    try:
        modules = runtime.compile_packages(folder)
    except CompileFailed as e:
        raise PackageError(f"The packages could not be compiled for the sandbox: {e}") from None
    log.debug("compiled %d modules of %s", modules, folder.name)


def _nats_access(config: Config) -> Access | None:
    """The files the server connects to NATS with (the nats_* settings), if NATS is set."""
    sandbox = config.sandbox
    if sandbox.nats_url is None:
        return None
    from widgetbox.runtime.remote import Access  # nats-py only when NATS is set

    return Access(
        ca=sandbox.nats_ca,
        cert=sandbox.nats_cert,
        key=sandbox.nats_key,
        nkey=sandbox.nats_nkey,
        creds=sandbox.nats_creds,
    )
