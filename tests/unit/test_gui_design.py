"""GUI designs as data: the catalogue, and what a save of a GUI widget's files accepts."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from widgetbox.host.gui import design
from widgetbox.host.gui.catalogue import PROPERTY_TYPES, catalogue
from widgetbox.host.web.errors import answer
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.unit

FORM_CODE = "from ._anvil_designer import Form1Template\n\nclass Form1(Form1Template):\n    pass\n"


def design_of(*components: dict[str, Any], container: str = "ColumnPanel") -> dict[str, Any]:
    return {"container": {"type": container}, "components": list(components)}


def files_with(form: dict[str, Any] | str, **extra: str) -> dict[str, str]:
    text = form if isinstance(form, str) else json.dumps(form)
    return {"server.py": "", "forms/Form1.py": FORM_CODE, "forms/Form1.json": text, **extra}


def refused(files: dict[str, str]) -> design.DesignError:
    with pytest.raises(design.DesignError) as caught:
        design.check(files)
    return caught.value


BUTTON = {"name": "button_1", "type": "Button", "properties": {"text": "Go"}}


def test_the_template_is_a_valid_app() -> None:
    settings = design.check(TEMPLATES["gui"])
    assert settings == design.AppSettings(startup_form="Form1", runtime="brython")


def test_every_catalogue_type_has_a_check_and_every_default_passes_it() -> None:
    cat = catalogue()
    assert set(design._CHECKS) == PROPERTY_TYPES
    for kind in cat.components.values():
        for spec in [*kind.properties.values(), *kind.layout_properties.values()]:
            assert design.value_problem(spec, spec.default, cat.limits) is None, (kind.name, spec)


def test_a_full_design_with_nesting_passes() -> None:
    form = design_of(
        {
            "name": "row",
            "type": "FlowPanel",
            "properties": {"align": "center", "spacing": "small", "background": "#eef"},
            "layout_properties": {"full_width_row": True},
            "components": [
                {"name": "name_box", "type": "TextBox", "layout_properties": {"width": 200}},
                {**BUTTON, "event_bindings": {"click": "go_click"}},
            ],
        },
        {"name": "choice", "type": "DropDown", "properties": {"items": ["a", ["B", 2]]}},
        {"name": "when", "type": "DatePicker", "properties": {"date": "2026-11-24"}},
        {"name": "ticker", "type": "Timer", "properties": {"interval": 0.5}},
    )
    form["container"]["event_bindings"] = {"show": "form_show"}
    assert design.check(files_with(form)).startup_form == "Form1"


@pytest.mark.parametrize(
    ("component", "where", "words"),
    [
        ({"name": "b", "type": "Slider"}, "b.type", "unknown component type 'Slider'"),
        ({"name": "1b", "type": "Label"}, "components[0].name", "starts with a letter"),
        ({"name": "class", "type": "Label"}, "components[0].name", "starts with a letter"),
        ({"name": "_x", "type": "Label"}, "components[0].name", "starts with a letter"),
        ({"name": "parent", "type": "Label"}, "parent", "name of a property or method"),
        ({"name": "text", "type": "Label"}, "text", "name of a property or method"),
        ({"type": "Label"}, "components[0].name", "starts with a letter"),
        ({"name": "b", "type": "Label", "size": 3}, "components[0].size", "unknown key"),
        ({"name": "b", "type": "Label", "properties": {"txt": "x"}}, "b.properties.txt",
         "unknown property"),
        ({"name": "b", "type": "Label", "properties": {"text": 5}}, "b.properties.text",
         "expected text, not a number"),
        ({"name": "b", "type": "Label", "properties": {"align": "middle"}}, "b.properties.align",
         "one of left, center, right, justify"),
        ({"name": "b", "type": "Label", "properties": {"visible": "yes"}}, "b.properties.visible",
         "true or false"),
        ({"name": "b", "type": "Label", "properties": {"font_size": True}},
         "b.properties.font_size", "expected a number"),
        ({"name": "b", "type": "Label", "properties": {"font_size": 9999}},
         "b.properties.font_size", "at most 500"),
        ({"name": "b", "type": "Label", "properties": {"foreground": "red;}body{x"}},
         "b.properties.foreground", "CSS colour"),
        ({"name": "b", "type": "Link", "properties": {"url": " JavaScript:alert(1)"}},
         "b.properties.url", "javascript: URLs are not allowed"),
        ({"name": "b", "type": "DropDown", "properties": {"items": [["a", "b", "c"]]}},
         "b.properties.items", "item 0"),
        ({"name": "b", "type": "DatePicker", "properties": {"date": "24/11/2026"}},
         "b.properties.date", "YYYY-MM-DD"),
        ({"name": "b", "type": "Button", "event_bindings": {"tick": "go"}},
         "b.event_bindings.tick", "unknown event"),
        ({"name": "b", "type": "Button", "event_bindings": {"click": "go now"}},
         "b.event_bindings.click", "name of a method"),
        ({"name": "b", "type": "Label", "components": []}, "b.components", "holds no components"),
        ({"name": "b", "type": "Label", "layout_properties": {"expand": True}},
         "b.layout_properties.expand", "unknown property inside a ColumnPanel"),
    ],
)  # fmt: skip
def test_bad_components_are_refused_naming_the_place(
    component: dict[str, Any], where: str, words: str
) -> None:
    error = refused(files_with(design_of(component)))
    assert (error.file, error.where) == ("forms/Form1.json", where)
    assert words in error.message
    assert error.text.startswith(f"forms/Form1.json: {where}: ")


def test_names_are_unique_across_the_whole_form() -> None:
    nested = {"name": "panel", "type": "LinearPanel", "components": [dict(BUTTON)]}
    error = refused(files_with(design_of(BUTTON, nested)))
    assert error.where == "button_1"
    assert "unique" in error.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", "not valid JSON"),
        ("[]", "a design is an object"),
        ('{"components": [], "components": []}', "appears twice"),
        ('{"components": [{"name": "a", "type": "Spacer", "properties": {"height": NaN}}]}',
         "NaN is not allowed"),
        ('{"container": {"type": "Button"}}', "a form's container is one of"),
        ('{"container": {"type": "ColumnPanel", "properties": {"text": "x"}}}', "unknown property"),
        ('{"container": {"type": "ColumnPanel", "event_bindings": {"click": "f"}}}',
         "unknown event"),
        ('{"layout": 1}', "unknown key"),
        ("[" * 150_000 + "]" * 150_000, "larger than"),
    ],
)  # fmt: skip
def test_bad_documents_are_refused(text: str, words: str) -> None:
    assert words in refused(files_with(text)).message


def test_deep_nesting_and_too_many_components_are_refused() -> None:
    limits = catalogue().limits
    inner: dict[str, Any] = {"name": "p0", "type": "LinearPanel"}
    for depth in range(1, limits.depth + 1):
        inner = {"name": f"p{depth}", "type": "LinearPanel", "components": [inner]}
    assert "nested" in refused(files_with(design_of(inner))).message
    many = [{"name": f"l{i}", "type": "Label"} for i in range(limits.components_per_form + 1)]
    assert "at most" in refused(files_with(design_of(*many))).message
    deep_json = '{"components": ' + "[" * 5000 + "]" * 5000 + "}"
    assert "nested too deeply" in refused(files_with(deep_json)).message


def test_each_form_needs_its_code_and_a_proper_name() -> None:
    files = files_with(design_of())
    del files["forms/Form1.py"]
    assert "forms/Form1.py is missing" in refused(files).message
    odd = {**files_with(design_of()), "forms/my-form.json": "{}", "forms/my-form.py": ""}
    assert refused(odd).file == "forms/my-form.json"
    nested = {**files_with(design_of()), "forms/sub/Form2.json": "{}"}
    assert refused(nested).file == "forms/sub/Form2.json"
    assert "at least one form" in refused({"server.py": ""}).message


def test_the_generated_module_cannot_be_saved() -> None:
    files = files_with(design_of(), **{"forms/_anvil_designer.py": "x = 1"})
    assert refused(files).file == "forms/_anvil_designer.py"


@pytest.mark.parametrize(
    ("app", "where"),
    [
        ('{"startup_form": "Form2"}', "startup_form"),
        ('{"runtime": "skulpt"}', "runtime"),
        ('{"theme": "dark"}', "theme"),
        ("[]", ""),
    ],
)
def test_app_settings_are_checked(app: str, where: str) -> None:
    error = refused(files_with(design_of(), **{"app.json": app}))
    assert (error.file, error.where) == ("app.json", where)


def test_settings_default_to_form1_and_brython_and_name_pyodide() -> None:
    files = files_with(design_of())
    assert design.check(files) == design.AppSettings("Form1", "brython")
    files["app.json"] = '{"runtime": "pyodide"}'
    assert design.check(files).runtime == "pyodide"


def test_only_client_files_reach_the_browser() -> None:
    files = {
        **files_with(design_of()),
        "forms/helpers.py": "X = 1",
        "app.json": "{}",
        "secret_stuff.py": "KEY = 1",
        "requirements.txt": "attrs",
    }
    assert sorted(design.client_files(files)) == [
        "app.json",
        "forms/Form1.json",
        "forms/Form1.py",
        "forms/helpers.py",
    ]


def test_the_error_becomes_a_400_in_the_one_error_shape() -> None:
    bad = copy.deepcopy(design_of({"name": "b", "type": "Nope"}))
    error = refused(files_with(bad))
    assert answer(error).status == 400
    assert error.code == "invalid_design"
    assert error.details == {"file": "forms/Form1.json", "where": "b.type"}
    assert error.message.startswith("The app cannot be saved: forms/Form1.json: b.type: ")
