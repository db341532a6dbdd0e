"""Outbound HTTP for widget code: the bridge handler `http.request`, and the egress policy it
enforces.

Widget code has no network; `anvil.http.request` asks the host, which makes the request on
its behalf. Every request is checked before anything leaves the machine:

- only `http` and `https` URLs, without credentials in them, on ports browsers allow;
- the host name is resolved once, and every address it resolves to is classified; loopback,
  private (RFC 1918, IPv6 ULA), link-local and shared (CGNAT) addresses are refused unless
  `allow_private` is set or the host is on the allowlist; unspecified, multicast and
  reserved addresses are always refused, and so are cloud metadata endpoints (by address and
  by name), whatever the settings say;
- the connection goes to the vetted address itself (no second lookup, so DNS rebinding
  cannot swap it), with the original host name in the Host header and as the TLS server
  name the certificate must match;
- redirects are followed here (at most `MAX_REDIRECTS`), each one checked again as above;
- the whole call, redirects included, has one deadline (a watchdog closes the socket when it
  passes); the response body is streamed and refused past `max_bytes`; each run may make
  `calls_per_run` requests (its `OutboundBudget`, passed in the run's bridge context as
  `context["outbound"]`).

Refusals and failures reach the guest as `HostCallError`s whose kind says what happened
(`BadRequest`, `Refused`, `LimitExceeded`, `Timeout`, `ConnectionError`) and whose message
names the host and the reason, never a host exception's text. Request bodies, header values
and credentials are never logged; URLs are logged without their query strings.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.response import HTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

from widgetbox.runtime import Bridge, HostCall, HostCallError

if TYPE_CHECKING:
    from widgetbox.host.config import Config

log = logging.getLogger("widgetbox.host.outbound.client")

OP = "http.request"
"""The bridge operation `anvil.http.request` calls."""

MAX_REDIRECTS = 10
MAX_URL_LENGTH = 8192
MAX_HEADERS = 100
MAX_HEADER_BYTES = 64 * 1024
READ_CHUNK = 64 * 1024
USER_AGENT = "Widgetbox (outbound HTTP for widget code)"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""(host name, port) -> the addresses it resolves to, as text."""


# -- policy and budget ---------------------------------------------------------------------


@dataclass(frozen=True)
class OutboundPolicy:
    """What widget code may reach, and how much of it (the `[outbound]` settings)."""

    allow_private: bool = False
    """Allow loopback, private, link-local and shared addresses (never metadata ones)."""
    allowlist: tuple[str, ...] = ()
    """Host names that may resolve to private addresses even when `allow_private` is off."""
    timeout: float = 10.0
    """Seconds one request (redirects included) may take at most."""
    max_bytes: int = 10 * 1024 * 1024
    """Largest response body accepted."""
    calls_per_run: int = 100
    """Requests one run may make."""

    def __post_init__(self) -> None:
        hosts = tuple(_normal_host_name(host) for host in self.allowlist if host.strip())
        object.__setattr__(self, "allowlist", hosts)

    @classmethod
    def from_config(cls, config: Config) -> OutboundPolicy:
        return cls(
            allow_private=config.outbound_allow_private,
            allowlist=tuple(config.outbound_allowlist),
            timeout=config.outbound_timeout,
            max_bytes=config.outbound_max_bytes,
            calls_per_run=config.outbound_calls_per_run,
        )

    def allowlisted(self, host: str) -> bool:
        return _normal_host_name(host) in self.allowlist


class OutboundBudget:
    """The outbound requests one run has left. Create one per run, pass it in the run's
    bridge context as `context["outbound"]`; it is safe to share between threads."""

    def __init__(self, calls: int) -> None:
        if calls < 0:
            raise ValueError("a run's outbound budget cannot be negative")
        self.limit = calls
        self._left = calls
        self._lock = threading.Lock()

    @classmethod
    def for_policy(cls, policy: OutboundPolicy) -> OutboundBudget:
        return cls(policy.calls_per_run)

    @property
    def remaining(self) -> int:
        with self._lock:
            return self._left

    def take(self) -> bool:
        """Use one request; False when none are left."""
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True

    def __repr__(self) -> str:
        return f"OutboundBudget({self.remaining} of {self.limit} left)"


# -- addresses -----------------------------------------------------------------------------

METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
    }
)
"""Names of cloud metadata services, refused before they are even resolved."""

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack, ...
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS pod identity
        "169.254.0.23",  # Tencent Cloud
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (legacy)
        "168.63.129.16",  # Azure WireServer (a public address, so listed here)
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
        "fd20:ce::254",  # GCP metadata over IPv6
    )
)
"""Cloud metadata endpoints: refused always, even with `allow_private` or an allowlist."""

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

_IPV4_RANGES: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/32"), "unspecified"),
    (_V4("0.0.0.0/8"), "reserved"),  # "this network"
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("100.64.0.0/10"), "shared"),  # carrier-grade NAT, RFC 6598
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("192.0.0.0/24"), "reserved"),  # IETF protocol assignments
    (_V4("192.0.2.0/24"), "reserved"),  # documentation
    (_V4("198.51.100.0/24"), "reserved"),  # documentation
    (_V4("203.0.113.0/24"), "reserved"),  # documentation
    (_V4("198.18.0.0/15"), "reserved"),  # benchmarking
    (_V4("192.88.99.0/24"), "reserved"),  # 6to4 relay anycast (deprecated)
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("240.0.0.0/4"), "reserved"),  # includes 255.255.255.255
)

_IPV6_RANGES: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("::/96"), "reserved"),  # IPv4-compatible (deprecated)
    (_V6("64:ff9b:1::/48"), "private"),  # local-use NAT64
    (_V6("100::/64"), "reserved"),  # discard
    (_V6("2001::/23"), "reserved"),  # IETF protocol assignments, Teredo
    (_V6("2001:db8::/32"), "reserved"),  # documentation
    (_V6("3fff::/20"), "reserved"),  # documentation
    (_V6("fc00::/7"), "private"),  # unique local
    (_V6("fec0::/10"), "private"),  # site-local (deprecated)
    (_V6("fe80::/10"), "link-local"),
    (_V6("ff00::/8"), "multicast"),
)
_IPV6_GLOBAL = _V6("2000::/3")
_NAT64 = _V6("64:ff9b::/96")
_IPV4_TRANSLATED = _V6("::ffff:0:0:0/96")

PRIVATE_CATEGORIES = frozenset({"loopback", "private", "link-local", "shared"})
"""What `allow_private` and the allowlist lift; every other category is always refused."""

_DESCRIPTIONS = {
    "metadata": "a cloud metadata address",
    "unspecified": "the unspecified address",
    "loopback": "a loopback address",
    "private": "a private address",
    "link-local": "a link-local address",
    "shared": "a shared (carrier-grade NAT) address",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
}


def classify_address(ip: IPAddress) -> str | None:
    """The category that makes `ip` special (a key of `_DESCRIPTIONS`), or None when it is
    an ordinary public address. IPv6 forms that embed an IPv4 address (mapped, translated,
    NAT64, 6to4) are classified by the address they embed."""
    if ip in METADATA_ADDRESSES:
        return "metadata"
    if isinstance(ip, ipaddress.IPv4Address):
        for network, category in _IPV4_RANGES:
            if ip in network:
                return category
        return None
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return classify_address(embedded)
    for network6, category in _IPV6_RANGES:
        if ip in network6:
            return category
    if ip not in _IPV6_GLOBAL:
        return "reserved"  # not allocated for global unicast
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _IPV4_TRANSLATED or ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def address_refusal(policy: OutboundPolicy, host: str, ip: IPAddress) -> str | None:
    """Why `host` may not be reached at `ip` under `policy` (a category), or None."""
    category = classify_address(ip)
    if category is None:
        return None
    if category in PRIVATE_CATEGORIES and (policy.allow_private or policy.allowlisted(host)):
        return None
    return category


def describe(category: str) -> str:
    return _DESCRIPTIONS.get(category, "an address outbound requests may not reach")


def parse_ip(text: str) -> IPAddress | None:
    """`text` as an IP address (an IPv6 zone is dropped), or None."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


# -- URLs ----------------------------------------------------------------------------------

BAD_PORTS = frozenset(
    {
        0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87,
        95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143,
        161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556,
        563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190,
        5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
    }
)  # fmt: skip
"""Ports browsers refuse to fetch from (the Fetch standard's "bad ports"): speaking HTTP to
mail, shell or database services is an attack, never an API call."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate: JSON can carry one, UTF-8 (and so a URL) cannot."""
_HOST_NAME = re.compile(
    r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*"
)
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?[]"


@dataclass(frozen=True)
class Target:
    """A vetted-for-syntax URL: where to connect and what to ask for."""

    scheme: str
    host: str
    """Lower-case, IDNA-encoded, without a trailing dot; an IPv6 address without brackets."""
    port: int
    path: str
    """The request target: path and query, percent-encoded (never empty)."""
    ip: IPAddress | None
    """The address when the URL names one literally."""

    @property
    def default_port(self) -> bool:
        return self.port == (443 if self.scheme == "https" else 80)

    @property
    def authority(self) -> str:
        """The Host header's value."""
        host = f"[{self.host}]" if isinstance(self.ip, ipaddress.IPv6Address) else self.host
        return host if self.default_port else f"{host}:{self.port}"

    @property
    def label(self) -> str:
        """How messages name the host."""
        return self.authority

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path}"

    @property
    def origin(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


def _normal_host_name(host: str) -> str:
    return host.strip().lower().rstrip(".")


def parse_url(url: object) -> Target:
    """Check `url`'s syntax and the policy that needs no lookup (scheme, credentials, port)."""
    if not isinstance(url, str) or not url.strip():
        raise HostCallError("BadRequest", "the URL must be a non-empty string")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise HostCallError("BadRequest", f"the URL is longer than {MAX_URL_LENGTH:,} characters")
    if _CONTROL.search(url):
        raise HostCallError("BadRequest", "the URL contains control characters")
    if _SURROGATE.search(url):
        raise HostCallError("BadRequest", "the URL is not valid Unicode text")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise HostCallError("BadRequest", f"{url[:100]!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme and scheme not in ("http", "https"):
        raise HostCallError("Refused", f"only http and https URLs may be requested, not {scheme}:")
    if not scheme or not parts.netloc:
        raise HostCallError("BadRequest", f"{url[:100]!r} is not an absolute http(s) URL")
    if "@" in parts.netloc:
        raise HostCallError(
            "BadRequest",
            "credentials in the URL are not accepted; pass username= and password= instead",
        )
    host, ip = _parse_host(parts.netloc, parts.hostname or "")
    if port is None:
        port = 443 if scheme == "https" else 80
    if port in BAD_PORTS:
        raise HostCallError("Refused", f"requests to port {port} are refused")
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    if parts.query or url.split("#", 1)[0].endswith("?"):
        path += "?" + quote(parts.query, safe=_QUERY_SAFE)
    return Target(scheme, host, port, path, ip)


def _parse_host(netloc: str, hostname: str) -> tuple[str, IPAddress | None]:
    if not hostname:
        raise HostCallError("BadRequest", "the URL has no host")
    if netloc.startswith("["):
        if "%" in hostname:
            raise HostCallError("BadRequest", "IPv6 zone identifiers are not accepted")
        try:
            return hostname, ipaddress.IPv6Address(hostname)
        except ValueError:
            raise HostCallError("BadRequest", f"[{hostname}] is not an IPv6 address") from None
    try:
        host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise HostCallError("BadRequest", f"{hostname!r} is not a valid host name") from None
    host = host.rstrip(".")
    if not host or len(host) > 253 or not _HOST_NAME.fullmatch(host):
        raise HostCallError("BadRequest", f"{hostname!r} is not a valid host name")
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        # A name ending in a number is an IPv4 address to every resolver; only the plain
        # dotted-quad form is accepted (no 127.1, 0x7f.1 or 2130706433).
        try:
            return host, ipaddress.IPv4Address(host)
        except ValueError:
            raise HostCallError("BadRequest", f"{hostname!r} is not a valid IPv4 address") from None
    return host, None


# -- headers -------------------------------------------------------------------------------

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
DROPPED_HEADERS = HOP_BY_HOP | {"host", "content-length", "expect"}
"""Request headers the guest may not set: the host frames the request and names the host."""

CROSS_ORIGIN_DROPPED = frozenset({"authorization", "cookie"})
"""Request headers not carried across a redirect to another origin."""

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BAD_VALUE = re.compile(r"[\x00\r\n]")


def filter_headers(headers: object) -> dict[str, str]:
    """The guest's request headers, checked, with the ones it may not set left out."""
    if headers is None:
        return {}
    if not isinstance(headers, dict):
        raise HostCallError("BadRequest", "headers must be a dict of strings")
    if len(headers) > MAX_HEADERS:
        raise HostCallError("BadRequest", f"a request may have at most {MAX_HEADERS} headers")
    kept: dict[str, tuple[str, str]] = {}
    size = 0
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise HostCallError("BadRequest", f"{str(name)[:60]!r} is not a valid header name")
        if not isinstance(value, str):
            raise HostCallError("BadRequest", f"the value of header {name!r} is not a string")
        if _BAD_VALUE.search(value):
            raise HostCallError("BadRequest", f"the value of header {name!r} contains a line break")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise HostCallError(
                "BadRequest", f"the value of header {name!r} is not Latin-1 text"
            ) from None
        size += len(name) + len(value) + 4
        if size > MAX_HEADER_BYTES:
            raise HostCallError(
                "BadRequest", f"the headers are larger than {MAX_HEADER_BYTES:,} bytes"
            )
        if name.lower() not in DROPPED_HEADERS:
            kept[name.lower()] = (name, value.strip())
    return dict(kept.values())


def basic_auth(username: object, password: object) -> str | None:
    """The Authorization header for `username` and `password`, or None without a username."""
    if username is None:
        return None
    if not isinstance(username, str) or not isinstance(password, (str, type(None))):
        raise HostCallError("BadRequest", "username and password must be strings")
    if ":" in username:
        raise HostCallError("BadRequest", "a username for Basic authentication may not contain ':'")
    try:
        credentials = f"{username}:{password or ''}".encode()
    except UnicodeEncodeError:  # a lone surrogate
        raise HostCallError("BadRequest", "username and password must be Unicode text") from None
    token = base64.b64encode(credentials).decode("ascii")
    return f"Basic {token}"


def _without(headers: dict[str, str], names: frozenset[str]) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in names}


# -- the request ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboundRequest:
    """A guest's request, checked (see `parse_request`)."""

    target: Target
    method: str
    headers: dict[str, str]
    body: bytes | None
    timeout: float | None


_METHOD = re.compile(r"[A-Z][A-Z-]{0,19}")
_REFUSED_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})


def parse_request(data: object) -> OutboundRequest:
    """The guest's `data` checked: url, method, headers, body_b64, timeout, username, password."""
    if not isinstance(data, dict):
        raise HostCallError("BadRequest", "an http.request needs a dict with at least a url")
    target = parse_url(data.get("url"))
    method = data.get("method") or "GET"
    if not isinstance(method, str) or not _METHOD.fullmatch(method.upper()):
        raise HostCallError("BadRequest", f"{str(method)[:30]!r} is not an HTTP method")
    method = method.upper()
    if method in _REFUSED_METHODS:
        raise HostCallError("Refused", f"the {method} method is not allowed")
    headers = filter_headers(data.get("headers"))
    authorization = basic_auth(data.get("username"), data.get("password"))
    if authorization is not None:
        headers = _without(headers, frozenset({"authorization"}))
        headers["Authorization"] = authorization
    body = None
    body_b64 = data.get("body_b64")
    if body_b64 is not None:
        if not isinstance(body_b64, str):
            raise HostCallError("BadRequest", "body_b64 must be a base64 string")
        try:
            body = base64.b64decode(body_b64, validate=True)
        except ValueError:
            raise HostCallError("BadRequest", "body_b64 is not valid base64") from None
    timeout = data.get("timeout")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
    ):
        raise HostCallError("BadRequest", "timeout must be a positive number of seconds")
    # min(): an integer too large for a float (JSON carries them) is just a long timeout
    return OutboundRequest(
        target, method, headers, body, None if timeout is None else float(min(timeout, 1e300))
    )


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


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    location: str | None
    body: bytes


def resolve_dns(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, by the system resolver (one lookup)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


class OutboundHandler:
    """The `http.request` handler for one policy (see the module's docstring)."""

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

    def __call__(self, call: HostCall, data: Any) -> dict[str, Any]:
        request = parse_request(data)
        budget = call.context.get("outbound")
        if not isinstance(budget, OutboundBudget):
            raise HostCallError("Refused", "outbound HTTP is not available in this run")
        if not budget.take():
            raise HostCallError(
                "LimitExceeded",
                f"this run may make at most {budget.limit:,} outbound HTTP requests",
            )
        limit = min(self.policy.timeout, request.timeout or self.policy.timeout)
        # Answer before the bridge gives up on the call, so the guest hears why.
        limit = min(limit, call.timeout - min(0.5, call.timeout / 10))
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
        return {
            "status": response.status,
            "headers": response.headers,
            "body_b64": base64.b64encode(response.body).decode("ascii"),
            "url": final.url,
        }

    def _follow(
        self, request: OutboundRequest, deadline: float, watchdog: _Watchdog, limit: float
    ) -> tuple[_Response, Target]:
        target, method, headers, body = (
            request.target,
            request.method,
            request.headers,
            request.body,
        )
        for hop in range(MAX_REDIRECTS + 1):
            addresses = self._vet(target)
            response = self._exchange(
                target, addresses, method, headers, body, deadline, watchdog, limit
            )
            if response.status not in (301, 302, 303, 307, 308) or response.location is None:
                return response, target
            if hop == MAX_REDIRECTS:
                break
            following = _redirect_target(target, response.location)
            if (response.status == 303 and method != "HEAD") or (
                response.status in (301, 302) and method == "POST"
            ):
                method, body = "GET", None
                headers = _without(headers, frozenset({"content-type", "content-encoding"}))
            if following.origin != target.origin and not _is_upgrade(target, following):
                headers = _without(headers, CROSS_ORIGIN_DROPPED)
            target = following
        raise HostCallError(
            "ConnectionError", f"{request.target.label} redirected more than {MAX_REDIRECTS} times"
        )

    def _vet(self, target: Target) -> list[IPAddress]:
        """The addresses to connect to, all of them allowed; refuses otherwise."""
        if target.host in METADATA_HOSTS:
            self._refuse(target, "metadata", resolved=False)
        if target.ip is not None:
            addresses: list[IPAddress] = [target.ip]
        else:
            try:
                found = self._resolve(target.host, target.port)
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
            category = address_refusal(self.policy, target.host, ip)
            if category is not None:
                self._refuse(target, category, resolved=target.ip is None)
        return addresses

    def _refuse(self, target: Target, category: str, *, resolved: bool) -> None:
        log.info("outbound request to %s refused: %s", target.label, category)
        verb = "resolves to" if resolved else "is"
        hint = ""
        if category in PRIVATE_CATEGORIES:
            hint = " (outbound requests may reach only the public internet)"
        raise HostCallError(
            "Refused",
            f"requests to {target.label} are refused: it {verb} {describe(category)}{hint}",
        )

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
    ) -> _Response:
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
            response = self._send(conn, target, method, headers, body)
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
    ) -> _Response:
        sent = {"Host": target.authority, **headers}
        if "user-agent" not in {name.lower() for name in headers}:
            sent["User-Agent"] = USER_AGENT
        conn.request(method, target.path, body=body, headers=sent, preload_content=False)
        response = conn.getresponse()
        try:
            status = response.status
            answer_headers = {name.lower(): value for name, value in response.headers.itermerged()}
            location = answer_headers.get("location")
            if status in (301, 302, 303, 307, 308) and location is not None:
                return _Response(status, answer_headers, location, b"")
            body = b"" if method == "HEAD" else self._read(response, target)
            return _Response(status, answer_headers, location, body)
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


# -- registration --------------------------------------------------------------------------

_registered: weakref.WeakKeyDictionary[Bridge, OutboundHandler] = weakref.WeakKeyDictionary()
_registered_lock = threading.Lock()


def make_handler(
    policy: OutboundPolicy,
    *,
    resolve: Resolver = resolve_dns,
    ssl_context: ssl.SSLContext | None = None,
) -> OutboundHandler:
    """The `http.request` handler for `policy` (register it with `register`; tests may call
    it directly with a `HostCall`). `resolve` and `ssl_context` exist for tests."""
    return OutboundHandler(policy, resolve=resolve, ssl_context=ssl_context)


def register(
    bridge: Bridge,
    policy: OutboundPolicy,
    *,
    resolve: Resolver = resolve_dns,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Offer `http.request` to guests on `bridge`. Once per bridge: a second registration
    raises ValueError (see `registered_policy`)."""
    with _registered_lock:
        if bridge in _registered:
            raise ValueError(f"{OP!r} is already registered on this bridge")
        handler = make_handler(policy, resolve=resolve, ssl_context=ssl_context)
        bridge.register(OP, handler)
        _registered[bridge] = handler


def registered_policy(bridge: Bridge) -> OutboundPolicy | None:
    """The policy `register` installed on `bridge`, or None."""
    with _registered_lock:
        handler = _registered.get(bridge)
    return None if handler is None else handler.policy
