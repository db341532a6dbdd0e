"""Anvil's portable classes: `@anvil.server.portable_class` lets instances of an app's own
class cross server calls, between server code and client code, both ways.

One source for the guest and the browser (client/src/gui/python.js bundles it under the same
name); the host never decodes such a value: the codec keeps it as a `Carried` and passes it on.
An instance travels as `{"$wb": "portable", "v": {"class": name, "data": state}}`, the state
encoded by the codec itself (so dates, Media, rows and other portable objects nest). As in
Anvil, the state is what `__serialize__(global_data)` returns when the class defines it, else
the instance's `__dict__`; on arrival the instance is made by `__new_deserialized__(data,
global_data)` when the class defines that class method, else created without `__init__` and
given the state by `__deserialize__(data, global_data)`, or into its `__dict__`. A class is
found by the name it registered under: by default its module and qualified name, so both
sides must import the module that defines it (Anvil's rule: define it in a module client and
server code share). An unknown name raises `SerializationError` naming it.
"""

from anvil import _serialize

__all__ = ["portable_class"]

TAG = "portable"

_classes = {}


def portable_class(cls=None, name=None):
    """Make a class portable: `@portable_class`, or `@portable_class("name")` to choose the
    name it travels under (it must be the same on both sides)."""
    if isinstance(cls, str):
        cls, name = None, cls

    def register(klass):
        if not isinstance(klass, type):
            raise TypeError("portable_class decorates a class")
        key = name or f"{klass.__module__}.{klass.__qualname__}"
        _classes[key] = klass
        klass._wb_portable_name = key
        klass._wb_encode = _encode
        return klass

    return register if cls is None else register(cls)


def _encode(self):
    serialize = getattr(type(self), "__serialize__", None)
    state = serialize(self, {}) if serialize is not None else dict(self.__dict__)
    return {
        _serialize.TAG: TAG,
        "v": {"class": type(self)._wb_portable_name, "data": _serialize.encode(state)},
    }


def _decode(payload):
    if not isinstance(payload, dict) or not isinstance(payload.get("class"), str):
        raise _serialize.SerializationError("a portable object needs its class's name")
    name = payload["class"]
    klass = _classes.get(name)
    if klass is None:
        raise _serialize.SerializationError(
            f"no portable class is registered as {name[:200]!r}: decorate it with "
            "@anvil.server.portable_class in a module both sides import"
        )
    data = _serialize.decode(payload.get("data"))
    made = getattr(klass, "__new_deserialized__", None)
    if made is not None:
        return made(data, {})
    obj = object.__new__(klass)
    restore = getattr(klass, "__deserialize__", None)
    if restore is not None:
        restore(obj, data, {})
    elif isinstance(data, dict):
        obj.__dict__.update(data)
    else:
        raise _serialize.SerializationError(
            f"{name}'s state is not a dict: give the class __deserialize__"
        )
    return obj


_serialize.register(TAG, _decode)
