"""Email addresses as widget code writes them, read strictly and in one pass.

An address is `local@domain`, optionally with a display name: `Joe Bloggs <joe@example.com>`
or `"Bloggs, Joe" <joe@example.com>`; a list is such addresses separated by commas (outside
quotes and angle brackets). The local part is a dot-atom of ASCII (no quoted local parts);
the domain is host-name labels, IDNA-encoded when it is not ASCII (no address literals).
Line breaks and other control characters are refused everywhere, so no value can add a
header. Every check is a single pass over text whose length is bounded first.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address

MAX_ADDRESS = 254
"""Characters in `local@domain` (RFC 5321's path limit less the angle brackets)."""
MAX_LOCAL = 64
MAX_DOMAIN = 253
MAX_LABEL = 63
MAX_NAME = 200
"""Characters in a display name."""
MAX_MAILBOX = MAX_ADDRESS + MAX_NAME + 8
"""Characters in one address with its display name, quotes and brackets."""

_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~"
)
_LABEL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_CONTROL = frozenset(chr(code) for code in [*range(32), 127])


class AddressError(ValueError):
    """Not an address Widgetbox sends to or from; the message says why."""


@dataclass(frozen=True)
class Mailbox:
    """One address, with its display name (empty when it has none)."""

    address: str
    """`local@domain`, all ASCII, the domain in lower case."""
    name: str = ""

    @property
    def local(self) -> str:
        return self.address.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    def header(self) -> Address:
        """The address as a header value (the name quoted or encoded as needed)."""
        return Address(display_name=self.name, username=self.local, domain=self.domain)

    def __str__(self) -> str:
        return str(self.header())


def check_name(name: str) -> str:
    """A display name: any text on one line, at most `MAX_NAME` characters."""
    if len(name) > MAX_NAME:
        raise AddressError(f"a name may be at most {MAX_NAME} characters")
    if not _CONTROL.isdisjoint(name):
        raise AddressError("a name may not contain line breaks or control characters")
    if not encodable(name):
        raise AddressError("a name must be valid Unicode text")
    return name.strip()


def check_local(local: str) -> str:
    """The part before `@`: letters, digits, `.` and ``!#$%&'*+-/=?^_`{|}~``, with no dot
    first, last or twice in a row."""
    if not local:
        raise AddressError("the part before '@' is empty")
    if len(local) > MAX_LOCAL:
        raise AddressError(f"the part before '@' may be at most {MAX_LOCAL} characters")
    if not _ATEXT.issuperset(local.replace(".", "")):
        raise AddressError(
            "the part before '@' may only hold letters, digits and .!#$%&'*+-/=?^_`{|}~"
        )
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise AddressError("the part before '@' may not start or end with '.' or hold '..'")
    return local


def check_domain(domain: str) -> str:
    """A host name, IDNA-encoded when it is not ASCII, in lower case."""
    if not domain:
        raise AddressError("the domain after '@' is empty")
    if len(domain) > MAX_DOMAIN:
        raise AddressError(f"the domain may be at most {MAX_DOMAIN} characters")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressError("the domain is not a valid international domain name") from None
    domain = domain.lower()
    labels = domain.split(".")
    for label in labels:
        if not label or len(label) > MAX_LABEL:
            raise AddressError("each part of the domain is 1 to 63 characters")
        if not _LABEL.issuperset(label) or label.startswith("-") or label.endswith("-"):
            raise AddressError("the domain may only hold letters, digits, '-' and '.'")
    if len(domain) > MAX_DOMAIN:
        raise AddressError(f"the domain may be at most {MAX_DOMAIN} characters")
    return domain


def check_address(address: str) -> str:
    """`local@domain`, checked; returns it with the domain normalised."""
    if len(address) > MAX_ADDRESS:
        raise AddressError(f"an address may be at most {MAX_ADDRESS} characters")
    local, at, domain = address.rpartition("@")
    if not at:
        raise AddressError("an address needs an '@'")
    return f"{check_local(local)}@{check_domain(domain)}"


def split_mailbox(text: str) -> tuple[str, str]:
    """(display name, what stands for the address) of `Name <address>` or a bare address;
    neither is checked beyond their shape (no brackets out of place, no line breaks)."""
    if len(text) > MAX_MAILBOX:
        raise AddressError(f"an address with its name may be at most {MAX_MAILBOX} characters")
    if not _CONTROL.isdisjoint(text):
        raise AddressError("an address may not contain line breaks or control characters")
    if not encodable(text):
        raise AddressError("an address must be valid Unicode text")
    text = text.strip()
    if not text.endswith(">"):
        if "<" in text or ">" in text or any(c.isspace() for c in text):
            raise AddressError("write an address as name@example.com or Name <name@example.com>")
        return "", text
    start = text.rfind("<")
    if start < 0:
        raise AddressError("an address's '>' has no '<'")
    name, address = text[:start].strip(), text[start + 1 : -1].strip()
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        name = _unquote(name[1:-1])
    elif "<" in name or ">" in name or '"' in name:
        raise AddressError("put a name holding '<', '>' or '\"' in double quotes")
    if "<" in address or ">" in address or any(c.isspace() for c in address):
        raise AddressError("write an address as name@example.com or Name <name@example.com>")
    return name, address


def encodable(text: str) -> bool:
    """Whether `text` is valid Unicode (JSON can carry lone surrogates; UTF-8 cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unquote(text: str) -> str:
    out = []
    escaped = False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            raise AddressError("a quoted name has a '\"' that is not escaped")
        else:
            out.append(char)
    if escaped:
        raise AddressError("a quoted name ends with '\\'")
    return "".join(out)


def parse_mailbox(text: str) -> Mailbox:
    """One address, optionally with a display name."""
    name, address = split_mailbox(text)
    return Mailbox(check_address(address), check_name(name))


def split_list(text: str) -> list[str]:
    """The addresses of a comma-separated list, each with its name (commas inside quotes or
    angle brackets do not separate); empty entries are dropped."""
    items = []
    start = 0
    quoted = escaped = False
    angle = 0
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "<":
            angle += 1
        elif char == ">":
            angle -= 1
        elif char == "," and angle == 0:
            items.append(text[start:index])
            start = index + 1
    if quoted:
        raise AddressError("a quoted name is not closed")
    items.append(text[start:])
    return [item for item in items if item.strip()]
