"""A widget written back as an Anvil app's folder (its git layout), with `anvil.yaml` made
from the widget's settings.

A widget imported from Anvil comes back as it came: the entry that loaded `server_code/` is
left out, `requirements.txt` returns to `server_code/`, and `anvil.yaml` is the kept one
with the widget's settings put in (title as `name`, `app.json`'s startup and package,
`tables.yaml` as `db_schema` and the tables service's `auto_create_missing_columns`,
`services.yaml` as the Users service, the schedule as its task's `time_spec`), each changed
only where the widget differs, so an app exported unchanged is the app imported.

A GUI or HTTP widget made in Widgetbox gets an `anvil.yaml` of its own; its server code (the
entry and the other top-level modules and packages) goes to `server_code/`, and forms of the
first layout (`forms/`) to `client_code/`. Scripts have no Anvil counterpart, nor do
scheduled tasks made in Widgetbox (their `main.py` is a script): those export as folders
(folders.py).
"""

from __future__ import annotations

import copy
import hashlib
import json
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from widgetbox.host.app_users import settings as users_file
from widgetbox.host.errors import Invalid
from widgetbox.host.gui import design, form_templates
from widgetbox.host.gui import files as layout
from widgetbox.host.packages import requirements
from widgetbox.host.tables import tables_yaml
from widgetbox.host.transfer import anvil_yaml, time_specs, trees
from widgetbox.host.transfer.anvil_yaml import ANVIL_FILE
from widgetbox.host.transfer.report import Report
from widgetbox.host.transfer.server_entry import entry_task
from widgetbox.host.transfer.trees import Tree
from widgetbox.host.widgets.starters import ENTRY

SERVER_CODE = "server_code/"
_NOT_SERVER = ("client_code", "theme", "forms", "server_code")


@dataclass
class Exported:
    tree: Tree
    notes: Report
    """What could not be written as it is (a schedule Anvil cannot say, a file that did not
    read)."""


def exportable(kind: str, files: Mapping[str, str]) -> str | None:
    """Why a widget cannot be an Anvil app, or None."""
    if kind == "script":
        return "A script has no Anvil counterpart: export it as a folder instead."
    if kind == "scheduled" and not isinstance(entry_task(files.get(ENTRY[kind], "")), str):
        return (
            "This scheduled task's main.py is a script, which Anvil has no place for (only "
            "tasks imported from Anvil apps export as apps): export it as a folder instead."
        )
    return None


def export_app(
    kind: str,
    title: str,
    files: Mapping[str, str],
    schedule: dict[str, Any] | None = None,
    *,
    persistent: bool = False,
) -> Exported:
    """The Anvil app of a widget: its tree and notes. `schedule` is its stored rule
    (`schedules.rule_to_json`), if any; `persistent` its Keep the server running setting.
    Invalid (`not_exportable`) for scripts."""
    why = exportable(kind, files)
    if why is not None:
        raise Invalid("not_exportable", why)
    return _Exporter(kind, title, dict(files), schedule, persistent).run()


class _Exporter:
    def __init__(
        self,
        kind: str,
        title: str,
        files: dict[str, str],
        schedule: dict[str, Any] | None,
        persistent: bool,
    ) -> None:
        self.kind = kind
        self.persistent = persistent
        self.title = title
        self.original = dict(files)
        self.files = files
        self.schedule = schedule
        self.notes = Report()

    def run(self) -> Exported:
        kept = self.kept()
        native = kept is None and not any(p.startswith(SERVER_CODE) for p in self.files)
        app = self.take_json(layout.APP_FILE)
        tables = self.take_tables()
        users, users_known = self.take_users()
        task = self.take_entry()
        if native:
            self.move_server_code()
            self.move_first_layout()
        self.move_requirements()
        self.json_designs()
        data = copy.deepcopy(kept) if kept is not None else self.new_app()
        data["name"] = self.title
        if isinstance(app.get("package_name"), str):
            data["package_name"] = app["package_name"]
        if self.kind == "gui":
            self.startup(data, app)
        if tables is not None:
            self.db_schema(data, tables)
        self.services(data, tables, users, users_known)
        if isinstance(task, str):
            self.scheduled_task(data, task)
        self.server_persist(data)
        tree = trees.tree_of(self.files)
        tree[ANVIL_FILE] = anvil_yaml.dump(data).encode("utf-8")
        return Exported(dict(sorted(tree.items())), self.notes)

    # -- the settings' files -------------------------------------------------------------------

    def kept(self) -> dict[str, Any] | None:
        text = self.files.pop(ANVIL_FILE, None)
        if text is None:
            return None
        try:
            return anvil_yaml.load(text)
        except anvil_yaml.AnvilYamlError as e:
            self.notes.warning(ANVIL_FILE, e.where, f"{e.problem}: a new anvil.yaml is written")
            return None

    def take_json(self, path: str) -> dict[str, Any]:
        text = self.files.pop(path, None)
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.notes.warning(path, "", "not a JSON object: left out")
            return {}
        return data

    def take_tables(self) -> dict[str, Any] | None:
        text = self.files.pop(tables_yaml.SCHEMA_FILE, None)
        if text is None:
            return None
        try:
            data = form_templates.load(tables_yaml.SCHEMA_FILE, text, tables_yaml.MAX_TEXT, 16)
        except form_templates.TemplateError as e:
            self.notes.warning(tables_yaml.SCHEMA_FILE, e.where, f"{e.problem}: left out")
            return None
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.notes.warning(tables_yaml.SCHEMA_FILE, "", "not a map of tables: left out")
            return None
        return data

    def take_users(self) -> tuple[users_file.UsersSettings | None, bool]:
        """The Users service's settings, and whether they could be read."""
        text = self.files.pop(users_file.SERVICES_FILE, None)
        try:
            return users_file.parse(text), True
        except users_file.SettingsError as e:
            self.notes.warning(users_file.SERVICES_FILE, "", f"{e}: the Users service is as it was")
            return None, False

    def take_entry(self) -> str | bool | None:
        """Leave the entry made at import out (the task it launches, if any); other code in
        the entry file becomes a server module."""
        path = ENTRY[self.kind]
        text = self.files.get(path)
        if text is None:
            return False
        task = entry_task(text)
        if task is not False:
            del self.files[path]
            return task
        target = SERVER_CODE + path
        if target in self.files:
            self.notes.warning(path, "", f"kept at the top: {target} exists already")
        else:
            self.files[target] = self.files.pop(path)
        return False

    # -- files ---------------------------------------------------------------------------------

    def move_server_code(self) -> None:
        """A widget made in Widgetbox: its top-level modules and packages are server code."""
        folders_with_code = {
            path.split("/", 1)[0]
            for path in self.files
            if "/" in path and path.endswith(".py") and path.split("/", 1)[0] not in _NOT_SERVER
        }
        for path in sorted(self.files):
            top = path.split("/", 1)[0]
            moves = ("/" not in path and path.endswith(".py") and path != "__init__.py") or (
                "/" in path and top in folders_with_code
            )
            if moves and SERVER_CODE + path not in self.files:
                self.files[SERVER_CODE + path] = self.files.pop(path)

    def move_first_layout(self) -> None:
        """Forms of Widgetbox's first layout (`forms/Form1.json` + `.py`) as Anvil's module
        forms (`client_code/Form1.yaml` + `.py`; JSON is YAML)."""
        for path in sorted(p for p in self.files if p.startswith(layout.LEGACY)):
            rest = path[len(layout.LEGACY) :]
            if rest.endswith(".json"):
                rest = rest[: -len(".json")] + ".yaml"
            target = layout.CLIENT_CODE + rest
            if target in self.files:
                self.notes.warning(path, "", f"kept as it is: {target} exists already")
                continue
            self.files[target] = self.files.pop(path)

    def json_designs(self) -> None:
        """Anvil reads designs from YAML files only; JSON is YAML, so only the name changes."""
        for path in sorted(self.files):
            if path.startswith(layout.CLIENT_CODE) and path.endswith("form_template.json"):
                target = path[: -len(".json")] + ".yaml"
                if target not in self.files:
                    self.files[target] = self.files.pop(path)

    def move_requirements(self) -> None:
        if requirements.FILE not in self.files:
            return
        target = SERVER_CODE + requirements.FILE
        if target in self.files:
            self.notes.warning(requirements.FILE, "", f"kept at the top: {target} exists already")
            return
        self.files[target] = self.files.pop(requirements.FILE)

    # -- anvil.yaml ----------------------------------------------------------------------------

    def new_app(self) -> dict[str, Any]:
        return {
            "allow_embedding": False,
            "dependencies": [],
            "metadata": {},
            "package_name": package_name(self.title),
            "renamed": True,
            "runtime_options": {
                "client_version": "3",
                "server_version": "python3-sandbox",
                "version": 2,
            },
            "services": [],
            "startup_form": None,
        }

    def startup(self, data: dict[str, Any], app: dict[str, Any]) -> None:
        settings = design.app_settings(self.original)
        module = app.get("startup_module")
        wanted = ("module", module) if isinstance(module, str) else ("form", settings.startup_form)
        if anvil_yaml.startup(data) == wanted:
            return
        data["startup"] = {"module": wanted[1], "type": wanted[0]}
        data["startup_form"] = None

    def server_persist(self, data: dict[str, Any]) -> None:
        """Keep the server running, as the widget has it now (left out when off and the app
        never said, as Anvil's editor writes it)."""
        options = data.get("runtime_options")
        if self.persistent and not isinstance(options, dict):
            options = data["runtime_options"] = {}
        if not isinstance(options, dict):
            return
        if self.persistent:
            options["server_persist"] = True
        elif "server_persist" in options:
            options["server_persist"] = False

    def db_schema(self, data: dict[str, Any], tables: dict[str, Any]) -> None:
        schema = tables.get("tables", tables.get("db_schema"))
        data["db_schema"] = schema if schema is not None else {}

    def services(
        self,
        data: dict[str, Any],
        tables: dict[str, Any] | None,
        users: users_file.UsersSettings | None,
        users_known: bool,
    ) -> None:
        entries = data.get("services")
        services: list[Any] = list(entries) if isinstance(entries, list) else []
        names = [anvil_yaml.service_name(entry) for entry in services]
        if tables is not None:
            auto = tables.get("auto_create_columns", True) is not False
            if "tables" in names:
                index = names.index("tables")
                services[index] = anvil_yaml.tables_entry(services[index], auto)
            else:
                services.insert(0, anvil_yaml.tables_entry(None, auto))
                names.insert(0, "tables")
        if users_known:
            if users is not None and "users" in names:
                index = names.index("users")
                services[index] = anvil_yaml.users_entry(services[index], users)
            elif users is not None:
                services.append(anvil_yaml.users_entry(None, users))
            elif "users" in names:
                del services[names.index("users")]
        if services or "services" in data:
            data["services"] = services

    def scheduled_task(self, data: dict[str, Any], task: str) -> None:
        found = data.get("scheduled_tasks")
        tasks: list[Any] = list(found) if isinstance(found, list) else []
        entry = next((t for t in tasks if isinstance(t, dict) and t.get("task_name") == task), None)
        if self.schedule is None:
            if entry is None:
                self.notes.warning(
                    "", "", f"the widget has no schedule: the task {task!r} is not scheduled"
                )
            return
        spec = time_specs.spec_of(self.schedule)
        if entry is not None and _same_rule(entry.get("time_spec"), self.schedule):
            return
        if spec is None:
            self.notes.warning(
                ANVIL_FILE,
                "scheduled_tasks",
                "the widget's schedule has no Anvil counterpart (Anvil's schedules are in UTC, "
                "by minute, hour, day, week or month)"
                + (": the task's old time_spec is kept" if entry is not None else ""),
            )
            return
        if entry is None:
            job = hashlib.sha256(task.encode("utf-8")).hexdigest()[:8].upper()
            tasks.append({"job_id": job, "task_name": task, "time_spec": spec})
        else:
            tasks[tasks.index(entry)] = {**entry, "time_spec": spec}
        data["scheduled_tasks"] = tasks


def _same_rule(spec: Any, rule: dict[str, Any]) -> bool:
    """Whether an Anvil time_spec says what the stored rule says."""
    try:
        theirs = time_specs.spec_of(time_specs.rule_of(spec))
    except time_specs.SpecError:
        return False
    return theirs is not None and theirs == time_specs.spec_of(rule)


def package_name(title: str) -> str:
    """A Python package name from a title (`My CRUD App` -> `MyCRUDApp`), as Anvil makes one."""
    name = re.sub(r"\W", "", title, flags=re.ASCII)
    if not name or name[0].isdigit():
        name = "App" + name
    if keyword.iskeyword(name) or name in ("anvil", "forms", "server", "main"):
        name += "_"
    return name
