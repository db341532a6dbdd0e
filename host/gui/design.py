"""A GUI widget's files, checked on every save: its forms' designs against the component
catalogue, and its app settings.

A GUI widget holds:

- `forms/<Name>.json`: a form's design, a tree of components in the spirit of Anvil's
  `form_template.yaml`:

      {"container": {"type": "ColumnPanel", "properties": {}, "event_bindings": {}},
       "components": [{"name": "button_1", "type": "Button",
                       "properties": {"text": "Go"}, "layout_properties": {},
                       "event_bindings": {"click": "button_1_click"}}, ...]}

  Containers hold their children in `components`.
- `forms/<Name>.py`: the form's client code (`class Name(NameTemplate)`), run in the browser;
  other modules under `forms/` are client code too.
- `server.py`: the server module, run in the sandbox (it never reaches the browser).
- `app.json` (optional): `{"startup_form": "Form1", "runtime": "brython" | "pyodide"}`.

Whatever is wrong is refused with one message that names the file and the place in it.
"""

from __future__ import annotations

import datetime
import json
import keyword
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from widgetbox.host.errors import Malformed
from widgetbox.host.gui.catalogue import Catalogue, ComponentType, Limits, Property, catalogue

FORMS_DIR = "forms/"
APP_FILE = "app.json"
GENERATED = "forms/_anvil_designer.py"
RUNTIMES = ("brython", "pyodide")
DEFAULT_RUNTIME = "brython"
APP_KEYS = frozenset({"startup_form", "runtime"})
DESIGN_KEYS = frozenset({"container", "components"})
CONTAINER_KEYS = frozenset({"type", "properties", "event_bindings"})
COMPONENT_KEYS = frozenset(
    {"name", "type", "properties", "layout_properties", "event_bindings", "components"}
)

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_FORM_FILE = re.compile(r"forms/([^/]+)\.json")
_COLOR = re.compile(r"[#(),.%\w\s-]*")
_SCHEME = re.compile(r"^[\x00-\x20]*([a-zA-Z][a-zA-Z0-9+.-]*):")
_REFUSED_SCHEMES = frozenset({"javascript", "vbscript"})


class DesignError(Malformed):
    """What is wrong, and where: the file and the place in it (`problem` says what)."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(
            "invalid_design",
            f"The app cannot be saved: {self.text}",
            {"file": file, "where": where},
        )

    @property
    def text(self) -> str:
        place = f"{self.file}: {self.where}: " if self.where else f"{self.file}: "
        return place + self.problem


@dataclass(frozen=True)
class AppSettings:
    startup_form: str
    runtime: str


# -- the files -----------------------------------------------------------------------------


def form_names(files: Mapping[str, str]) -> list[str]:
    """The forms (`forms/<Name>.json`), sorted."""
    return sorted(
        match.group(1) for path in files if (match := _FORM_FILE.fullmatch(path)) is not None
    )


def client_files(files: Mapping[str, str]) -> dict[str, str]:
    """What the browser gets: the forms and client modules under `forms/`, and `app.json`.
    Server code and every other file stay on the server."""
    return {
        path: text for path, text in files.items() if path.startswith(FORMS_DIR) or path == APP_FILE
    }


def app_settings(files: Mapping[str, str]) -> AppSettings:
    """The startup form and runtime of files that passed `check` (defaults: the form named
    Form1, else the first, and Brython)."""
    names = form_names(files)
    found: dict[str, Any] = {}
    if APP_FILE in files:
        found = json.loads(files[APP_FILE])
    default = "Form1" if "Form1" in names else (names[0] if names else "Form1")
    return AppSettings(
        startup_form=found.get("startup_form", default),
        runtime=found.get("runtime", DEFAULT_RUNTIME),
    )


def check(files: Mapping[str, str], found: Catalogue | None = None) -> AppSettings:
    """Check a GUI widget's files; raises DesignError."""
    cat = found or catalogue()
    if GENERATED in files:
        raise DesignError(
            GENERATED, "", "this module is made by Widgetbox from the designs; rename the file"
        )
    names = []
    for path in sorted(files):
        if path.startswith(FORMS_DIR) and path.endswith(".json"):
            match = _FORM_FILE.fullmatch(path)
            name = match.group(1) if match else ""
            if not _is_name(name, cat):
                raise DesignError(
                    path,
                    "",
                    "a form's design is forms/<Name>.json, where the name starts with a letter "
                    f"and has only letters, digits and underscores (at most "
                    f"{cat.limits.name_length} characters)",
                )
            if f"{FORMS_DIR}{name}.py" not in files:
                raise DesignError(path, "", f"the form's client code forms/{name}.py is missing")
            names.append(name)
    if not names:
        raise DesignError(FORMS_DIR, "", "an app needs at least one form (forms/Form1.json)")
    if len(names) > cat.limits.forms:
        raise DesignError(FORMS_DIR, "", f"an app may have at most {cat.limits.forms} forms")
    for name in names:
        path = f"{FORMS_DIR}{name}.json"
        check_design(path, files[path], cat)
    if APP_FILE in files:
        _check_app(files[APP_FILE], names, cat)
    return app_settings(files)


def _check_app(text: str, forms: list[str], cat: Catalogue) -> None:
    data = load_json(APP_FILE, text, cat.limits.design_bytes)
    if not isinstance(data, dict):
        raise DesignError(APP_FILE, "", 'expected an object such as {"startup_form": "Form1"}')
    unknown = sorted(set(data) - APP_KEYS)
    if unknown:
        raise DesignError(
            APP_FILE, unknown[0], f"unknown setting (known: {', '.join(sorted(APP_KEYS))})"
        )
    startup = data.get("startup_form", forms[0])
    if startup not in forms:
        raise DesignError(
            APP_FILE, "startup_form", f"there is no form {startup!r} (forms: {', '.join(forms)})"
        )
    runtime = data.get("runtime", DEFAULT_RUNTIME)
    if runtime not in RUNTIMES:
        raise DesignError(APP_FILE, "runtime", f"the runtime is one of {', '.join(RUNTIMES)}")


# -- one design ----------------------------------------------------------------------------


def load_json(file: str, text: str, limit: int) -> Any:
    """Parse strictly: no duplicate keys, no NaN or Infinity, bounded size and nesting."""
    if len(text.encode("utf-8")) > limit:
        raise DesignError(file, "", f"the file is larger than {limit:,} bytes")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise DesignError(file, key, "this key appears twice")
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise DesignError(file, "", f"{name} is not allowed in a design")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise DesignError(file, f"line {e.lineno}", f"not valid JSON: {e.msg}") from None
    except RecursionError:
        raise DesignError(file, "", "the design is nested too deeply") from None


@dataclass
class _Walk:
    file: str
    cat: Catalogue
    names: set[str]
    count: int = 0


def check_design(file: str, text: str, found: Catalogue | None = None) -> None:
    """Check one form's design; raises DesignError."""
    cat = found or catalogue()
    data = load_json(file, text, cat.limits.design_bytes)
    if not isinstance(data, dict):
        raise DesignError(
            file, "", 'a design is an object: {"container": {...}, "components": [...]}'
        )
    _keys(file, "", data, DESIGN_KEYS)
    container = data.get("container", {"type": "ColumnPanel"})
    if not isinstance(container, dict):
        raise DesignError(file, "container", 'expected an object such as {"type": "ColumnPanel"}')
    _keys(file, "container", container, CONTAINER_KEYS)
    kind = container.get("type")
    if kind not in cat.containers:
        raise DesignError(
            file, "container.type", f"a form's container is one of {', '.join(cat.containers)}"
        )
    form_type = cat.components[kind]
    _properties(
        file,
        "container.properties",
        container.get("properties", {}),
        form_type.properties,
        cat.limits,
    )
    _events(file, "container.event_bindings", container.get("event_bindings", {}), cat.form_events)
    walk = _Walk(file, cat, set())
    _children(walk, "components", data.get("components", []), form_type, 1)


def _children(walk: _Walk, where: str, items: Any, parent: ComponentType, depth: int) -> None:
    limits = walk.cat.limits
    if depth > limits.depth:
        raise DesignError(walk.file, where, f"containers may be nested {limits.depth} deep at most")
    if not isinstance(items, list):
        raise DesignError(walk.file, where, "expected a list of components")
    for index, item in enumerate(items):
        _component(walk, f"{where}[{index}]", item, parent, depth)


def _component(walk: _Walk, where: str, item: Any, parent: ComponentType, depth: int) -> None:
    file, cat = walk.file, walk.cat
    walk.count += 1
    if walk.count > cat.limits.components_per_form:
        raise DesignError(
            file, where, f"a form may have at most {cat.limits.components_per_form} components"
        )
    if not isinstance(item, dict):
        raise DesignError(file, where, 'a component is an object with a "name" and a "type"')
    _keys(file, where, item, COMPONENT_KEYS)
    name = item.get("name")
    if not isinstance(name, str) or not _is_name(name, cat):
        raise DesignError(
            file,
            f"{where}.name",
            "a component's name starts with a letter and has only letters, digits and "
            f"underscores (at most {cat.limits.name_length} characters)",
        )
    here = name
    if name in cat.reserved_names:
        raise DesignError(
            file, here, f"{name!r} is the name of a property or method; choose another name"
        )
    if name in walk.names:
        raise DesignError(file, here, "two components have this name; names are unique in a form")
    walk.names.add(name)
    kind_name = item.get("type")
    kind = cat.components.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        raise DesignError(
            file,
            f"{here}.type",
            f"unknown component type {kind_name!r} (known: {', '.join(cat.components)})",
        )
    _properties(file, f"{here}.properties", item.get("properties", {}), kind.properties, cat.limits)
    _properties(
        file,
        f"{here}.layout_properties",
        item.get("layout_properties", {}),
        parent.layout_properties,
        cat.limits,
        f"a {parent.name}",
    )
    _events(file, f"{here}.event_bindings", item.get("event_bindings", {}), kind.events)
    if "components" in item:
        if not kind.container:
            raise DesignError(file, f"{here}.components", f"a {kind.name} holds no components")
        _children(walk, f"{here}.components", item["components"], kind, depth + 1)


def _keys(file: str, where: str, data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        place = f"{where}.{unknown[0]}" if where else unknown[0]
        raise DesignError(file, place, f"unknown key (known: {', '.join(sorted(allowed))})")


def _properties(
    file: str,
    where: str,
    values: Any,
    known: dict[str, Property],
    limits: Limits,
    owner: str = "",
) -> None:
    if not isinstance(values, dict):
        raise DesignError(file, where, "expected an object of property values")
    for key, value in values.items():
        spec = known.get(key)
        if spec is None:
            options = ", ".join(known) or "none"
            whose = f" inside {owner}" if owner else ""
            raise DesignError(file, f"{where}.{key}", f"unknown property{whose} (known: {options})")
        problem = value_problem(spec, value, limits)
        if problem:
            raise DesignError(file, f"{where}.{key}", problem)


def _events(file: str, where: str, values: Any, known: frozenset[str]) -> None:
    if not isinstance(values, dict):
        raise DesignError(file, where, "expected an object: event name -> method name")
    for event, method in values.items():
        if event not in known:
            options = ", ".join(sorted(known)) or "none"
            raise DesignError(file, f"{where}.{event}", f"unknown event (known: {options})")
        if not isinstance(method, str) or not _identifier(method):
            raise DesignError(
                file, f"{where}.{event}", "the handler is the name of a method of the form"
            )


# -- values --------------------------------------------------------------------------------


def _is_name(name: str, cat: Catalogue) -> bool:
    return (
        bool(_NAME.fullmatch(name))
        and len(name) <= cat.limits.name_length
        and not keyword.iskeyword(name)
    )


def _identifier(name: str) -> bool:
    return (
        name.isidentifier() and name.isascii() and not keyword.iskeyword(name) and len(name) <= 100
    )


def _kind_of(value: Any) -> str:
    names = {bool: "true or false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "an object", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, int, float))


def value_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    """Why `value` cannot be this property's value, or None."""
    if value is None:
        return None if spec.nullable else f"expected {_expected(spec)}, not null"
    return _CHECKS[spec.type](spec, value, limits)


def _text_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if not isinstance(value, str):
        return f"expected text, not {_kind_of(value)}"
    if len(value) > limits.string_length:
        return f"text of at most {limits.string_length:,} characters"
    if spec.type == "color" and not _COLOR.fullmatch(value):
        return "expected a CSS colour such as #336699, rgb(0, 0, 0) or red"
    if spec.type == "uri":
        scheme = _SCHEME.match(value)
        if scheme and scheme.group(1).lower() in _REFUSED_SCHEMES:
            return f"{scheme.group(1).lower()}: URLs are not allowed"
    return None


def _number_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected a number, not {_kind_of(value)}"
    if not math.isfinite(value):
        return "expected a finite number"
    if spec.minimum is not None and value < spec.minimum:
        return f"expected at least {spec.minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return f"expected at most {spec.maximum:g}"
    return None


def _boolean_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, not {_kind_of(value)}"


def _enum_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    return None if value in spec.options else f"expected one of {', '.join(spec.options)}"


def _value_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if not _scalar(value):
        return f"expected text, a number, true, false or null, not {_kind_of(value)}"
    if isinstance(value, str) and len(value) > limits.string_length:
        return f"text of at most {limits.string_length:,} characters"
    return None


def _date_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if isinstance(value, str) and len(value) == 10:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return None
    return "expected a date as YYYY-MM-DD, or null"


def _items(spec: Property, value: Any, limits: Limits) -> str | None:
    return _items_problem(value, limits.string_length, limits.items)


def _items_problem(value: Any, max_string: int, limit: int) -> str | None:
    if not isinstance(value, list):
        return "expected a list of items: text, or [text, value] pairs"
    if len(value) > limit:
        return f"at most {limit:,} items"
    for index, item in enumerate(value):
        if isinstance(item, str):
            text = item
        elif (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and _scalar(item[1])
        ):
            text = item[0]
        else:
            return f"item {index} is neither text nor a [text, value] pair"
        if len(text) > max_string:
            return f"item {index}: text of at most {max_string:,} characters"
    return None


def _expected(spec: Property) -> str:
    return {
        "number": "a number",
        "boolean": "true or false",
        "enum": f"one of {', '.join(spec.options)}",
        "items": "a list",
        "date": "a date as YYYY-MM-DD",
    }.get(spec.type, "text")


_CHECKS = {
    "string": _text_problem,
    "text": _text_problem,
    "color": _text_problem,
    "uri": _text_problem,
    "number": _number_problem,
    "boolean": _boolean_problem,
    "enum": _enum_problem,
    "value": _value_problem,
    "date": _date_problem,
    "items": _items,
}
