"""The data folder's database, for the commands that work on it directly (`import`,
`export`, `admin`): opened for one read or write and closed, so they work whether or not
`widgetbox serve` is running there (SQLite's locking keeps the writes apart)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from widgetbox.host.config import Config
from widgetbox.host.errors import NotFound

T = TypeVar("T")


def database(settings: Config) -> Any:
    from widgetbox.host.storage.database import Database

    if not settings.database_path.exists():
        raise NotFound(
            "no_database",
            f"There is no Widgetbox database in {settings.server.data_dir}: start Widgetbox "
            "there once (widgetbox serve) and sign up, or pass --data-dir.",
        )
    return Database(settings.database_path)


def write(settings: Config, fn: Callable[[Any], T]) -> T:
    """`fn(db)` in one write transaction of the data folder's database."""
    db = database(settings)
    try:
        return db.write_now(fn)  # type: ignore[no-any-return]
    finally:
        db.close()


def read(settings: Config, fn: Callable[[Any], T]) -> T:
    """`fn(db)` in one read transaction of the data folder's database."""
    db = database(settings)
    try:
        return db.read_now(fn)  # type: ignore[no-any-return]
    finally:
        db.close()
