"""What widget code may reach: the `OutboundPolicy` built from the `[outbound]` settings,
and whether it lets a host be reached at an address (`address_refusal`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from widgetbox.host.outbound.addresses import PRIVATE_CATEGORIES, IPAddress, classify_address

if TYPE_CHECKING:
    from widgetbox.host.config import Config


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
            allow_private=config.outbound.outbound_allow_private,
            allowlist=tuple(config.outbound.outbound_allowlist),
            timeout=config.outbound.outbound_timeout,
            max_bytes=config.outbound.outbound_max_bytes,
            calls_per_run=config.outbound.outbound_calls_per_run,
        )

    def allowlisted(self, host: str) -> bool:
        return _normal_host_name(host) in self.allowlist


def address_refusal(policy: OutboundPolicy, host: str, ip: IPAddress) -> str | None:
    """Why `host` may not be reached at `ip` under `policy` (a category), or None."""
    category = classify_address(ip)
    if category is None:
        return None
    if category in PRIVATE_CATEGORIES and (policy.allow_private or policy.allowlisted(host)):
        return None
    return category


def _normal_host_name(host: str) -> str:
    return host.strip().lower().rstrip(".")
