"""Outbound HTTP for widget code: the bridge handler `http.request`, and the egress policy it
enforces. See ARCHITECTURE.md ("Running widgets": Outbound HTTP).

Widget code has no network; `anvil.http.request` (and the HTTP libraries, through the
guest's `_widgetbox/net.py`) asks the host, which makes the request on its behalf. Every
request is checked before anything leaves the machine:

- only `http` and `https` URLs, without credentials in them, on ports browsers allow;
- the host name is resolved once, and every address it resolves to is classified; loopback,
  private (RFC 1918, IPv6 ULA), link-local and shared (CGNAT) addresses are refused unless
  `allow_private` is set or the host is on the allowlist; unspecified, multicast and
  reserved addresses are always refused, and so are cloud metadata endpoints (by address and
  by name), whatever the settings say;
- the connection goes to the vetted address itself (no second lookup, so DNS rebinding
  cannot swap it), with the original host name in the Host header and as the TLS server
  name the certificate must match;
- redirects are followed here (at most `MAX_REDIRECTS`), each one checked again as above,
  except for a `raw` request (the guest's `http.client`, `requests` and `httpx`, which
  follow redirects themselves): it is one exchange, answered with the redirect, its reason
  phrase and every header as received, and each hop is a request of its own;
- the whole call, redirects included, has one deadline (a watchdog closes the socket when it
  passes); the response body is streamed and refused past `max_bytes`; each run may make
  `calls_per_run` requests (its `OutboundBudget`, passed in the run's bridge context as
  `context["outbound"]`).

Refusals and failures reach the guest as `HostCallError`s whose kind says what happened
(`BadRequest`, `Refused`, `LimitExceeded`, `Timeout`, `ConnectionError`) and whose message
names the host and the reason, never a host exception's text. Request bodies, header values
and credentials are never logged; URLs are logged without their query strings.

    addresses.py   classifying IP addresses (loopback, private, link-local, shared, metadata,
                   multicast, reserved) and cloud metadata names; how refusals name them
    policy.py      `OutboundPolicy` from the `[outbound]` settings: what may be reached
    urls.py        parsing and checking URLs before any lookup: scheme, credentials, IDNA
                   host names, IP literals, ports; a `Target`
    request.py     the guest's request decoded and checked: method, headers, Basic
                   authentication, body, timeout
    client.py      `OutboundClient`, making the request: vetted addresses and connections,
                   redirects, one deadline, the response cap; `vet_addresses`, the one
                   check of where a host name may be reached (also used by git imports)
    handler.py     the bridge handler: the run's budget, the answer; `register` offers it on
                   a `Bridge` and returns it
"""

from widgetbox.host.outbound.addresses import (
    METADATA_ADDRESSES,
    METADATA_HOSTS,
    PRIVATE_CATEGORIES,
    IPAddress,
    classify_address,
    describe,
    parse_ip,
)
from widgetbox.host.outbound.client import (
    MAX_REDIRECTS,
    OutboundClient,
    Resolver,
    Response,
    resolve_dns,
    vet_addresses,
)
from widgetbox.host.outbound.handler import (
    OP,
    OutboundBudget,
    OutboundHandler,
    make_handler,
    register,
)
from widgetbox.host.outbound.policy import OutboundPolicy, address_refusal
from widgetbox.host.outbound.request import (
    OutboundRequest,
    basic_auth,
    filter_headers,
    parse_request,
)
from widgetbox.host.outbound.urls import BAD_PORTS, Target, parse_url

__all__ = [
    "BAD_PORTS",
    "MAX_REDIRECTS",
    "METADATA_ADDRESSES",
    "METADATA_HOSTS",
    "OP",
    "PRIVATE_CATEGORIES",
    "IPAddress",
    "OutboundBudget",
    "OutboundClient",
    "OutboundHandler",
    "OutboundPolicy",
    "OutboundRequest",
    "Resolver",
    "Response",
    "Target",
    "address_refusal",
    "basic_auth",
    "classify_address",
    "describe",
    "filter_headers",
    "make_handler",
    "parse_ip",
    "parse_request",
    "parse_url",
    "register",
    "resolve_dns",
    "vet_addresses",
]
