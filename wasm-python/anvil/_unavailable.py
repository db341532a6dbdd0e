"""Anvil services Widgetbox does not provide: their modules import, so an app that imports
them loads, and using anything from them raises `ServiceNotAvailable` naming the service.

A stub module sets `__getattr__ = unavailable(__name__, "the Stripe service (anvil.stripe)")`:
every public name it is asked for is a `Placeholder` (so `from anvil.google.drive import
app_files` works), which raises when it is called, indexed, iterated, or when anything is read
from it or set on it.
"""

from anvil.server import AnvilWrappedError

__all__ = ["Placeholder", "ServiceNotAvailable", "unavailable"]


class ServiceNotAvailable(AnvilWrappedError, NotImplementedError):
    """Code used an Anvil service that Widgetbox does not provide."""


class Placeholder:
    """What a stub module answers for a name: it refuses every use, naming the service."""

    __slots__ = ("_wb_name", "_wb_service")

    def __init__(self, name, service):
        object.__setattr__(self, "_wb_name", name)
        object.__setattr__(self, "_wb_service", service)

    def _refuse(self):
        raise ServiceNotAvailable(
            f"{self._wb_name}: {self._wb_service} is not available on Widgetbox"
        )

    def __getattr__(self, name):
        if name.startswith(("__", "_wb_")):
            raise AttributeError(name)  # what copy, pickle and inspect ask is not a use
        self._refuse()

    def __setattr__(self, name, value):
        self._refuse()

    def __call__(self, *args, **kwargs):
        self._refuse()

    def __getitem__(self, key):
        self._refuse()

    def __iter__(self):
        self._refuse()

    def __repr__(self):
        return f"<{self._wb_name}: not available on Widgetbox>"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        raise TypeError(f"{self._wb_name} cannot be pickled: it is not available on Widgetbox")


def unavailable(module, service, submodules=(), names=None):
    """A module-level `__getattr__` for the stub `module` of `service`: a `Placeholder` for
    each public name (or only for those of `names`), the real submodule for those of
    `submodules` (imported when asked)."""

    def __getattr__(name):
        if name in submodules:
            return __import__(f"{module}.{name}", fromlist=["_"])
        if name.startswith("_") or (names is not None and name not in names):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return Placeholder(f"{module}.{name}", service)

    return __getattr__
