"""An Anvil app's folder (its git repository) into a widget, with a report of everything it
found. The work is pure (no database): `import_app` reads the files and answers an
`Imported` (the widget's kind, title, files and schedule, and the report); `records.create`
stores it.

What becomes what:

- `client_code/` and `theme/` are kept file for file: forms (`Form1/form_template.yaml` and
  `__init__.py`, nested form packages, module forms), client modules, theme assets (binary
  ones as `data:` URLs, see trees.py). Every other file is kept too (`__init__.py`, a README).
- `server_code/` is kept file for file, and an entry file loads every module of it as Anvil
  does (server_entry.py); `server_code/requirements.txt` becomes the widget's
  `requirements.txt` (its packages).
- `anvil.yaml`: see anvil_yaml.py (startup form or module and package name to `app.json`,
  `db_schema` to `tables.yaml`, the Users service to `services.yaml`, the rest kept).
- The kind: an app with forms is a GUI widget (its HTTP endpoints served on its origin); one
  whose server code has only endpoints is an HTTP API; one with neither but scheduled tasks
  is a scheduled task (its first task on the widget's schedule).

Nothing stops at the first problem: every line goes to the report, and the import goes on
with what it can. Only what a widget could not be saved with is an error (then nothing is
created): no `anvil.yaml` or one that is not YAML, files past a widget's limits, a design
the designer would refuse, a name Widgetbox needs taken by a file of the app.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from widgetbox.host.app_users import settings as users_file
from widgetbox.host.app_users.table import UsersTableError, spec_of
from widgetbox.host.errors import DomainError
from widgetbox.host.gui import files as layout
from widgetbox.host.gui import form_templates
from widgetbox.host.gui.catalogue import catalogue
from widgetbox.host.gui.design import CUSTOM_COMPONENT
from widgetbox.host.packages import requirements
from widgetbox.host.packages.errors import RequirementsError
from widgetbox.host.tables import tables_yaml
from widgetbox.host.transfer import anvil_yaml, code_scan, folders, time_specs, trees
from widgetbox.host.transfer.anvil_yaml import ANVIL_FILE
from widgetbox.host.transfer.report import Report
from widgetbox.host.transfer.server_entry import ENTRY_FILES, entry_text
from widgetbox.host.widgets import records as widgets

SERVER_CODE = "server_code/"
SERVER_REQUIREMENTS = SERVER_CODE + requirements.FILE
DEFAULT_TITLE = "Anvil app"
MAX_LISTED = 8
"""Examples shown in one report line, at most."""


@dataclass
class Imported:
    """An Anvil app, as the widget it becomes."""

    kind: str
    title: str
    files: dict[str, str]
    report: Report
    schedule: dict[str, Any] | None = None
    """The schedule rule (what `schedules.parse_rule` reads), for a scheduled task."""
    name: str = ""
    """The app's name in anvil.yaml."""
    persistent: bool = False
    """Anvil's "Keep server running" (`runtime_options.server_persist`)."""


def import_app(tree: Mapping[str, bytes], title: str | None = None) -> Imported:
    """The widget an Anvil app's tree makes, and the report; never raises for the app's
    content (errors are report lines)."""
    return _Importer(tree, title).run()


class _Importer:
    def __init__(self, tree: Mapping[str, bytes], title: str | None) -> None:
        self.tree = tree
        self.title = title
        self.report = Report()
        self.data: dict[str, Any] = {}
        self.kept: dict[str, Any] = {}
        self.files: dict[str, str] = {}
        self.app: dict[str, Any] = {}

    # -- the whole ---------------------------------------------------------------------------

    def run(self) -> Imported:
        report = self.report
        self.data = self.read_anvil_yaml()
        self.kept = dict(self.data)
        rest = {path: data for path, data in self.tree.items() if path != ANVIL_FILE}
        self.files, encoded = trees.widget_files(rest)
        if encoded:
            report.info(
                "",
                "",
                f"{_count(len(encoded), 'binary file')} kept as data: URLs, written back as "
                f"they were on export: {_listed(encoded)}",
            )
        server = code_scan.scan(self.code(SERVER_CODE))
        client = code_scan.scan(self.code(layout.CLIENT_CODE))
        forms = layout.forms({p: t for p, t in self.files.items() if p.startswith("client_code/")})
        kind, task = self.choose_kind(bool(forms), server)
        title = self.choose_title()
        self.claim_names(kind)
        if kind == "gui":
            self.startup([form.name for form in forms])
        self.package_name(kind)
        self.requirements()
        tables_entry, users_entry = self.services()
        self.tables(tables_entry, users_entry)
        self.dependencies()
        schedule = self.scheduled_tasks(kind, task, server)
        self.other_settings(kind)
        self.code_report(kind, server, client)
        if kind == "gui":
            self.components([form.template for form in forms if form.template])
        self.theme()
        if self.app:
            self.files[layout.APP_FILE] = json.dumps(self.app) + "\n"
        self.files[ANVIL_FILE] = anvil_yaml.kept_text(self.kept)
        self.files[ENTRY_FILES[kind]] = entry_text(
            schedule.get("task") if schedule is not None else None
        )
        problems, warnings = folders.file_problems(kind, self.files)
        report.findings("error", problems)
        said = {(line.file, line.where) for line in report.lines}
        report.findings("warning", [w for w in warnings if (w.file, w.where) not in said])
        rule = schedule["rule"] if schedule is not None else None
        name = self.data.get("name")
        return Imported(
            kind,
            title,
            self.files,
            report,
            rule,
            name if isinstance(name, str) else "",
            persistent=self.persistent(kind),
        )

    def code(self, root: str) -> list[tuple[str, str]]:
        return [
            (p, t)
            for p, t in sorted(self.files.items())
            if p.startswith(root) and p.endswith(".py")
        ]

    # -- anvil.yaml --------------------------------------------------------------------------

    def read_anvil_yaml(self) -> dict[str, Any]:
        if ANVIL_FILE not in self.tree:
            self.report.error(
                ANVIL_FILE,
                "",
                "missing: an Anvil app has anvil.yaml at its top (choose the app's own folder, "
                "the one with client_code/ and server_code/)",
            )
            return {}
        try:
            text = self.tree[ANVIL_FILE].decode("utf-8")
        except UnicodeDecodeError:
            self.report.error(ANVIL_FILE, "", "not UTF-8 text")
            return {}
        try:
            return anvil_yaml.load(text)
        except anvil_yaml.AnvilYamlError as e:
            self.report.error(ANVIL_FILE, e.where, e.problem)
            return {}

    def choose_kind(self, has_forms: bool, server: code_scan.Scan) -> tuple[str, str | None]:
        tasks = self.data.get("scheduled_tasks")
        if has_forms:
            return "gui", None
        if server.routes:
            return "http", None
        if isinstance(tasks, list) and tasks:
            first = tasks[0] if isinstance(tasks[0], dict) else {}
            name = first.get("task_name")
            return "scheduled", name if isinstance(name, str) else None
        self.report.warning(
            "",
            "",
            "the app has no forms, HTTP endpoints or scheduled tasks: it is imported as an "
            "HTTP API, which answers 404 until its server code has an @anvil.server.route",
        )
        return "http", None

    def choose_title(self) -> str:
        name = self.data.get("name")
        given = self.title or (name if isinstance(name, str) else None) or DEFAULT_TITLE
        try:
            return widgets.check_title(given[: widgets.MAX_TITLE])
        except DomainError as e:
            where = "" if self.title else "name"
            self.report.error("" if self.title else ANVIL_FILE, where, e.message)
            return DEFAULT_TITLE

    def claim_names(self, kind: str) -> None:
        """The files Widgetbox writes must not be the app's own."""
        ours = [
            ENTRY_FILES[kind],
            layout.APP_FILE,
            tables_yaml.SCHEMA_FILE,
            users_file.SERVICES_FILE,
        ]
        for path in ours:
            if path in self.files:
                self.report.error(
                    path,
                    "",
                    "the app has a file of this name at its top, where Widgetbox keeps its own "
                    "(rename or move it)",
                )

    def startup(self, forms: list[str]) -> None:
        found = anvil_yaml.startup(self.data)
        where = "startup" if isinstance(self.data.get("startup"), dict) else "startup_form"
        if found is None:
            default = "Form1" if "Form1" in forms else (forms[0] if forms else "Form1")
            self.report.info(ANVIL_FILE, "startup", f"no startup form: {default} opens first")
            return
        kind, name = found
        if kind == "module":
            base = layout.CLIENT_CODE + name.replace(".", "/")
            if base + ".py" in self.files or base + "/__init__.py" in self.files:
                self.app["startup_module"] = name
                self.report.info(ANVIL_FILE, where, f"the app starts with the module {name}")
            else:
                self.report.warning(
                    ANVIL_FILE, where, f"there is no client module {name}: the first form opens"
                )
        elif name in forms:
            self.app["startup_form"] = name
        else:
            self.report.warning(
                ANVIL_FILE,
                where,
                f"there is no form {name!r} (forms: {_listed(forms)}): the first form opens",
            )

    def package_name(self, kind: str) -> None:
        name = self.data.get("package_name")
        if name is None:
            return
        entry_module = ENTRY_FILES[kind].removesuffix(".py")
        if not isinstance(name, str) or not layout.is_name(name) or name in ("anvil", "forms"):
            self.report.warning(
                ANVIL_FILE,
                "package_name",
                "not a Python name Widgetbox can use (a name other than anvil and forms): "
                "the app's package is client_code",
            )
        elif name == entry_module:
            self.report.error(
                ANVIL_FILE,
                "package_name",
                f"{name!r} is the name of the module that loads the server code: rename the "
                "package",
            )
        else:
            self.app["package_name"] = name

    def requirements(self) -> None:
        if SERVER_REQUIREMENTS not in self.files:
            return
        if requirements.FILE in self.files:
            self.report.warning(
                SERVER_REQUIREMENTS,
                "",
                f"not installed: the app has a {requirements.FILE} at its top too, which is used",
            )
            return
        text = self.files.pop(SERVER_REQUIREMENTS)
        self.files[requirements.FILE] = text
        try:
            found = requirements.parse(text)
        except RequirementsError as e:
            reason = e.message.split(": ", 1)[-1].rstrip(".")
            self.report.warning(
                SERVER_REQUIREMENTS, f"line {e.line}", f"{reason}; the install will fail"
            )
            return
        if found:
            self.report.info(
                SERVER_REQUIREMENTS,
                "",
                f"{_count(len(found.items), 'package')} installed from the package index "
                f"(the widget's {requirements.FILE})",
            )

    # -- services and tables ---------------------------------------------------------------------

    def services(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        entries = self.data.get("services")
        tables: dict[str, Any] | None = None
        users: dict[str, Any] | None = None
        if entries is None:
            return None, None
        if not isinstance(entries, list):
            self.report.warning(ANVIL_FILE, "services", "not a list of services: ignored")
            return None, None
        for index, entry in enumerate(entries):
            where = f"services[{index}]"
            name = anvil_yaml.service_name(entry)
            if name == "tables":
                tables = entry
            elif name == "users":
                users = entry
                settings, notes = anvil_yaml.users_settings(entry)
                for place, message in notes:
                    self.report.warning(ANVIL_FILE, f"{where}.{place}", message)
                self.files[users_file.SERVICES_FILE] = users_file.dump(settings)
                self.report.info(
                    ANVIL_FILE,
                    where,
                    f"the Users service is on ({users_file.SERVICES_FILE}): sign-in with email "
                    "and password",
                )
            elif name == "email":
                self.report.info(
                    ANVIL_FILE,
                    where,
                    "email is sent through this server's [email] settings; receiving email is "
                    "not available",
                )
            elif name == "secrets":
                self.report.info(
                    ANVIL_FILE,
                    where,
                    "App Secrets: set each secret's value in the widget's Settings",
                )
            elif name in anvil_yaml.UNAVAILABLE:
                service = anvil_yaml.SERVICES[name]
                self.report.warning(
                    ANVIL_FILE,
                    where,
                    f"Widgetbox has no {service} service: its module imports, and using it "
                    "raises ServiceNotAvailable",
                )
            else:
                source = entry.get("source") if isinstance(entry, dict) else None
                shown = repr(source) if isinstance(source, str) else "without a source"
                self.report.warning(ANVIL_FILE, where, f"unknown service {shown}: not imported")
        return tables, users

    def tables(self, entry: dict[str, Any] | None, users: dict[str, Any] | None) -> None:
        schema = self.data.get("db_schema")
        if not schema:
            if users is not None:
                self.report.warning(
                    ANVIL_FILE,
                    "db_schema",
                    "the Users service keeps its users in a table named users, and the app "
                    "has no tables: turn the Users service off and on in Settings to add it",
                )
            return
        text = yaml.safe_dump(
            {"auto_create_columns": anvil_yaml.auto_create(entry), "tables": schema},
            sort_keys=False,
            default_flow_style=None,
            allow_unicode=True,
            width=100,
        )
        try:
            parsed = tables_yaml.parse(text)
        except tables_yaml.SchemaError as e:
            for problem in e.problems:
                self.report.warning(ANVIL_FILE, "db_schema", problem.replace("tables.", "", 1))
            self.report.warning(
                ANVIL_FILE, "db_schema", "the Data Tables are not imported (kept for export)"
            )
            return
        self.files[tables_yaml.SCHEMA_FILE] = text
        del self.kept["db_schema"]
        self.report.info(
            ANVIL_FILE,
            "db_schema",
            f"{_count(len(parsed.tables), 'table')} ({_listed(list(parsed.tables))}) in "
            f"{tables_yaml.SCHEMA_FILE}, without their rows",
        )
        if users is not None:
            try:
                spec_of(text)
            except UsersTableError as e:
                self.report.warning(ANVIL_FILE, "db_schema", str(e))

    def dependencies(self) -> None:
        found = self.data.get("dependencies")
        if not isinstance(found, list):
            return
        for index, dependency in enumerate(found):
            app_id = dependency.get("app_id") if isinstance(dependency, dict) else None
            named = f"the app {app_id}" if isinstance(app_id, str) else "an app"
            self.report.warning(
                ANVIL_FILE,
                f"dependencies[{index}]",
                f"depends on {named}: Widgetbox has no app dependencies, so code that imports "
                "its package fails (kept for export)",
            )

    def scheduled_tasks(
        self, kind: str, task: str | None, server: code_scan.Scan
    ) -> dict[str, Any] | None:
        found = self.data.get("scheduled_tasks")
        if not isinstance(found, list) or not found:
            return None
        schedule: dict[str, Any] | None = None
        for index, item in enumerate(found):
            where = f"scheduled_tasks[{index}]"
            name = item.get("task_name") if isinstance(item, dict) else None
            shown = repr(name) if isinstance(name, str) else "(no task_name)"
            if isinstance(name, str) and name not in server.tasks:
                self.report.warning(
                    ANVIL_FILE,
                    where,
                    f"no @anvil.server.background_task named {shown} in the server code",
                )
            if kind != "scheduled":
                self.report.warning(
                    ANVIL_FILE,
                    where,
                    f"the task {shown} is not scheduled: only scheduled-task widgets have a "
                    "schedule in Widgetbox (code may launch it with "
                    "anvil.server.launch_background_task; kept for export)",
                )
                continue
            if index > 0 or task is None:
                self.report.warning(
                    ANVIL_FILE,
                    where,
                    f"the task {shown} is not scheduled: a widget has one schedule, the first "
                    "task's (kept for export)",
                )
                continue
            try:
                rule = time_specs.rule_of(item.get("time_spec"))
            except time_specs.SpecError as e:
                self.report.warning(
                    ANVIL_FILE, f"{where}.time_spec", f"{e}: the widget has no schedule yet"
                )
                schedule = {"task": task, "rule": None}
                continue
            schedule = {"task": task, "rule": rule}
            self.report.info(
                ANVIL_FILE, where, f"the task {shown} runs on the widget's schedule ({_rule(rule)})"
            )
        return schedule

    def persistent(self, kind: str) -> bool:
        """Anvil's "Keep server running", for the kinds that serve calls (a scheduled task
        always runs fresh)."""
        options = self.data.get("runtime_options")
        asked = isinstance(options, dict) and options.get("server_persist") is True
        return asked and kind in widgets.SERVING_KINDS

    def other_settings(self, kind: str) -> None:
        secrets = self.data.get("secrets")
        if isinstance(secrets, dict) and secrets:
            self.report.warning(
                ANVIL_FILE,
                "secrets",
                f"{_count(len(secrets), 'secret')} ({_listed(sorted(map(str, secrets)))}) not "
                "imported: Anvil encrypted their values with its own keys; set them in the "
                "widget's Settings",
            )
        native = self.data.get("native_deps")
        if isinstance(native, dict) and native.get("head_html"):
            self.report.warning(
                ANVIL_FILE,
                "native_deps.head_html",
                "not added to the app's page: its scripts and styles would break the page's "
                "security policy (kept for export)",
            )
        options = self.data.get("runtime_options")
        if isinstance(options, dict):
            if str(options.get("client_version", "3")) == "2":
                self.report.warning(
                    ANVIL_FILE,
                    "runtime_options.client_version",
                    "the client code is Python 2: Widgetbox runs Python 3",
                )
            if options.get("server_persist") is True:
                self.report.info(
                    ANVIL_FILE,
                    "runtime_options.server_persist",
                    "imported with Keep the server running on (module state is shared "
                    "between calls, as in Anvil)"
                    if self.persistent(kind)
                    else "Keep the server running has no effect on a scheduled task: each "
                    "run starts fresh",
                )

    # -- code ----------------------------------------------------------------------------------

    def code_report(self, kind: str, server: code_scan.Scan, client: code_scan.Scan) -> None:
        report = self.report
        for (path, line), why in server.unreadable + client.unreadable:
            report.warning(
                path,
                f"line {line}" if line else "",
                f"{why}: the app's code fails to load until it is fixed"
                if path.startswith(SERVER_CODE)
                else why,
            )
        modules = [p for p, _ in self.code(SERVER_CODE)]
        if modules:
            report.info(
                SERVER_CODE,
                "",
                f"{_count(len(modules), 'server module')} loaded as in Anvil by "
                f"{ENTRY_FILES[kind]}: {_listed([p.removeprefix(SERVER_CODE) for p in modules])}",
            )
        called: dict[str, list[code_scan.Where]] = {}
        for name, where in client.calls + server.calls:
            called.setdefault(name, []).append(where)
        for name, places in called.items():
            if name not in server.callables:
                path, line = places[0]
                report.warning(
                    path,
                    f"line {line}",
                    f"calls the server function {name!r}, which no server module defines (an "
                    "Uplink function?): Widgetbox has no Uplink, so the call raises "
                    "NoServerFunctionError",
                )
        seen: set[tuple[str, str]] = set()
        for service, (path, line) in server.services + client.services:
            if (service, path) not in seen:
                seen.add((service, path))
                report.warning(
                    path,
                    f"line {line}",
                    f"uses {service}, which Widgetbox does not provide (it raises "
                    "ServiceNotAvailable)",
                )
        for path, line in server.receives_email:
            report.warning(path, f"line {line}", "receiving email is not available")
        if server.routes:
            served = "on the app's origin at /_/api/..." if kind == "gui" else "at /w/<slug>/..."
            routes = [route for route, _ in server.routes]
            report.info(
                SERVER_CODE,
                "",
                f"{_count(len(routes), 'HTTP endpoint')} served {served}: {_listed(routes)}",
            )

    def components(self, designs: list[str]) -> None:
        """Component types the catalogue does not have, each once with where it is used."""
        known = catalogue().components
        forms = set(layout.form_names(self.files))
        unknown: dict[str, list[tuple[str, str]]] = {}
        limits = catalogue().limits
        for path in designs:
            try:
                design = form_templates.load(
                    path, self.files[path], limits.design_bytes, limits.depth
                )
            except (form_templates.TemplateError, ValueError):
                continue  # the design check reports it
            for name, kind in _components(design):
                if kind in known:
                    continue
                if kind.startswith(CUSTOM_COMPONENT) and kind[len(CUSTOM_COMPONENT) :] in forms:
                    continue
                unknown.setdefault(kind, []).append((path, name))
        for kind, uses in sorted(unknown.items()):
            path, name = uses[0]
            also = f" (and {len(uses) - 1} more)" if len(uses) > 1 else ""
            if kind.startswith(CUSTOM_COMPONENT):
                what = "a form of another app (a dependency), which is not imported"
            else:
                what = "a component Widgetbox does not have"
            self.report.warning(
                path,
                f"{name}.type",
                f"{kind!r} is {what}: kept in the design, drawn as a placeholder{also}",
            )

    def theme(self) -> None:
        theme = [path for path in self.files if path.startswith("theme/")]
        if theme:
            self.report.info(
                "theme/",
                "",
                f"{_count(len(theme), 'file')} kept: the colours of parameters.yaml and the "
                "assets (served at /_/theme/...) are used as in Anvil",
            )


def _components(design: Any) -> list[tuple[str, str]]:
    """(name, type) of every component in a design, its container's included."""
    found: list[tuple[str, str]] = []
    if not isinstance(design, dict):
        return found
    stack: list[Any] = []
    container = design.get("container")
    if isinstance(container, dict):
        stack.append({"name": "container", **container})
    stack.extend(
        reversed(design.get("components") or [])
        if isinstance(design.get("components"), list)
        else []
    )
    slots = design.get("components_by_slot")
    if isinstance(slots, dict):
        for items in slots.values():
            if isinstance(items, list):
                stack.extend(items)
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if isinstance(kind, str):
            found.append((str(item.get("name", "?")), kind))
        children = item.get("components")
        if isinstance(children, list):
            stack.extend(reversed(children))
    return found


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _rule(rule: dict[str, Any]) -> str:
    if rule.get("type") == "cron":
        return f"cron {rule['cron']} (UTC)"
    every, unit = rule["every"], rule["unit"]
    text = f"every {unit[:-1]}" if every == 1 else f"every {every} {unit}"
    if rule.get("weekday") is not None:
        days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        text += f" on {days[rule['weekday']]}"
    if rule.get("at"):
        text += f" at {rule['at']}"
    return text + " (UTC)"
