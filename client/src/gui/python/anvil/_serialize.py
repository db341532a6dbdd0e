"""Values of server calls, by Anvil's rules, in the format the host and the sandbox use:
JSON types as they are, tuples as lists, string-keyed dicts, and `date`/`datetime` as tagged
objects (`{"$wb": "date", "v": "2026-11-24"}`); a dict with its own `"$wb"` key is wrapped.
"""

import math
import sys

TAG = "$wb"
MAX_DEPTH = 100


class SerializationError(ValueError):
    """Defined here so anvil.server can offer it under Anvil's name."""


def encode(value, _depth=0):
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
    # a value can only be a date if datetime was imported (slow on Brython: never here)
    datetime = sys.modules.get("datetime")
    if datetime is not None:
        if isinstance(value, datetime.datetime):
            return {TAG: "datetime", "v": value.isoformat()}
        if isinstance(value, datetime.date):
            return {TAG: "date", "v": value.isoformat()}
    raise SerializationError(f"cannot serialize a {type(value).__name__} object")


def decode(value, _depth=0):
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
                import datetime

                kind = datetime.datetime if tag == "datetime" else datetime.date
                return kind.fromisoformat(payload)
        except ValueError as e:
            raise SerializationError(f"bad {tag} value {payload!r}: {e}") from None
        raise SerializationError(f"unknown tagged value {tag!r}")
    return value
