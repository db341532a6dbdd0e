"""Data Tables rows and searches in a GUI app's browser: capabilities, so a browser can hand
back only what it was given.

Server code may return rows and searches to client code, and client code may pass them back to
server functions (Anvil's rules). In the sandbox such a value stands for its row id or its
search (`anvil/_serialize.py`: the host sees it as a `Carried`), which server code then reads
with full access: a browser that could make one up could read any row of any table. So every
row and search the host hands a browser carries a `cap`, an HMAC (key derived from
`server.key`, bound to the widget) of what it stands for and of its level:

- a row record: `"cap"`, `<level>.<MAC of its id>`;
- a search: `"cap"`, `<level>.<base64 of JSON [table, query]>.<MAC of that text>` (the search
  travels inside its capability, so checking never depends on how JSON spells numbers);
- level `read`, for what server code returned (and what is read through such a capability):
  the record also carries `"links"`, `{row id: cap}` of the rows it links to, and its media
  values a `"cap"` of their `ref`;
- level `pass`, for what the browser read itself with its tables' `client` access: it may
  hand it to server functions, and nothing more.

On the way in (`/_/call`'s arguments) a row or search without a valid capability refuses the
call ("Invalid capability"), as Anvil does. On `/_/tables` a `read` capability lets the
browser read what it stands for (`row`, later pages of a search and its `count`, followed
links, media) even from a table whose `client` level is `none`, as Anvil lets client code
read what server code returned; writes always need the table's `client` level.

Background tasks' `Task` objects travel the same way: one that server code returns carries a
`cap` (`read.<MAC of its id>`) with which the browser reads it through `/_/task`
(`host/tasks/client.py`), and which a server function it is passed back to must find valid.

Every walk is linear in the size of the value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from widgetbox.runtime import Carried

CAP = "cap"
LINKS = "links"
TAG = "$wb"
MAC_BYTES = 16
MAX_CAP = 1024 * 1024
EVERYTHING: dict[str, Any] = {"all": []}
RECORD_OPS = frozenset({"get", "get_by_id", "row", "add_row", "update"})
"""`/_/tables` operations that answer one row record (or null)."""
GRANTED_OPS = frozenset({"row", "search", "count", "media"})
"""What a `read` capability lets the browser do."""
READ, PASS = "read", "pass"
LEVELS = (READ, PASS)


class InvalidCapability(ValueError):
    """A row or search from a browser that the host never handed it."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Capabilities:
    """The signer, made once from the server's secret (`app.state.capabilities`)."""

    def __init__(self, server_secret: str) -> None:
        self._key = hmac.new(
            server_secret.encode(), b"widgetbox data tables capabilities v1", hashlib.sha256
        ).digest()

    def of(self, widget_id: int, created_at: str) -> WidgetCapabilities:
        """The capabilities of one widget. `created_at` tells apart a widget that reuses a
        deleted one's id."""
        scope = f"{widget_id}\x00{created_at}".encode()
        return WidgetCapabilities(hmac.new(self._key, scope, hashlib.sha256).digest())


class WidgetCapabilities:
    """Sign and check the rows, searches and media of one widget."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, kind: str, text: str) -> str:
        # an id or a search from the browser may hold a lone surrogate (JSON carries one):
        # "surrogatepass" MACs it (it matches nothing the host signed) instead of failing
        message = f"{kind}\x00{text}".encode("utf-8", "surrogatepass")
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest()[:MAC_BYTES])

    def _same(self, expected: str, given: str) -> bool:
        return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))

    # -- single capabilities -----------------------------------------------------------------

    def row(self, row_id: str, level: str) -> str:
        return f"{level}.{self._mac('row.' + level, row_id)}"

    def row_level(self, row_id: Any, cap: Any) -> str | None:
        """The level of a valid capability for the row `row_id`, or None."""
        if not isinstance(row_id, str) or not isinstance(cap, str) or len(cap) > MAX_CAP:
            return None
        level, _, mac = cap.partition(".")
        if level in LEVELS and self._same(self._mac("row." + level, row_id), mac):
            return level
        return None

    def media(self, ref: int) -> str:
        return f"{READ}.{self._mac('media', str(ref))}"

    def task(self, task_id: str) -> str:
        """A background task's `Task` (`host/tasks/`): the browser may read it, not kill it."""
        return f"{READ}.{self._mac('task', task_id)}"

    def task_granted(self, task_id: Any, cap: Any) -> bool:
        if not isinstance(task_id, str) or not isinstance(cap, str) or len(cap) > MAX_CAP:
            return False
        return self._same(self.task(task_id), cap)

    def search(self, table: str, query: Any, level: str) -> str:
        body = _b64(json.dumps([table, query], separators=(",", ":")).encode())
        return f"{level}.{body}.{self._mac('search.' + level, body)}"

    def opened_search(self, cap: Any) -> tuple[str, str, Any] | None:
        """(level, table, query) of a valid search capability, or None."""
        if not isinstance(cap, str) or len(cap) > MAX_CAP or cap.count(".") != 2:
            return None
        level, body, mac = cap.split(".")
        if level not in LEVELS or not self._same(self._mac("search." + level, body), mac):
            return None
        try:
            table, query = json.loads(_unb64(body))
        except ValueError:  # pragma: no cover - only what this class signed gets here
            return None
        return level, table, query

    # -- values leaving for the browser ------------------------------------------------------

    def seal(self, value: Any) -> Any:
        """A server call's result (decoded) with every row and search in it given a `read`
        capability, and their links and media too: the browser may read them all."""
        if isinstance(value, list):
            return [self.seal(item) for item in value]
        if isinstance(value, dict):
            return {key: self.seal(item) for key, item in value.items()}
        if isinstance(value, Carried):
            if value.tag == "row":
                return Carried("row", self._record(value.payload, READ))
            if value.tag == "search":
                return Carried("search", self._search(value.payload))
            if value.tag == "task":
                payload = value.payload if isinstance(value.payload, dict) else {}
                task_id = payload.get("id")
                if isinstance(task_id, str):
                    return Carried("task", {"id": task_id, CAP: self.task(task_id)})
        return value

    def seal_answer(self, request: dict[str, Any], answer: Any, *, granted: bool) -> Any:
        """A `/_/tables` answer with its rows (and a search's results) signed, so the
        browser can pass them to server functions: `read` capabilities when the request was
        `granted` by one (what server code handed on stays readable), else `pass`."""
        level = READ if granted else PASS
        op = request.get("op")
        if op in RECORD_OPS:
            return self._record(answer, level)
        if op == "add_rows" and isinstance(answer, list):
            return [self._record(record, level) for record in answer]
        if op == "search" and isinstance(answer, dict) and isinstance(answer.get("rows"), list):
            return {
                **answer,
                "rows": [self._record(record, level) for record in answer["rows"]],
                CAP: self.search(request["table"], request.get("query", EVERYTHING), level),
            }
        return answer

    def _record(self, record: Any, level: str) -> Any:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            return record  # not a row record: the browser refuses it as it stands
        sealed = {**record, CAP: self.row(record["id"], level)}
        values = record.get("values")
        if level == READ and isinstance(values, dict):
            links: dict[str, str] = {}
            sealed["values"] = {
                name: self._column_value(form, links) for name, form in values.items()
            }
            sealed[LINKS] = links
        return sealed

    def _column_value(self, form: Any, links: dict[str, str]) -> Any:
        """A column's wire form with its links' capabilities noted in `links` and its media
        signed (both only ever at the top of a column's value, or in a link_multiple's
        list)."""
        if isinstance(form, list):
            return [self._column_value(item, links) for item in form]
        if not isinstance(form, dict):
            return form
        tag, payload = form.get(TAG), form.get("v")
        if tag == "row" and isinstance(payload, str):
            links[payload] = self.row(payload, READ)
        elif tag == "media" and isinstance(payload, dict) and type(payload.get("ref")) is int:
            return {**form, "v": {**payload, CAP: self.media(payload["ref"])}}
        return form

    def _search(self, payload: Any) -> Any:
        if not isinstance(payload, dict):
            return payload
        table, query = payload.get("table"), payload.get("query")
        if not isinstance(table, str) or not isinstance(query, dict):
            return payload
        sealed = {**payload, CAP: self.search(table, query, READ)}
        if isinstance(payload.get("rows"), list):
            sealed["rows"] = [self._record(record, READ) for record in payload["rows"]]
        return sealed

    # -- values arriving from the browser ----------------------------------------------------

    def check(self, value: Any) -> Any:
        """A server call's arguments (decoded) with every row and search checked (either
        level) and kept to what the sandbox reads (a row's id, a search without its rows);
        raises InvalidCapability for one the host never handed out."""
        if isinstance(value, list):
            return [self.check(item) for item in value]
        if isinstance(value, dict):
            return {key: self.check(item) for key, item in value.items()}
        if isinstance(value, Carried):
            payload = value.payload if isinstance(value.payload, dict) else {}
            if value.tag == "row":
                return Carried("row", self._checked_row(payload))
            if value.tag == "search":
                return Carried("search", self._checked_search(payload))
            if value.tag == "task":
                if not self.task_granted(payload.get("id"), payload.get(CAP)):
                    raise InvalidCapability("a background task")
                return Carried("task", {"id": payload["id"]})
        return value

    def _checked_row(self, payload: dict[str, Any]) -> dict[str, Any]:
        row_id = payload.get("id")
        if self.row_level(row_id, payload.get(CAP)) is None:
            raise InvalidCapability("a row")
        table = payload.get("table")
        return {"id": row_id, "table": table if isinstance(table, str) else None, "values": {}}

    def _checked_search(self, payload: dict[str, Any]) -> dict[str, Any]:
        opened = self.opened_search(payload.get(CAP))
        if opened is None or opened[1:] != (payload.get("table"), payload.get("query")):
            raise InvalidCapability("a search")
        kept: dict[str, Any] = {
            key: payload[key] for key in ("order", "page_size", "fetch_only") if key in payload
        }
        return {"table": opened[1], "query": opened[2], **kept}

    def grants(self, request: dict[str, Any]) -> bool:
        """Whether the `/_/tables` request carries a `read` capability (taken out of the
        request) for what it reads: a row's `row`, a search's `search` or `count` with its
        own table and query, a media value's `media`."""
        cap = request.pop(CAP, None)
        op = request.get("op")
        if cap is None or op not in GRANTED_OPS:
            return False
        if op == "row":
            return self.row_level(request.get("id"), cap) == READ
        if op == "media":
            ref = request.get("ref")
            return type(ref) is int and isinstance(cap, str) and self._same(self.media(ref), cap)
        opened = self.opened_search(cap)
        return opened is not None and opened == (
            READ,
            request.get("table"),
            request.get("query", EVERYTHING),
        )
