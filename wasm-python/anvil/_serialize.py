"""Values of server calls, by Anvil's rules: JSON types as they are, tuples as lists,
string-keyed dicts, and `date`/`datetime` as tagged objects (`{"$wb": "date", "v":
"2026-11-24"}`); a dict with its own `"$wb"` key is wrapped so it is never taken for a tag.

The one source of the codec, run by all three sides: the guest imports it as
`anvil._serialize`; the browser client gets this file in its bundle under the same name
(client/src/gui/python.js); the host loads it by path from the guest folder
(`widgetbox.runtime._codec`). So it runs on the guest's CPython, Brython, Pyodide and the
host's CPython 3.11+, and imports only `math` and `sys` while an interpreter starts (on Brython
importing `datetime` costs a noticeable part of an app's start-up).

Objects of the guest's own packages cross too (Media, with their bytes in base64; Data Tables
rows and search results; background tasks' `Task` objects): such an object's class has a
`_wb_encode(self)` method giving its tagged form, and the package `register`s a decoder for its
tags. Where that package is absent (the host), a value with one of those tags (`EXTENSIONS`) is
kept as a `Carried`, which encodes back to the same form.
"""

import math
import sys

TAG = "$wb"
MAX_DEPTH = 100

EXTENSIONS = {
    "row": "anvil.tables",
    "search": "anvil.tables",
    "task": "anvil.server",
    "media": "anvil",
    "portable": "anvil._portable",
}
"""Tags of objects that a module of the guest's `anvil` package makes, by that module's name:
the codec imports it when such a value arrives, and it `register`s their decoder."""

_decoders = {}


class SerializationError(ValueError):
    """A value the codec cannot encode or decode. `anvil.server` raises its own
    `SerializationError` (an `AnvilWrappedError`) with this message."""


def encode(value, _depth=0):
    """A JSON-ready form of `value`."""
    if _depth > MAX_DEPTH:
        raise SerializationError(f"value is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SerializationError(f"cannot serialize the float {value!r}")
        return value
    if isinstance(value, (list, tuple)):
        return [encode(item, _depth + 1) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise SerializationError(
                    f"dict keys must be strings, not {type(key).__name__} ({key!r})"
                )
            out[key] = encode(item, _depth + 1)
        return {TAG: "dict", "v": out} if TAG in out else out
    # A value can only be a date if `datetime` was imported already: never import it here.
    datetime = sys.modules.get("datetime")
    if datetime is not None:
        # datetime is a subclass of date: test it first.
        if isinstance(value, datetime.datetime):
            return {TAG: "datetime", "v": value.isoformat()}
        if isinstance(value, datetime.date):
            return {TAG: "date", "v": value.isoformat()}
    # Looked up on the class: an object's own `__getattr__` may answer any name, or raise.
    own = getattr(type(value), "_wb_encode", None)
    if own is not None:
        return own(value)
    raise SerializationError(f"cannot serialize a {type(value).__name__} object")


def register(tag, decoder):
    """Make `decoder(payload)` the decoder of values tagged `tag` (one of `EXTENSIONS`)."""
    _decoders[tag] = decoder


class Carried:
    """A tagged value of `EXTENSIONS` where the package that makes it is absent (the host):
    kept as it came, it encodes back to the same form, so it passes through unchanged."""

    def __init__(self, tag, payload):
        self.tag = tag
        self.payload = payload

    def _wb_encode(self):
        return {TAG: self.tag, "v": self.payload}

    def __eq__(self, other):
        if not isinstance(other, Carried):
            return NotImplemented
        return (self.tag, self.payload) == (other.tag, other.payload)

    __hash__ = None

    def __repr__(self):
        return f"Carried({self.tag!r})"


def _extension(tag, payload):
    decoder = _decoders.get(tag)
    if decoder is None and __name__ == "anvil._serialize":
        __import__(EXTENSIONS[tag])  # the guest's or the browser's package: it registers
        decoder = _decoders.get(tag)
    if decoder is None:
        return Carried(tag, payload)
    return decoder(payload)


def _cut(text, limit=80):
    """`text` cut to about `limit` characters: a value from outside may be long, and a
    message would carry it all."""
    return text if len(text) <= limit else text[:limit] + "..."


def _shown(value):
    return _cut(repr(value))


def decode(value, _depth=0):
    """The Python value an `encode`d form stands for."""
    if _depth > MAX_DEPTH:
        raise SerializationError(f"value is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, list):
        return [decode(item, _depth + 1) for item in value]
    if isinstance(value, dict):
        tag = value.get(TAG)
        if tag is None:
            return {key: decode(item, _depth + 1) for key, item in value.items()}
        payload = value.get("v")
        try:
            if tag == "dict" and isinstance(payload, dict):
                return {key: decode(item, _depth + 1) for key, item in payload.items()}
            if tag in ("datetime", "date") and isinstance(payload, str):
                import datetime  # only when a date arrives

                kind = datetime.datetime if tag == "datetime" else datetime.date
                return kind.fromisoformat(payload)
        except ValueError as e:
            raise SerializationError(f"bad {tag} value {_shown(payload)}: {_cut(str(e))}") from None
        if isinstance(tag, str) and tag in EXTENSIONS:
            return _extension(tag, payload)
        raise SerializationError(f"unknown tagged value {_shown(tag)}")
    return value
