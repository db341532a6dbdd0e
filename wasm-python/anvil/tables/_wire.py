"""Data Tables values on the wire: JSON with tags, the same in both directions.

JSON scalars, lists and string-keyed dicts pass as they are (a tuple as a list); a dict with
its own `"$wb"` key is wrapped (`{"$wb": "dict", "v": {...}}`), as in `anvil._serialize`.
Tagged values:

- `{"$wb": "date", "v": "2026-12-04"}` and `{"$wb": "datetime", "v": "<isoformat>"}`; a naive
  datetime is taken as UTC, so what `decode` gives is always aware;
- `{"$wb": "row", "v": "[3,17]"}`, a reference to a row (`format_row_id`, `parse_row_id`);
- `{"$wb": "media", "v": {...}}`: to be written, `{"content_type", "name", "data"}` with the
  bytes in base64 (`media_form`, `media_data`); as read, `{"ref", "content_type", "name",
  "length"}`, the bytes fetched on demand (`media_ref_form`).

What a row or a media value becomes is the caller's business: `encode` asks `custom(value)`
for the tagged form of an object it does not know, and `decode` hands the payloads of `row`
and `media` tags to the `row` and `media` functions it is given.

One source for both ends: the guest imports it as `anvil.tables._wire`, and the host loads
this file by path, so it runs on CPython 3.11+, the guest's CPython, Brython and Pyodide, and
imports only `sys` while it loads (`datetime` and `base64` when a value needs them).
"""

import sys

TAG = "$wb"
MAX_DEPTH = 100
_DIGITS = "0123456789"


class WireError(ValueError):
    """A value that cannot go into a data table, or a malformed tagged value."""


def encode(value, custom=None, _depth=0):
    """The wire form of a column value; `custom(value)` gives the tagged form of an object
    this module does not know (a row, a media object), or None."""
    if _depth > MAX_DEPTH:
        raise WireError(f"a value is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        import math

        if not math.isfinite(value):
            raise WireError(f"a data table cannot hold the float {value!r}")
        return value
    if isinstance(value, (list, tuple)):
        return [encode(item, custom, _depth + 1) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise WireError(f"dict keys must be strings, not {type(key).__name__} ({key!r})")
            out[key] = encode(item, custom, _depth + 1)
        return {TAG: "dict", "v": out} if TAG in out else out
    return _tagged(value, custom)


def _tagged(value, custom):
    datetime = sys.modules.get("datetime")  # a date exists only if datetime was imported
    if datetime is not None:
        if isinstance(value, datetime.datetime):  # a subclass of date: first
            return {TAG: "datetime", "v": value.isoformat()}
        if isinstance(value, datetime.date):
            return {TAG: "date", "v": value.isoformat()}
    if custom is not None:
        form = custom(value)
        if form is not None:
            return form
    raise WireError(f"a data table cannot hold a {type(value).__name__} object")


def decode(value, row=None, media=None, _depth=0):
    """The Python value a wire form stands for: `row(id)` makes a row reference and
    `media(payload)` a media value (without them, those tagged forms are kept as they are)."""
    if _depth > MAX_DEPTH:
        raise WireError(f"a value is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, list):
        return [decode(item, row, media, _depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag is None:
        return {key: decode(item, row, media, _depth + 1) for key, item in value.items()}
    payload = value.get("v")
    if tag == "dict" and isinstance(payload, dict):
        return {key: decode(item, row, media, _depth + 1) for key, item in payload.items()}
    if tag == "datetime" and isinstance(payload, str):
        return parse_datetime(payload)
    if tag == "date" and isinstance(payload, str):
        return parse_date(payload)
    if tag == "row" and isinstance(payload, str):
        return value if row is None else row(payload)
    if tag == "media" and isinstance(payload, dict):
        return value if media is None else media(payload)
    raise WireError(f"unknown or malformed tagged value {tag!r}")


def parse_date(text):
    import datetime

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise WireError(f"bad date {text!r}") from None


def parse_datetime(text):
    """An aware datetime (a naive one is taken as UTC)."""
    import datetime

    try:
        found = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise WireError(f"bad datetime {text!r}") from None
    if found.tzinfo is None:
        found = found.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017 - Brython
    return found


def format_row_id(table_id, row_id):
    """A row's id as Anvil shows it: `"[3,17]"`."""
    return f"[{int(table_id)},{int(row_id)}]"


def parse_row_id(text):
    """(table id, row id) of a row id such as `"[3,17]"`; WireError when malformed."""
    if isinstance(text, str) and text.startswith("[") and text.endswith("]"):
        parts = text[1:-1].split(",")
        if len(parts) == 2 and all(part and part.strip(_DIGITS) == "" for part in parts):
            return int(parts[0]), int(parts[1])
    raise WireError(f"not a row id: {text!r}")


def row_form(row_id):
    return {TAG: "row", "v": row_id}


def media_form(content_type, name, data):
    """A media value to be written, with its bytes."""
    import base64

    payload = {"content_type": content_type, "name": name}
    payload["data"] = base64.b64encode(bytes(data)).decode("ascii")
    return {TAG: "media", "v": payload}


def media_ref_form(ref, content_type, name, length):
    """A stored media value, its bytes left on the host."""
    payload = {"ref": ref, "content_type": content_type, "name": name, "length": length}
    return {TAG: "media", "v": payload}


def media_data(payload):
    """The bytes of a media payload that carries them (`data`, base64)."""
    import base64
    import binascii

    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, str):
        raise WireError("a media value carries its bytes as base64 text in 'data'")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise WireError("a media value's 'data' is not valid base64") from None
