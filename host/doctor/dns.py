"""The apps domain's DNS: GUI apps live at `<slug>.<apps_domain>`, so any name under it must
reach this server, through the same proxy as Widgetbox's own origin. A random name is looked
up (a wildcard record answers it; a record for one name does not) and its addresses compared
with those of the public URL's host.

`localhost` and names under it are the exception: browsers resolve them to the loopback
address themselves (RFC 6761), whatever the system's resolver says, which is why the default
apps domain works on one machine with no DNS at all.
"""

from __future__ import annotations

import secrets
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Timeout
from urllib.parse import urlsplit

from widgetbox.host.config import Config
from widgetbox.host.doctor.findings import FAIL, OK, WARN, Finding

NAME = "apps DNS"
LOOKUP_SECONDS = 5.0
LOOPBACK = frozenset({"127.0.0.1", "::1"})


def check(config: Config) -> list[Finding]:
    apps = config.apps_host.rsplit(":", 1)[0] if ":" in config.apps_host else config.apps_host
    ide_host = urlsplit(config.origin).hostname or "localhost"
    name = f"wb-doctor-{secrets.token_hex(4)}.{apps}"
    ide = resolve(ide_host)
    if _is_localhost(apps):
        if ide is not None and ide <= _loopback_or(ide):
            return [
                Finding(
                    NAME,
                    OK,
                    f"apps at *.{apps}: browsers resolve those names to this machine "
                    "themselves (fine while Widgetbox is only used from this machine)",
                )
            ]
        return [
            Finding(
                NAME,
                WARN,
                f"apps are at *.{apps}, which every visitor's browser resolves to their own "
                f"machine, but Widgetbox is reached at {ide_host}: GUI apps will not open "
                "for anyone else",
                "set apps_domain to a domain of its own with a wildcard DNS record "
                "(*.apps.example.net) pointing at this server",
            )
        ]
    found = resolve(name)
    if found is None:
        return [
            Finding(
                NAME,
                FAIL,
                f"{name} does not resolve: there is no wildcard DNS record for *.{apps}, so "
                "GUI apps cannot be opened",
                f"add a DNS record *.{apps} (A/AAAA, or CNAME to {ide_host}) pointing at this "
                "server or its proxy, and a wildcard TLS certificate for it",
            )
        ]
    shown = ", ".join(sorted(found))
    if ide is None:
        return [
            Finding(
                NAME,
                WARN,
                f"{name} resolves to {shown}, but Widgetbox's own host {ide_host} does not "
                "resolve, so the two cannot be compared",
                "check public_url and its DNS record",
            )
        ]
    if found & ide:
        return [Finding(NAME, OK, f"*.{apps} resolves to {shown}, as {ide_host} does")]
    return [
        Finding(
            NAME,
            WARN,
            f"*.{apps} resolves to {shown}, but {ide_host} to {', '.join(sorted(ide))}: apps "
            "are served by Widgetbox too, so both usually point at the same server or proxy",
            f"point *.{apps} at the same address as {ide_host} (unless a different proxy "
            "forwards both to Widgetbox)",
        )
    ]


def resolve(host: str) -> set[str] | None:
    """The addresses `host` resolves to with the system's resolver (None: it does not, or
    not within `LOOKUP_SECONDS`)."""
    pool = ThreadPoolExecutor(1)
    try:
        lookup = pool.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
        answers = lookup.result(LOOKUP_SECONDS)
    except (OSError, UnicodeError, Timeout):
        return None
    finally:
        pool.shutdown(wait=False)
    return {str(answer[4][0]) for answer in answers}


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def _loopback_or(addresses: set[str]) -> set[str]:
    """Loopback addresses (127.0.0.0/8 and ::1) among `addresses`, which browsers treat as
    this machine."""
    return {a for a in addresses if a in LOOPBACK or a.startswith("127.")}
