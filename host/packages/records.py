"""Packages in the database: each widget version's requirements, status and lock
(`version_packages`), and the installed environments (`package_environments`). Plain
functions of a sqlite-utils database, run inside `Database.read` / `Database.write`.

A version whose files have no requirements has no row: it runs without packages. A new
version takes over the lock of the version it came from (the previous one for a save, the
restored one for a restore, the origin's for a fork) when it asks for the same packages and
that lock is installed; otherwise it is pending until an install records its result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from widgetbox.host.packages.lock import Lock
from widgetbox.host.packages.requirements import canonical_or_text, of_files
from widgetbox.host.storage.times import iso, now


@dataclass(frozen=True)
class VersionPackages:
    widget_id: int
    version: int
    requirements: str
    status: str
    message: str
    lock: Lock | None
    environment: str | None
    updated_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> VersionPackages:
        return cls(
            widget_id=row["widget_id"],
            version=row["version"],
            requirements=row["requirements"],
            status=row["status"],
            message=row["message"],
            lock=Lock.loads(row["lock"]) if row["lock"] else None,
            environment=row["environment"],
            updated_at=row["updated_at"],
        )


def get(db: sqlite_utils.Database, widget_id: int, version: int) -> VersionPackages | None:
    rows = list(
        db.query(
            "SELECT * FROM version_packages WHERE widget_id = ? AND version = ?",
            [widget_id, version],
        )
    )
    return VersionPackages.from_row(rows[0]) if rows else None


def record_version(
    db: sqlite_utils.Database,
    widget_id: int,
    version: int,
    files: dict[str, str],
    source: tuple[int, int] | None,
) -> bool:
    """Record the requirements of a new version (called in the transaction that creates
    it). Returns whether it needs an install."""
    requirements = canonical_or_text(of_files(files))
    if not requirements:
        return False
    stamp = iso(now())
    origin = get(db, *source) if source else None
    row: dict[str, Any] = {
        "widget_id": widget_id,
        "version": version,
        "requirements": requirements,
        "status": "pending",
        "message": "",
        "lock": None,
        "environment": None,
        "updated_at": stamp,
    }
    inherited = (
        origin is not None and origin.status == "ready" and origin.requirements == requirements
    )
    if inherited and origin is not None and origin.lock is not None:
        row.update(status="ready", lock=origin.lock.dumps(), environment=origin.environment)
        _touch(db, origin.environment, stamp)
    db.table("version_packages").insert(row)
    return not inherited


def set_pending(db: sqlite_utils.Database, widget_id: int, version: int) -> bool:
    """Ask for the version's packages to be installed again (after a failure, or when its
    environment folder is gone). Returns False when the version has no requirements."""
    cursor = db.execute(
        "UPDATE version_packages SET status = 'pending', message = '', updated_at = ? "
        "WHERE widget_id = ? AND version = ?",
        [iso(now()), widget_id, version],
    )
    return cursor.rowcount > 0


def finish(
    db: sqlite_utils.Database, widget_id: int, version: int, status: str, message: str
) -> None:
    """A pending version's install failed or was skipped."""
    db.execute(
        "UPDATE version_packages SET status = ?, message = ?, updated_at = ? "
        "WHERE widget_id = ? AND version = ? AND status = 'pending'",
        [status, message, iso(now()), widget_id, version],
    )


def record_ready(
    db: sqlite_utils.Database,
    widget_id: int,
    version: int,
    lock: Lock,
    size: int,
) -> None:
    """The version's packages are installed (or all built in): record its lock and the
    environment (created when new)."""
    stamp = iso(now())
    key = lock.key
    if key is not None:
        db.execute(
            "INSERT INTO package_environments (key, packages, size, created_at, last_used_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET last_used_at = ?, size = ?",
            [key, _installed_json(lock), size, stamp, stamp, stamp, size],
        )
    db.execute(
        "UPDATE version_packages SET status = 'ready', message = '', lock = ?, "
        "environment = ?, updated_at = ? WHERE widget_id = ? AND version = ?",
        [lock.dumps(), key, stamp, widget_id, version],
    )


def active(db: sqlite_utils.Database, widget_id: int, version: int) -> tuple[int, str | None]:
    """(the version whose packages `version` runs with, its environment key or None).

    That is `version` itself when its packages are ready or it has none; while they are
    pending (or after they failed) it is the newest earlier version that was settled: the
    widget keeps its previous environment until the new one is ready."""
    rows = list(
        db.query(
            "SELECT v.number, p.environment FROM widget_versions AS v "
            "LEFT JOIN version_packages AS p ON p.widget_id = v.widget_id "
            "AND p.version = v.number "
            "WHERE v.widget_id = ? AND v.number <= ? AND (p.status IS NULL OR p.status = 'ready') "
            "ORDER BY v.number DESC LIMIT 1",
            [widget_id, version],
        )
    )
    if not rows:
        return 0, None
    return rows[0]["number"], rows[0]["environment"]


def head(db: sqlite_utils.Database, widget_id: int) -> int | None:
    row = db.execute("SELECT head_version FROM widgets WHERE id = ?", [widget_id]).fetchone()
    return int(row[0]) if row else None


def pending(db: sqlite_utils.Database) -> list[tuple[int, int]]:
    """(widget, version) of every pending install of a widget's latest version."""
    rows = db.execute(
        "SELECT p.widget_id, p.version FROM version_packages AS p "
        "JOIN widgets AS w ON w.id = p.widget_id AND w.head_version = p.version "
        "WHERE p.status = 'pending' ORDER BY p.updated_at"
    ).fetchall()
    return [(int(w), int(v)) for w, v in rows]


def ready_environments(db: sqlite_utils.Database) -> list[tuple[int, int, str]]:
    """(widget, version, environment key) of every widget's latest version whose packages
    are ready (start-up checks that their folders are there)."""
    rows = db.execute(
        "SELECT p.widget_id, p.version, p.environment FROM version_packages AS p "
        "JOIN widgets AS w ON w.id = p.widget_id AND w.head_version = p.version "
        "WHERE p.status = 'ready' AND p.environment IS NOT NULL"
    ).fetchall()
    return [(int(w), int(v), str(key)) for w, v, key in rows]


def skip_superseded(db: sqlite_utils.Database) -> int:
    """Pending installs of versions that are no longer their widget's latest will not run:
    mark them skipped (at start-up)."""
    cursor = db.execute(
        "UPDATE version_packages SET status = 'skipped', "
        "message = 'A later version changed the widget before these packages were installed.' "
        "WHERE status = 'pending' AND version < "
        "(SELECT head_version FROM widgets WHERE widgets.id = version_packages.widget_id)"
    )
    return cursor.rowcount


def environment(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM package_environments WHERE key = ?", [key]))
    return rows[0] if rows else None


def collect(db: sqlite_utils.Database, protected: frozenset[str]) -> set[str]:
    """Forget the environments no widget version uses (except `protected` ones, which an
    install holds); returns the keys that remain."""
    keys = [row[0] for row in db.execute("SELECT key FROM package_environments").fetchall()]
    used = {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT environment FROM version_packages WHERE environment IS NOT NULL"
        ).fetchall()
    }
    for key in keys:
        if key not in used and key not in protected:
            db.execute("DELETE FROM package_environments WHERE key = ?", [key])
    return {key for key in keys if key in used or key in protected}


def _touch(db: sqlite_utils.Database, key: str | None, stamp: str) -> None:
    if key is not None:
        db.execute("UPDATE package_environments SET last_used_at = ? WHERE key = ?", [stamp, key])


def _installed_json(lock: Lock) -> str:
    return json.dumps(
        [
            {"name": p.name, "version": p.version, "filename": p.filename, "sha256": p.sha256}
            for p in lock.installed
        ]
    )
