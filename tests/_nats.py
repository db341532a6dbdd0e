"""A NATS server and Widgetbox workers on loopback, started and stopped by the tests that
use them (`tests/sandbox/test_remote.py`, `just bench scaleout`): nats-server with
JetStream in a temporary folder and a user per worker (`runtime/remote/_auth.py`), by
password or by nkey, over TLS when asked (`Tls`, certificates from `tests/_certs.py`), and
each worker a separate `widgetbox worker` process."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests._certs import Issued
from tests._nats_jwt import Operator
from widgetbox.runtime.remote import Access, public_key
from widgetbox.runtime.remote import _messages as m
from widgetbox.runtime.remote._auth import HOST_USER, server_config

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
READY_WAIT = 180.0


def available() -> bool:
    return Path(NATS_SERVER).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Tls:
    """nats-server's TLS: its certificate, signed by the CA `ca` (which clients are told to
    trust); with `verify`, it asks every client for a certificate `ca` signed (`clients`:
    each user's, by name)."""

    ca: Path
    server: Issued
    verify: bool = False
    clients: Mapping[str, Issued] = field(default_factory=dict)

    def block(self) -> dict[str, object]:
        """nats-server's `tls {}` block."""
        found: dict[str, object] = {
            "cert_file": str(self.server.cert),
            "key_file": str(self.server.key),
            "timeout": 5,
        }
        if self.verify:
            found |= {"ca_file": str(self.ca), "verify": True}
        return found


@dataclass
class Cluster:
    """nats-server on loopback and the workers started on it, by name."""

    folder: Path
    port: int
    passwords: dict[str, str]
    host_password: str
    address: str = "127.0.0.1"
    """Where nats-server listens (and the workers and the host reach it)."""
    server: subprocess.Popen[bytes] | None = None
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    tls: Tls | None = None
    nkeys: Mapping[str, Path] = field(default_factory=dict)
    """Users (workers by name, the host as HOST_USER) known by an nkey: their seed files."""
    operator: Operator | None = None
    """NATS in operator (JWT) mode: every user then logs in with a credentials file."""
    creds: dict[str, Path] = field(default_factory=dict)
    """Users' credentials files (operator mode), by name (the host as HOST_USER)."""

    def url(self, user: str = HOST_USER) -> str:
        scheme = "tls" if self.tls is not None else "nats"
        if user in self.nkeys or user in self.creds:
            return f"{scheme}://{self.address}:{self.port}"
        password = self.host_password if user == HOST_USER else self.passwords[user]
        return f"{scheme}://{user}:{password}@{self.address}:{self.port}"

    def access(self, user: str = HOST_USER) -> Access:
        """The files `user` connects with (the CA, its certificate, its seed)."""
        client = self.tls.clients.get(user) if self.tls is not None else None
        return Access(
            ca=self.tls.ca if self.tls is not None else None,
            cert=client.cert if client is not None else None,
            key=client.key if client is not None else None,
            nkey=self.nkeys.get(user),
            creds=self.creds.get(user),
        )

    def worker_args(self, name: str) -> list[str]:
        """`widgetbox worker`'s options for `access(name)`."""
        access = self.access(name)
        options = (("--nats-ca", access.ca), ("--nats-cert", access.cert))
        options += (("--nats-key", access.key), ("--nats-nkey", access.nkey))
        options += (("--nats-creds", access.creds),)
        return [part for option, path in options if path for part in (option, str(path))]

    def start_server(self) -> None:
        config = self.folder / "nats.conf"
        config.write_text(self._config())
        with (self.folder / "nats.log").open("ab") as log:  # the child keeps its own
            self.server = subprocess.Popen(
                [NATS_SERVER, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((self.address, self.port)):
                return
            time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def _config(self) -> str:
        text = server_config(
            listen=f"{self.address}:{self.port}",
            store_dir=self.folder / "jetstream",
            host_password=None if HOST_USER in self.nkeys else self.host_password,
            workers={n: p for n, p in self.passwords.items() if n not in self.nkeys},
            host_nkey=public_key(self.nkeys[HOST_USER]) if HOST_USER in self.nkeys else None,
            worker_nkeys={n: public_key(seed) for n, seed in self.nkeys.items() if n != HOST_USER},
            tls=self.tls.block() if self.tls is not None else None,
        )
        if self.operator is None:
            return text
        config = json.loads(text)  # users come from the operator's accounts instead
        del config["authorization"]
        return json.dumps(config | self.operator.server_block(), indent=2)

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(10)
            self.server = None

    def start_worker(
        self,
        name: str,
        *,
        processes: int = 1,
        capacity: int | None = None,
        prefix: Sequence[str] = (),
        wait: bool = True,
        args: Sequence[str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """`widgetbox worker` as its own process (with `prefix` before it: `taskset`,
        `ip netns exec`), waiting until it says it is ready. `args` replace the options
        of its access (`worker_args`)."""
        log_path = self.folder / f"{name}.log"
        command = [*prefix, sys.executable, "-m", "widgetbox.host.cli"]
        command += ["worker", "--name", name, "--processes", str(processes)]
        command += self.worker_args(name) if args is None else args
        if capacity is not None:
            command += ["--capacity", str(capacity)]
        env = {**os.environ, "NATS_URL": self.url(name)}
        with log_path.open("ab") as log:  # the child keeps its own
            worker = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        self.workers[name] = worker
        if wait:
            deadline = time.monotonic() + READY_WAIT
            while b"ready (pid" not in log_path.read_bytes():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {name} did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
        return worker

    def stop_worker(self, name: str) -> None:
        """SIGTERM: it stops its runs, says goodbye and exits."""
        worker = self.workers.pop(name)
        worker.terminate()
        worker.wait(30)

    def kill_worker(self, name: str) -> None:
        """kill -9, as a machine that dies (its sandbox processes go when their socket to it
        closes)."""
        worker = self.workers.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)

    def close(self) -> None:
        for name, worker in list(self.workers.items()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGCONT)
                worker.terminate()
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
            del self.workers[name]
        self.stop_server()


@contextlib.contextmanager
def cluster(
    folder: Path,
    names: Sequence[str],
    address: str = "127.0.0.1",
    *,
    tls: Tls | None = None,
    nkeys: Mapping[str, Path] | None = None,
    operator: bool = False,
) -> Iterator[Cluster]:
    """nats-server on `address` with a user for the host and each of `names`: by password,
    by nkey (`nkeys`: seed files by user), or, with `operator`, in operator (JWT) mode with
    a credentials file each."""
    jwt = Operator(folder) if operator else None
    creds = {}
    if jwt is not None:
        creds[HOST_USER] = jwt.credentials(HOST_USER, worker=False)
        creds |= {name: jwt.credentials(name, worker=True) for name in names}
    found = Cluster(
        folder=folder,
        port=free_port(),
        passwords={name: secrets.token_hex(12) for name in names},
        host_password=secrets.token_hex(12),
        address=address,
        tls=tls,
        nkeys=dict(nkeys or {}),
        operator=jwt,
        creds=creds,
    )
    found.start_server()
    try:
        yield found
    finally:
        found.close()


FORBIDDEN_SUBSCRIBE = ("wb.work.{other}", "wb.events.{other}", "wb.host.*", "_INBOX.{other}.>")
FORBIDDEN_PUBLISH = ("wb.work.{other}", "wb.events.{other}", "wb.beat.{other}", "wb.jobs.batch")


def acting_as_another(url: str, name: str, other: str, **login: str) -> list[str]:
    """Worker `name`'s NATS user (at `url`, with nats-py's `login` options: a seed, a
    credentials file) tries to read another's work, events and replies and the host's calls,
    and to publish as the host or as `other`, then publishes on its own events subject: the
    permission errors the server answered (one per forbidden subject, when it holds). What
    it sends on its own subject is a message the host ignores: a running host would stop
    trusting a worker that sent it anything malformed."""
    import asyncio

    import nats

    async def attempt() -> list[str]:
        errors: list[str] = []

        async def on_error(e: Exception) -> None:
            errors.append(str(e))

        client = await nats.connect(
            url,
            error_cb=on_error,
            inbox_prefix=f"_INBOX.{name}",
            allow_reconnect=False,
            **login,  # type: ignore[arg-type]
        )
        try:
            for subject in FORBIDDEN_SUBSCRIBE:
                await client.subscribe(subject.format(other=other))
            for subject in FORBIDDEN_PUBLISH:
                await client.publish(subject.format(other=other), b"{}")
            # its own subject, allowed (an output line of no run: the host ignores it)
            ignored = m.RunOutput(run="no-such-run", stream="stdout", text="")
            await client.publish(f"wb.events.{name}", m.pack(ignored))
            await client.flush(2)
            await asyncio.sleep(0.3)
        finally:
            await client.close()
        return [e for e in errors if "permissions violation" in e.lower()]

    return asyncio.run(attempt())


def wait_for(check: object, timeout: float = 15.0, step: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(step)


@dataclass
class Machine:
    """A network namespace joined to this one by a veth pair: another machine, as far as
    the network goes (its own interfaces, addresses and loopback)."""

    name: str
    address: str
    """Its address on the pair."""
    gateway: str
    """This side's address: where it reaches nats-server."""

    @property
    def prefix(self) -> list[str]:
        """The command prefix that runs a program there."""
        return ["ip", "netns", "exec", self.name]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def can_make_machines() -> bool:
    return os.geteuid() == 0 and shutil.which("ip") is not None


@contextlib.contextmanager
def machines(count: int) -> Iterator[tuple[str, list[Machine]]]:
    """`count` network namespaces on a bridge of their own (10.213.0.0/24, this side
    .1, theirs .2 on), each joined to it by a veth pair; yields this side's address (where
    nats-server listens: reachable from them, routed nowhere else) and the machines. All
    removed afterwards (removing a namespace removes its end of a pair, and with it ours)."""
    tag = secrets.token_hex(3)
    bridge = f"wbx{tag}br"
    gateway = "10.213.0.1"
    made: list[Machine] = []
    _ip("link", "add", bridge, "type", "bridge")
    try:
        _ip("addr", "add", f"{gateway}/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for index in range(count):
            name = f"wbx-{tag}-{index}"
            ours, theirs = f"wbx{tag}{index}a", f"wbx{tag}{index}b"
            address = f"10.213.0.{index + 2}"
            _ip("netns", "add", name)
            made.append(Machine(name, address, gateway))
            _ip("link", "add", ours, "type", "veth", "peer", "name", theirs)
            _ip("link", "set", ours, "master", bridge)
            _ip("link", "set", ours, "up")
            _ip("link", "set", theirs, "netns", name)
            _ip("-n", name, "addr", "add", f"{address}/24", "dev", theirs)
            _ip("-n", name, "link", "set", theirs, "up")
            _ip("-n", name, "link", "set", "lo", "up")
        yield gateway, made
    finally:
        for machine in made:
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip("netns", "delete", machine.name)
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "delete", bridge)
