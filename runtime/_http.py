"""HTTP requests and responses as plain data, for route mode."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    app: bool = False
    """Served on a GUI app's origin (its `/_/api/`): the route may answer with the app's page
    (`FormResponse`, `AppResponder`: `_load_app.py`)."""


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


@dataclass(frozen=True)
class ResponseChunk:
    """One piece of a streamed response, as the route's generator yielded it, in order. The
    first of a run carries the response's `status` and `headers` (lower-case names); the
    others carry only body bytes."""

    body: bytes
    status: int | None = None
    headers: dict[str, str] | None = None

    @property
    def head(self) -> HttpResponse | None:
        """The response's status and headers (with an empty body), on the first chunk."""
        if self.status is None or self.headers is None:
            return None
        return HttpResponse(self.status, self.headers, b"")


ChunkCallback = Callable[[ResponseChunk], None]
"""Called with each chunk of a streamed response as it arrives (`Runtime.run(on_chunk=...)`);
without one, the chunks are joined into the result's response."""
