"""HTTP requests and responses as plain data, for route mode."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class HttpRequest:
    """One request to a widget's HTTP API, already parsed by the host."""

    method: str
    path: str
    """Relative to the widget's base URL, starting with `/`."""
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    """`application/x-www-form-urlencoded` parameters."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Lower-case names."""
    body: bytes = b""
    origin: str = ""
    """The scheme and host the widget is served on, e.g. `https://widgets.example`."""
    remote_address: str = ""


@dataclass(frozen=True)
class HttpResponse:
    """What a route answered."""

    status: int
    headers: Mapping[str, str]
    """Lower-case names."""
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")
