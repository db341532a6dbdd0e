"""Parsing and checking the URLs widget code asks for, before any lookup: `http` and
`https` only, no credentials, ports browsers allow, host names IDNA-encoded and checked,
IP literals in their one plain form; the result is a `Target`."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from widgetbox.host.outbound.addresses import IPAddress
from widgetbox.runtime import HostCallError

MAX_URL_LENGTH = 8192

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
