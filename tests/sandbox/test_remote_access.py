"""How the host and its workers reach NATS (runtime/remote/_access.py), against a real
nats-server on loopback: over TLS with a private CA and client certificates (mutual TLS),
and logging in with nkeys or credentials files (operator mode) instead of passwords, each
user with the same subject permissions as a password user. A worker that cannot prove
itself, or does not trust the server, exits at once saying why (and never shows its
secret); the host says why in its state and runs everything locally meanwhile; a client
told to use TLS sends nothing to a server that does not offer it."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import _certs, _nats
from widgetbox.runtime import Bridge, Call, Code, Runtime, Status
from widgetbox.runtime.remote import Access, Refused, Workers, new_seed
from widgetbox.runtime.remote._auth import HOST_USER
from widgetbox.runtime.remote._link import connect

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(not _nats.available(), reason="nats-server is not installed"),
]

CODE = Code.single(
    """
import anvil.server
from _widgetbox.bridge import call

@anvil.server.callable
def echo(x):
    return call("echo", x)
"""
)
REFUSED_WAIT = 180.0
"""Seconds a refused worker may take to exit (it prepares the interpreter first)."""


def _host(cluster: _nats.Cluster) -> Runtime:
    """The host's runtime with no sandbox process for requests: a call it answers went
    through a worker."""
    runtime = Runtime(
        pool_size=0, processes=0, nats=cluster.url(), nats_access=cluster.access(HOST_USER)
    )
    runtime.bridge.register("echo", lambda call, data: {"data": data, **call.context})
    return runtime


def _healthy(host: Runtime) -> set[str]:
    assert host.remote is not None
    return {w.name for w in host.remote.status() if w.healthy}


def _served_through(cluster: _nats.Cluster, host: Runtime, name: str) -> None:
    """`name` started as a worker serves a call whose host call the host answers."""
    cluster.start_worker(name)
    _nats.wait_for(lambda: name in _healthy(host), timeout=30)
    result = host.run(Call(CODE, "echo", [7]), context={"widget": "w"})
    assert result.status is Status.OK, result
    assert result.value == {"data": 7, "widget": "w"}
    assert host.remote is not None
    assert next(w.served for w in host.remote.status() if w.name == name) == 1


def _refused(cluster: _nats.Cluster, name: str, args: list[str]) -> str:
    """Start worker `name` with `args`; it must exit with status 1. Its log."""
    worker = cluster.start_worker(name, args=args, wait=False)
    try:
        assert worker.wait(REFUSED_WAIT) == 1
    except subprocess.TimeoutExpired:
        worker.kill()
        raise
    finally:
        cluster.workers.pop(name, None)
    return (cluster.folder / f"{name}.log").read_text()


def _connect(url: str, access: Access) -> None:
    """A first connection with `access` (closed again if it is made)."""

    async def attempt() -> None:
        # a failure not taken for a refusal is tried again for ever: the wait ends that
        client = await asyncio.wait_for(connect(url, "probe", access=access), 20)
        await client.close()

    asyncio.run(attempt())


# -- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> _certs.Authority:
    return _certs.authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> _certs.Authority:
    return _certs.authority(tmp_path_factory.mktemp("other-ca"), "Someone else's CA")


@pytest.fixture(scope="module")
def tls_cluster(
    tmp_path_factory: pytest.TempPathFactory, ca: _certs.Authority
) -> Iterator[_nats.Cluster]:
    """nats-server with TLS that asks every client for a certificate its CA signed
    (`verify: true`), users by password."""
    names = ("t1", "t2")
    tls = _nats.Tls(
        ca=ca.cert,
        server=ca.issue("nats-server"),
        verify=True,
        clients={user: ca.issue(user, client=True) for user in (HOST_USER, *names)},
    )
    with _nats.cluster(tmp_path_factory.mktemp("nats-tls"), names, tls=tls) as found:
        yield found


@pytest.fixture(scope="module")
def tls_host(tls_cluster: _nats.Cluster) -> Iterator[Runtime]:
    runtime = _host(tls_cluster)
    try:
        yield runtime
    finally:
        runtime.close()


def test_a_call_goes_through_a_worker_over_mutual_tls(
    tls_cluster: _nats.Cluster, tls_host: Runtime
) -> None:
    assert tls_cluster.url().startswith("tls://")
    assert tls_host.remote is not None
    _nats.wait_for(lambda: tls_host.remote is not None and tls_host.remote.connected)
    _served_through(tls_cluster, tls_host, "t1")
    log = (tls_cluster.folder / "t1.log").read_text()
    assert "serving tls://127.0.0.1:" in log
    assert tls_cluster.passwords["t1"] not in log  # its URL is logged without it


def test_a_worker_that_does_not_trust_the_server_exits_saying_why(
    tls_cluster: _nats.Cluster,
) -> None:
    """Without the CA (a tls:// URL then trusts only the system's CAs)."""
    client = tls_cluster.access("t2")
    log = _refused(
        tls_cluster, "t2", ["--nats-cert", str(client.cert), "--nats-key", str(client.key)]
    )
    assert "NATS refused worker t2: the NATS server's certificate is not trusted" in log, log
    assert "--nats-ca" in log
    assert tls_cluster.passwords["t2"] not in log  # the URL's password is never shown
    assert "ready (pid" not in log


def test_another_ca_or_no_client_certificate_is_refused(
    tls_cluster: _nats.Cluster, ca: _certs.Authority, other_ca: _certs.Authority
) -> None:
    url = tls_cluster.url("t2")
    mine = tls_cluster.access("t2")
    stranger = other_ca.issue("t2", client=True)
    cases = {
        "the NATS server's certificate is not trusted": Access(
            ca=other_ca.cert, cert=mine.cert, key=mine.key
        ),
        "TLS handshake with the NATS server failed": Access(ca=ca.cert),
        "handshake": Access(ca=ca.cert, cert=stranger.cert, key=stranger.key),
    }
    for expected, access in cases.items():
        with pytest.raises(Refused, match=expected):
            _connect(url, access)
    _connect(url, mine)  # and with its own files it is let in


def test_a_refused_host_says_why_and_runs_locally_meanwhile(
    tls_cluster: _nats.Cluster, other_ca: _certs.Authority
) -> None:
    host = tls_cluster.access(HOST_USER)
    workers = Workers(
        tls_cluster.url(), Bridge(), access=Access(ca=other_ca.cert, cert=host.cert, key=host.key)
    )
    try:
        _nats.wait_for(lambda: workers.trouble != "", timeout=10)
        assert workers.trouble.startswith("refused: the NATS server's certificate is not trusted")
        assert not workers.connected
        assert not workers.available()  # every run is local
    finally:
        workers.close()


# -- nkeys -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("seeds")
    found = {user: folder / f"{user}.nk" for user in (HOST_USER, "n1", "n2", "stranger")}
    for path in found.values():
        new_seed(path)
    return found


@pytest.fixture(scope="module")
def nkey_cluster(
    tmp_path_factory: pytest.TempPathFactory, seeds: dict[str, Path]
) -> Iterator[_nats.Cluster]:
    """nats-server whose host and workers log in with nkeys (no TLS: nothing secret is sent)."""
    known = {user: seeds[user] for user in (HOST_USER, "n1", "n2")}
    with _nats.cluster(tmp_path_factory.mktemp("nats-nkeys"), ("n1", "n2"), nkeys=known) as found:
        yield found


@pytest.fixture(scope="module")
def nkey_host(nkey_cluster: _nats.Cluster) -> Iterator[Runtime]:
    runtime = _host(nkey_cluster)
    try:
        yield runtime
    finally:
        runtime.close()


def test_nats_server_knows_the_nkey_users_by_public_key_only(
    nkey_cluster: _nats.Cluster, seeds: dict[str, Path]
) -> None:
    config = (nkey_cluster.folder / "nats.conf").read_text()
    assert '"nkey": "U' in config
    assert '"password"' not in config
    assert all(seeds[user].read_text().strip() not in config for user in ("n1", HOST_USER))


def test_a_call_goes_through_a_worker_logged_in_with_an_nkey(
    nkey_cluster: _nats.Cluster, nkey_host: Runtime
) -> None:
    assert "@" not in nkey_cluster.url("n1")  # no user, no password
    _served_through(nkey_cluster, nkey_host, "n1")


def test_a_worker_with_a_wrong_seed_exits_saying_why(
    nkey_cluster: _nats.Cluster, seeds: dict[str, Path]
) -> None:
    log = _refused(nkey_cluster, "n2", ["--nats-nkey", str(seeds["stranger"])])
    assert "NATS refused worker n2: the NATS server refused the credentials" in log, log
    assert "Authorization Violation" in log
    assert seeds["stranger"].read_text().strip() not in log


def test_an_nkey_worker_can_act_only_as_itself(
    nkey_cluster: _nats.Cluster, seeds: dict[str, Path]
) -> None:
    """The same subject permissions as a password user (`_auth.worker_permissions`)."""
    login = {"nkeys_seed": str(seeds["n1"])}
    violations = _nats.acting_as_another(nkey_cluster.url("n1"), "n1", "n2", **login)
    assert len(violations) == 8, violations
    assert not any("wb.events.n1" in e for e in violations)


# -- credentials files (operator mode) ---------------------------------------------------


@pytest.fixture(scope="module")
def jwt_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_nats.Cluster]:
    """nats-server in operator (JWT) mode: the host and each worker log in with a
    credentials file, a worker's JWT holding its permissions."""
    folder = tmp_path_factory.mktemp("nats-jwt")
    with _nats.cluster(folder, ("j1", "j2"), operator=True) as found:
        yield found


@pytest.fixture(scope="module")
def jwt_host(jwt_cluster: _nats.Cluster) -> Iterator[Runtime]:
    runtime = _host(jwt_cluster)
    try:
        yield runtime
    finally:
        runtime.close()


def test_a_call_goes_through_a_worker_logged_in_with_credentials(
    jwt_cluster: _nats.Cluster, jwt_host: Runtime
) -> None:
    config = (jwt_cluster.folder / "nats.conf").read_text()
    assert '"operator"' in config
    assert '"authorization"' not in config  # no users, no passwords
    assert "@" not in jwt_cluster.url("j1")
    _served_through(jwt_cluster, jwt_host, "j1")


def test_credentials_of_another_account_are_refused_saying_why(
    jwt_cluster: _nats.Cluster,
) -> None:
    from tests._nats_jwt import _Key

    assert jwt_cluster.operator is not None
    import nkeys  # type: ignore[import-untyped]

    stranger = jwt_cluster.operator.credentials(
        "j2", worker=True, account=_Key.new(nkeys.PREFIX_BYTE_ACCOUNT)
    )
    log = _refused(jwt_cluster, "j2", ["--nats-creds", str(stranger)])
    assert "NATS refused worker j2: the NATS server refused the credentials" in log, log
    assert "credentials file" in log
    assert "SU" not in log.split("NATS refused", 1)[1]  # no seed shown


def test_a_worker_logged_in_with_credentials_can_act_only_as_itself(
    jwt_cluster: _nats.Cluster,
) -> None:
    """The worker's JWT holds the permissions its password user would have."""
    login = {"user_credentials": str(jwt_cluster.creds["j1"])}
    violations = _nats.acting_as_another(jwt_cluster.url("j1"), "j1", "j2", **login)
    assert len(violations) == 8, violations
    assert not any("wb.events.j1" in e for e in violations)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("not a credentials file", "not a NATS user credentials file"),
        ("mismatch", "its seed is not the JWT's user's"),
    ],
)
def test_a_credentials_file_is_checked_before_connecting(
    jwt_cluster: _nats.Cluster, tmp_path: Path, content: str, why: str
) -> None:
    path = tmp_path / "bad.creds"
    if content == "mismatch":  # one user's JWT with another's seed
        marker = "-----BEGIN USER NKEY SEED"
        j1, j2 = (jwt_cluster.creds[n].read_text().split(marker) for n in ("j1", "j2"))
        path.write_text(j1[0] + marker + j2[1])
    else:
        path.write_text(content)
    with pytest.raises(ValueError, match=why):
        Access(creds=path).check()
    with pytest.raises(ValueError, match="not both"):
        Access(creds=jwt_cluster.creds["j1"], nkey=path).check()


def test_a_client_told_to_use_tls_sends_nothing_to_a_server_without_it(
    tmp_path: Path, ca: _certs.Authority
) -> None:
    """A server (or someone in between) that does not offer TLS gets no CONNECT, so no
    password: nats-py by itself would send one in the clear, even for a tls:// URL."""

    async def go() -> bytes:
        received = bytearray()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b'INFO {"server_id":"x","version":"2.9.10","max_payload":1048576}\r\n')
            await writer.drain()
            try:
                while data := await reader.read(4096):  # until the client hangs up
                    received.extend(data)
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            for url, access in (
                (f"tls://user:secret@127.0.0.1:{port}", Access()),
                (f"nats://user:secret@127.0.0.1:{port}", Access(ca=ca.cert)),
            ):
                with pytest.raises(Refused, match="does not require TLS"):
                    await asyncio.wait_for(connect(url, "probe", access=access), 10)
            await asyncio.sleep(0.2)
        finally:
            server.close()
            await server.wait_closed()
        return bytes(received)

    assert b"secret" not in asyncio.run(go())
