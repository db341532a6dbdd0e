"""Settings: declared once with their defaults and help, read from `widgetbox.toml` and from
`WIDGETBOX_*` environment variables, and validated before anything starts.

The file groups settings in sections (`[server]`, `[security]`, `[sandbox]`, `[runs]`,
`[http]`, `[gui]`, `[outbound]`, `[packages]`); each setting's environment variable is
`WIDGETBOX_` plus its name in capitals (names are unique across sections). The environment
wins over the file; the file over the defaults. Every setting has a default, so no file is
needed. README.md's "Configuration" table lists them all (a test checks it).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "WIDGETBOX_"
CONFIG_FILE = "widgetbox.toml"


class ConfigError(ValueError):
    """A setting is unknown or has a bad value; the message names it and the fix."""


@dataclass(frozen=True)
class Setting:
    section: str
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any]
    """Turns a value from the file or the environment into the setting's value, or raises
    ValueError saying what is expected."""

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


def _int_range(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError(f"expected a whole number from {low} to {high}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"expected a whole number from {low} to {high}, not {number}")
        return number

    return parse


def _float_range(low: float, high: float) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number from {low:g} to {high:g}") from None
        if not low <= number <= high:
            raise ValueError(f"expected a number from {low:g} to {high:g}, not {number:g}")
        return number

    return parse


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a non-empty string")
    return value.strip()


def _path(value: Any) -> Path:
    return Path(value if isinstance(value, Path) else _text(value)).expanduser()


def _optional_path(value: Any) -> Path | None:
    if value in (None, ""):
        return None
    return _path(value)


def _url(value: Any) -> str:
    text = _text(value).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
        raise ValueError("expected an origin such as https://widgets.example.com (no path)")
    return text


def _index_url(value: Any) -> str:
    text = _text(value).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("expected the URL of a simple-API index, such as https://pypi.org/simple")
    return text


def _optional_url(value: Any) -> str | None:
    return None if value in (None, "") else _url(value)


def _host_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        items = [str(item) for item in value]
    elif isinstance(value, str):
        items = value.split(",")
    else:
        raise ValueError("expected a comma-separated list of host names")
    hosts = tuple(item.strip().lower() for item in items if item.strip())
    for host in hosts:
        if not re.fullmatch(r"[a-z0-9.-]+", host):
            raise ValueError(f"{host!r} is not a host name")
    return hosts


def _optional_domain(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = _text(value).lower().rstrip(".")
    if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?", text) or ".." in text:
        raise ValueError("expected a domain name, optionally with a port, such as apps.example.com")
    return text


def _level(value: Any) -> str:
    text = _text(value).upper()
    if text not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("expected one of debug, info, warning, error")
    return text


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "server", "host", "127.0.0.1",
        "Address to listen on; 0.0.0.0 listens on every interface.",
        _text,
    ),
    Setting("server", "port", 8000, "TCP port to listen on.", _int_range(1, 65535)),
    Setting(
        "server", "data_dir", Path("data"),
        "Folder for the SQLite database and the server's keys; created if missing.",
        _path,
    ),
    Setting(
        "server", "public_url", None,
        "The origin people use to reach Widgetbox, e.g. https://widgets.example.com; defaults "
        "to http://HOST:PORT. Browser requests that change something must come from it, and "
        "cookies are marked Secure when it is https.",
        _optional_url,
    ),
    Setting(
        "server", "log_level", "INFO", "Server log level: debug, info, warning or error.", _level
    ),
    Setting(
        "server", "max_request_bytes", 10 * 1024 * 1024,
        "Largest request body accepted, in bytes (413 beyond it).",
        _int_range(1024, 1024**3),
    ),
    Setting(
        "security", "open_signup", True,
        "Whether anyone may sign up, until the admin changes it in the app (the first account "
        "is always allowed).",
        _bool,
    ),
    Setting(
        "security", "session_idle_days", 14.0,
        "A session ends after this many days without use.",
        _float_range(0.01, 365),
    ),
    Setting(
        "security", "session_max_days", 30.0,
        "A session ends this many days after log-in, used or not.",
        _float_range(0.01, 3650),
    ),
    Setting(
        "security", "login_attempts_per_minute", 10,
        "Log-in and sign-up attempts allowed per client address per minute.",
        _int_range(1, 10_000),
    ),
    Setting(
        "sandbox", "pool_size", 2,
        "Interpreters kept started ahead of demand, shared among the sandbox processes for "
        "requests (one per CPU core); the one for scripts keeps one more.",
        _int_range(0, 64),
    ),
    Setting(
        "runs", "workers", 0,
        "Runs executing at once; 0 means one per CPU core.",
        _int_range(0, 256),
    ),
    Setting(
        "runs", "runs_per_user", 2,
        "Scripts and tasks one user may have running at once (more wait in the queue).",
        _int_range(1, 256),
    ),
    Setting(
        "runs", "queue_size", 100,
        "Runs that may wait in the queue; beyond it new work is refused with 503 and "
        "Retry-After.",
        _int_range(1, 100_000),
    ),
    Setting(
        "runs", "run_output_days", 30.0,
        "Output of runs older than this is deleted, except for each widget's newest runs.",
        _float_range(0.01, 3650),
    ),
    Setting(
        "runs", "runs_kept", 50,
        "Each widget's newest runs keep their output whatever their age.",
        _int_range(1, 100_000),
    ),
    Setting(
        "runs", "min_schedule_minutes", 1.0,
        "The shortest interval a schedule may have, in minutes.",
        _float_range(0.01, 100_000),
    ),
    Setting(
        "http", "http_max_body_bytes", 1024 * 1024,
        "Largest request body a widget's HTTP API accepts (413 beyond it).",
        _int_range(0, 1024**3),
    ),
    Setting(
        "http", "http_requests_per_minute", 600,
        "Requests per minute one client address may send to widgets' HTTP APIs (429 beyond).",
        _int_range(1, 10_000_000),
    ),
    Setting(
        "gui", "apps_domain", None,
        "The domain under which GUI widgets' apps are served, each at <slug>.<domain>, an origin "
        "apart from Widgetbox's own (so apps never see its cookies); with a port if needed, e.g. "
        "example-apps.net or localhost:8000. Default: localhost on Widgetbox's port. Point a "
        "wildcard DNS name (and certificate) at Widgetbox to use your own; on a public server "
        "prefer a registrable domain of its own, since a page can set cookies for its parent "
        "domain.",
        _optional_domain,
    ),
    Setting(
        "gui", "app_calls_per_minute", 300,
        "Server calls (anvil.server.call) one visitor's address may make per minute to GUI apps "
        "(beyond it the call raises anvil.server.QuotaExceededError).",
        _int_range(1, 10_000_000),
    ),
    Setting(
        "outbound", "outbound_allow_private", False,
        "Let widget code reach loopback, private and link-local addresses (off: only the "
        "public internet, and never cloud metadata addresses).",
        _bool,
    ),
    Setting(
        "outbound", "outbound_allowlist", "",
        "Comma-separated host names widget code may reach even when they resolve to private "
        "addresses (empty: none).",
        _host_list,
    ),
    Setting(
        "outbound", "outbound_timeout", 10.0,
        "Seconds one outbound HTTP request may take at most.",
        _float_range(0.1, 300),
    ),
    Setting(
        "outbound", "outbound_max_bytes", 5 * 1024 * 1024,
        "Largest response body an outbound HTTP request may return (at most 6 MiB: bodies "
        "cross into the sandbox base64-encoded, within its 8 MiB answer limit).",
        _int_range(1024, 6 * 1024 * 1024),
    ),
    Setting(
        "outbound", "outbound_calls_per_run", 100,
        "Outbound HTTP requests one run may make.",
        _int_range(0, 100_000),
    ),
    Setting(
        "packages", "package_index", "https://pypi.org/simple",
        "The package index widgets' packages come from: the URL of a simple API (PEP 691 or "
        "PEP 503), such as a mirror's.",
        _index_url,
    ),
    Setting(
        "packages", "package_max_bytes", 500_000_000,
        "Bytes one package install may download at most (500 MB); beyond it the install "
        "stops and says so.",
        _int_range(1024, 100 * 1000**3),
    ),
    Setting(
        "packages", "package_timeout", 600.0,
        "Seconds one package install may take at most (resolving, downloading, unpacking); "
        "beyond it the install stops and says so.",
        _float_range(0.1, 86_400),
    ),
    Setting(
        "packages", "package_installs", 1,
        "Package installs that run at once (each on its own thread; more wait their turn).",
        _int_range(1, 4),
    ),
    Setting(
        "sandbox", "cache_dir", None,
        "Where the interpreter and its compiled form are cached; default ~/.cache/widgetbox "
        "(also read by `widgetbox prepare`).",
        _optional_path,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Config:
    """The validated settings (see SETTINGS for what each means)."""

    host: str
    port: int
    data_dir: Path
    public_url: str | None
    log_level: str
    max_request_bytes: int
    open_signup: bool
    session_idle_days: float
    session_max_days: float
    login_attempts_per_minute: int
    pool_size: int
    workers: int
    runs_per_user: int
    queue_size: int
    run_output_days: float
    runs_kept: int
    min_schedule_minutes: float
    http_max_body_bytes: int
    http_requests_per_minute: int
    apps_domain: str | None
    app_calls_per_minute: int
    outbound_allow_private: bool
    outbound_allowlist: tuple[str, ...]
    outbound_timeout: float
    outbound_max_bytes: int
    outbound_calls_per_run: int
    package_index: str
    package_max_bytes: int
    package_timeout: float
    package_installs: int
    cache_dir: Path | None
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    """Where each setting that is not a default came from (for `widgetbox settings`)."""

    @property
    def origin(self) -> str:
        """The origin browsers use: `public_url`, or http://HOST:PORT."""
        if self.public_url:
            return self.public_url
        local = {"127.0.0.1", "0.0.0.0", "::", "::1"}  # noqa: S104 - names, not a bind
        host = "localhost" if self.host in local else self.host
        return f"http://{host}:{self.port}"

    @property
    def allowed_origins(self) -> frozenset[str]:
        """Origins whose pages may change things: the origin, plus the other names of this
        machine when no public_url is set (so http://127.0.0.1:PORT works as well as
        http://localhost:PORT)."""
        if self.public_url:
            return frozenset({self.public_url})
        names = (
            {"localhost", "127.0.0.1", "[::1]"}
            if self.origin.startswith("http://localhost:")
            else set()
        )
        return frozenset({self.origin, *(f"http://{name}:{self.port}" for name in names)})

    @property
    def https(self) -> bool:
        return self.origin.startswith("https://")

    @property
    def apps_host(self) -> str:
        """The domain (and port) apps live under: `apps_domain`, or localhost:PORT."""
        return self.apps_domain or f"localhost:{self.port}"

    def app_origin(self, slug: str) -> str:
        """The origin of a GUI widget's app. https when Widgetbox is served over https and
        the apps domain is set; the default (localhost) is plain http."""
        scheme = "https" if self.https and self.apps_domain else "http"
        return f"{scheme}://{slug}.{self.apps_host}"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "widgetbox.db"

    @property
    def packages_dir(self) -> Path:
        """Where installed package environments live (one folder each)."""
        return self.data_dir / "packages"

    @property
    def run_workers(self) -> int:
        return self.workers or os.cpu_count() or 1


def load(
    file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """The settings from defaults, then `file` (or ./widgetbox.toml if it exists), then the
    environment, then `overrides` (command-line options). Raises ConfigError."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    sources: dict[str, str] = {}
    path = file if file is not None else Path(CONFIG_FILE)
    if file is not None or path.is_file():
        for setting, raw in _read_file(path):
            values[setting.name] = _parse(
                setting, raw, f"{path} [{setting.section}] {setting.name}"
            )
            sources[setting.name] = str(path)
    by_env = {s.env: s for s in SETTINGS}
    for key, raw in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        found = by_env.get(key)
        if found is None:
            raise ConfigError(f"unknown environment variable {key}{_suggest(key, by_env)}")
        values[found.name] = _parse(found, raw, key)
        sources[found.name] = key
    by_name = {s.name: s for s in SETTINGS}
    for name, raw in (overrides or {}).items():
        if raw is not None:
            values[name] = _parse(by_name[name], raw, f"--{name.replace('_', '-')}")
            sources[name] = "command line"
    config = Config(**values, sources=sources)
    ide_host = urlsplit(config.origin).hostname or ""
    apps = config.apps_host.split(":")[0]
    if ide_host.endswith("." + apps):
        raise ConfigError(
            f"apps_domain {config.apps_host!r} contains Widgetbox's own host name {ide_host!r}: "
            "a widget whose slug matched would be served on Widgetbox's origin; use a domain "
            "of its own (e.g. apps.example.com for widgets.example.com)"
        )
    if config.session_max_days < config.session_idle_days:
        raise ConfigError(
            "session_max_days must be at least session_idle_days "
            f"({config.session_max_days:g} < {config.session_idle_days:g})"
        )
    return config


def _read_file(path: Path) -> list[tuple[Setting, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"the configuration file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the configuration file {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None
    sections = {s.section for s in SETTINGS}
    found = []
    for section, table in data.items():
        if section not in sections:
            raise ConfigError(f"{path}: unknown section [{section}]{_suggest(section, sections)}")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}] must be a table of settings")
        known = {s.name: s for s in SETTINGS if s.section == section}
        for name, raw in table.items():
            setting = known.get(name)
            if setting is None:
                raise ConfigError(
                    f"{path}: unknown setting [{section}] {name}{_suggest(name, known)}"
                )
            found.append((setting, raw))
    return found


def _parse(setting: Setting, raw: Any, where: str) -> Any:
    try:
        return setting.parse(raw)
    except ValueError as e:
        raise ConfigError(f"{where}: {e} (got {raw!r}). {setting.help}") from None


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]}?" if close else ""


def documented_names() -> list[str]:
    return [s.name for s in SETTINGS]
