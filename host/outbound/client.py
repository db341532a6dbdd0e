"""Making a checked request for widget code: the host name resolved once and every address
vetted against the policy (metadata names and addresses always refused), the connection made
to the vetted address itself (the name as Host and as the TLS server name), redirects
followed and vetted again hop by hop, one deadline for the whole call (a watchdog closes the
socket when it passes) and the response body streamed up to the policy's `max_bytes`.

Failures are `HostCallError`s naming the host and the reason (`Refused`, `LimitExceeded`,
`Timeout`, `ConnectionError`), never an exception's text; URLs are logged without their
query strings.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urljoin

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.response import HTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

from widgetbox.host.outbound.addresses import (
    METADATA_HOSTS,
    PRIVATE_CATEGORIES,
    IPAddress,
    describe,
    parse_ip,
)
from widgetbox.host.outbound.policy import OutboundPolicy, address_refusal
from widgetbox.host.outbound.request import OutboundRequest, without
from widgetbox.host.outbound.urls import Target, parse_url
from widgetbox.runtime import HostCallError

log = logging.getLogger("widgetbox.host.outbound.client")

MAX_REDIRECTS = 10
REDIRECTS = frozenset({301, 302, 303, 307, 308})
READ_CHUNK = 64 * 1024
USER_AGENT = "Widgetbox (outbound HTTP for widget code)"

Resolver = Callable[[str, int], Sequence[str]]
"""(host name, port) -> the addresses it resolves to, as text."""

CROSS_ORIGIN_DROPPED = frozenset({"authorization", "cookie"})
"""Request headers not carried across a redirect to another origin."""


def resolve_dns(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, by the system resolver (one lookup)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


PUBLIC_ONLY = " (outbound requests may reach only the public internet)"


def vet_addresses(
    policy: OutboundPolicy,
    target: Target,
    resolve: Resolver = resolve_dns,
    *,
    private_hint: str = PUBLIC_ONLY,
) -> list[IPAddress]:
    """The addresses `target` may be reached at, resolved once and every one allowed by
    `policy`; refuses otherwise (`Refused`: metadata names and addresses, and the ones the
    policy does not lift, with `private_hint` after a private one; `ConnectionError`: the
    name does not resolve). Connect to these addresses, never to the name again."""
    if target.host in METADATA_HOSTS:
        _refuse(target, "metadata", resolved=False, hint=private_hint)
    if target.ip is not None:
        addresses: list[IPAddress] = [target.ip]
    else:
        try:
            found = resolve(target.host, target.port)
        except (OSError, UnicodeError):
            raise HostCallError(
                "ConnectionError", f"the host name {target.host} could not be resolved"
            ) from None
        addresses = []
        for text in found:
            ip = parse_ip(text)
            if ip is not None and ip not in addresses:
                addresses.append(ip)
        if not addresses:
            raise HostCallError(
                "ConnectionError", f"the host name {target.host} could not be resolved"
            )
    for ip in addresses:
        category = address_refusal(policy, target.host, ip)
        if category is not None:
            _refuse(target, category, resolved=target.ip is None, hint=private_hint)
    return addresses


def _refuse(target: Target, category: str, *, resolved: bool, hint: str) -> NoReturn:
    log.info("outbound request to %s refused: %s", target.label, category)
    verb = "resolves to" if resolved else "is"
    raise HostCallError(
        "Refused",
        f"requests to {target.label} are refused: it {verb} {describe(category)}"
        + (hint if category in PRIVATE_CATEGORIES else ""),
    )


@dataclass
class Response:
    """What a server answered (a redirect's body is read only when it is not followed)."""

    status: int
    headers: dict[str, str]
    """Lower-case names; a repeated header's values joined with ", "."""
    location: str | None
    body: bytes
    reason: str = ""
    header_list: list[tuple[str, str]] = field(default_factory=list)
    """Every header as received, a repeated one once per value (its first spelling)."""


class OutboundClient:
    """Makes checked requests under one policy (see the module's docstring)."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        resolve: Resolver = resolve_dns,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy
        self._resolve = resolve
        self._ssl_context = ssl_context
        """For tests (a private CA); None uses the system's trusted certificates."""

    def fetch(self, request: OutboundRequest, limit: float) -> tuple[Response, Target]:
        """The response to `request`, redirects followed, within `limit` seconds; and the
        target that answered it."""
        started = time.monotonic()
        watchdog = _Watchdog(limit)
        try:
            response, final = self._follow(request, started + limit, watchdog, limit)
        finally:
            watchdog.cancel()
        log.debug(
            "outbound %s %s -> %d (%d bytes, %.0f ms)",
            request.method,
            _loggable(final),
            response.status,
            len(response.body),
            (time.monotonic() - started) * 1000,
        )
        return response, final

    def _follow(
        self, request: OutboundRequest, deadline: float, watchdog: _Watchdog, limit: float
    ) -> tuple[Response, Target]:
        target, method, headers, body = (
            request.target,
            request.method,
            request.headers,
            request.body,
        )
        for hop in range(MAX_REDIRECTS + 1):
            addresses = self._vet(target)
            response = self._exchange(
                target, addresses, method, headers, body, deadline, watchdog, limit, request.raw
            )
            location = response.location
            if request.raw or response.status not in REDIRECTS or location is None:
                return response, target
            if hop == MAX_REDIRECTS:
                break
            following = _redirect_target(target, location)
            if (response.status == 303 and method != "HEAD") or (
                response.status in (301, 302) and method == "POST"
            ):
                method, body = "GET", None
                headers = without(headers, frozenset({"content-type", "content-encoding"}))
            if following.origin != target.origin and not _is_upgrade(target, following):
                headers = without(headers, CROSS_ORIGIN_DROPPED)
            target = following
        raise HostCallError(
            "ConnectionError", f"{request.target.label} redirected more than {MAX_REDIRECTS} times"
        )

    def _vet(self, target: Target) -> list[IPAddress]:
        return vet_addresses(self.policy, target, self._resolve)

    def _exchange(
        self,
        target: Target,
        addresses: list[IPAddress],
        method: str,
        headers: dict[str, str],
        body: bytes | None,
        deadline: float,
        watchdog: _Watchdog,
        limit: float,
        raw: bool,
    ) -> Response:
        conn = None
        for index, ip in enumerate(addresses):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or watchdog.expired.is_set():
                raise _timed_out(target, limit)
            conn = self._connection(target, ip, remaining)
            watchdog.watch(conn)
            try:
                conn.connect()
                break
            except Exception as e:
                conn.close()
                if watchdog.expired.is_set() or _is_timeout(e):
                    raise _timed_out(target, limit) from None
                if index == len(addresses) - 1:
                    raise _connection_failed(target, e) from None
        assert conn is not None
        watchdog.hold(conn.sock)
        try:
            response = self._send(conn, target, method, headers, body, raw)
        except HostCallError:
            raise
        except Exception as e:
            if watchdog.expired.is_set() or _is_timeout(e):
                raise _timed_out(target, limit) from None
            raise _connection_failed(target, e) from None
        finally:
            conn.close()
        if watchdog.expired.is_set():  # a body cut short by the watchdog looks complete
            raise _timed_out(target, limit)
        return response

    def _connection(self, target: Target, ip: IPAddress, timeout: float) -> HTTPConnection:
        if target.scheme == "https":
            return HTTPSConnection(
                str(ip),
                target.port,
                timeout=timeout,
                cert_reqs="CERT_REQUIRED",
                server_hostname=target.host,
                assert_hostname=target.host,
                ssl_context=self._ssl_context,
            )
        return HTTPConnection(str(ip), target.port, timeout=timeout)

    def _send(
        self,
        conn: HTTPConnection,
        target: Target,
        method: str,
        headers: dict[str, str],
        body: bytes | None,
        raw: bool,
    ) -> Response:
        sent = {"Host": target.authority, **headers}
        if "user-agent" not in {name.lower() for name in headers}:
            sent["User-Agent"] = USER_AGENT
        conn.request(method, target.path, body=body, headers=sent, preload_content=False)
        response = conn.getresponse()
        try:
            status = response.status
            answer_headers = {name.lower(): value for name, value in response.headers.itermerged()}
            location = answer_headers.get("location")
            answer = Response(status, answer_headers, location, b"", response.reason or "")
            if raw:
                answer.header_list = list(response.headers.iteritems())
            elif status in REDIRECTS and location is not None:
                return answer  # followed: its body is not needed
            if method != "HEAD":
                answer.body = self._read(response, target)
            return answer
        finally:
            response.release_conn()
            response.close()

    def _read(self, response: HTTPResponse, target: Target) -> bytes:
        cap = self.policy.max_bytes
        too_large = HostCallError(
            "LimitExceeded", f"the response from {target.label} is larger than {cap:,} bytes"
        )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read1(READ_CHUNK, decode_content=False)
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)


class _Watchdog:
    """Closes the current connection's socket when the call's deadline passes, so that a
    server trickling bytes cannot hold the call past it (socket timeouts are per read)."""

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self._lock = threading.Lock()
        self._conn: http.client.HTTPConnection | None = None
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._conn, self._sock = conn, None
            if self.expired.is_set():
                self._shutdown()

    def hold(self, sock: socket.socket | None) -> None:
        """Keep the connected socket (the connection forgets it once a response closes)."""
        with self._lock:
            self._sock = sock

    def _fire(self) -> None:
        with self._lock:
            self.expired.set()
            self._shutdown()

    def _shutdown(self) -> None:
        sock = self._sock or (self._conn.sock if self._conn is not None else None)
        if sock is not None:
            # The plain socket's shutdown, under TLS too: it wakes a blocked read.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _redirect_target(current: Target, location: str) -> Target:
    try:
        return parse_url(urljoin(current.url, location))
    except HostCallError as e:
        # A refusal stays one; a malformed Location is the server's fault, not the guest's.
        kind = "Refused" if e.kind == "Refused" else "ConnectionError"
        raise HostCallError(
            kind, f"{current.label} redirected to a URL that {_WHY[kind]}: {e.message}"
        ) from None


_WHY = {"Refused": "is refused", "ConnectionError": "is not valid"}


def _is_upgrade(old: Target, new: Target) -> bool:
    """http -> https on the same host and default ports keeps credentials (as browsers do)."""
    return (
        old.host == new.host
        and old.scheme == "http"
        and new.scheme == "https"
        and old.default_port
        and new.default_port
    )


def _is_timeout(error: BaseException) -> bool:
    if isinstance(error, NewConnectionError):
        return False
    return isinstance(error, (TimeoutError, socket.timeout, ConnectTimeoutError, ReadTimeoutError))


def _timed_out(target: Target, limit: float) -> HostCallError:
    return HostCallError("Timeout", f"{target.label} did not answer within {limit:.3g} s")


def _connection_failed(target: Target, error: BaseException) -> HostCallError:
    """A ConnectionError naming the host and the kind of failure, never the exception text."""
    cause = error.__cause__ if isinstance(error, NewConnectionError) else error
    if isinstance(cause, ConnectionRefusedError):
        reason = "the connection was refused"
    elif isinstance(cause, (ConnectionResetError, BrokenPipeError)):
        reason = "the connection was reset"
    elif isinstance(error, (ssl.SSLCertVerificationError, CertificateError)):
        reason = "its TLS certificate could not be verified"
    elif isinstance(error, ssl.SSLError):
        reason = "the TLS handshake failed"
    elif isinstance(error, (http.client.HTTPException, ProtocolError)):
        reason = "it did not send a valid HTTP response"
    elif isinstance(cause, OSError) and cause.errno is not None:
        reason = "the network could not reach it"
    else:
        reason = "the connection failed"
    log.info("outbound request to %s failed: %s (%s)", target.label, reason, type(error).__name__)
    return HostCallError("ConnectionError", f"the request to {target.label} failed: {reason}")


def _loggable(target: Target) -> str:
    """The URL without its query string (which may carry keys)."""
    return f"{target.scheme}://{target.authority}{target.path.split('?', 1)[0]}"
