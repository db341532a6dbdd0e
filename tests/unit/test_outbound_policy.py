"""The outbound HTTP policy without a network: address classification, the allowlist and
`allow_private`, URL and header checks, the budget, and the request's validation."""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

import pytest

from widgetbox.host import outbound
from widgetbox.host.outbound import (
    OutboundBudget,
    OutboundPolicy,
    address_refusal,
    classify_address,
    filter_headers,
    parse_request,
    parse_url,
)
from widgetbox.runtime import HostCall, HostCallError

pytestmark = pytest.mark.unit


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


# -- classification --------------------------------------------------------------------------

CATEGORIES = {
    # IPv4
    "0.0.0.0": "unspecified",
    "0.1.2.3": "reserved",
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "10.0.0.1": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.1.1": "private",
    "100.64.0.1": "shared",
    "100.127.255.254": "shared",
    "169.254.1.1": "link-local",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "192.0.2.1": "reserved",
    "198.51.100.7": "reserved",
    "203.0.113.9": "reserved",
    "198.18.0.1": "reserved",
    "192.0.0.8": "reserved",
    # metadata
    "169.254.169.254": "metadata",
    "169.254.170.2": "metadata",
    "100.100.100.200": "metadata",
    "168.63.129.16": "metadata",
    "192.0.0.192": "metadata",
    "fd00:ec2::254": "metadata",
    "fd20:ce::254": "metadata",
    "::ffff:169.254.169.254": "metadata",
    # IPv6
    "::": "unspecified",
    "::1": "loopback",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "fec0::1": "private",
    "fe80::1": "link-local",
    "ff02::1": "multicast",
    "2001:db8::1": "reserved",
    "2001::1": "reserved",  # Teredo
    "100::1": "reserved",  # discard
    "::7f00:1": "reserved",  # IPv4-compatible
    "4000::1": "reserved",  # outside global unicast
    "64:ff9b:1::1": "private",
    # IPv6 forms that embed an IPv4 address
    "::ffff:127.0.0.1": "loopback",
    "::ffff:10.1.2.3": "private",
    "::ffff:0.0.0.0": "unspecified",
    "::ffff:100.64.1.1": "shared",
    "::ffff:0:127.0.0.1": "loopback",  # IPv4-translated
    "64:ff9b::7f00:1": "loopback",  # NAT64
    "64:ff9b::a00:1": "private",
    "2002:7f00:1::1": "loopback",  # 6to4
    "2002:a9fe:a9fe::1": "metadata",  # 6to4 of 169.254.169.254
}

PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.32.0.1",
          "2606:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808",
          "2002:808:808::1"]  # fmt: skip


@pytest.mark.parametrize(("address", "category"), CATEGORIES.items())
def test_special_addresses_are_classified(address: str, category: str) -> None:
    assert classify_address(ip(address)) == category


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_not(address: str) -> None:
    assert classify_address(ip(address)) is None


def test_every_category_has_a_description() -> None:
    for category in set(CATEGORIES.values()):
        assert outbound.describe(category).startswith(("a ", "the "))


# -- allow_private and the allowlist ---------------------------------------------------------

STRICT = OutboundPolicy()
OPEN = OutboundPolicy(allow_private=True)
LISTED = OutboundPolicy(allowlist=("Intranet.Example.", "wiki.corp"))


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "fd00::1", "169.254.1.1",
                                     "100.64.0.1", "::1", "::ffff:192.168.0.1"])  # fmt: skip
def test_allow_private_lifts_private_loopback_link_local_and_shared(address: str) -> None:
    assert address_refusal(STRICT, "h.example", ip(address)) == classify_address(ip(address))
    assert address_refusal(OPEN, "h.example", ip(address)) is None


ALWAYS_REFUSED = ["169.254.169.254", "fd00:ec2::254", "0.0.0.0", "::", "224.0.0.1", "ff02::1",
                  "240.0.0.1", "2001:db8::1"]  # fmt: skip


@pytest.mark.parametrize("address", ALWAYS_REFUSED)
def test_allow_private_never_lifts_metadata_unspecified_multicast_or_reserved(
    address: str,
) -> None:
    assert address_refusal(OPEN, "h.example", ip(address)) is not None
    assert address_refusal(LISTED, "intranet.example", ip(address)) is not None


def test_allowlisted_hosts_may_resolve_to_private_addresses() -> None:
    assert LISTED.allowlist == ("intranet.example", "wiki.corp")
    for host in ("intranet.example", "INTRANET.example.", "wiki.corp"):
        assert address_refusal(LISTED, host, ip("10.1.2.3")) is None
        assert address_refusal(LISTED, host, ip("127.0.0.1")) is None
    assert address_refusal(LISTED, "other.example", ip("10.1.2.3")) == "private"
    assert address_refusal(LISTED, "sub.intranet.example", ip("10.1.2.3")) == "private"


def test_public_addresses_are_allowed_under_every_policy() -> None:
    for policy in (STRICT, OPEN, LISTED):
        assert address_refusal(policy, "example.com", ip("93.184.216.34")) is None


def test_the_policy_comes_from_the_config() -> None:
    from widgetbox.host.config import Config, OutboundSettings

    settings = OutboundSettings(
        outbound_allow_private=True,
        outbound_allowlist=("a.example",),
        outbound_timeout=3.5,
        outbound_max_bytes=2048,
        outbound_calls_per_run=7,
    )
    policy = OutboundPolicy.from_config(Config(outbound=settings))
    assert policy == OutboundPolicy(True, ("a.example",), 3.5, 2048, 7)


def test_the_policy_reads_the_real_config() -> None:
    from widgetbox.host.config import load

    environ = {
        "WIDGETBOX_OUTBOUND_ALLOWLIST": "Wiki.Corp, api.internal",
        "WIDGETBOX_OUTBOUND_CALLS_PER_RUN": "3",
    }
    policy = OutboundPolicy.from_config(load(environ=environ))
    assert policy.allowlist == ("wiki.corp", "api.internal")
    assert policy.calls_per_run == 3
    assert policy.allow_private is False
    assert policy.timeout == 10.0
    assert policy.max_bytes == 5 * 1024 * 1024


# -- URLs ------------------------------------------------------------------------------------


def refused(kind: str, fn: Any, *args: Any) -> str:
    with pytest.raises(HostCallError) as caught:
        fn(*args)
    assert caught.value.kind == kind, caught.value.message
    return caught.value.message


def test_urls_are_normalised() -> None:
    target = parse_url("HTTPS://Example.COM./a b/é?q=1 2#frag")
    assert (target.scheme, target.host, target.port) == ("https", "example.com", 443)
    assert target.path == "/a%20b/%C3%A9?q=1%202"
    assert target.url == "https://example.com/a%20b/%C3%A9?q=1%202"
    assert target.ip is None
    assert parse_url("http://example.com").path == "/"
    assert parse_url("http://example.com/?").path == "/?"
    assert parse_url("http://example.com:8080/x").authority == "example.com:8080"
    assert parse_url("http://example.com:80/x").authority == "example.com"


def test_international_host_names_are_idna_encoded() -> None:
    assert parse_url("http://bücher.example/").host == "xn--bcher-kva.example"


def test_ip_literals_are_recognised() -> None:
    v4 = parse_url("http://10.0.0.1:8000/")
    assert v4.ip == ip("10.0.0.1")
    v6 = parse_url("http://[FD00::1]:8080/x")
    assert (v6.host, v6.ip, v6.authority) == ("fd00::1", ip("fd00::1"), "[fd00::1]:8080")
    assert parse_url("http://[::1]/").url == "http://[::1]/"


OTHER_SCHEMES = ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "javascript:alert(1)",
                 "data:text/plain,hi", "ws://example.com/"]  # fmt: skip


@pytest.mark.parametrize("url", OTHER_SCHEMES)
def test_only_http_and_https(url: str) -> None:
    assert refused("Refused", parse_url, url).startswith("only http and https URLs")


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@example.com/",
        "http://user@example.com/",
        "http://example.com@127.0.0.1/",
        "http://evil.example\\@good.example/",
    ],
)
def test_credentials_in_the_url_are_refused(url: str) -> None:
    assert "credentials" in refused("BadRequest", parse_url, url)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://example.com:25/", "Refused"),
        ("http://example.com:22/", "Refused"),
        ("https://example.com:6667/", "Refused"),
        ("http://example.com:0/", "Refused"),
        ("http://example.com:99999/", "BadRequest"),
        ("http://example.com:-1/", "BadRequest"),
        ("http://example.com:http/", "BadRequest"),
    ],
)
def test_ports_are_checked(url: str, kind: str) -> None:
    refused(kind, parse_url, url)


def test_ordinary_ports_are_fine() -> None:
    for port in (80, 443, 3000, 8000, 8080, 8443, 65535):
        assert parse_url(f"http://example.com:{port}/").port == port


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "example.com/path",
        "/relative",
        "http://",
        "http:///path",
        "http://exa mple.com/",
        "http://example.com/\r\nX-Injected: 1",
        "http://example.com/\x00",
        "http://[fe80::1%25eth0]/",
        "http://[not-v6]/",
        "http://127.1/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://%31%32%37.0.0.1/",
        "http://-bad-.example/",
        "http://" + "a" * 9000 + ".example/",
    ],
)
def test_malformed_urls_are_bad_requests(url: str) -> None:
    refused("BadRequest", parse_url, url)


def test_non_strings_are_bad_requests() -> None:
    for url in (None, 42, b"http://example.com/", ["http://example.com/"]):
        refused("BadRequest", parse_url, url)


# -- headers ---------------------------------------------------------------------------------


def test_hop_by_hop_host_and_framing_headers_are_dropped() -> None:
    sent = {
        "Host": "internal.example",
        "Connection": "keep-alive, X-Secret",
        "Keep-Alive": "300",
        "Proxy-Authorization": "Basic eA==",
        "Proxy-Connection": "close",
        "TE": "trailers",
        "Trailer": "X",
        "Transfer-Encoding": "chunked",
        "Upgrade": "websocket",
        "Content-Length": "5",
        "Expect": "100-continue",
        "Accept": "application/json",
        "X-Api-Key": " k ",
        "Authorization": "Bearer t",
    }
    assert filter_headers(sent) == {
        "Accept": "application/json",
        "X-Api-Key": "k",
        "Authorization": "Bearer t",
    }


def test_headers_differing_in_case_keep_the_last() -> None:
    assert filter_headers({"accept": "a", "ACCEPT": "b"}) == {"ACCEPT": "b"}


@pytest.mark.parametrize(
    "headers",
    [
        "not a dict",
        ["Accept", "x"],
        {"Bad Name": "x"},
        {"X:Colon": "x"},
        {"": "x"},
        {"X-Split": "a\r\nHost: evil"},
        {"X-Newline": "a\nb"},
        {"X-Nul": "a\x00"},
        {"X-Number": 5},
        {"X-Unicode": "snow ☃"},
        {f"X-{i}": "v" for i in range(101)},
        {"X-Big": "v" * 70_000},
    ],
)
def test_bad_headers_are_bad_requests(headers: Any) -> None:
    refused("BadRequest", filter_headers, headers)


def test_latin_1_header_values_are_accepted() -> None:
    assert filter_headers({"X-Name": "café"}) == {"X-Name": "café"}


# -- the request -----------------------------------------------------------------------------


def test_a_request_is_validated() -> None:
    request = parse_request(
        {
            "url": "http://example.com/x",
            "method": "post",
            "headers": {"Host": "evil", "Authorization": "Bearer old", "X-A": "1"},
            "body_b64": "aGk=",
            "timeout": 2,
            "username": "ann",
            "password": "pä:ss",
        }
    )
    assert request.method == "POST"
    assert request.body == b"hi"
    assert request.timeout == 2.0
    assert request.headers == {"X-A": "1", "Authorization": "Basic YW5uOnDDpDpzcw=="}


@pytest.mark.parametrize(
    "data",
    [
        None,
        "http://example.com/",
        {},
        {"url": "http://example.com/", "method": "GE T"},
        {"url": "http://example.com/", "method": 5},
        {"url": "http://example.com/", "body_b64": "not base64!"},
        {"url": "http://example.com/", "body_b64": 5},
        {"url": "http://example.com/", "timeout": 0},
        {"url": "http://example.com/", "timeout": -1},
        {"url": "http://example.com/", "timeout": "5"},
        {"url": "http://example.com/", "timeout": True},
        {"url": "http://example.com/", "username": 5},
        {"url": "http://example.com/", "username": "a:b", "password": "c"},
    ],
)
def test_malformed_requests_are_bad_requests(data: Any) -> None:
    refused("BadRequest", parse_request, data)


@pytest.mark.parametrize("method", ["CONNECT", "TRACE", "track"])
def test_tunnelling_and_tracing_methods_are_refused(method: str) -> None:
    refused("Refused", parse_request, {"url": "http://example.com/", "method": method})


# Found by the fuzzer (`just fuzz`): a lone surrogate (JSON carries one as "\ud800") has no
# UTF-8 form, and an integer timeout past any float overflowed; both were a HostError.
@pytest.mark.parametrize(
    "data",
    [
        {"url": "http://example.com/\ud800"},
        {"url": "http://example.com/?q=\udfff"},
        {"url": "http://example.com/", "username": "\ud800"},
        {"url": "http://example.com/", "username": "ann", "password": "\udc00"},
    ],
)
def test_text_without_a_utf_8_form_is_a_bad_request(data: Any) -> None:
    assert "Unicode" in refused("BadRequest", parse_request, data)


def test_a_timeout_too_large_for_a_float_is_just_long() -> None:
    request = parse_request({"url": "http://example.com/", "timeout": 10**400})
    assert request.timeout == 1e300  # the policy's timeout bounds it (OutboundHandler)


# -- the budget and the handler before the network -------------------------------------------


def test_the_budget_counts_down_and_stops() -> None:
    budget = OutboundBudget(3)
    assert [budget.take() for _ in range(5)] == [True, True, True, False, False]
    assert (budget.remaining, budget.limit) == (0, 3)
    assert OutboundBudget.for_policy(OutboundPolicy(calls_per_run=9)).remaining == 9
    with pytest.raises(ValueError, match="negative"):
        OutboundBudget(-1)


def test_the_budget_is_thread_safe() -> None:
    budget = OutboundBudget(1000)
    taken = []

    def take() -> None:
        taken.append(sum(budget.take() for _ in range(300)))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(taken) == 1000
    assert budget.remaining == 0


def never_resolve(host: str, port: int) -> list[str]:
    raise AssertionError(f"{host} should not have been resolved")


def handle(policy: OutboundPolicy, data: Any, budget: OutboundBudget | None) -> Any:
    handler = outbound.make_handler(policy, resolve=never_resolve)
    context = {} if budget is None else {"outbound": budget}
    return handler(HostCall(outbound.OP, context, 5.0), data)


def test_a_run_without_a_budget_is_refused() -> None:
    message = refused("Refused", handle, OPEN, {"url": "http://example.com/"}, None)
    assert message == "outbound HTTP is not available in this run"


def test_a_spent_budget_is_a_limit() -> None:
    message = refused(
        "LimitExceeded", handle, OPEN, {"url": "http://x.example/"}, OutboundBudget(0)
    )
    assert message == "this run may make at most 0 outbound HTTP requests"


def test_malformed_requests_do_not_use_the_budget() -> None:
    budget = OutboundBudget(1)
    refused("BadRequest", handle, OPEN, {"url": "nope"}, budget)
    refused("Refused", handle, OPEN, {"url": "ftp://example.com/"}, budget)
    assert budget.remaining == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.google.internal./",
        "http://metadata/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_metadata_is_refused_without_a_lookup_even_when_private_is_allowed(url: str) -> None:
    policy = OutboundPolicy(allow_private=True, allowlist=("metadata.google.internal",))
    message = refused("Refused", handle, policy, {"url": url}, OutboundBudget(5))
    assert message.endswith("it is a cloud metadata address")


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://127.0.0.1:8080/", "127.0.0.1:8080"),
        ("http://10.1.2.3/", "10.1.2.3"),
        ("https://[::1]/", "[::1]"),
        ("http://0.0.0.0:8000/", "0.0.0.0:8000"),
    ],
)
def test_refusals_name_the_host_and_the_reason(url: str, named: str) -> None:
    message = refused("Refused", handle, STRICT, {"url": url}, OutboundBudget(5))
    assert message.startswith(f"requests to {named} are refused: it is ")


def test_a_name_is_refused_by_what_it_resolves_to() -> None:
    answers = {"inside.example": ["93.184.216.34", "10.0.0.8"]}
    handler = outbound.make_handler(STRICT, resolve=lambda host, port: answers[host])
    call = HostCall(outbound.OP, {"outbound": OutboundBudget(5)}, 5.0)
    with pytest.raises(HostCallError) as caught:
        handler(call, {"url": "http://inside.example/"})
    assert caught.value.kind == "Refused"
    assert caught.value.message.startswith(
        "requests to inside.example are refused: it resolves to a private address"
    )
    assert "10.0.0.8" not in caught.value.message  # an internal address is not disclosed


def test_a_failed_lookup_is_a_connection_error_without_the_hosts_text() -> None:
    def broken(host: str, port: int) -> list[str]:
        raise OSError("resolver at /etc/secret/resolv.conf exploded")

    handler = outbound.make_handler(OPEN, resolve=broken)
    call = HostCall(outbound.OP, {"outbound": OutboundBudget(5)}, 5.0)
    with pytest.raises(HostCallError) as caught:
        handler(call, {"url": "http://gone.example/"})
    assert (caught.value.kind, caught.value.message) == (
        "ConnectionError",
        "the host name gone.example could not be resolved",
    )
