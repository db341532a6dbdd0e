"""The bridge handler `http.request`: it decodes the guest's request, takes one request from
the run's `OutboundBudget` (in the run's bridge context as `context["outbound"]`), makes the
request with an `OutboundClient` within the policy's timeout (and before the bridge gives up
on the call), and answers {status, headers, body_b64, url}; a `raw` request (the guest's HTTP
libraries: one exchange, redirects not followed) also gets {reason, header_list}, the
headers as received. `register` offers it on a `Bridge` and returns it."""

from __future__ import annotations

import base64
import ssl
import threading
from typing import Any

from widgetbox.host.outbound.client import OutboundClient, Resolver, resolve_dns
from widgetbox.host.outbound.policy import OutboundPolicy
from widgetbox.host.outbound.request import parse_request
from widgetbox.runtime import Bridge, HostCall, HostCallError

OP = "http.request"
"""The bridge operation `anvil.http.request` calls."""


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


class OutboundHandler:
    """The `http.request` handler: one per policy, shared by every run."""

    def __init__(self, client: OutboundClient) -> None:
        self.client = client

    @property
    def policy(self) -> OutboundPolicy:
        return self.client.policy

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
        response, final = self.client.fetch(request, limit)
        answer: dict[str, Any] = {
            "status": response.status,
            "headers": response.headers,
            "body_b64": base64.b64encode(response.body).decode("ascii"),
            "url": final.url,
        }
        if request.raw:
            answer["reason"] = response.reason
            answer["header_list"] = [list(pair) for pair in response.header_list]
        return answer


def make_handler(
    policy: OutboundPolicy,
    *,
    resolve: Resolver = resolve_dns,
    ssl_context: ssl.SSLContext | None = None,
) -> OutboundHandler:
    """The `http.request` handler for `policy` (register it with `register`; tests may call
    it directly with a `HostCall`). `resolve` and `ssl_context` exist for tests."""
    return OutboundHandler(OutboundClient(policy, resolve=resolve, ssl_context=ssl_context))


def register(
    bridge: Bridge,
    policy: OutboundPolicy,
    *,
    resolve: Resolver = resolve_dns,
    ssl_context: ssl.SSLContext | None = None,
) -> OutboundHandler:
    """Offer `http.request` to guests on `bridge`; returns the handler, for whoever needs it
    later (the bridge keeps no other way to reach it)."""
    handler = make_handler(policy, resolve=resolve, ssl_context=ssl_context)
    bridge.register(OP, handler)
    return handler
