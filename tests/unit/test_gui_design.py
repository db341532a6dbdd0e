"""GUI designs as data: Anvil's form templates (YAML, and the older JSON and module-form
shapes) and where they live, the catalogue, and what a save of a GUI widget's files refuses
(every problem at once, with its file and place) and warns about (everything Widgetbox does
not draw, never refused)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from tests import anvil_app
from widgetbox.host.gui import design, files, form_templates
from widgetbox.host.gui.catalogue import PROPERTY_TYPES, catalogue
from widgetbox.host.web.errors import answer
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.unit

FORM_CODE = "from ._anvil_designer import Form1Template\n\nclass Form1(Form1Template):\n    pass\n"
TEMPLATE = "client_code/Form1/form_template.yaml"


def design_of(*components: dict[str, Any], container: str = "ColumnPanel") -> dict[str, Any]:
    return {"container": {"type": container}, "components": list(components)}


def files_with(form: dict[str, Any] | str, code: str = FORM_CODE, **extra: str) -> dict[str, str]:
    text = form if isinstance(form, str) else yaml.safe_dump(form, sort_keys=False)
    return {"server.py": "", "client_code/Form1/__init__.py": code, TEMPLATE: text, **extra}


def legacy_files(form: dict[str, Any] | str, **extra: str) -> dict[str, str]:
    text = form if isinstance(form, str) else json.dumps(form)
    return {"server.py": "", "forms/Form1.py": FORM_CODE, "forms/Form1.json": text, **extra}


def refused(found: dict[str, str]) -> design.DesignError:
    with pytest.raises(design.DesignError) as caught:
        design.check(found)
    return caught.value


def warnings(found: dict[str, str]) -> list[tuple[str, str, str]]:
    return [(w.file, w.where, w.problem) for w in design.review(found).warnings]


BUTTON = {"name": "button_1", "type": "Button", "properties": {"text": "Go"}}


# -- where forms are ---------------------------------------------------------------------------


def test_new_apps_are_stored_in_anvils_own_layout() -> None:
    review = design.review(TEMPLATES["gui"])
    assert review.settings == design.AppSettings("Form1", "pyodide", "client_code")
    assert [(f.name, f.code, f.template) for f in review.forms] == [
        ("Form1", "client_code/Form1/__init__.py", TEMPLATE)
    ]
    assert review.warnings == []


def test_every_layout_anvil_and_widgetbox_have_used_is_found() -> None:
    found = files.forms(anvil_app.files())
    assert {(f.name, f.code, f.template) for f in found} == {
        ("Form1", "client_code/Form1/__init__.py", "client_code/Form1/form_template.yaml"),
        ("Form1.RowTemplate1", "client_code/Form1/RowTemplate1/__init__.py",
         "client_code/Form1/RowTemplate1/form_template.yaml"),
        ("Widgets.Counter", "client_code/Widgets/Counter/__init__.py",
         "client_code/Widgets/Counter/form_template.yaml"),
        ("Second", "client_code/Second/__init__.py", "client_code/Second/form_template.yaml"),
        ("Built", "client_code/Built/__init__.py", None),  # built in code: _template.py
        ("Built.Item", "client_code/Built/Item/__init__.py", None),
        ("OldForm", "client_code/OldForm.py", "client_code/OldForm.yaml"),  # a module form
    }  # fmt: skip
    legacy = files.forms(legacy_files(design_of()))
    assert [(f.name, f.code, f.template) for f in legacy] == [
        ("Form1", "forms/Form1.py", "forms/Form1.json")
    ]
    # JSON in Anvil's package layout, and a .py without a design is a module, not a form
    other = {"client_code/A/form_template.json": "{}", "client_code/A/__init__.py": "",
             "client_code/Module1.py": "", "client_code/data.json": "{}"}  # fmt: skip
    assert [f.name for f in files.forms(other)] == ["A"]


def test_the_showcase_app_passes_with_warnings_only_for_what_is_not_drawn() -> None:
    review = design.review(anvil_app.files())
    assert review.settings.startup_form == "Form1"
    assert warnings(anvil_app.files()) == [
        (TEMPLATE, "ticks_label.properties.sparkle_level",
         "unknown property of a Label: kept as it is, not drawn"),
        (TEMPLATE, "ticks_label.event_bindings.show",
         "the form's code (client_code/Form1/__init__.py) has no method no_such_method(): "
         "the event calls nothing until it is added"),
    ]  # fmt: skip


def test_widgets_made_before_keep_working() -> None:
    legacy = legacy_files(design_of(BUTTON), **{"app.json": '{"runtime": "pyodide"}'})
    assert design.check(legacy) == design.AppSettings("Form1", "pyodide", "client_code")
    assert design.client_files(legacy)["forms/Form1.json"] == legacy["forms/Form1.json"]


def test_only_client_files_reach_the_browser_with_designs_as_json() -> None:
    found = {
        **files_with(design_of(BUTTON)),
        "client_code/Module1.py": "X = 1",
        "forms/helpers.py": "Y = 2",
        "app.json": "{}",
        "secret_stuff.py": "KEY = 1",
        "server_code/Server.py": "KEY = 2",
        "requirements.txt": "attrs",
    }
    sent = design.client_files(found)
    assert sorted(sent) == sorted(
        ["app.json", TEMPLATE, "client_code/Form1/__init__.py", "client_code/Module1.py",
         "forms/helpers.py"]
    )  # fmt: skip
    assert json.loads(sent[TEMPLATE]) == yaml.safe_load(found[TEMPLATE])


# -- reading templates -------------------------------------------------------------------------


def test_yaml_is_read_as_anvil_reads_it_but_dates_stay_text() -> None:
    text = (
        "a: yes\nb: off\nc: y\nd: 2026-11-24\ne: '2026-11-24'\nf: 012\ng: 1_000\n"
        "h: null\ni: ~\nj: 1.5\nk: [x, {y: 1}]\n"
    )
    data = form_templates.load("f.yaml", text, 10_000, 10)
    assert data == {"a": True, "b": False, "c": "y", "d": "2026-11-24", "e": "2026-11-24",
                    "f": 10, "g": 1000, "h": None, "i": None, "j": 1.5,
                    "k": ["x", {"y": 1}]}  # fmt: skip
    # what Widgetbox writes reads back the same, here and by any YAML reader
    again = form_templates.dump_yaml(data)
    assert form_templates.load("f.yaml", again, 10_000, 10) == data
    assert yaml.safe_load(again) == data


@pytest.mark.parametrize(
    ("path", "text", "words"),
    [
        ("f.yaml", "a: [1, 2", "not valid YAML"),
        ("f.yaml", "a: 1\na: 2\n", "the key 'a' appears twice"),
        ("f.yaml", "a: !!binary aGk=\n", "a bytes value cannot be kept"),
        ("f.yaml", "a: !!set {x, y}\n", "a set value cannot be kept"),
        ("f.yaml", "1: x\n", "a key must be text"),
        ("f.yaml", "a: .nan\n", "NaN"),
        ("f.yaml", "a: &x [*x]\n", "nested too deeply"),
        ("f.json", "{", "not valid JSON"),
        ("f.json", '{"a": 1, "a": 2}', "appears twice"),
        ("f.json", '{"a": NaN}', "NaN is not allowed"),
    ],
)
def test_texts_that_are_no_design_are_refused(path: str, text: str, words: str) -> None:
    with pytest.raises(form_templates.TemplateError) as caught:
        form_templates.load(path, text, 10_000, 10)
    assert words in caught.value.problem


def test_a_billion_laughs_is_refused_cheaply() -> None:
    lines = ["a0: [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1},"
              f" *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]  # fmt: skip
    text = lines[0].replace("a0:", "a0: &a0") + "\n" + "\n".join(lines[1:]) + "\n"
    with pytest.raises(form_templates.TemplateError, match="too many values"):
        form_templates.load("f.yaml", text, 100_000, 100)


# -- the catalogue -----------------------------------------------------------------------------


def test_every_catalogue_type_has_a_check_and_every_default_passes_it() -> None:
    cat = catalogue()
    assert set(design._CHECKS) == PROPERTY_TYPES
    for kind in cat.components.values():
        for spec in [*kind.properties.values(), *kind.layout_properties.values()]:
            assert design.value_problem(spec, spec.default, cat.limits) is None, (kind.name, spec)


def test_the_catalogue_names_anvils_components_with_their_groups() -> None:
    cat = catalogue()
    containers = (
        "ColumnPanel",
        "HtmlTemplate",
        "LinearPanel",
        "FlowPanel",
        "GridPanel",
        "XYPanel",
        "DataRowPanel",
        "RepeatingPanel",
        "DataGrid",
        "Link",
        "RichText",
    )
    for name in containers:
        assert cat.components[name].container, name
    for name in ("Plot", "FileLoader", "Canvas", "YouTubeVideo", "Timer", "Spacer"):
        assert not cat.components[name].container, name
    label = cat.components["Label"].properties
    assert {"border", "icon", "icon_align", "role", "spacing", "tag", "width"} <= set(label)
    assert label["role"].default is None
    assert set(cat.components["ColumnPanel"].layout_properties) == {
        "full_width_row", "row_background", "grid_position"
    }  # fmt: skip
    assert "x-" not in "".join(cat.components["Button"].events)
    assert cat.reserved_names("HtmlTemplate") >= {"html", "dom_nodes", "add_component", "item"}
    assert "text" not in cat.reserved_names("ColumnPanel")


# -- refusals: every problem at once, with file and place --------------------------------------


@pytest.mark.parametrize(
    ("component", "where", "words"),
    [
        ({"name": "1b", "type": "Label"}, "components[0].name", "is a Python name"),
        ({"name": "class", "type": "Label"}, "components[0].name", "is a Python name"),
        ({"name": "visible", "type": "Label"}, "visible", "member of the form"),
        ({"name": "add_component", "type": "Label"}, "add_component", "member of the form"),
        ({"type": "Label"}, "components[0].name", "is a Python name"),
        ({"name": "b", "type": 3}, "b.type", "a component's type is text"),
        ({"name": "b", "type": "Label", "properties": [1]}, "b.properties", "mapping"),
        ({"name": "b", "type": "Label", "layout_properties": 1}, "b.layout_properties", "mapping"),
        ({"name": "b", "type": "Label", "event_bindings": []}, "b.event_bindings", "mapping"),
        ({"name": "b", "type": "Label", "data_bindings": {}}, "b.data_bindings", "a list"),
        ({"name": "b", "type": "LinearPanel", "components": {"x": 1}}, "b.components",
         "list of components"),
    ],
)  # fmt: skip
def test_what_would_break_the_app_is_refused_naming_the_place(
    component: dict[str, Any], where: str, words: str
) -> None:
    error = refused(files_with(design_of(component)))
    assert (error.file, error.where) == (TEMPLATE, where)
    assert words in error.problem
    assert error.text.startswith(f"{TEMPLATE}: {where}: ")


def test_every_problem_is_listed_at_once() -> None:
    form = design_of(
        {"name": "parent", "type": "Label"},
        {"name": "b", "type": "Label"},
        {"name": "b", "type": "Label"},
        {"name": "p", "type": "FlowPanel", "components": [{"name": "2x", "type": "Label"}]},
    )
    found = {
        **files_with(form),
        "client_code/Form2/form_template.yaml": "container: [",
        "app.json": '{"runtime": "skulpt", "theme": 1}',
    }
    error = refused(found)
    places = [(p.file, p.where) for p in error.problems]
    assert places == [
        ("client_code/Form2/form_template.yaml", ""),  # its code is missing
        ("client_code/Form2/form_template.yaml", "line 2"),  # and it is not YAML
        (TEMPLATE, "parent"),
        (TEMPLATE, "b"),
        (TEMPLATE, "p.components[0].name"),
        ("app.json", "theme"),
        ("app.json", "runtime"),
    ]
    assert error.message.startswith("The app cannot be saved (7 problems): ")
    assert "two components have this name" in error.message
    assert error.details["problems"][2] == {
        "file": TEMPLATE,
        "where": "parent",
        "problem": "'parent' is the name of a member of the form; choose another",
    }
    assert answer(error).status == 400


def test_forms_need_their_code_python_names_and_distinct_names() -> None:
    found = files_with(design_of())
    del found["client_code/Form1/__init__.py"]
    assert "client_code/Form1/__init__.py is missing" in refused(found).message
    odd = {**files_with(design_of()), "client_code/my-form/form_template.yaml": "{}",
           "client_code/my-form/__init__.py": ""}  # fmt: skip
    assert refused(odd).file == "client_code/my-form/form_template.yaml"
    twice = {**files_with(design_of()), **legacy_files(design_of())}
    assert "two forms are named Form1" in refused(twice).message
    assert "at least one form" in refused({"server.py": ""}).message
    nested = {**legacy_files(design_of()), "forms/sub/Form2.json": "{}"}
    assert refused(nested).file == "forms/sub/Form2.json"  # its code forms/sub/Form2.py is missing


def test_limits_are_refused() -> None:
    limits = catalogue().limits
    inner: dict[str, Any] = {"name": "p0", "type": "LinearPanel"}
    for depth in range(1, limits.depth + 1):
        inner = {"name": f"p{depth}", "type": "LinearPanel", "components": [inner]}
    assert "nested" in refused(files_with(json.dumps(design_of(inner)))).message
    many = [{"name": f"l{i}", "type": "Label"} for i in range(limits.components_per_form + 1)]
    assert "at most" in refused(files_with(json.dumps(design_of(*many)))).message
    assert "larger than" in refused(files_with("a" * (limits.design_bytes + 1))).message


@pytest.mark.parametrize(
    ("app", "where"),
    [
        ('{"startup_form": "Form2"}', "startup_form"),
        ('{"runtime": "skulpt"}', "runtime"),
        ('{"theme": "dark"}', "theme"),
        ('{"package_name": "anvil"}', "package_name"),
        ('{"startup_module": "Startup"}', "startup_module"),  # no such module
        ('{"startup_module": "my-module"}', "startup_module"),
        ("[]", ""),
    ],
)
def test_app_settings_are_checked(app: str, where: str) -> None:
    error = refused(files_with(design_of(), **{"app.json": app}))
    assert (error.file, error.where) == ("app.json", where)


def test_a_startup_module_is_a_client_module() -> None:
    found = files_with(design_of(), **{"app.json": '{"startup_module": "boot.Start"}'})
    found["client_code/boot/Start.py"] = "from anvil import open_form\nopen_form('Form1')\n"
    assert design.check(found).startup_module == "boot.Start"
    assert design.check(files_with(design_of())).startup_module is None


def test_nested_forms_are_startup_forms_by_their_dotted_name() -> None:
    found = {**anvil_app.files(), "app.json": '{"startup_form": "Form1.RowTemplate1"}'}
    assert design.check(found).startup_form == "Form1.RowTemplate1"


# -- warnings: kept, never refused -------------------------------------------------------------


def test_every_unknown_property_is_a_warning_listed_at_once() -> None:
    form = design_of(
        {"name": "a", "type": "Label",
         "properties": {"text": 5, "sparkle": 1, "align": "middle", "glow": True,
                        "foreground": "red;}", "font_size": "big"}},
        {"name": "b", "type": "Slider", "properties": {"value": 1}},
        {"name": "c", "type": "Button", "layout_properties": {"expand": True},
         "event_bindings": {"tick": "go", "click": "missing_method"}},
        {"name": "d", "type": "Link", "properties": {"url": " JavaScript:alert(1)"}},
        {"name": "e", "type": "form:Elsewhere"},
        {"name": "f", "type": "Label", "components": [{"name": "g", "type": "Label"}]},
        {"name": "h", "type": "TextBox",
         "data_bindings": [{"property": "text", "code": "self.item[", "writeback": True},
                           {"property": "nope", "code": "1 + 1", "writeback": True}]},
    )  # fmt: skip
    form["container"]["properties"] = {"html": "x"}
    found = warnings(files_with(form, code=FORM_CODE + "    def go(self, **e): pass\n"))
    assert [(where, problem.split(":")[0].split(" (")[0] if "Python expression" in problem
             else problem.split(":")[0]) for _, where, problem in found] == [
        ("container.properties.html", "unknown property of a ColumnPanel"),
        ("a.properties.text", "expected text, not a number"),
        ("a.properties.sparkle", "unknown property of a Label"),
        ("a.properties.align", "expected one of left, center, right, justify"),
        ("a.properties.glow", "unknown property of a Label"),
        ("a.properties.foreground",
         "expected a CSS colour such as #336699, rgb(0, 0, 0), red or theme"),
        ("a.properties.font_size", "expected a number, not text"),
        ("b.type", "unknown component type 'Slider'"),
        ("c.event_bindings.tick", "unknown event"),
        ("c.event_bindings.click",
         "the form's code (client_code/Form1/__init__.py) has no method missing_method()"),
        ("c.layout_properties.expand", "a ColumnPanel has no layout property 'expand'"),
        ("d.properties.url", "javascript"),
        ("e.type", "there is no form 'Elsewhere' in this app (forms of other apps are not loaded)"),
        ("f.components", "a Label holds no components"),
        ("h.data_bindings[0]", "the code is not a Python expression"),
        ("h.data_bindings[1]", "TextBox has no property 'nope'"),
        ("h.data_bindings[1]", "write-back needs code that can be assigned to"),
    ]  # fmt: skip


def test_anvils_own_values_pass() -> None:
    """Values Anvil's editor writes that an earlier Widgetbox refused one at a time."""
    form = design_of(
        {"name": "a", "type": "Label",
         "properties": {"role": None, "border": "", "icon": "fa:star", "width": "default",
                        "foreground": "theme:Primary 500", "spacing": {"margin": [0, 0, 0, 0]},
                        "tag": None, "font_size": None}},
        {"name": "b", "type": "Button", "properties": {"role": ["filled-button", "wide"]}},
        {"name": "c", "type": "DatePicker", "properties": {"date": "", "min_date": ""}},
        {"name": "d", "type": "TextBox", "properties": {"width": 300, "margin": None}},
        {"name": "e", "type": "Image", "properties": {"height": "200"}},
        {"name": "f", "type": "DropDown", "properties": {"items": "a\nb"}},
        {"name": "g", "type": "ColumnPanel", "properties": {"col_widths": "{}"},
         "components": [{"name": "h", "type": "Label",
                         "layout_properties": {"grid_position": "ABC,DEF GHI,JKL",
                                               "full_width_row": True}}]},
    )  # fmt: skip
    assert warnings(files_with(form)) == []


def test_custom_components_take_their_declared_properties_and_events() -> None:
    found = anvil_app.files()
    data = yaml.safe_load(found[TEMPLATE])
    counter = next(c for c in data["components"][3]["components"] if c["name"] == "counter")
    counter["properties"]["nonsense"] = 1
    counter["event_bindings"]["exploded"] = "counter_changed"
    found[TEMPLATE] = yaml.safe_dump(data)
    places = [where for _, where, _ in warnings(found)]
    assert "counter.properties.nonsense" in places
    assert "counter.event_bindings.exploded" in places
    assert "counter.properties.start" not in places
    assert "counter.event_bindings.changed" not in places


def test_an_anvil_layout_form_is_kept_and_warned_about() -> None:
    text = "layout: {type: 'form:Base'}\ncomponents_by_slot:\n  content: []\n"
    found = warnings(files_with(text))
    assert [where for _, where, _ in found] == ["layout"]


def test_a_generated_module_in_the_files_is_replaced_with_a_warning() -> None:
    found = files_with(design_of(), **{"client_code/Form1/_anvil_designer.py": "x = 1"})
    assert warnings(found)[0][0] == "client_code/Form1/_anvil_designer.py"


def test_the_error_is_a_400_in_the_one_error_shape() -> None:
    bad = copy.deepcopy(design_of({"name": "b b", "type": "Label"}))
    error = refused(files_with(bad))
    assert answer(error).status == 400
    assert error.code == "invalid_design"
    assert (error.details["file"], error.details["where"]) == (TEMPLATE, "components[0].name")
    assert error.message.startswith(f"The app cannot be saved: {TEMPLATE}: components[0].name: ")
