"""The `handlers` target: every operation registered on the runtime's bridge, driven with
hostile data (handler_cases.py) on real components.

The handlers are registered on a bridge of the target's own by the same functions, in the
same order and with the same arguments as `Services.start` registers them on the runtime's
(`REGISTRARS`; tests/fuzz/test_fuzz.py checks that list against services.py, and that the
operations it registers are the ones the cases cover), on a real SQLite database and Data
Tables files in a temporary folder, with `Services.run_context` making each run's context, a
real `Runner` on an event loop of its own for background tasks, a real runtime for the
classroom helpers' student runs and the tasks' runs, a real SMTP server on loopback for
email, and a local HTTP server for outbound HTTP (its resolver faked and every connection
sent to that server: nothing leaves the machine).

Two widgets share the database: A, whose runs the calls are made for, and B, whose data (a
row, a user, a session, a cookie jar, a secret, a background task) each carries a sentinel.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import http.server
import ipaddress
import json
import re
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from argon2 import PasswordHasher
from litestar.datastructures import State

from tests import _tables as shared_tables
from tests._smtp import SmtpServer
from tests.fuzz.contract import Check, ContractError, require, within
from tests.fuzz.handler_cases import OPS, STRATEGY, HandlerCase, HostCase
from widgetbox.host import email, outbound, secrets, tables, tasks
from widgetbox.host.accounts.users import create_user
from widgetbox.host.app_sessions import AppSessions
from widgetbox.host.app_sessions import records as session_records
from widgetbox.host.app_sessions import register as register_sessions
from widgetbox.host.app_sessions.cookies import Jar
from widgetbox.host.app_sessions.visit import BACKGROUND
from widgetbox.host.app_users import UsersService, guard_for, passwords
from widgetbox.host.app_users import register as register_users
from widgetbox.host.app_users import service as users
from widgetbox.host.app_users.api import with_users_table
from widgetbox.host.config import load
from widgetbox.host.courses import check_helpers
from widgetbox.host.runs import records as runs
from widgetbox.host.runs.admission import RunQueue
from widgetbox.host.runs.live import LiveRuns
from widgetbox.host.runs.runner import Runner
from widgetbox.host.services import Services, end_run_context, guest_services
from widgetbox.host.storage.database import Database
from widgetbox.host.tables import TablesSession
from widgetbox.host.tables import errors as table_errors
from widgetbox.host.tables.tables_yaml import dump, parse
from widgetbox.host.web.guards import server_secret
from widgetbox.host.widgets import records as widgets
from widgetbox.runtime import Bridge, Code, HostCall, HostCallError, Runtime, Status
from widgetbox.runtime._bridge import Handler

REGISTRARS: tuple[Callable[..., Any], ...] = (
    outbound.register,
    secrets.register,
    email.register,
    tables.register,
    register_sessions,
    register_users,
    tasks.register,
    check_helpers.register,
)
"""What `Services.start` registers on the runtime's bridge, in its order."""

MARGIN = 1.0
"""Seconds a handler may answer after its call's timeout (the bridge answers Timeout then,
but a handler that honours its timeout answers first)."""
MAX_MESSAGE = 2000
TASK_VIEW = {"id", "name", "start_time", "status", "state", "value", "error"}
"""What a task's view holds at least (tasks/views.py)."""

KINDS: dict[str, frozenset[str]] = {
    "http.request": frozenset(
        {"BadRequest", "Refused", "LimitExceeded", "Timeout", "ConnectionError"}
    ),
    "secrets.get": frozenset({"NotFound", "BadRequest", "Undecryptable"}),
    "email.send": frozenset(
        {"NotConfigured", "NotFound", "BadRequest", "LimitExceeded", "SendFailure", "Timeout"}
    ),
    "tables": frozenset(
        {"NotFound"}
        | {
            error.kind
            for error in vars(table_errors).values()
            if isinstance(error, type) and issubclass(error, table_errors.TablesError)
        }
    ),
    "session": frozenset(
        {"NotFound", "BadRequest", "SessionExpired", "CookieError", "TooLarge", "Unavailable"}
    ),
    "users": frozenset(
        {
            "NotFound",
            "BadRequest",
            "SessionExpired",
            "anvil.server.RuntimeUnavailableError",
            "anvil.server.InternalError",
            "anvil.email.SendFailure",
            users.AUTH_FAILED,
            users.USER_EXISTS,
            users.NOT_CONFIRMED,
            users.NOT_ENABLED,
            users.TOO_MANY,
            users.NOT_ACCEPTABLE,
            users.WRAPPED,
        }
    ),
    **dict.fromkeys(
        ("tasks.launch", "tasks.get", "tasks.list", "tasks.kill", "tasks.state"),
        frozenset(
            {
                "BackgroundTaskError",
                "BackgroundTaskNotFound",
                "BadRequest",
                "SerializationError",
                "QuotaExceededError",
                "Timeout",
            }
        ),
    ),
    **dict.fromkeys(("checks.script", "checks.http", "checks.call"), frozenset({"BadRequest"})),
}
"""The kinds of `HostCallError` each operation's module documents."""

HOST_TEXT = (
    "Traceback (most recent",
    'File "',
    "sqlite3.",
    "OperationalError",
    "IntegrityError",
    "ProgrammingError",
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "_wb_",
    "$argon2",
    "/widgetbox/",
    "widgetbox.host",
)
"""What a refusal's message never says (unless the input said it): the host's code, SQL,
internal names, password hashes."""

# -- the two widgets -----------------------------------------------------------------------

SCHEMA = dump(
    with_users_table(
        # the Data Tables tests' tables, one the browser may search (`client` checks)
        parse(shared_tables.SCHEMA.replace("  teams:\n", "  teams:\n    client: search\n", 1))
    )
)
MAIN = """\
import sys
import anvil.server


@anvil.server.background_task
def work(*args, **kwargs):
    anvil.server.task_state["args"] = len(args)
    return [len(args), sorted(kwargs)]


@anvil.server.background_task
def fail(*args, **kwargs):
    raise ValueError("as asked")


@anvil.server.callable
def echo(*args, **kwargs):
    return [list(args), kwargs]


@anvil.server.route("/hello")
def hello(**params):
    return anvil.server.HttpResponse(200, "hello")


if __name__ == "__main__":
    print(sys.stdin.read()[:100], sys.argv[1:3])
"""
FILES = {
    "main.py": MAIN,
    "tables.yaml": SCHEMA,
    "services.yaml": "users:\n  min_password_length: 10\n",
}
SECRETS = {"API_KEY": "sk_live_fuzz-ünïcode-🔑", "OTHER": "x" * 1000, "Broken": "moved"}
A_PASSWORD = "ann's good password"
B_PASSWORD = "bob's good password"
B_SENTINELS = {
    "row": "bsecret-note-7f3a",
    "secret": "bsecret-value-7f3a",
    "session": "bsecret-session-7f3a",
    "cookie": "bsecret-cookie-7f3a",
    "task": "bsecret-task-7f3a",
    "user": "bsecret-user@b.test",
}
"""B's data: none of it ever reaches A's runs (unless A's input named it)."""
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
"""Password hashes as cheap as argon2 allows (a stored hash names its parameters, so
checking one is unaffected): the fuzzer signs up and logs in thousands of times."""
RESEED_EVERY = 25
"""Cases between two refills of A's rows (the fuzzer deletes them)."""
PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")
WHOLE_INT = re.compile(r"\{([A-Za-z_]+):int\}")


def fake_resolve(host: str, port: int) -> list[str]:
    """A resolver that knows a few names and never asks the network."""
    addresses = {
        "local.test": ["127.0.0.1"],
        "public.test": ["93.184.215.14"],
        "private.test": ["10.0.0.1"],
        "mixed.test": ["93.184.215.14", "127.0.0.1"],
    }
    if host in addresses:
        return addresses[host]
    raise OSError("no such host")


class LocalServer(http.server.BaseHTTPRequestHandler):
    """Answers the fuzzer's outbound requests on 127.0.0.1."""

    server_version = "FuzzServer/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        status, body, headers = 200, b'{"hello": "world"}', {"Content-Type": "application/json"}
        if url.path == "/redirect":
            status, headers = 302, {"Location": query.get("to", "/json")}
        elif url.path == "/loop":
            status, headers = 302, {"Location": "/loop"}
        elif url.path == "/big":
            body = b"x" * 8192
        elif url.path == "/headers":
            headers = {"X-Long": "v" * 4000, "Set-Cookie": "a=1", "X-Latin": "caf\xe9"}
        elif url.path == "/slow":
            time.sleep(1.0)
        elif url.path not in ("/", "/json"):
            status = 404
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(OSError):
                self.wfile.write(body)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_BREW = do_GET


def local_only(policy: Any, port: int) -> Any:
    """The `http.request` handler's client, every connection it makes sent to the local
    server; a connection to an address the policy refuses is a broken contract."""
    from widgetbox.host.outbound import OutboundClient, address_refusal

    class LocalOnly(OutboundClient):
        def _connection(self, target: Any, ip: Any, timeout: float) -> Any:
            refusal = address_refusal(policy, target.host, ip)
            require(refusal is None, "a connection to an address the policy refuses", str(refusal))
            local = dataclasses.replace(target, port=port)
            return super()._connection(local, ipaddress.ip_address("127.0.0.1"), timeout)

    return LocalOnly(policy, resolve=fake_resolve)


class Registry(Bridge):
    """A bridge that also keeps what was registered on it, to call each handler directly
    (what it raises is what the bridge would have to turn into a generic HostError)."""

    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.handlers: dict[str, Handler] = {}

    def register(self, op: str, handler: Handler) -> None:
        super().register(op, handler)
        self.handlers[op] = handler


class Env:
    """Widgets A and B and their data, the handlers registered as `Services.start` does,
    and what each case's context is made from."""

    def __init__(self, folder: Path, runtime: Runtime) -> None:
        self.folder = folder
        self.stack = contextlib.ExitStack()
        self.smtp = SmtpServer()
        self.stack.callback(self.smtp.stop)
        self.web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LocalServer)
        self.web.daemon_threads = True
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        self.stack.callback(self.web.server_close)
        self.stack.callback(self.web.shutdown)
        self.port = self.web.server_address[1]
        self.config = load(
            environ={},
            overrides={
                "data_dir": folder / "data",
                "outbound_allowlist": "local.test",
                "outbound_timeout": 0.5,
                "outbound_max_bytes": 4096,
                "email_host": "127.0.0.1",
                "email_port": self.smtp.port,
                "email_security": "none",
                "email_from": "Widgets <widgets@mail.example.com>",
                "email_per_widget_per_day": 1_000_000,
                "tables_op_seconds": 2.0,
            },
        )
        passwords.set_hasher(FAST_HASHER)
        # what `Services.start` makes before it registers the handlers
        self.services = Services(self.config, State())
        self.stack.callback(self.services.tables.close)
        self.db = Database(self.config.database_path)
        self.stack.callback(self.db.close)
        self.services._db = self.db
        secret = server_secret(self.config.server.data_dir)
        self.sessions = AppSessions(self.db, self.config, secret)
        self.services.app_sessions = self.sessions
        self.bridge = Registry()
        self.stack.callback(self.bridge.close)
        self._register(runtime)
        self.widget_a, self.widget_b = self._widgets()
        self.code = Code(files=FILES, entry="main.py")
        self.ids: dict[str, str] = {"port": str(self.port)}
        self.cases = 0
        self._seed()
        self.b_before = self.b_snapshot()

    def close(self) -> None:
        self.stack.close()

    # -- the handlers, as `Services.start` registers them ----------------------------------

    def _register(self, runtime: Runtime) -> None:
        bridge, db, config, services = self.bridge, self.db, self.config, self.services
        http_handler = outbound.register(bridge, services.outbound_policy, resolve=fake_resolve)
        http_handler.client = local_only(services.outbound_policy, self.port)
        secrets.register(bridge, db, services.secret_box)
        self.mailer = email.register(bridge, db, config.email)
        tables.register(bridge)
        register_sessions(bridge)
        self.users = UsersService(services.tables, self.sessions, self.mailer)
        register_users(bridge, self.users)
        self.loop = asyncio.new_event_loop()
        loop_thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        loop_thread.start()

        def stop_loop() -> None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            loop_thread.join(10)
            self.loop.close()

        self.stack.callback(stop_loop)

        async def start_tasks() -> Runner:
            runner = Runner(
                runtime,
                db,
                RunQueue(1, 1, 2),  # two tasks at most wait or run: a launch is a real run
                LiveRuns(),
                services.run_context,
                end_context=end_run_context,
                services=guest_services,
            )
            tasks.register(bridge, db, runner)
            return runner

        self.runner = asyncio.run_coroutine_threadsafe(start_tasks(), self.loop).result(30)
        self.stack.callback(
            lambda: asyncio.run_coroutine_threadsafe(self.runner.stop(), self.loop).result(30)
        )
        check_helpers.register(bridge, runtime)

    # -- the widgets and their data --------------------------------------------------------

    def _widgets(self) -> tuple[widgets.Widget, widgets.Widget]:
        def make(db: Any) -> tuple[widgets.Widget, widgets.Widget]:
            ann = create_user(db, "ann", "-", True)
            bob = create_user(db, "bob", "-", True)
            a = widgets.create(db, ann, "script", "Fuzz A", files=FILES)
            b = widgets.create(db, bob, "script", "Fuzz B", files=FILES)
            return a, b

        found: tuple[widgets.Widget, widgets.Widget] = self.db.write_now(make)
        return found

    def _tables(self, widget: widgets.Widget) -> TablesSession:
        return TablesSession(self.services.tables, widget.id, SCHEMA, guarded=guard_for(FILES))

    def _add(self, widget: widgets.Widget, table: str, values: dict[str, Any]) -> dict[str, Any]:
        session = self._tables(widget)
        try:
            record: dict[str, Any] = session.call(
                {"op": "add_row", "table": table, "values": values}, 10.0
            )
        finally:
            session.end()
        return record

    def _signup(self, widget: widgets.Widget, address: str, password: str) -> str:
        visit = self.sessions.ephemeral(widget, FILES, BACKGROUND, None)
        ask = users.Ask(visit, trusted=True, deadline=time.monotonic() + 30)
        record = self.users.signup(ask, address, password)
        return str(record["id"])

    def _seed(self) -> None:
        a, b = self.widget_a, self.widget_b
        self._seed_rows()
        self.ids["A_USER"] = self._signup(a, "ann@a.test", A_PASSWORD)
        self.ids["B_USER"] = self._signup(b, B_SENTINELS["user"], B_PASSWORD)
        self.ids["B_ROW"] = str(self._add(b, "notes", {"text": B_SENTINELS["row"]})["id"])
        box = self.services.secret_box
        for name, value in SECRETS.items():
            self.db.write_now(secrets.set_secret, box, a.id, name, value)
        self.db.write_now(secrets.set_secret, box, b.id, "B_ONLY", B_SENTINELS["secret"])
        self.db.write_now(  # Broken: API_KEY's ciphertext under another name
            lambda db: db.execute(
                "UPDATE secrets SET nonce = (SELECT nonce FROM secrets WHERE name = 'API_KEY'),"
                " ciphertext = (SELECT ciphertext FROM secrets WHERE name = 'API_KEY')"
                " WHERE name = 'Broken'"
            )
        )
        # B's session (its cookie's token) and cookie jar, which A's visits may be sent
        self.b_token = "b-session-token-" + "0" * 20
        key = session_records.key_of(self.b_token)
        self.db.write_now(session_records.create, b.id, key)
        data = json.dumps({"who": B_SENTINELS["session"]})
        self.db.write_now(session_records.save_data, b.id, key, data)
        self.jars = {
            "A": self._jar(a, "a cookie"),
            "B": self._jar(b, B_SENTINELS["cookie"]),
            "junk": "a.b",
        }

        # A's finished task, A's task in progress (its runs' context names it), B's task
        def task_runs(db: Any) -> tuple[int, int, int]:
            done = runs.create(db, a, 1, None, "task", status="ok", task_name="work")
            running = runs.create(db, a, 1, None, "task", status="running", task_name="work")
            other = runs.create(db, b, 1, None, "task", status="ok", task_name="work")
            db.execute(
                "UPDATE runs SET task_value = ? WHERE id = ?",
                [json.dumps(B_SENTINELS["task"]), other],
            )
            return done, running, other

        done, running, other = self.db.write_now(task_runs)
        self.runner.states.open(running)
        self.open_run = running
        self.ids.update(A_TASK=str(done), A_OPEN=str(running), B_TASK=str(other))

    def _seed_rows(self) -> None:
        a = self.widget_a
        note = self._add(a, "notes", {"text": "a note", "owner": "ann", "n": 1})
        photo = {
            "$wb": "media",
            "v": {"content_type": "text/plain", "name": "a.txt", "data": "aGVsbG8="},
        }
        person = self._add(a, "people", {"name": "Ann", "age": 30, "photo": photo})
        self.ids.update(
            A_ROW=str(note["id"]),
            A_PERSON=str(person["id"]),
            A_MEDIA=str(person["values"]["photo"]["v"]["ref"]),
        )

    def _jar(self, widget: widgets.Widget, value: str) -> str:
        signer = self.sessions.cookie_signer(widget)
        jar = Jar("local")
        jar.set({"k": value}, 30, signer)
        cookie, _ = jar.cookie_value(signer)
        assert cookie is not None
        return cookie

    def b_snapshot(self) -> str:
        """A digest of everything of B's: its rows in every table of the database with a
        `widget_id`, its widget, and its Data Tables file."""

        b = self.widget_b.id

        def rows(db: Any) -> list[Any]:
            found: list[Any] = []
            for (table,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall():
                columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
                if "widget_id" in columns:
                    query = f'SELECT * FROM "{table}" WHERE widget_id = ?'
                    found.append([table, sorted(map(repr, db.execute(query, [b]).fetchall()))])
            found.append(db.execute("SELECT * FROM widgets WHERE id = ?", [b]).fetchall())
            return found

        digest = hashlib.sha256(repr(self.db.read_now(rows)).encode())
        path = self.config.server.data_dir / "tables" / f"{self.widget_b.id}.db"
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            for line in conn.iterdump():
                digest.update(line.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    # -- each case ---------------------------------------------------------------------------

    def resolved(self, value: Any) -> Any:
        """`value` with the placeholders of ids filled in."""
        if isinstance(value, str):
            whole = WHOLE_INT.fullmatch(value)
            if whole and whole[1] in self.ids:
                return int(self.ids[whole[1]])
            return PLACEHOLDER.sub(lambda m: self.ids.get(m[1], m[0]), value)
        if isinstance(value, list):
            return [self.resolved(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolved(item) for key, item in value.items()}
        return value

    def context(self, case: HandlerCase) -> dict[str, Any]:
        """The run's context as the host makes it, or a broken one."""
        a = self.widget_a
        if case.context in ("run", "browser"):
            context = self.services.run_context(a, self.open_run, self.code)
            context["outbound"] = outbound.OutboundBudget(case.budget)
            context[check_helpers.TARGET] = self.code
            context[check_helpers.METER] = check_helpers.Meter()
            if case.context == "run":
                visit = self.sessions.ephemeral(a, FILES, BACKGROUND, case.client_ip)
            else:
                visit = self.sessions.browser(a, FILES, self.cookies(case), case.client_ip)
            context["visit"] = visit
            return context
        if case.context == "gone":
            gone = 10**6
            return {"widget_id": gone, "owner_id": gone, "run_id": gone, "outbound": None}
        if case.context == "junk":
            return {
                "widget_id": str(a.id), "owner_id": True, "run_id": str(self.open_run),
                "widget": {"id": a.id}, "code": FILES, "outbound": "not a budget",
                "tables": "notes", "visit": {"widget": a.id}, check_helpers.TARGET: "main.py",
                check_helpers.METER: 1,
            }  # fmt: skip
        return {}

    def cookies(self, case: HandlerCase) -> dict[str, str]:
        session, local, shared = case.cookies
        names = self.sessions.names
        found: dict[str, str] = {}
        if session == "A":  # a live session of A's, new for the case
            token = f"a-session-{self.cases}-" + "0" * 16
            key = session_records.key_of(token)
            self.db.write_now(session_records.create, self.widget_a.id, key)
            found[names.session] = token
        elif session == "B":
            found[names.session] = self.b_token
        elif session == "junk":
            found[names.session] = "not a token"
        elif session == "long":
            found[names.session] = "x" * 101
        for jar, choice in (("local", local), ("shared", shared)):
            if choice in self.jars:
                found[names.jars[jar]] = self.jars[choice]
        return found

    def before(self) -> None:
        self.cases += 1
        if self.cases % RESEED_EVERY == 0:
            self._seed_rows()

    def a_runs(self) -> set[int]:
        found: list[tuple[int]] = self.db.read_now(
            lambda db: db.execute(
                "SELECT id FROM runs WHERE widget_id = ?", [self.widget_a.id]
            ).fetchall()
        )
        return {row[0] for row in found}


# -- the contract --------------------------------------------------------------------------


def _text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)


def _leaks(text: str, markers: tuple[str, ...], given: str) -> list[str]:
    """The markers in `text` that the input did not say itself."""
    return [marker for marker in markers if marker in text and marker not in given]


def check_refusal(op: str, error: HostCallError, given: str, env: Env) -> None:
    require(error.kind in KINDS[op], f"{op} raised an undocumented kind", error.kind)
    message = error.message
    require(
        isinstance(message, str) and len(message) <= MAX_MESSAGE,
        f"{op} refused with a long message",
        f"{len(message):,} characters",
    )
    markers = (*HOST_TEXT, str(env.folder), SECRETS["API_KEY"], *B_SENTINELS.values())
    leaked = _leaks(message, markers, given)
    require(not leaked, f"{op}'s refusal leaks host text", f"{leaked}: {message[:300]}")


def check_answer(op: str, data: Any, answer: Any, case: HandlerCase, env: Env) -> None:
    """What each operation answers, beyond being JSON that leaks nothing of B's."""
    if op == "http.request":
        raw = isinstance(data, dict) and bool(data.get("raw"))
        keys = {"status", "headers", "body_b64", "url"}
        if raw:
            keys |= {"reason", "header_list"}
        require(
            isinstance(answer, dict)
            and set(answer) == keys
            and isinstance(answer["status"], int)
            and isinstance(answer["headers"], dict)
            and isinstance(answer["url"], str),
            "http.request answered another shape",
            repr(answer)[:200],
        )
        base64.b64decode(answer["body_b64"], validate=True)
    elif op == "secrets.get":
        require(
            case.context in ("run", "browser") and data in SECRETS and data != "Broken",
            "secrets.get answered a secret it should not",
            repr(data),
        )
        require(answer == SECRETS[data], "secrets.get answered another value")
    elif op == "email.send":
        require(
            isinstance(answer, dict) and set(answer) == {"message_id"},
            "email.send answered another shape",
            repr(answer)[:200],
        )
    elif op == "session":
        shapes: dict[str, Callable[[Any], bool]] = {
            "load": lambda a: isinstance(a, dict) and isinstance(a.get("data"), dict),
            "id": lambda a: isinstance(a, str) and 0 < len(a) <= 100,
            "context": lambda a: isinstance(a, dict) and a.get("type") == "server_module",
            "cookie_get": lambda a: isinstance(a, dict) and isinstance(a.get("found"), bool),
        }
        shape = shapes.get(data["op"], lambda a: a is None)
        require(shape(answer), f"session {data['op']} answered another shape", repr(answer)[:200])
    elif op == "users":
        require(
            answer is None or (isinstance(answer, dict) and isinstance(answer.get("id"), str)),
            "users answered another shape",
            repr(answer)[:200],
        )
    elif op in ("tasks.get", "tasks.launch"):
        require(
            isinstance(answer, dict) and set(answer) >= TASK_VIEW,
            f"{op} answered another shape",
            repr(answer)[:200],
        )
        require(int(answer["id"]) in env.a_runs(), f"{op} answered another widget's task")
    elif op == "tasks.list":
        require(isinstance(answer, list), "tasks.list answered another shape")
        listed = {int(task["id"]) for task in answer}
        require(listed <= env.a_runs(), "tasks.list named another widget's tasks")
    elif op in ("tasks.kill", "tasks.state"):
        require(answer is None, f"{op} answered something", repr(answer)[:200])
    elif op.startswith("checks."):
        extra = {"checks.script": {"stdout", "stderr"}, "checks.http": {"response"}}
        require(
            isinstance(answer, dict)
            and set(answer) == {"status", "error", "message"} | extra.get(op, {"value"})
            and answer["status"] in {"timeout", *(status.value for status in Status)},
            f"{op} answered another shape",
            repr(answer)[:200],
        )


def check_handlers(case: HandlerCase, env: Env) -> None:
    """Each call of a run, made to the handler registered for its operation (every one
    `Services.start` registers) with the run's context: the handler answers JSON (of the
    operation's shape where it has one) or raises HostCallError of a kind its module
    documents, and nothing else (the bridge would turn it into a generic HostError: the
    handler did not validate its input), within its call's timeout; a refusal's message is
    short and says nothing of the host (code, SQL, paths, password hashes, secrets) that the
    input did not; no answer holds another widget's data, and that widget's rows in the
    database and its Data Tables file are the same after every case; outbound HTTP connects
    only where the policy allows."""
    env.before()
    context = env.context(case)
    calls = [(call.op, env.resolved(call.data), call.timeout) for call in case.calls]
    given = _text_of([data for _, data, _ in calls])
    try:
        for op, data, timeout in calls:
            handler = env.bridge.handlers[op]
            host_call = HostCall(op=op, context=context, timeout=timeout)
            with within(timeout + MARGIN, op):
                try:
                    answer = handler(host_call, data)
                except HostCallError as e:
                    check_refusal(op, e, given, env)
                    continue
            try:
                text = json.dumps(answer, allow_nan=False, ensure_ascii=False)
            except (TypeError, ValueError) as e:
                raise ContractError(f"{op} answered with what is not JSON", str(e)) from e
            leaked = _leaks(text, (*B_SENTINELS.values(), "$argon2", str(env.folder)), given)
            require(not leaked, f"{op} answered another widget's or the host's data", str(leaked))
            check_answer(op, data, answer, case, env)
    finally:
        end_run_context(context)
    require(env.b_snapshot() == env.b_before, "another widget's data changed")


CONTRACT = check_handlers.__doc__ or ""


@contextlib.contextmanager
def session(runtime: Runtime | None = None) -> Iterator[Check]:
    """With the caller's runtime (the test session's), or one of its own."""
    with contextlib.ExitStack() as stack:
        if runtime is None:
            runtime = stack.enter_context(Runtime(pool_size=1))
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="widgetbox-fuzz-")))
        env = Env(folder, runtime)
        stack.callback(env.close)
        require(
            set(env.bridge.handlers) == OPS,
            "the operations registered are not those the cases cover",
            f"registered {sorted(env.bridge.handlers)}, covered {sorted(OPS)}",
        )
        yield lambda case: check_handlers(case, env)


__all__ = ["CONTRACT", "REGISTRARS", "STRATEGY", "Env", "HostCase", "session"]
