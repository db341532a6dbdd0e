"""The admin API's message shapes (msgspec structs: validated on the way in, described in
the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from widgetbox.host.accounts.users import User
from widgetbox.host.admin.health import Health, Process
from widgetbox.host.admin.limits import Limit
from widgetbox.host.admin.usage import Usage


class SiteSettings(msgspec.Struct, forbid_unknown_fields=True):
    open_signup: bool


class AccountOut(msgspec.Struct):
    id: int
    username: str
    is_admin: bool
    disabled: bool
    created_at: str
    widgets: int
    runs_today: int
    """Runs of its widgets since midnight, UTC."""
    storage_bytes: int
    """Its widgets' versions, its runs' output and its Data Tables files, in bytes."""


class AccountsOut(msgspec.Struct):
    users: list[AccountOut]
    total: int
    """Accounts matching the search, on every page."""
    offset: int
    limit: int


class NewAccount(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    is_admin: bool = False


class AccountChange(msgspec.Struct, forbid_unknown_fields=True):
    is_admin: bool | None = None
    disabled: bool | None = None


class PasswordLinkOut(msgspec.Struct):
    user: AccountOut
    url: str
    """A one-time set-password link (its token in the fragment), for 14 days."""


class LimitOut(msgspec.Struct):
    name: str
    value: int
    setting: int
    overridden: bool
    help: str


class LimitsOut(msgspec.Struct):
    limits: list[LimitOut]


class LimitsIn(msgspec.Struct, forbid_unknown_fields=True):
    values: dict[str, int | None]
    """A limit's new value, or None to go back to the settings file's."""


class ProcessOut(msgspec.Struct):
    lane: str
    alive: bool
    runs: int
    pooled: int | None


class WorkerOut(msgspec.Struct):
    name: str
    healthy: bool
    why: str
    runs: int
    capacity: int
    processes: int
    served: int
    lost: int


class HealthOut(msgspec.Struct):
    checked_at: str
    processes: list[ProcessOut]
    pool_size: int
    running: int
    waiting: int
    capacity: int
    disk_free_bytes: int
    disk_total_bytes: int
    database_bytes: int
    tables_bytes: int
    workers: list[WorkerOut] = msgspec.field(default_factory=list)
    nats: str = ""
    """The NATS connection: "" without workers configured, "connected", or why not."""


def account_out(user: User, usage: Usage) -> AccountOut:
    return AccountOut(
        id=user.id,
        username=user.username,
        is_admin=user.is_admin,
        disabled=user.disabled,
        created_at=user.created_at,
        widgets=usage.widgets,
        runs_today=usage.runs_today,
        storage_bytes=usage.storage_bytes,
    )


def limits_out(limits: list[Limit]) -> LimitsOut:
    return LimitsOut(
        [LimitOut(lim.name, lim.value, lim.setting, lim.overridden, lim.help) for lim in limits]
    )


def _process_out(process: Process) -> ProcessOut:
    return ProcessOut(process.lane, process.alive, process.runs, process.pooled)


def health_out(health: Health) -> HealthOut:
    return HealthOut(
        checked_at=health.checked_at,
        processes=[_process_out(process) for process in health.processes],
        pool_size=health.pool_size,
        running=health.running,
        waiting=health.waiting,
        capacity=health.capacity,
        disk_free_bytes=health.disk_free_bytes,
        disk_total_bytes=health.disk_total_bytes,
        database_bytes=health.database_bytes,
        tables_bytes=health.tables_bytes,
        workers=[
            WorkerOut(
                name=w.name,
                healthy=w.healthy,
                why=w.why,
                runs=w.runs,
                capacity=w.capacity,
                processes=w.processes,
                served=w.served,
                lost=w.lost,
            )
            for w in health.workers
        ],
        nats=health.nats,
    )
