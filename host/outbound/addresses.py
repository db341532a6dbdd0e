"""Classifying IP addresses: which ones are special (loopback, private, link-local, shared,
metadata, multicast, unspecified, reserved) and how a refusal names them. Pure data; what
the settings allow is `policy.py`'s."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

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


def describe(category: str) -> str:
    return _DESCRIPTIONS.get(category, "an address outbound requests may not reach")


def parse_ip(text: str) -> IPAddress | None:
    """`text` as an IP address (an IPv6 zone is dropped), or None."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
