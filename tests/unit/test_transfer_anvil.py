"""Anvil apps in and out: what each part of an app becomes, a report that lists every
incompatibility at once, export with the widget's settings, and import then export giving
the same files (tests/anvil_repo.py's apps, written in Anvil's format for these tests)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests import anvil_app, anvil_repo
from widgetbox.host.app_users import settings as users_file
from widgetbox.host.errors import Invalid
from widgetbox.host.tables import tables_yaml
from widgetbox.host.transfer import anvil_yaml, code_scan, server_entry, time_specs
from widgetbox.host.transfer.anvil_export import export_app, exportable
from widgetbox.host.transfer.anvil_import import import_app
from widgetbox.host.transfer.report import Report
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.unit


def lines(report: Report, level: str | None = None) -> list[tuple[str, str, str]]:
    return [
        (line.file, line.where, line.message)
        for line in report.sorted()
        if level is None or line.level == level
    ]


def has(report: Report, level: str, file: str, where: str, words: str) -> bool:
    return any(
        line.level == level and line.file == file and line.where == where and words in line.message
        for line in report.lines
    )


# -- import ---------------------------------------------------------------------------------


def test_a_gui_app_becomes_a_gui_widget_part_by_part() -> None:
    imported = import_app(anvil_repo.task_board())
    files = imported.files
    assert (imported.kind, imported.title, imported.name) == ("gui", "Task Board", "Task Board")
    assert imported.report.ok
    # client code, server code, theme and the rest are kept file for file
    for path in (
        "__init__.py",
        "client_code/Main/form_template.yaml",
        "client_code/Main/TaskRow/__init__.py",
        "client_code/Validation.py",
        "server_code/Tasks.py",
        "theme/assets/theme.css",
    ):
        assert files[path] == anvil_repo.task_board()[path].decode()
    assert files["theme/assets/logo.png"].startswith("data:image/png;base64,")
    # the entry loads server_code/ as Anvil does
    assert files["server.py"] == server_entry.entry_text()
    # anvil.yaml's settings go where Widgetbox reads them
    assert files["app.json"] == '{"startup_form": "Main", "package_name": "TaskBoard"}\n'
    assert files["requirements.txt"] == "# packages the server code needs\n"
    assert "server_code/requirements.txt" not in files
    schema = tables_yaml.parse(files["tables.yaml"])
    assert list(schema.tables) == ["tasks", "users"]
    assert schema.tables["tasks"].client == "search"
    assert schema.auto_create is False  # the tables service's auto_create_missing_columns
    users = users_file.parse(files["services.yaml"])
    assert users == users_file.UsersSettings(remember_me_days=14)
    kept = yaml.safe_load(files["anvil.yaml"])
    assert "db_schema" not in kept
    assert kept["metadata"] == {"description": "Tasks for a small team", "title": "Task Board"}
    assert files["anvil.yaml"].startswith(anvil_yaml.KEPT_HEADER)
    # what it did and what it could not do, each once
    report = imported.report
    assert lines(report, "warning") == [
        (
            "anvil.yaml",
            "scheduled_tasks[0]",
            "the task 'tidy_up' is not scheduled: only scheduled-task widgets have a schedule "
            "in Widgetbox (code may launch it with anvil.server.launch_background_task; kept "
            "for export)",
        )
    ]
    assert has(report, "info", "anvil.yaml", "db_schema", "2 tables (tasks, users)")
    assert has(report, "info", "server_code/", "", "3 server modules loaded as in Anvil")
    assert has(report, "info", "server_code/", "", "1 HTTP endpoint served on the app's origin")
    assert has(report, "info", "", "", "1 binary file kept as data: URLs")


def test_an_app_with_only_endpoints_becomes_an_http_api() -> None:
    imported = import_app(anvil_repo.api())
    assert imported.kind == "http"
    assert imported.files["main.py"] == server_entry.entry_text()
    assert imported.files["app.json"] == '{"package_name": "Weather"}\n'
    assert has(imported.report, "info", "server_code/", "", "2 HTTP endpoints served at /w/")
    assert imported.report.ok


def test_an_app_of_scheduled_tasks_becomes_a_scheduled_task() -> None:
    imported = import_app(anvil_repo.nightly())
    assert imported.kind == "scheduled"
    assert imported.files["main.py"] == server_entry.entry_text("digest")
    assert imported.schedule == {
        "type": "interval",
        "every": 30,
        "unit": "minutes",
        "timezone": "UTC",
    }
    assert has(imported.report, "info", "anvil.yaml", "scheduled_tasks[0]", "every 30 minutes")
    assert has(
        imported.report, "warning", "anvil.yaml", "scheduled_tasks[1]", "a widget has one schedule"
    )


def test_the_report_lists_every_incompatibility_at_once_and_imports_the_rest() -> None:
    imported = import_app(anvil_repo.troubled())
    report = imported.report
    assert report.ok, lines(report, "error")
    assert imported.kind == "gui"
    expected = [
        ("anvil.yaml", "services[0]", "Widgetbox has no Google service"),
        ("anvil.yaml", "services[1]", "unknown service '/runtime/services/custom/thing.yml'"),
        ("anvil.yaml", "services[2].client_config.use_google", "signing in with Google"),
        ("anvil.yaml", "services[2].client_config.require_mfa", "two-factor authentication"),
        ("anvil.yaml", "services[2].server_config.user_table", "a table named users"),
        ("anvil.yaml", "db_schema", "the app has no tables"),
        ("anvil.yaml", "dependencies[0]", "depends on the app ZBDT7UM6GVGR7W4D"),
        ("anvil.yaml", "scheduled_tasks[0]", "no @anvil.server.background_task named 'nightly'"),
        ("anvil.yaml", "scheduled_tasks[0]", "the task 'nightly' is not scheduled"),
        ("anvil.yaml", "secrets", "1 secret (api_key) not imported"),
        ("anvil.yaml", "native_deps.head_html", "not added to the app's page"),
        ("server_code/Legacy.py", "line 1", "not Python 3"),
        ("server_code/requirements.txt", "line 1", "the install will fail"),
        ("client_code/Form1/__init__.py", "line 9", "'ask_the_uplink'"),
        ("server_code/Main.py", "line 3", "uses Google"),
        ("server_code/Main.py", "line 6", "receiving email is not available"),
        ("client_code/Form1/form_template.yaml", "map_1.type", "'GoogleMap' is a component"),
        ("client_code/Form1/form_template.yaml", "fancy.type", "a form of another app"),
    ]
    for file, where, words in expected:
        assert has(report, "warning", file, where, words), (file, where, words)
    assert len(lines(report, "warning")) == len(expected)
    assert "Uplink" in next(m for f, _, m in lines(report) if "ask_the_uplink" in m)
    # the rest is imported: the forms, the server code, the Users service's settings
    assert "client_code/Form1/form_template.yaml" in imported.files
    assert "server_code/Main.py" in imported.files
    assert users_file.parse(imported.files["services.yaml"]) is not None
    assert "secrets" not in yaml.safe_load(imported.files["anvil.yaml"])


def test_what_stops_an_import_is_an_error_and_every_one_is_listed() -> None:
    tree = anvil_repo.task_board()
    tree["server.py"] = b"# the app's own file, where Widgetbox puts its entry\n"
    tree["client_code/Main/form_template.yaml"] = anvil_repo.MAIN_TEMPLATE.replace(
        "name: add_button", "name: 'add button'"
    ).encode()
    tree["anvil.yaml"] = tree["anvil.yaml"].replace(
        b"package_name: TaskBoard", b"package_name: server"
    )
    report = import_app(tree).report
    assert not report.ok
    errors = lines(report, "error")
    assert (
        "server.py",
        "",
        "the app has a file of this name at its top, where Widgetbox keeps its own (rename or "
        "move it)",
    ) in errors
    assert any(where == "package_name" for _, where, _ in errors)
    assert any(
        file == "client_code/Main/form_template.yaml" and where.endswith(".name")
        for file, where, _ in errors
    )


def test_no_anvil_yaml_or_one_that_is_not_yaml() -> None:
    tree = anvil_repo.api()
    del tree["anvil.yaml"]
    [(file, _, message)] = lines(import_app(tree).report, "error")
    assert file == "anvil.yaml"
    assert message.startswith("missing: an Anvil app has anvil.yaml")
    tree["anvil.yaml"] = b"name: [unclosed\n"
    [(file, where, message)] = lines(import_app(tree).report, "error")
    assert (file, where) == ("anvil.yaml", "line 2")
    assert message.startswith("not valid YAML")


def test_an_app_too_large_for_a_widget_is_refused() -> None:
    tree = anvil_repo.api()
    for i in range(200):
        tree[f"server_code/data/m{i}.py"] = b""
    assert lines(import_app(tree).report, "error") == [
        ("", "", "a widget may have at most 200 files")
    ]


# -- export and the round trip ---------------------------------------------------------------


@pytest.mark.parametrize("app", ["task_board", "showcase", "api", "nightly"])
def test_import_then_export_gives_the_same_files(app: str) -> None:
    tree = getattr(anvil_repo, app)()
    imported = import_app(tree)
    assert imported.report.ok, lines(imported.report, "error")
    exported = export_app(
        imported.kind,
        imported.title,
        imported.files,
        imported.schedule,
        persistent=imported.persistent,
    )
    assert exported.tree == tree
    assert exported.notes.lines == []


def test_an_older_anvil_yaml_comes_back_with_the_same_settings() -> None:
    tree = anvil_repo.todo()
    imported = import_app(tree)
    assert imported.report.ok, lines(imported.report, "error")
    schema = tables_yaml.parse(imported.files["tables.yaml"])
    assert schema.auto_create is True
    assert [c.name for c in schema.tables["tasks"].columns] == ["name", "complete"]
    assert imported.files["app.json"] == '{"startup_form": "Form1", "package_name": "Todo"}\n'
    exported = export_app(imported.kind, imported.title, imported.files).tree
    assert {path: data for path, data in exported.items() if path != "anvil.yaml"} == {
        path: data for path, data in tree.items() if path != "anvil.yaml"
    }
    assert yaml.safe_load(exported["anvil.yaml"]) == yaml.safe_load(tree["anvil.yaml"])
    assert exported["anvil.yaml"] == anvil_yaml.dump(yaml.safe_load(tree["anvil.yaml"])).encode()


def test_export_writes_the_widgets_settings_into_anvil_yaml() -> None:
    imported = import_app(anvil_repo.task_board())
    files = dict(imported.files)
    files["app.json"] = '{"startup_form": "Main.TaskRow", "package_name": "Board"}\n'
    files["tables.yaml"] = tables_yaml.dump(
        tables_yaml.parse(files["tables.yaml"] + "").__class__(
            {**tables_yaml.parse(files["tables.yaml"]).tables}, auto_create=True
        )
    )
    del files["services.yaml"]  # the Users service turned off
    tree = export_app("gui", "Team Board", files).tree
    data: dict[str, Any] = yaml.safe_load(tree["anvil.yaml"])
    assert data["name"] == "Team Board"
    assert data["package_name"] == "Board"
    assert data["startup"] == {"module": "Main.TaskRow", "type": "form"}
    assert data["startup_form"] is None
    tables = next(s for s in data["services"] if s["source"].endswith("tables.yml"))
    assert tables["server_config"] == {"auto_create_missing_columns": True}
    assert not any(s["source"].endswith("users.yml") for s in data["services"])
    assert [c["name"] for c in data["db_schema"]["tasks"]["columns"]] == ["title", "done", "owner"]
    assert data["metadata"]["title"] == "Task Board"  # kept as it was


def test_keep_server_running_comes_in_on_and_goes_out_as_the_widget_has_it() -> None:
    imported = import_app(anvil_repo.troubled())  # runtime_options: {server_persist: true}
    assert imported.kind == "gui"
    assert imported.persistent
    assert has(imported.report, "info", "anvil.yaml", "runtime_options.server_persist", "on")

    def options(persistent: bool, files: dict[str, str]) -> dict[str, Any]:
        tree = export_app("gui", "Troubled", files, persistent=persistent).tree
        found: dict[str, Any] = yaml.safe_load(tree["anvil.yaml"])["runtime_options"]
        return found

    assert options(True, imported.files)["server_persist"] is True
    assert options(False, imported.files)["server_persist"] is False  # turned off since
    plain = import_app(anvil_repo.task_board())
    assert not plain.persistent
    assert "server_persist" not in options(False, plain.files)  # never said: left out
    assert options(True, plain.files)["server_persist"] is True


def test_a_scheduled_task_never_keeps_its_interpreter() -> None:
    tree = dict(anvil_repo.nightly())
    data = yaml.safe_load(tree["anvil.yaml"])
    data["runtime_options"] = {"server_persist": True}
    tree["anvil.yaml"] = anvil_yaml.dump(data).encode()
    imported = import_app(tree)
    assert imported.kind == "scheduled"
    assert not imported.persistent
    assert has(imported.report, "info", "anvil.yaml", "runtime_options.server_persist", "fresh")


def test_export_writes_a_changed_schedule_as_the_tasks_time_spec() -> None:
    imported = import_app(anvil_repo.nightly())
    weekly = {
        "type": "interval",
        "every": 2,
        "unit": "weeks",
        "at": "09:30",
        "weekday": "friday",
        "timezone": "UTC",
    }
    data = yaml.safe_load(
        export_app("scheduled", imported.title, imported.files, weekly).tree["anvil.yaml"]
    )
    assert data["scheduled_tasks"][0] == {
        "job_id": "ABCDEFGH",
        "task_name": "digest",
        "time_spec": {"at": {"day": 6, "hour": 9, "minute": 30}, "every": "week", "n": 2},
    }
    assert data["scheduled_tasks"][1]["task_name"] == "weekly"  # kept as it was
    paris = {**weekly, "timezone": "Europe/Paris"}
    exported = export_app("scheduled", imported.title, imported.files, paris)
    assert (
        yaml.safe_load(exported.tree["anvil.yaml"])["scheduled_tasks"][0]["time_spec"]["every"]
        == "minute"
    )
    assert "no Anvil counterpart" in exported.notes.lines[0].message


def test_a_widget_made_in_widgetbox_exports_as_an_anvil_app_and_comes_back() -> None:
    files = {
        **anvil_app.files(),
        "lib/util.py": "X = 1\n",
        "tables.yaml": "tables:\n  notes:\n    columns: [{name: text, type: string}]\n",
        "requirements.txt": "attrs\n",
    }
    exported = export_app("gui", "Showcase", files)
    tree = exported.tree
    assert tree["server_code/server.py"] == anvil_app.SERVER.encode()
    assert tree["server_code/lib/util.py"] == b"X = 1\n"
    assert tree["server_code/requirements.txt"] == b"attrs\n"
    assert not {"server.py", "app.json", "tables.yaml", "requirements.txt"} & set(tree)
    data = yaml.safe_load(tree["anvil.yaml"])
    assert data["name"] == "Showcase"
    assert data["package_name"] == "Showcase"
    assert data["startup"] == {"module": "Form1", "type": "form"}
    assert data["db_schema"] == {"notes": {"columns": [{"name": "text", "type": "string"}]}}
    assert data["services"][0]["source"] == "/runtime/services/tables.yml"
    again = import_app(tree)
    assert again.report.ok, lines(again.report, "error")
    assert again.kind == "gui"
    assert (
        again.files["client_code/Form1/form_template.yaml"]
        == files["client_code/Form1/form_template.yaml"]
    )


def test_the_first_layouts_forms_and_json_designs_become_anvils() -> None:
    files = {
        "server.py": "x = 1\n",
        "forms/Form1.json": '{"container": {"type": "ColumnPanel"}, "components": []}',
        "forms/Form1.py": "from ._anvil_designer import Form1Template\n",
        "client_code/Other/form_template.json": '{"components": []}',
        "client_code/Other/__init__.py": "",
    }
    tree = export_app("gui", "Old", files).tree
    assert sorted(tree) == [
        "anvil.yaml",
        "client_code/Form1.py",
        "client_code/Form1.yaml",
        "client_code/Other/__init__.py",
        "client_code/Other/form_template.yaml",
        "server_code/server.py",
    ]


def test_scripts_do_not_export_as_anvil_apps() -> None:
    assert exportable("script", TEMPLATES["script"]) is not None
    assert exportable("scheduled", TEMPLATES["scheduled"]) is not None
    assert exportable("http", TEMPLATES["http"]) is None
    with pytest.raises(Invalid) as caught:
        export_app("script", "S", TEMPLATES["script"])
    assert caught.value.code == "not_exportable"


# -- the parts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        (
            {"every": "minute", "n": 10, "at": {}},
            {"type": "interval", "every": 10, "unit": "minutes"},
        ),
        (
            {"every": "hour", "n": 2, "at": {"minute": 0}},
            {"type": "interval", "every": 2, "unit": "hours"},
        ),
        ({"every": "hour", "n": 1, "at": {"minute": 15}}, {"type": "cron", "cron": "15 * * * *"}),
        ({"every": "hour", "n": 6, "at": {"minute": 5}}, {"type": "cron", "cron": "5 */6 * * *"}),
        (
            {"every": "day", "n": 5, "at": {"hour": 3, "minute": 0}},
            {"type": "interval", "every": 5, "unit": "days", "at": "03:00"},
        ),
        (
            {"every": "week", "n": 1, "at": {"day": 2, "hour": 9, "minute": 30}},
            {"type": "interval", "every": 1, "unit": "weeks", "at": "09:30", "weekday": 0},
        ),
        (
            {"every": "week", "n": 1, "at": {"day": 1, "hour": 0, "minute": 0}},
            {"type": "interval", "every": 1, "unit": "weeks", "at": "00:00", "weekday": 6},
        ),
        (
            {"every": "month", "n": 1, "at": {"day": 21, "hour": 10, "minute": 0}},
            {"type": "cron", "cron": "0 10 21 * *"},
        ),
        (
            {"every": "month", "n": 3, "at": {"day": 1, "hour": 0, "minute": 0}},
            {"type": "cron", "cron": "0 0 1 */3 *"},
        ),
    ],
)
def test_time_specs_and_rules_both_ways(spec: dict[str, Any], rule: dict[str, Any]) -> None:
    found = time_specs.rule_of(spec)
    assert found == {**rule, "timezone": "UTC"}
    assert time_specs.spec_of(found) == spec


def test_time_specs_without_a_rule() -> None:
    for spec in (
        {"every": "fortnight"},
        {"every": "hour", "n": 5, "at": {"minute": 3}},
        "daily",
        {"every": "day", "at": {"hour": 25}},
    ):
        with pytest.raises(time_specs.SpecError):
            time_specs.rule_of(spec)
    assert time_specs.spec_of({"type": "cron", "cron": "0 9 * * 1-5", "timezone": "UTC"}) is None


def test_the_entry_is_told_from_other_code() -> None:
    assert server_entry.entry_task(server_entry.entry_text()) is None
    assert server_entry.entry_task(server_entry.entry_text('say "hi"')) == 'say "hi"'
    assert server_entry.entry_task(server_entry.entry_text("x") + "\n") is False
    assert server_entry.entry_task(TEMPLATES["gui"]["server.py"]) is False


def test_the_code_scan_follows_names() -> None:
    code = """\
import anvil.server as s
from anvil.server import callable as exposed, route
from anvil import server


@exposed("named")
def a(): pass


@s.callable
def b(): pass


@route("/x")
def c(): pass


@server.background_task("job")
def d():
    s.call("named")
    server.call_s("other", 1)
"""
    found = code_scan.scan([("m.py", code)])
    assert sorted(found.callables) == ["b", "named"]
    assert found.routes == [("/x", ("m.py", 14))]
    assert list(found.tasks) == ["job"]
    assert [name for name, _ in found.calls] == ["named", "other"]
