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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

ENV_PREFIX = "WIDGETBOX_"
CONFIG_FILE = "widgetbox.toml"


class ConfigError(ValueError):
    """A setting is unknown or has a bad value; the message names it and the fix."""


@dataclass(frozen=True)
class Setting:
    """One setting, as `SETTINGS` lists it: read off its section's dataclass field."""

    section: str
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any]
    """Turns a value from the file or the environment into the setting's value, or raises
    ValueError saying what is expected."""
    shown: str | None = None
    """The default as README.md's table shows it, when not the value itself."""

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


@dataclass(frozen=True)
class Section:
    """A `[section]` of the file: a frozen dataclass of settings (fields made by `setting`)."""

    SECTION: ClassVar[str]


def setting(default: Any, parse: Callable[[Any], Any], help: str, shown: str | None = None) -> Any:
    """A section's field: its default (checked by `parse`, so a default is always a value
    the setting could take), how a value from the file or the environment is read, its help
    (in error messages and README.md's table, `widgetbox settings --table`), and how the
    table shows the default when its value alone would mislead (`http://HOST:PORT`)."""
    value = default if default is None else parse(default)
    return field(default=value, metadata={"parse": parse, "help": help, "shown": shown})


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


def _optional_file(value: Any) -> Path | None:
    """A file that must exist when named (its contents are checked where it is used)."""
    path = _optional_path(value)
    if path is not None and not path.is_file():
        raise ValueError("expected the path of an existing file")
    return path


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


def _optional_port(value: Any) -> int | None:
    return None if value in (None, "") else _int_range(1, 65535)(value)


def _optional_domain(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = _text(value).lower().rstrip(".")
    if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?", text) or ".." in text:
        raise ValueError("expected a domain name, optionally with a port, such as apps.example.com")
    return text


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else _text(value)


class Concealed(str):
    """A setting's text that must not be shown (a password): its repr hides it, so
    `widgetbox settings` and error messages never print it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'********'"


def _optional_password(value: Any) -> Concealed | None:
    # Never refused: a refusal's message would show the value.
    return None if value in (None, "") else Concealed(str(value))


def _optional_host_name(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = _text(value).lower().rstrip(".")
    if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]+", text):
        raise ValueError("expected a host name or IP address, such as smtp.example.com")
    return text


def _email_security(value: Any) -> str:
    text = _text(value).lower()
    if text not in {"none", "starttls", "tls"}:
        raise ValueError("expected one of none, starttls, tls")
    return text


def _optional_sender(value: Any) -> str | None:
    if value in (None, ""):
        return None
    # The mail domain's rules, read when a value is given (config.py is imported first).
    from widgetbox.host.email.addresses import AddressError, parse_mailbox

    try:
        parse_mailbox(_text(value))
    except AddressError as e:
        raise ValueError(
            f"expected an address such as Widgetbox <noreply@example.com>: {e}"
        ) from None
    return _text(value)


def _level(value: Any) -> str:
    text = _text(value).upper()
    if text not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("expected one of debug, info, warning, error")
    return text


@dataclass(frozen=True)
class ServerSettings(Section):
    """[server] Where Widgetbox listens, what origin people use, and where it keeps its data."""

    SECTION = "server"

    host: str = setting(
        "127.0.0.1",
        _text,
        "Address to listen on; `0.0.0.0` listens on every interface.",
    )
    port: int = setting(
        8000,
        _int_range(1, 65535),
        "TCP port to listen on.",
    )
    data_dir: Path = setting(
        Path("data"),
        _path,
        "Folder for the SQLite database and the server's keys; created if missing.",
    )
    public_url: str | None = setting(
        None,
        _optional_url,
        "The origin people use to reach Widgetbox, such as `https://widgets.example.com`. "
        "Browser requests that change something must come from it; cookies are Secure when it "
        "is https.",
        shown="`http://HOST:PORT`",
    )
    log_level: str = setting(
        "INFO",
        _level,
        "Server log level: `debug`, `info`, `warning` or `error`.",
        shown="`info`",
    )
    max_request_bytes: int = setting(
        10 * 1024 * 1024,
        _int_range(1024, 1024**3),
        "Largest request body accepted, in bytes (413 beyond it).",
    )
    metrics_port: int | None = setting(
        None,
        _optional_port,
        "Serve the Prometheus metrics on this port of `metrics_host`, at `/metrics`, to "
        "anyone who can reach it; unset, they are at `/metrics` on Widgetbox's own port, for "
        "the admin's session only.",
        shown="none",
    )
    metrics_host: str = setting(
        "127.0.0.1",
        _text,
        "Address the metrics port listens on (with `metrics_port`).",
    )


@dataclass(frozen=True)
class SecuritySettings(Section):
    """[security] Who may sign up, how long sessions last, and how fast log-ins may be tried."""

    SECTION = "security"

    open_signup: bool = setting(
        True,
        _bool,
        "Whether anyone may sign up, until the admin changes it in the app (the first account "
        "is always allowed).",
    )
    session_idle_days: float = setting(
        14.0,
        _float_range(0.01, 365),
        "A session ends after this many days without use.",
    )
    session_max_days: float = setting(
        30.0,
        _float_range(0.01, 3650),
        "A session ends this many days after log-in, used or not.",
    )
    login_attempts_per_minute: int = setting(
        10,
        _int_range(1, 10_000),
        "Log-in and sign-up attempts allowed per client address per minute; as many wrong "
        "API tokens are allowed besides.",
    )


@dataclass(frozen=True)
class SandboxSettings(Section):
    """[sandbox] Interpreters started ahead of demand, where the compiled one is cached, and
    when a persistent-mode widget's kept interpreter is recycled."""

    SECTION = "sandbox"

    pool_size: int = setting(
        2,
        _int_range(0, 64),
        "Interpreters kept started ahead of demand, shared among the sandbox processes for "
        "requests (one per CPU core); the one for scripts keeps one more.",
    )
    cache_dir: Path | None = setting(
        None,
        _optional_path,
        "Where the interpreter and its compiled form are cached (`widgetbox prepare` fills "
        "it; `$XDG_CACHE_HOME/widgetbox` when that variable is set).",
        shown="`~/.cache/widgetbox`",
    )
    nats_url: Concealed | None = setting(
        None,
        _optional_password,
        "Sandbox workers on other machines (`widgetbox worker`): the NATS server(s) they and "
        "this server share, `nats://USER:PASSWORD@HOST:4222` (`tls://` for TLS; no "
        "`USER:PASSWORD@` with `nats_nkey` or `nats_creds`; comma-separated for a "
        "cluster). Requests, server calls, scripts and tasks go to workers with room, the "
        "rest to this machine's sandbox processes. Unset: only local processes.",
    )
    nats_ca: Path | None = setting(
        None,
        _optional_file,
        "With `nats_url`: PEM certificates of the CA that signed the NATS server's "
        "certificate (a private CA); TLS is then required. Unset: a `tls://` URL trusts "
        "the system's CAs.",
        shown="none",
    )
    nats_cert: Path | None = setting(
        None,
        _optional_file,
        "With `nats_url`: this server's client certificate (PEM), for a NATS server that "
        "asks for one (`verify: true`); its key in the file or in `nats_key`.",
        shown="none",
    )
    nats_key: Path | None = setting(
        None,
        _optional_file,
        "With `nats_cert`: its private key (PEM), readable by Widgetbox's user only.",
        shown="none",
    )
    nats_nkey: Path | None = setting(
        None,
        _optional_file,
        "With `nats_url`: a file holding this server's NATS user nkey seed (`widgetbox "
        "nkey FILE` makes one and prints the public key for nats-server's configuration), "
        "in place of a user and password in the URL.",
        shown="none",
    )
    nats_creds: Path | None = setting(
        None,
        _optional_file,
        "With `nats_url`: a NATS user credentials file (a user JWT and its nkey seed, as "
        "`nsc` makes them and managed NATS services give them), for a NATS server in "
        "operator (JWT) mode, in place of a user and password in the URL.",
        shown="none",
    )
    persistent_requests: int = setting(
        1000,
        _int_range(1, 1_000_000),
        "Persistent mode: requests and server calls one kept interpreter serves before a "
        "fresh one replaces it.",
    )
    persistent_idle_minutes: float = setting(
        15.0,
        _float_range(0.01, 10_080),
        "Persistent mode: minutes a kept interpreter may wait unused before it is discarded.",
    )
    persistent_memory_growth_mib: int = setting(
        64,
        _int_range(0, 4096),
        "Persistent mode: MiB a kept interpreter's memory may grow beyond what it was after "
        "its first request before it is discarded (its run's memory limit applies too).",
    )


@dataclass(frozen=True)
class RunsSettings(Section):
    """[runs] How many runs execute and wait at once, how long their output is kept, schedules."""

    SECTION = "runs"

    workers: int = setting(
        0,
        _int_range(0, 256),
        "Runs executing at once; 0 means one per CPU core.",
    )
    runs_per_user: int = setting(
        2,
        _int_range(1, 256),
        "Scripts and tasks one user may have running at once (more wait in the queue); an "
        "admin may change it on the admin page.",
    )
    queue_size: int = setting(
        100,
        _int_range(1, 100_000),
        "Runs that may wait, in each lane (scripts and tasks; HTTP requests and server calls); "
        "beyond it new work is refused with 503 and `Retry-After`. A request or server call "
        "waits only when it can expect a free slot within about a second (judged from how long "
        "recent ones took); otherwise it is refused at once. An admin may change it on the "
        "admin page.",
    )
    run_output_days: float = setting(
        30.0,
        _float_range(0.01, 3650),
        "Output of runs older than this is deleted, except for each widget's newest runs.",
    )
    runs_kept: int = setting(
        50,
        _int_range(1, 100_000),
        "Each widget's newest runs keep their output whatever their age.",
    )
    min_schedule_minutes: float = setting(
        1.0,
        _float_range(0.01, 100_000),
        "The shortest interval a schedule may have, in minutes.",
    )
    course_runs_per_hour: int = setting(
        300,
        _int_range(1, 1_000_000),
        "Courses: the most runs an hour a course may allow each student on their copies of "
        "its assignments (its teachers may set fewer); the limit of a course that sets none.",
    )
    course_cpu_seconds_per_day: int = setting(
        600,
        _int_range(1, 86_400 * 64),
        "Courses: the most CPU seconds a day (measured as fuel, at midnight in the course's "
        "time zone) a course may allow each student on their copies; its teachers may set "
        "fewer.",
    )
    course_storage_mib: int = setting(
        100,
        _int_range(1, 1_000_000),
        "Courses: the most MiB each student's copies of a course's assignments may keep "
        "(versions, runs' output, Data Tables) before their runs are refused; its teachers "
        "may set fewer.",
    )


@dataclass(frozen=True)
class HttpSettings(Section):
    """[http] Widgets' own HTTP APIs: request size and rate, streamed responses' size."""

    SECTION = "http"

    http_max_body_bytes: int = setting(
        1024 * 1024,
        _int_range(0, 1024**3),
        "Largest request body a widget's HTTP API accepts (413 beyond it).",
    )
    http_requests_per_minute: int = setting(
        600,
        _int_range(1, 10_000_000),
        "Requests per minute one client address may send to widgets' HTTP APIs (429 beyond); "
        "an admin may change it on the admin page.",
    )
    http_stream_chunk_bytes: int = setting(
        256 * 1024,
        _int_range(1024, 768 * 1024),  # runtime Limits.stream_chunk_bytes: its frame fits 1 MiB
        "Largest piece of a streamed response (an `HttpResponse` whose body is a generator) "
        "one `yield` may send, in bytes (at most 786432); a larger one ends the run with an "
        "error, and the stream there.",
    )
    http_stream_max_bytes: int = setting(
        32 * 1024 * 1024,
        _int_range(0, 1024**3),
        "Bytes one streamed response may send in all; the piece that would pass it ends the "
        "run with an error, and the stream there.",
    )


@dataclass(frozen=True)
class GuiSettings(Section):
    """[gui] GUI widgets' apps: the domain they are served under and their server calls' rate."""

    SECTION = "gui"

    apps_domain: str | None = setting(
        None,
        _optional_domain,
        "The domain GUI apps are served under, each at `<slug>.<domain>` (an origin apart from "
        "Widgetbox's, so apps never see its cookies); with a port if needed. Point a wildcard "
        "DNS name (and certificate) at Widgetbox to use your own; on a public server, prefer a "
        "registrable domain of its own (`example-apps.net` rather than `apps.example.com`), "
        "since a page can set cookies for its parent domain.",
        shown="`localhost:PORT`",
    )
    app_calls_per_minute: int = setting(
        300,
        _int_range(1, 10_000_000),
        "Server calls (anvil.server.call) and Data Tables requests (anvil.tables in client "
        "code) one visitor's address may make per minute to GUI apps, together (beyond it they "
        "raise anvil.server.QuotaExceededError); an admin may change it on the admin page.",
    )
    app_session_minutes: int = setting(
        30,
        _int_range(1, 525_600),
        "Minutes a GUI app's session (`anvil.server.session`, and who is logged in with the "
        "app's Users service, unless they chose Remember me) lasts after its last use.",
    )


@dataclass(frozen=True)
class OutboundSettings(Section):
    """[outbound] HTTP requests widget code makes to the internet."""

    SECTION = "outbound"

    outbound_allow_private: bool = setting(
        False,
        _bool,
        "Let widget code reach loopback, private and link-local addresses (off: only the "
        "public internet, and never cloud metadata addresses).",
    )
    outbound_allowlist: tuple[str, ...] = setting(
        "",
        _host_list,
        "Comma-separated host names widget code may reach even when they resolve to private "
        "addresses (empty: none).",
    )
    outbound_timeout: float = setting(
        10.0,
        _float_range(0.1, 300),
        "Seconds one outbound HTTP request may take at most.",
    )
    outbound_max_bytes: int = setting(
        5 * 1024 * 1024,
        _int_range(1024, 6 * 1024 * 1024),
        "Largest response body an outbound HTTP request may return (at most 6 MiB: bodies "
        "cross into the sandbox base64-encoded, within its 8 MiB answer limit).",
    )
    outbound_calls_per_run: int = setting(
        100,
        _int_range(0, 100_000),
        "Outbound HTTP requests one run may make.",
    )


@dataclass(frozen=True)
class ImportsSettings(Section):
    """[imports] Apps imported from a git URL (the IDE's import page, POST /api/imports)."""

    SECTION = "imports"

    git_import_allow_private: bool = setting(
        False,
        _bool,
        "Let imports clone from loopback, private and link-local addresses, such as an "
        "internal git server (off: only the public internet, and never cloud metadata "
        "addresses).",
    )
    git_import_allowlist: tuple[str, ...] = setting(
        "",
        _host_list,
        "Comma-separated git host names imports may clone from even when they resolve to "
        "private addresses (empty: none).",
    )
    git_import_timeout: float = setting(
        60.0,
        _float_range(1, 600),
        "Seconds cloning a git URL for an import may take at most.",
    )


@dataclass(frozen=True)
class PackagesSettings(Section):
    """[packages] Where widgets' packages come from and how installs are bounded."""

    SECTION = "packages"

    package_index: str = setting(
        "https://pypi.org/simple",
        _index_url,
        "The package index widgets' packages come from: the URL of a simple API (PEP 691 or "
        "PEP 503), such as a mirror's.",
    )
    package_max_bytes: int = setting(
        500_000_000,
        _int_range(1024, 100 * 1000**3),
        "Bytes one package install may download at most (500 MB); beyond it the install "
        "stops and says so.",
    )
    package_timeout: float = setting(
        600.0,
        _float_range(0.1, 86_400),
        "Seconds one package install may take at most (resolving, downloading, unpacking); "
        "beyond it the install stops and says so.",
    )
    package_installs: int = setting(
        1,
        _int_range(1, 4),
        "Package installs that run at once (each on its own thread; more wait their turn).",
    )


@dataclass(frozen=True)
class TablesSettings(Section):
    """[tables] Widgets' Data Tables: how much each may keep, and what one run may do."""

    SECTION = "tables"

    tables_max_bytes: int = setting(
        100_000_000,
        _int_range(100_000, 1000**4),
        "Bytes one widget's Data Tables may hold (100 MB); a write beyond it is undone and "
        "raises `anvil.tables.QuotaExceededError`.",
    )
    tables_page_rows: int = setting(
        100,
        _int_range(1, 1000),
        "Rows a search fetches per page when the code does not choose (`q.page_size`; at most "
        "1,000).",
    )
    tables_op_seconds: float = setting(
        10.0,
        _float_range(0.1, 300),
        "Seconds one Data Tables operation may take (never past its run's own deadline); "
        "beyond it the operation is undone and raises `anvil.tables.TableError`.",
    )
    tables_ops_per_run: int = setting(
        100_000,
        _int_range(1, 100_000_000),
        "Data Tables operations one run may make.",
    )


@dataclass(frozen=True)
class EmailSettings(Section):
    """[email] The SMTP server `anvil.email.send` sends through; without `email_host` and
    `email_from`, widget code that sends email gets an error saying email is not configured."""

    SECTION = "email"

    email_host: str | None = setting(
        None,
        _optional_host_name,
        "The SMTP server widgets' email goes through, such as `smtp.example.com` (empty: "
        "sending email is off).",
        shown="empty",
    )
    email_port: int = setting(
        0,
        _int_range(0, 65535),
        "The SMTP server's port; 0 means the usual one for `email_security` (587 for "
        "`starttls`, 465 for `tls`, 25 for `none`).",
    )
    email_security: str = setting(
        "starttls",
        _email_security,
        "How the connection is protected: `starttls` (upgrade a plain connection; a server "
        "that cannot is refused), `tls` (TLS from the start) or `none` (no encryption: for a "
        "relay on this machine or a trusted network; a password is then refused unless the "
        "host is localhost). Certificates are verified.",
    )
    email_user: str | None = setting(
        None,
        _optional_text,
        "The user name to log in to the SMTP server with (empty: no log-in).",
        shown="empty",
    )
    email_password: str | None = setting(
        None,
        _optional_password,
        "The password for `email_user`; never shown by `widgetbox settings`.",
        shown="empty",
    )
    email_from: str | None = setting(
        None,
        _optional_sender,
        "The sender of widgets' email, such as `Widgetbox <noreply@example.com>`. Widget code "
        "may choose the local part (`from_address`) and any name, never another domain.",
        shown="empty",
    )
    email_per_widget_per_day: int = setting(
        100,
        _int_range(0, 1_000_000),
        "Emails one widget may send per day (UTC); beyond it `anvil.email.send` raises "
        "`anvil.email.SendFailure`; an admin may change it on the admin page.",
    )

    @property
    def configured(self) -> bool:
        """Whether email can be sent: a server and a default sender are set."""
        return self.email_host is not None and self.email_from is not None

    @property
    def port(self) -> int:
        """The port to connect to: `email_port`, or the usual one for the security."""
        return self.email_port or {"starttls": 587, "tls": 465}.get(self.email_security, 25)


SECTIONS: tuple[type[Section], ...] = (
    ServerSettings,
    SecuritySettings,
    SandboxSettings,
    RunsSettings,
    HttpSettings,
    GuiSettings,
    OutboundSettings,
    ImportsSettings,
    PackagesSettings,
    TablesSettings,
    EmailSettings,
)
"""Every section, in the order README.md and `widgetbox settings` show them."""

SETTINGS: tuple[Setting, ...] = tuple(
    Setting(
        section.SECTION,
        f.name,
        f.default,
        f.metadata["help"],
        f.metadata["parse"],
        f.metadata["shown"],
    )
    for section in SECTIONS
    for f in fields(section)
)
"""Every setting, declared once in its section's dataclass above."""


@dataclass(frozen=True)
class Config:
    """The validated settings, by section (`config.runs.workers`)."""

    server: ServerSettings = field(default_factory=ServerSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)
    runs: RunsSettings = field(default_factory=RunsSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    gui: GuiSettings = field(default_factory=GuiSettings)
    outbound: OutboundSettings = field(default_factory=OutboundSettings)
    imports: ImportsSettings = field(default_factory=ImportsSettings)
    packages: PackagesSettings = field(default_factory=PackagesSettings)
    tables: TablesSettings = field(default_factory=TablesSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    """Where each setting that is not a default came from (for `widgetbox settings`)."""

    def value(self, setting: Setting) -> Any:
        return getattr(getattr(self, setting.section), setting.name)

    @property
    def origin(self) -> str:
        """The origin browsers use: `public_url`, or http://HOST:PORT."""
        if self.server.public_url:
            return self.server.public_url
        local = {"127.0.0.1", "0.0.0.0", "::", "::1"}  # noqa: S104 - names, not a bind
        host = "localhost" if self.server.host in local else self.server.host
        return f"http://{host}:{self.server.port}"

    @property
    def allowed_origins(self) -> frozenset[str]:
        """Origins whose pages may change things: the origin, plus the other names of this
        machine when no public_url is set (so http://127.0.0.1:PORT works as well as
        http://localhost:PORT)."""
        if self.server.public_url:
            return frozenset({self.server.public_url})
        names = (
            {"localhost", "127.0.0.1", "[::1]"}
            if self.origin.startswith("http://localhost:")
            else set()
        )
        return frozenset({self.origin, *(f"http://{name}:{self.server.port}" for name in names)})

    @property
    def https(self) -> bool:
        return self.origin.startswith("https://")

    @property
    def apps_host(self) -> str:
        """The domain (and port) apps live under: `apps_domain`, or localhost:PORT."""
        return self.gui.apps_domain or f"localhost:{self.server.port}"

    def app_origin(self, slug: str) -> str:
        """The origin of a GUI widget's app. https when Widgetbox is served over https and
        the apps domain is set; the default (localhost) is plain http."""
        scheme = "https" if self.https and self.gui.apps_domain else "http"
        return f"{scheme}://{slug}.{self.apps_host}"

    @property
    def database_path(self) -> Path:
        return self.server.data_dir / "widgetbox.db"

    @property
    def packages_dir(self) -> Path:
        """Where installed package environments live (one folder each)."""
        return self.server.data_dir / "packages"

    @property
    def run_workers(self) -> int:
        return self.runs.workers or os.cpu_count() or 1


def load(
    file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """The settings from defaults, then `file` (or ./widgetbox.toml if it exists), then the
    environment, then `overrides` (command-line options, by setting name). Raises ConfigError
    listing every problem found, each with where it is."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []

    def take(setting: Setting, raw: Any, where: str) -> None:
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as e:
            problems.append(f"{where}: {e} (got {raw!r}). {setting.help}")
            return
        sources[setting.name] = where

    path = file if file is not None else Path(CONFIG_FILE)
    if file is not None or path.is_file():
        for setting, raw in _read_file(path, problems):
            take(setting, raw, f"{path} [{setting.section}] {setting.name}")
    by_env = {s.env: s for s in SETTINGS}
    for key, raw in sorted(environ.items()):
        if not key.startswith(ENV_PREFIX):
            continue
        found = by_env.get(key)
        if found is None:
            problems.append(f"unknown environment variable {key}{_suggest(key, by_env)}")
        else:
            take(found, raw, key)
    by_name = {s.name: s for s in SETTINGS}
    for name, raw in (overrides or {}).items():
        if raw is not None:
            take(by_name[name], raw, f"--{name.replace('_', '-')}")
    for name, where in list(sources.items()):
        if where.startswith("--"):
            sources[name] = "command line"
        elif where.startswith(str(path) + " "):
            sources[name] = str(path)
    chosen = {
        section.SECTION: section(
            **{f.name: values[f.name] for f in fields(section) if f.name in values}
        )
        for section in SECTIONS
    }
    config = Config(**chosen, sources=sources)  # type: ignore[arg-type] # one per section
    problems += _inconsistencies(config)
    if problems:
        raise ConfigError("; ".join(problems) if len(problems) == 1 else _listed(problems))
    return config


def _listed(problems: list[str]) -> str:
    return f"{len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)


def _inconsistencies(config: Config) -> list[str]:
    """Problems no single setting shows: settings that contradict each other."""
    problems = []
    ide_host = urlsplit(config.origin).hostname or ""
    apps = config.apps_host.split(":")[0]
    if ide_host.endswith("." + apps):
        problems.append(
            f"apps_domain {config.apps_host!r} contains Widgetbox's own host name {ide_host!r}: "
            "a widget whose slug matched would be served on Widgetbox's origin; use a domain "
            "of its own (e.g. apps.example.com for widgets.example.com)"
        )
    if config.server.metrics_port == config.server.port:
        problems.append(
            f"metrics_port {config.server.metrics_port} is Widgetbox's own port; choose another"
        )
    security = config.security
    if security.session_max_days < security.session_idle_days:
        problems.append(
            "session_max_days must be at least session_idle_days "
            f"({security.session_max_days:g} < {security.session_idle_days:g})"
        )
    problems += _email_inconsistencies(config.email)
    problems += _nats_inconsistencies(config.sandbox)
    return problems


def _nats_inconsistencies(sandbox: SandboxSettings) -> list[str]:
    named = [
        name
        for name in ("nats_ca", "nats_cert", "nats_key", "nats_nkey", "nats_creds")
        if getattr(sandbox, name) is not None
    ]
    problems = []
    if named and sandbox.nats_url is None:
        problems.append(f"{', '.join(named)} set but nats_url is not: set it, or unset them")
    if sandbox.nats_key is not None and sandbox.nats_cert is None:
        problems.append("nats_key is set but nats_cert is not: a client key needs its certificate")
    if sandbox.nats_nkey is not None and sandbox.nats_creds is not None:
        problems.append(
            "nats_nkey and nats_creds are both set: a credentials file has its own seed, "
            "set one of them"
        )
    return problems


def _email_inconsistencies(email: EmailSettings) -> list[str]:
    problems = []
    if email.email_host is not None and email.email_from is None:
        problems.append(
            "email_host is set but email_from is not: email needs a default sender, such as "
            "Widgetbox <noreply@example.com>"
        )
    if (email.email_user is None) != (email.email_password is None):
        problems.append("email_user and email_password go together: set both or neither")
    loopback = email.email_host in {"localhost", "127.0.0.1", "::1"}
    if email.email_password is not None and email.email_security == "none" and not loopback:
        problems.append(
            "email_security none would send email_password unencrypted to "
            f"{email.email_host}: use starttls or tls"
        )
    return problems


def _read_file(path: Path, problems: list[str]) -> list[tuple[Setting, Any]]:
    """The settings in the file; unknown sections and names are added to `problems` (a file
    that cannot be read at all raises at once)."""
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
            problems.append(f"{path}: unknown section [{section}]{_suggest(section, sections)}")
            continue
        if not isinstance(table, dict):
            problems.append(f"{path}: [{section}] must be a table of settings")
            continue
        known = {s.name: s for s in SETTINGS if s.section == section}
        for name, raw in table.items():
            setting = known.get(name)
            if setting is None:
                problems.append(
                    f"{path}: unknown setting [{section}] {name}{_suggest(name, known)}"
                )
            else:
                found.append((setting, raw))
    return found


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]}?" if close else ""


def markdown_table() -> str:
    """README.md's table of settings (`widgetbox settings --table`; a test keeps the README
    equal to it)."""
    lines = [
        "| setting | environment variable | default | meaning |",
        "|---|---|---|---|",
    ]
    for s in SETTINGS:
        lines.append(
            f"| `[{s.section}] {s.name}` | `{s.env}` | {s.shown or _shown(s.default)} | {s.help} |"
        )
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if value in ((), ""):
        return "empty"
    return f"`{value}`"
