"""What a request may make the guest hash before the widget's code runs (hash flooding: every
interpreter starts from one memory snapshot, so string hashes are the same in every run):
query and form parameters, headers, and the members of JSON objects, counted linearly and
refused past their limits before anything enters the sandbox (see ARCHITECTURE.md, "Hash
flooding")."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

UNCOUNTED_HEADERS = frozenset({b"cookie", b"x-csrf-token"})
"""Widgetbox's own credentials: removed before a request reaches the sandbox."""
MAX_PARAMETERS = 1000
"""Query and form parameters one request may carry, together: the guest builds a dict of
each and merges them into the route's keyword arguments. PHP (`max_input_vars`) and Django
(`DATA_UPLOAD_MAX_NUMBER_FIELDS`) stop at the same number, against the same attack."""
MAX_HEADERS = 100
"""Header fields one request may carry into the sandbox (Widgetbox's cookie and CSRF header
never get there, so they do not count). Browsers send 10 to 20, proxies add a few; Apache
refuses more than 100 by default (`LimitRequestFields`)."""
MAX_JSON_MEMBERS = 10_000
"""Members one JSON object may have, at any depth: in a JSON body of an HTTP API (what
`anvil.server.request.body_json` decodes) and in a GUI app's server call."""
MAX_JSON_MEMBERS_BY_NAMES = 2 * MAX_JSON_MEMBERS**2
"""Members in all times different member names, in one JSON document. The decoder keeps
every name it reads in one dict for the whole document, so each member costs a lookup among
all the different names: a limit per object does not bound that. Twice what one object of
MAX_JSON_MEMBERS different names costs; a list of records (a few names, however many
members) or one map of up to MAX_JSON_MEMBERS entries stays below it."""


class TooManyMembers(Exception):
    """JSON with an object of more than MAX_JSON_MEMBERS members, or more members times
    different member names than MAX_JSON_MEMBERS_BY_NAMES; the message says which."""


class JsonBounds:
    """An `object_pairs_hook` for `json.loads` that checks the limits as the decoder goes.
    The decoder collects an object's pairs in a list (nothing hashed yet) and calls the hook
    when the object closes, so an oversized object is refused before any dict is built.
    `build=False` only counts (no dict at all); one instance per document."""

    def __init__(self, *, build: bool = True) -> None:
        self.build = build
        self.members = 0
        self.names: set[str] = set()  # the host's hashes are randomised: no flooding here

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any] | None:
        if len(pairs) > MAX_JSON_MEMBERS:
            raise TooManyMembers(f"an object may have at most {MAX_JSON_MEMBERS:,} members")
        self.members += len(pairs)
        self.names.update(name for name, _ in pairs)
        if self.members * len(self.names) > MAX_JSON_MEMBERS_BY_NAMES:
            raise TooManyMembers(
                f"its members ({self.members:,} so far) times its different member names "
                f"({len(self.names):,}) may be at most {MAX_JSON_MEMBERS_BY_NAMES:,}"
            )
        return dict(pairs) if self.build else None


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused before it enters the sandbox: status, code and message."""

    status: int
    code: str
    message: str


def field_count(encoded: bytes) -> int:
    """The most fields `parse_qsl` can find in `encoded`: one per `&`-separated piece (the
    count its own `max_num_fields` checks), found without parsing anything."""
    return encoded.count(b"&") + 1 if encoded else 0


def json_problem(raw: bytes) -> Refusal | None:
    """Why a JSON body is refused, or None. Every member of an object has its own `:`, so a
    body with no more `:` than MAX_JSON_MEMBERS (nearly all) is within both limits at once.
    Otherwise it is decoded here, building no dict (`JsonBounds` only counts).

    A body that is not valid JSON is refused then too: the guest's decoder would fill the
    dicts of the objects still open where the error is before it failed."""
    if raw.count(b":") <= MAX_JSON_MEMBERS:
        return None
    try:
        json.loads(raw, object_pairs_hook=JsonBounds(build=False))
    except TooManyMembers as e:
        return Refusal(413, "too_large", f"A JSON body is refused: {e}.")
    except (ValueError, RecursionError):
        return Refusal(
            400,
            "invalid_json",
            "The body is not valid JSON; a JSON body with more than "
            f"{MAX_JSON_MEMBERS:,} ':' must be, so that its members can be counted.",
        )
    return None


def request_problem(headers: Iterable[bytes], query: bytes) -> Refusal | None:
    """Why a request carries too many headers (by name; Widgetbox's own, which never reach
    the widget, not counted) or query parameters for the sandbox, or None: counted from the
    raw request, before anything is parsed."""
    if sum(1 for name in headers if name.lower() not in UNCOUNTED_HEADERS) > MAX_HEADERS:
        return Refusal(
            431, "too_many_headers", f"A request may carry at most {MAX_HEADERS} headers."
        )
    return form_problem(query, b"")


def form_problem(query: bytes, form: bytes) -> Refusal | None:
    """Why the query and a form body carry too many parameters together, or None."""
    if field_count(query) + field_count(form) > MAX_PARAMETERS:
        return Refusal(
            400,
            "too_many_parameters",
            f"A request may carry at most {MAX_PARAMETERS:,} query and form parameters together.",
        )
    return None
