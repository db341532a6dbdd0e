"""A GUI widget's files, checked on every save: its forms' designs against the component
catalogue, and its app settings.

**The stored format is Anvil's own.** A form's design is Anvil's `form_template.yaml`, kept
in the widget exactly as Anvil's git layout keeps it: `client_code/Form1/form_template.yaml`
beside the form's code `client_code/Form1/__init__.py`, forms nested in forms
(`client_code/Form1/RowTemplate1/`), client modules beside them (see files.py). Why native
rather than a translation: an Anvil app's repository (the import of issue 15) is then stored
as it is, file for file, and exported the same way; nothing has to be translated back, so
nothing Widgetbox does not understand can be lost on the way (the designer edits the data and
writes back every key it read, see client/src/gui/designer/model.js), and a diff of a design
in Widgetbox is a diff of the file Anvil would write. The older shapes are read too: module
forms (`client_code/Form1.py` + `Form1.yaml`), the same data as JSON (`form_template.json`),
and Widgetbox's first layout (`forms/Form1.json` + `forms/Form1.py`, whose JSON is Anvil's
form template shape already), so widgets made before keep working unchanged and the designer
saves each design in the format it was read in. Forms built in code (`_template.py` making
`Form1Template` in Python, as the Anvil App Server's own app templates do) load too; the
designer shows them read-only.

A design (`form_templates.py` reads the text):

    container: {type: ColumnPanel, properties: {...}, event_bindings: {show: form_show}}
    components:
    - name: button_1
      type: Button
      properties: {text: Go}
      layout_properties: {grid_position: 'ABCDEF,GHIJKL'}
      event_bindings: {click: button_1_click}
      data_bindings: [{property: enabled, code: "self.item['open']", writeback: false}]
      components: [...]          # containers only
    custom_component: true       # a form used as a component elsewhere (type: form:Name)
    properties: [{name: value, type: string, default_value: ''}]
    events: [{name: x-changed}]

**Refused or warned.** A save is refused only for what would break the app or the host, and
then every problem is listed at once, each with its file and place (`DesignError`): a design
that is not valid YAML or JSON, a structure that is not a design (components not a list),
component names that are not Python names, repeat one another or hide a member of the form,
forms without their code, forms of the same name, sizes and nesting past the catalogue's
limits, bad app settings, theme colours that are not CSS colours (theme.py). What Widgetbox
does not know or draw is kept and warned about (`Review.warnings`, all of them): unknown
component types, properties, layout properties and events, values of an unexpected type,
events bound to a method the form's code lacks, data bindings that are not Python
expressions, `theme:` colours the app's theme lacks, Anvil features not drawn yet (Layouts).
"""

from __future__ import annotations

import ast
import datetime
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from widgetbox.host.gui import files as layout
from widgetbox.host.gui import form_templates, theme
from widgetbox.host.gui.catalogue import Catalogue, ComponentType, Limits, Property, catalogue
from widgetbox.host.gui.files import APP_FILE, GENERATED, Form
from widgetbox.host.gui.findings import DesignError, Finding

RUNTIMES = ("brython", "pyodide")
DEFAULT_RUNTIME = "pyodide"
"""Pyodide: with JavaScript Promise Integration its server calls, alerts and `time.sleep`
wait without freezing the page (client/src/gui/suspend.js), which Brython cannot do; Brython
starts faster and stays available (`"runtime": "brython"`)."""
APP_KEYS = frozenset({"startup_form", "startup_module", "runtime", "package_name"})
CUSTOM_COMPONENT = "form:"

_COLOR = re.compile(r"[#(),.%:\w\s-]*")
_SCHEME = re.compile(r"^[\x00-\x20]*([a-zA-Z][a-zA-Z0-9+.-]*):")
_REFUSED_SCHEMES = frozenset({"javascript", "vbscript"})
_CSS_TEXT = re.compile(r"[^;{}<>]*")

__all__ = [
    "AppSettings",
    "DesignError",
    "Finding",
    "Review",
    "app_settings",
    "check",
    "client_files",
    "form_names",
    "review",
    "value_problem",
]


@dataclass(frozen=True)
class AppSettings:
    startup_form: str
    runtime: str
    package_name: str = "client_code"
    """The Python package `client_code/` is in the browser (Anvil's `package_name`)."""
    startup_module: str | None = None
    """A client module run at start-up instead of opening `startup_form` (Anvil's startup
    module: it opens a form itself, e.g. after a login); its dotted name in client_code."""


@dataclass
class Review:
    """What a check found in files that can be saved."""

    settings: AppSettings
    forms: list[Form]
    warnings: list[Finding] = field(default_factory=list)


# -- the files -----------------------------------------------------------------------------


def form_names(files: Mapping[str, str]) -> list[str]:
    """The forms' names ("Form1", "Form1.RowTemplate1"), sorted."""
    return layout.form_names(files)


def client_files(files: Mapping[str, str]) -> dict[str, str]:
    """What the browser gets: client code and designs (YAML designs as JSON, which is YAML
    too: the page reads designs without a YAML parser) and `app.json`. Server code and every
    other file stay on the server. For files that passed `check`."""
    out = {}
    limits = catalogue().limits
    for path, text in files.items():
        if not layout.is_client_file(path):
            continue
        if form_templates.is_yaml(path):
            try:
                data = form_templates.load(path, text, limits.design_bytes, limits.depth)
            except (form_templates.TemplateError, ValueError):
                continue  # only in files saved before the check read YAML
            out[path] = form_templates.as_json(data)
        else:
            out[path] = text
    return out


def app_settings(files: Mapping[str, str]) -> AppSettings:
    """The startup form or module, runtime and package name of files that passed `check`
    (defaults: the form named Form1, else the first; Pyodide; client_code)."""
    names = form_names(files)
    found: dict[str, Any] = {}
    if APP_FILE in files:
        try:
            loaded = json.loads(files[APP_FILE])
        except ValueError:
            loaded = {}
        found = loaded if isinstance(loaded, dict) else {}
    default = "Form1" if "Form1" in names else (names[0] if names else "Form1")
    return AppSettings(
        startup_form=found.get("startup_form", default),
        runtime=found.get("runtime", DEFAULT_RUNTIME),
        package_name=found.get("package_name", "client_code"),
        startup_module=found.get("startup_module"),
    )


def check(files: Mapping[str, str], found: Catalogue | None = None) -> AppSettings:
    """Check a GUI widget's files; raises DesignError listing every problem."""
    return review(files, found).settings


def review(files: Mapping[str, str], found: Catalogue | None = None) -> Review:
    """Check a GUI widget's files: raises DesignError listing every problem; otherwise the
    settings, the forms and every warning."""
    cat = found or catalogue()
    problems: list[Finding] = []
    warnings: list[Finding] = []
    forms = layout.forms(files)
    _check_forms(files, forms, cat, problems, warnings)
    problems.extend(theme.problems(files))
    colors = frozenset(theme.css_name(name) for name in theme.color_names(files))
    assets = frozenset(path[len(theme.ASSETS) :] for path in files if path.startswith(theme.ASSETS))
    designs: dict[str, Any] = {}
    for form in forms:
        if form.template is None:
            continue
        try:
            designs[form.name] = form_templates.load(
                form.template, files[form.template], cat.limits.design_bytes, cat.limits.depth
            )
        except form_templates.TemplateError as e:
            problems.append(Finding(form.template, e.where, e.problem))
    for form in forms:
        if form.name in designs and form.template is not None:
            check = _DesignCheck(form, files.get(form.code, ""), cat, designs, colors, assets)
            check.run(designs[form.name])
            problems.extend(check.problems)
            warnings.extend(check.warnings)
    names = sorted({form.name for form in forms})
    if APP_FILE in files and names:
        problems.extend(_check_app(files[APP_FILE], names, files))
    if problems:
        raise DesignError(problems)
    return Review(app_settings(files), forms, warnings)


def _check_forms(
    files: Mapping[str, str],
    forms: list[Form],
    cat: Catalogue,
    problems: list[Finding],
    warnings: list[Finding],
) -> None:
    seen: dict[str, Form] = {}
    for form in forms:
        where = form.template or form.code
        parts = form.name.split(".")
        if not all(layout.is_name(part) for part in parts) or any(
            len(part) > cat.limits.name_length for part in parts
        ):
            problems.append(
                Finding(
                    where,
                    "",
                    "a form's folder and file names are Python names: a letter or _ first, "
                    f"then letters, digits and _ (at most {cat.limits.name_length} characters)",
                )
            )
            continue
        if form.code not in files:
            problems.append(Finding(where, "", f"the form's code {form.code} is missing"))
        if form.name in seen:
            other = seen[form.name]
            problems.append(
                Finding(
                    where,
                    "",
                    f"two forms are named {form.name} (the other: {other.template or other.code})",
                )
            )
        seen[form.name] = form
    if not forms:
        problems.append(
            Finding(
                layout.CLIENT_CODE,
                "",
                "an app needs at least one form (client_code/Form1/form_template.yaml and "
                "client_code/Form1/__init__.py)",
            )
        )
    if len(seen) > cat.limits.forms:
        problems.append(
            Finding(layout.CLIENT_CODE, "", f"an app may have at most {cat.limits.forms} forms")
        )
    for path in sorted(files):
        if layout.root_of(path) and path.rsplit("/", 1)[-1] == GENERATED:
            warnings.append(
                Finding(path, "", "Widgetbox makes this module from the designs: yours is replaced")
            )


def _check_app(text: str, forms: list[str], files: Mapping[str, str]) -> list[Finding]:
    try:
        data = json.loads(text)
    except ValueError as e:
        return [Finding(APP_FILE, "", f"not valid JSON: {e}")]
    if not isinstance(data, dict):
        return [Finding(APP_FILE, "", 'expected an object such as {"startup_form": "Form1"}')]
    found = [
        Finding(APP_FILE, key, f"unknown setting (known: {', '.join(sorted(APP_KEYS))})")
        for key in sorted(set(data) - APP_KEYS)
    ]
    startup = data.get("startup_form", forms[0])
    if startup not in forms:
        found.append(
            Finding(
                APP_FILE,
                "startup_form",
                f"there is no form {startup!r} (forms: {', '.join(forms)})",
            )
        )
    module = data.get("startup_module")
    if module is not None:
        found.extend(_check_startup_module(module, files))
    if data.get("runtime", DEFAULT_RUNTIME) not in RUNTIMES:
        found.append(Finding(APP_FILE, "runtime", f"the runtime is one of {', '.join(RUNTIMES)}"))
    package = data.get("package_name", "client_code")
    if not isinstance(package, str) or not layout.is_name(package) or package in ("anvil", "forms"):
        found.append(Finding(APP_FILE, "package_name", "a Python name other than anvil and forms"))
    return found


def _check_startup_module(module: object, files: Mapping[str, str]) -> list[Finding]:
    where = "startup_module"
    if not isinstance(module, str) or not all(layout.is_name(p) for p in module.split(".")):
        return [Finding(APP_FILE, where, 'a client module\'s dotted name, such as "Startup"')]
    base = "client_code/" + module.replace(".", "/")
    if base + ".py" not in files and base + "/__init__.py" not in files:
        return [Finding(APP_FILE, where, f"there is no client module {module!r} ({base}.py)")]
    return []


# -- one design ----------------------------------------------------------------------------

_LAYOUT_KEYS = ("layout", "components_by_slot")
_NOT_FORMS = frozenset({"Link", "RichText"})
"""Containers no form is made of."""


def _form_containers(cat: Catalogue) -> list[str]:
    return [name for name in cat.containers if name not in _NOT_FORMS]


class _DesignCheck:
    """One form's design: problems and warnings, each with the place."""

    def __init__(
        self,
        form: Form,
        code: str,
        cat: Catalogue,
        designs: dict[str, Any],
        colors: frozenset[str] = frozenset(),
        assets: frozenset[str] = frozenset(),
    ) -> None:
        assert form.template is not None
        self.file = form.template
        self.form = form
        self.code = code
        self.cat = cat
        self.designs = designs
        self.colors = colors
        """The CSS names of the theme colours `theme:Name` may name (theme.py)."""
        self.assets = assets
        """The app's theme assets (`theme/assets/<name>`): what `@theme:<name>` may name."""
        self.names: set[str] = set()
        self.count = 0
        self.problems: list[Finding] = []
        self.warnings: list[Finding] = []
        self.reserved: frozenset[str] = frozenset()

    def problem(self, where: str, text: str) -> None:
        self.problems.append(Finding(self.file, where, text))

    def warn(self, where: str, text: str) -> None:
        self.warnings.append(Finding(self.file, where, text))

    def run(self, data: Any) -> None:
        if not isinstance(data, dict):
            self.problem("", "a design is a mapping with a container and its components")
            return
        container = data.get("container")
        if container is None and any(key in data for key in _LAYOUT_KEYS):
            self.warn(
                "layout",
                "the form uses an Anvil Layout, which Widgetbox does not draw yet: its "
                "components are kept, and the form is drawn as an empty ColumnPanel",
            )
            container = {}
        container = {} if container is None else container
        if not isinstance(container, dict):
            self.problem("container", "expected a mapping such as {type: ColumnPanel}")
            return
        kind_name = container.get("type", "ColumnPanel")
        form_type = self.cat.components.get(kind_name) if isinstance(kind_name, str) else None
        if form_type is None or form_type.name not in _form_containers(self.cat):
            self.warn(
                "container.type",
                f"a form's container is one of {', '.join(_form_containers(self.cat))}, not "
                f"{kind_name!r}: drawn as a ColumnPanel",
            )
            form_type = self.cat.components["ColumnPanel"]
        self.reserved = self.cat.reserved_names(form_type.name)
        self.properties("container.properties", container.get("properties"), form_type)
        self.events(
            "container.event_bindings",
            container.get("event_bindings"),
            self.cat.form_events | self.custom_events(data),
        )
        self.children("components", data.get("components", []), form_type, 1)
        self.custom(data)

    # -- components ----------------------------------------------------------------------

    def children(self, where: str, items: Any, parent: ComponentType, depth: int) -> None:
        limits = self.cat.limits
        if items is None:
            return
        if depth > limits.depth:
            self.problem(where, f"containers may be nested {limits.depth} deep at most")
            return
        if not isinstance(items, list):
            self.problem(where, "expected a list of components")
            return
        for index, item in enumerate(items):
            self.component(f"{where}[{index}]", item, parent, depth)

    def component(self, where: str, item: Any, parent: ComponentType, depth: int) -> None:
        limits = self.cat.limits
        self.count += 1
        if self.count == limits.components_per_form + 1:
            self.problem(where, f"a form may have at most {limits.components_per_form} components")
        if not isinstance(item, dict):
            self.problem(where, "a component is a mapping with a name and a type")
            return
        name = item.get("name")
        if not isinstance(name, str) or not _is_name(name, limits):
            self.problem(
                f"{where}.name",
                "a component's name is a Python name: a letter or _ first, then letters, "
                f"digits and _ (at most {limits.name_length} characters)",
            )
            return
        if name in self.reserved:
            self.problem(name, f"{name!r} is the name of a member of the form; choose another")
        elif name in self.names:
            self.problem(name, "two components have this name; names are unique in a form")
        self.names.add(name)
        kind = self.kind_of(name, item.get("type"))
        if kind is not None:
            self.properties(f"{name}.properties", item.get("properties"), kind)
            self.events(f"{name}.event_bindings", item.get("event_bindings"), kind.events)
        self.layout(f"{name}.layout_properties", item.get("layout_properties"), parent)
        self.bindings(f"{name}.data_bindings", item.get("data_bindings"), kind)
        if item.get("components"):
            if kind is not None and not kind.container:
                self.warn(f"{name}.components", f"a {kind.name} holds no components: kept")
            self.children(
                f"{name}.components",
                item["components"],
                kind if kind is not None and kind.container else parent,
                depth + 1,
            )

    def kind_of(self, name: str, kind_name: Any) -> ComponentType | None:
        """The component's type; a custom component (form:Name) as its form's container with
        its own properties and events added; None (with a warning) when unknown."""
        if not isinstance(kind_name, str):
            self.problem(f"{name}.type", "a component's type is text, such as Button")
            return None
        if kind_name in self.cat.components:
            return self.cat.components[kind_name]
        if kind_name.startswith(CUSTOM_COMPONENT):
            target = kind_name[len(CUSTOM_COMPONENT) :]
            design = self.designs.get(target)
            if isinstance(design, dict):
                return self.custom_type(kind_name, design)
            self.warn(
                f"{name}.type",
                f"there is no form {target!r} in this app (forms of other apps are not "
                "loaded): drawn as a placeholder",
            )
            return None
        self.warn(
            f"{name}.type", f"unknown component type {kind_name!r}: kept, drawn as a placeholder"
        )
        return None

    def custom_type(self, kind_name: str, design: dict[str, Any]) -> ComponentType:
        container = design.get("container") if isinstance(design.get("container"), dict) else {}
        base = self.cat.components.get(str((container or {}).get("type", "ColumnPanel")))
        base = base or self.cat.components["ColumnPanel"]
        properties = dict(base.properties)
        for spec in design.get("properties") or []:
            if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                properties[spec["name"]] = Property(spec["name"], "object", None, nullable=True)
        return ComponentType(
            name=kind_name,
            properties=properties,
            events=self.cat.form_events | self.custom_events(design),
            container=bool(design.get("custom_component_container")),
            layout_properties=base.layout_properties,
        )

    @staticmethod
    def custom_events(design: dict[str, Any]) -> frozenset[str]:
        found = design.get("events") if isinstance(design.get("events"), list) else []
        return frozenset(
            event["name"]
            for event in found or []
            if isinstance(event, dict) and isinstance(event.get("name"), str)
        )

    # -- properties, events, bindings ----------------------------------------------------

    def properties(self, where: str, values: Any, kind: ComponentType) -> None:
        if values is None:
            return
        if not isinstance(values, dict):
            self.problem(where, "expected a mapping of property values")
            return
        for key, value in values.items():
            spec = kind.properties.get(key)
            if spec is None:
                self.warn(
                    f"{where}.{key}",
                    f"unknown property of a {kind.name}: kept as it is, not drawn",
                )
                continue
            problem = value_problem(spec, value, self.cat.limits)
            if problem:
                self.warn(f"{where}.{key}", f"{problem}: kept as it is, not drawn")
            else:
                self.theme_color(f"{where}.{key}", spec, value)

    def layout(self, where: str, values: Any, parent: ComponentType) -> None:
        if values is None:
            return
        if not isinstance(values, dict):
            self.problem(where, "expected a mapping of layout properties")
            return
        for key, value in values.items():
            spec = parent.layout_properties.get(key)
            if spec is None:
                self.warn(
                    f"{where}.{key}",
                    f"a {parent.name} has no layout property {key!r}: kept, not used",
                )
            elif problem := value_problem(spec, value, self.cat.limits):
                self.warn(f"{where}.{key}", f"{problem}: kept, not used")
            else:
                self.theme_color(f"{where}.{key}", spec, value)

    def theme_color(self, where: str, spec: Property, value: Any) -> None:
        """A colour naming a theme colour the app does not have; a template naming a theme
        asset it does not have."""
        if spec.type == "html" and isinstance(value, str) and value.startswith("@theme:"):
            asset = value[len("@theme:") :].strip()
            if asset != theme.STANDARD_PAGE and asset not in self.assets:
                self.warn(
                    where,
                    f"the app has no theme asset {theme.ASSETS}{asset}: drawn as a plain page",
                )
            return
        if spec.type != "color" or not isinstance(value, str):
            return
        if not value.startswith(theme.THEME_PREFIX):
            return
        name = value[len(theme.THEME_PREFIX) :].strip()
        if theme.css_name(name) not in self.colors:
            self.warn(
                where,
                f"the theme has no colour {name!r} (the app's colours are the default theme's "
                f"and those of {theme.PARAMETERS}): drawn without it",
            )

    def events(self, where: str, values: Any, known: frozenset[str]) -> None:
        if values is None:
            return
        if not isinstance(values, dict):
            self.problem(where, "expected a mapping: event name -> method name")
            return
        for event, method in values.items():
            if event not in known and not str(event).startswith("x-"):
                self.warn(f"{where}.{event}", "unknown event: kept, never raised")
            if method in (None, ""):
                continue
            if not isinstance(method, str) or not _identifier(method):
                self.warn(f"{where}.{event}", f"{method!r} is not a method name: never called")
            elif not _defines(self.code, method):
                self.warn(
                    f"{where}.{event}",
                    f"the form's code ({self.form.code}) has no method {method}(): the event "
                    "calls nothing until it is added",
                )

    def bindings(self, where: str, values: Any, kind: ComponentType | None) -> None:
        if values is None:
            return
        if not isinstance(values, list):
            self.problem(where, "expected a list of {property, code, writeback}")
            return
        for index, binding in enumerate(values):
            place = f"{where}[{index}]"
            if not isinstance(binding, dict) or not isinstance(binding.get("property"), str):
                self.problem(place, "a data binding is a mapping with a property and its code")
                continue
            prop, code = binding["property"], binding.get("code")
            if kind is not None and prop not in kind.properties:
                self.warn(place, f"{kind.name} has no property {prop!r}: the binding is kept")
            if not isinstance(code, str) or not code.strip():
                continue
            try:
                tree = ast.parse(code.strip(), mode="eval")
            except SyntaxError as e:
                self.warn(place, f"the code is not a Python expression ({e.msg}): not run")
                continue
            if binding.get("writeback") and not isinstance(
                tree.body, (ast.Name, ast.Attribute, ast.Subscript)
            ):
                self.warn(place, "write-back needs code that can be assigned to: kept, not written")

    def custom(self, data: dict[str, Any]) -> None:
        """A form used as a component: its declared properties and events."""
        for key in ("properties", "events"):
            found = data.get(key)
            if found is None:
                continue
            if not isinstance(found, list) or not all(
                isinstance(item, dict) and isinstance(item.get("name"), str) for item in found
            ):
                self.warn(key, f"a custom component's {key} are a list of {{name: ...}}: kept")


def _defines(code: str, method: str) -> bool:
    """Whether the form's code defines `method` (or could: a class attribute, a decorator's
    name); a guess from the text, enough for a warning."""
    return (
        re.search(rf"(^|\s)(def\s+{re.escape(method)}\s*\(|{re.escape(method)}\s*=)", code)
        is not None
    )


# -- values --------------------------------------------------------------------------------


def _is_name(name: str, limits: Limits) -> bool:
    return layout.is_name(name) and len(name) <= limits.name_length


def _identifier(name: str) -> bool:
    return layout.is_name(name) and len(name) <= 100


def _kind_of(value: Any) -> str:
    names = {bool: "true or false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "a mapping", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def value_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    """Why `value` is not what a property of this type holds, or None."""
    if value is None:
        return (
            None
            if spec.nullable or spec.type in _NONE_OK
            else f"expected {_expected(spec)}, not null"
        )
    return _CHECKS[spec.type](spec, value, limits)


_NONE_OK = frozenset({"value", "date", "object", "role", "spacing", "form", "size", "icon"})


def _text_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if not isinstance(value, str):
        return f"expected text, not {_kind_of(value)}"
    if len(value) > limits.string_length:
        return f"text of at most {limits.string_length:,} characters"
    if spec.type == "color" and not _COLOR.fullmatch(value):
        return "expected a CSS colour such as #336699, rgb(0, 0, 0), red or theme:Primary"
    if spec.type == "uri":
        scheme = _SCHEME.match(value)
        if scheme and scheme.group(1).lower() in _REFUSED_SCHEMES:
            return f"{scheme.group(1).lower()}: URLs are never followed"
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


def _size_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if math.isfinite(value) and value >= 0 else "expected a size of 0 or more"
    if isinstance(value, str) and len(value) <= 200 and _CSS_TEXT.fullmatch(value):
        return None
    return "expected a size: a number of pixels or a CSS length such as 50%"


def _boolean_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, not {_kind_of(value)}"


def _enum_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    return None if value in spec.options else f"expected one of {', '.join(spec.options)}"


def _any_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    return None


def _role_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(item, str) for item in value)
    ):
        return None
    return "expected a role's name or a list of names"


def _date_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            if len(text) == 10:
                datetime.date.fromisoformat(text)
            else:
                datetime.datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return None
    return "expected a date as YYYY-MM-DD (or a date and time), or null"


def _items(spec: Property, value: Any, limits: Limits) -> str | None:
    if isinstance(value, str):
        return None  # Anvil's older designs: one item per line
    if not isinstance(value, list):
        return "expected a list of items: text, or [text, value] pairs"
    if len(value) > limits.items:
        return f"at most {limits.items:,} items"
    for index, item in enumerate(value):
        if not (
            isinstance(item, str)
            or (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str))
        ):
            return f"item {index} is neither text nor a [text, value] pair"
    return None


def _json_problem(spec: Property, value: Any, limits: Limits) -> str | None:
    if not isinstance(value, str):
        return f"expected JSON as text, not {_kind_of(value)}"
    if value.strip():
        try:
            json.loads(value)
        except ValueError:
            return "expected JSON as text"
    return None


def _expected(spec: Property) -> str:
    return {
        "number": "a number",
        "boolean": "true or false",
        "enum": f"one of {', '.join(spec.options)}",
        "items": "a list",
    }.get(spec.type, "text")


_CHECKS = {
    "string": _text_problem,
    "text": _text_problem,
    "color": _text_problem,
    "uri": _text_problem,
    "icon": _text_problem,
    "html": _text_problem,
    "form": _text_problem,
    "number": _number_problem,
    "size": _size_problem,
    "boolean": _boolean_problem,
    "enum": _enum_problem,
    "value": _any_problem,
    "object": _any_problem,
    "spacing": _any_problem,
    "role": _role_problem,
    "date": _date_problem,
    "items": _items,
    "json": _json_problem,
}
