"""The site-wide limits an admin changes while the server runs (the admin's page, `PUT
/api/admin/limits`), and whether anyone may sign up (`accounts/users.py`'s switch).

Each is a setting of `config.py`, declared there once with its range and help, that the
running server reads where it counts, so a change takes effect at once, without a restart:

- `runs_per_user`, `queue_size`: the run queue's (`RunQueue.set_limits`);
- `http_requests_per_minute`, `app_calls_per_minute`: the rate limiters' (`PerMinute.limit`);
- `email_per_widget_per_day`: the email service's (`EmailHandler.per_day`).

A value set in the app is a row of `site_settings` (`limit.NAME`, JSON) and wins over the
settings file until the admin resets it. The others stay in the settings file: they size
what is made at start-up (workers and sandbox processes, pools, caches), or bound what
widgets are (memory, sizes), where a change half-way would treat runs differently.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import sqlite_utils

from widgetbox.host.config import SETTINGS, Config, Setting
from widgetbox.host.email.handler import EmailHandler
from widgetbox.host.errors import Invalid
from widgetbox.host.runs.admission import RunQueue
from widgetbox.host.web.limits import PerMinute, app_call_limit, widget_limit

log = logging.getLogger("widgetbox.host")

NAMES = (
    "runs_per_user",
    "queue_size",
    "http_requests_per_minute",
    "app_calls_per_minute",
    "email_per_widget_per_day",
)
"""The settings an admin may change in the app, in the order the page shows them."""
_KEY = "limit."
DECLARED: dict[str, Setting] = {s.name: s for s in SETTINGS if s.name in NAMES}


@dataclass(frozen=True)
class Limit:
    name: str
    value: int
    """In effect now."""
    setting: int
    """The settings file's (or the default), used when the admin has set none."""
    overridden: bool
    help: str


def stored(db: sqlite_utils.Database) -> dict[str, int]:
    """The values an admin set (a value the settings no longer accept is ignored, logged)."""
    found: dict[str, int] = {}
    for row in db.query("SELECT key, value FROM site_settings WHERE key LIKE 'limit.%'"):
        name = row["key"].removeprefix(_KEY)
        if name not in DECLARED:
            continue
        try:
            found[name] = DECLARED[name].parse(json.loads(row["value"]))
        except ValueError as e:
            log.warning("the site-wide limit %s set in the app is ignored: %s", name, e)
    return found


def store(db: sqlite_utils.Database, changes: dict[str, int | None]) -> dict[str, int]:
    """Set (a number) or reset (None: back to the settings file) some limits, every value
    checked before any is written; returns every value an admin has set."""
    problems: list[str] = []
    checked: dict[str, int | None] = {}
    for name, value in changes.items():
        if name not in DECLARED:
            problems.append(f"{name}: not a limit an admin may change ({', '.join(NAMES)})")
            continue
        try:
            checked[name] = None if value is None else DECLARED[name].parse(value)
        except ValueError as e:
            problems.append(f"{name}: {e}")
    if problems:
        raise Invalid("invalid_limits", "; ".join(problems), {"problems": problems})
    for name, value in checked.items():
        if value is None:
            db.execute("DELETE FROM site_settings WHERE key = ?", [_KEY + name])
        else:
            db.table("site_settings").upsert(
                {"key": _KEY + name, "value": json.dumps(value)}, pk="key"
            )
    return stored(db)


class SiteLimits:
    """The limits in effect: made with the app (it owns the rate limiters the routes
    count with), given the run queue and email service when they start (`attach`), and
    told every change (`apply`)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.widget_requests: PerMinute = widget_limit(config)
        """Widgets' HTTP APIs (and GUI apps' own `/_/api/` routes), per client address."""
        self.app_calls: PerMinute = app_call_limit(config)
        """GUI apps' server calls, Data Tables, tasks and Users requests, per address."""
        self._queue: RunQueue | None = None
        self._mailer: EmailHandler | None = None
        self._set: dict[str, int] = {}

    def attach(self, queue: RunQueue, mailer: EmailHandler, overrides: dict[str, int]) -> None:
        self._queue, self._mailer = queue, mailer
        self.apply(overrides)

    def apply(self, overrides: dict[str, int]) -> None:
        """Put the values an admin has set (`stored`) into effect; the rest are the
        settings file's."""
        self._set = {name: value for name, value in overrides.items() if name in DECLARED}
        self.widget_requests.limit = self.value("http_requests_per_minute")
        self.app_calls.limit = self.value("app_calls_per_minute")
        if self._queue is not None:
            self._queue.set_limits(self.value("runs_per_user"), self.value("queue_size"))
        if self._mailer is not None:
            self._mailer.per_day = self.value("email_per_widget_per_day")

    def setting(self, name: str) -> int:
        value: int = self.config.value(DECLARED[name])
        return value

    def value(self, name: str) -> int:
        return self._set.get(name, self.setting(name))

    def listing(self) -> list[Limit]:
        return [
            Limit(
                name,
                self.value(name),
                self.setting(name),
                name in self._set,
                DECLARED[name].help,
            )
            for name in NAMES
        ]
