"""Anvil's forms in the client `anvil` package, on CPython behind the fake page: the showcase
app (tests/anvil_app.py) laid out by the real loader (client/src/gui/modules.js, run with
node), then its forms built and used: containers and layout properties, data bindings with
write-back, forms used as components, RepeatingPanel and DataGrid paging, a form built in
code, warnings instead of failures; and the client library pieces forms use (Media, the URL's
hash, the focused component, default error handling, dialogs' buttons, plotly's objects)."""

from __future__ import annotations

import base64
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import anvil_app
from tests.unit._client_dom import (
    FakeAdapter,
    forget_modules,
    install_package,
    layout_modules,
)
from widgetbox.host.gui import design

pytestmark = pytest.mark.unit

PEOPLE = [{"name": n, "age": a} for n, a in [("Ada", 36), ("Grace", 45), ("Alan", 41)]]


@pytest.fixture(scope="module")
def loaded() -> dict[str, str]:
    """The showcase app's modules as the page gets them (node runs the loader once)."""
    if shutil.which("node") is None:
        pytest.skip("the loader's modules.js needs `node`")
    return layout_modules(design.client_files(anvil_app.files()))


@pytest.fixture
def page(tmp_path: Path, loaded: dict[str, str]) -> Iterator[FakeAdapter]:
    saved = forget_modules()
    install_package(tmp_path)
    for path, text in loaded.items():
        if path.startswith("anvil/") and path != "anvil/_app_data.py":
            continue
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    sys.path.insert(0, str(tmp_path))
    adapter = FakeAdapter()
    adapter.answer = lambda payload: (200, json.dumps({"value": PEOPLE}))
    try:
        import anvil._platform

        anvil._platform.current = adapter
        yield adapter
    finally:
        sys.path.remove(str(tmp_path))
        forget_modules()
        sys.modules.update(saved)


def start(page: FakeAdapter, form: str = "Form1") -> Any:
    from anvil import _forms, _start

    _start.start(page, form)
    assert page.is_ready
    return _forms.get_open_form()


def warnings_of(page: FakeAdapter) -> list[str]:
    return [line for line in page.console if line.startswith("warning: ")]


# -- the loader's layout -------------------------------------------------------------------------


def test_the_loader_lays_out_anvils_packages(loaded: dict[str, str]) -> None:
    assert loaded["anvil/_app_data.py"].startswith("FORMS = {")
    assert '"Form1.RowTemplate1": "client_code.Form1.RowTemplate1"' in loaded["anvil/_app_data.py"]
    assert '"OldForm": "client_code.OldForm"' in loaded["anvil/_app_data.py"]
    designer = loaded["client_code/Form1/RowTemplate1/_anvil_designer.py"]
    assert designer.startswith("from anvil._forms import template as _template\n")
    assert 'RowTemplate1Template = _template("Form1.RowTemplate1", {' in designer
    assert 'OldFormTemplate = _template("OldForm"' in loaded["client_code/_anvil_designer.py"]
    # Anvil's Python 2 style imports of the template module, made relative
    assert loaded["client_code/Built/__init__.py"].startswith(
        "from ._template import BuiltTemplate"
    )
    assert loaded["client_code/__init__.py"] == ""  # folders are packages
    assert "client_code/Built/_anvil_designer.py" not in loaded  # built in code
    assert "server.py" not in loaded
    other = layout_modules(design.client_files(anvil_app.files()), "MyApp")
    assert "MyApp/Form1/__init__.py" in other
    assert 'PACKAGE = "MyApp"' in other["anvil/_app_data.py"]


# -- Form1: containers, bindings, custom components -----------------------------------------------


def test_the_standard_page_and_its_slots(page: FakeAdapter) -> None:
    form = start(page)
    assert type(form).__mro__[1].__name__ == "Form1Template"
    assert form._kind == "HtmlTemplate"
    assert form._dom.drawn["html"] == "@theme:standard-page.html"
    assert form.title_label._layout == {"slot": "title"}
    assert form.content_panel._layout == {"slot": "default"}
    assert form.title_label._wrapper.attrs["placed"] == "[('slot', 'title')]"
    assert form.status_label.text == "shown"  # the form's show event


def test_grid_positions_and_row_properties_reach_the_drawing(page: FakeAdapter) -> None:
    form = start(page)
    assert form.heading._layout["grid_position"] == "ROWAAA,COLAAA"
    assert form.name_box._wrapper.drawn == {
        "grid_position": "ROWBBB,COLCCC",
        "full_width_row": True,
        "row_background": "#eef6ff",
    }
    assert form.content_panel._dom.drawn["col_widths"] == '{"COLAAA": 40, "COLBBB": 20}'
    assert form.grid_left._layout == {
        "row": "A", "col_xs": 0, "width_xs": 4, "col_sm": None, "width_sm": None,
        "col_md": None, "width_md": None, "col_lg": None, "width_lg": None,
        "full_width_row": False, "row_background": "",
    }  # fmt: skip
    assert form.xy_label._wrapper.drawn == {"x": 30, "y": 40, "width": 120}
    assert form.card_link.get_components() == [form.link_inner_label]


def test_data_bindings_read_self_item_and_write_back(page: FakeAdapter) -> None:
    form = start(page)
    assert form.item == {"name": "Ada"}
    assert form.name_box.text == "Ada"
    assert form.bound_label.text == "Name: Ada"
    page.type_into(form.name_box._dom, "Grace")
    assert form.item["name"] == "Ada"  # written back on Enter or when focus leaves
    page.fire(form.name_box._dom, "keydown", key="Enter")
    assert form.item["name"] == "Grace"
    assert form.heading.text == "HELLO, GRACE!"  # the handler ran after the write-back
    assert form.bound_label.text == "Name: Grace"  # and refreshed the bindings
    form.item = {"name": "Alan"}  # setting item refreshes them too
    assert (form.name_box.text, form.bound_label.text) == ("Alan", "Name: Alan")
    refreshed = []
    form.set_event_handler("refreshing_data_bindings", lambda **e: refreshed.append(1))
    form.refresh_data_bindings()
    assert refreshed == [1]


def test_a_failing_binding_names_itself(page: FakeAdapter) -> None:
    form = start(page)
    form._item = {}
    with pytest.raises(KeyError, match=r"in the data binding of name_box\.text"):
        form.refresh_data_bindings()


def test_repeating_panels_and_data_grids(page: FakeAdapter) -> None:
    form = start(page)
    rows = form.people_panel.get_components()
    assert [type(row).__name__ for row in rows] == ["RowTemplate1"] * 3
    assert [row.item["name"] for row in rows] == ["Ada", "Grace", "Alan"]
    assert rows[0].parent is form.people_panel
    assert rows[0]._dom.drawn["_values"] == {"NAMECL": "Ada", "AGECOL": "36"}
    assert [c["id"] for c in rows[0]._dom.drawn["_columns"]] == ["NAMECL", "AGECOL", "ACTCOL"]
    assert rows[0].remove_button._wrapper.drawn == {"column": "ACTCOL"}
    grid = form.people_grid
    off = [("anvil-dg-off" in row._wrapper.classes) for row in rows]
    assert off == [False, False, True]  # two a page
    assert grid._dom.drawn["_pages"] == "1\u20132 of 3|1|0"
    grid.next_page()
    assert [("anvil-dg-off" in row._wrapper.classes) for row in rows] == [True, True, False]
    assert grid.get_page() == 1
    page.fire(rows[2].remove_button._button, "click")  # x-remove on the RepeatingPanel
    assert form.status_label.text == "removed Alan"
    assert [row.item["name"] for row in form.people_panel.get_components()] == ["Ada", "Grace"]
    assert grid.get_page() == 0
    assert grid._dom.drawn.get("_pages", "") == ""  # one page: no controls


def test_forms_used_as_components(page: FakeAdapter) -> None:
    form = start(page)
    counter = form.counter
    assert type(counter).__name__ == "Counter"
    assert (counter.title, counter.value, counter.count_label.text) == ("Custom", 5, "Custom: 5")
    page.fire(counter.add_button._button, "click")
    assert counter.count_label.text == "Custom: 6"
    assert form.status_label.text == "counter: 6"  # its declared event, bound in the design
    copies = form.counters.get_components()
    assert [c.count_label.text for c in copies] == ["Count: 1", "Count: 2"]
    with pytest.raises(ValueError, match="has no event 'explode'"):
        counter.raise_event("explode")


def test_what_the_design_cannot_use_is_one_warning(page: FakeAdapter) -> None:
    start(page)
    found = warnings_of(page)
    assert len(found) == 1
    assert found[0].startswith("warning: Form Form1: parts of its design are not used:")
    assert "ticks_label.sparkle_level: a Label has no property 'sparkle_level'" in found[0]
    assert "no method no_such_method(), which the design binds to the show event" in found[0]


def test_rich_text_plot_and_canvas(page: FakeAdapter) -> None:
    form = start(page)
    assert form.rich._dom.drawn["_data"] == {"name": "Ada", "age:03d": "007"}
    assert form.slot_button._layout["slot"] == "button"
    figure = json.loads(form.chart._dom.drawn["_figure"])
    assert figure == {
        "data": [{"type": "bar", "x": ["a", "b", "c"], "y": [3, 1, 2], "name": "bars"}],
        "layout": {"title": "A chart"},
    }
    form.sketch.reset_context()
    calls = form.sketch._ctx.props["calls"]
    assert ("fillRect", 0, 0, 40, 20) in calls
    assert form.sketch._ctx.props["fillStyle"] == "#336699"
    assert form.sketch.fill_style == "#336699"


# -- other forms ----------------------------------------------------------------------------------


def test_a_form_built_in_code_and_an_older_module_form(page: FakeAdapter) -> None:
    from anvil import open_form

    built = start(page, "Built")
    assert built._kind == "HtmlTemplate"
    assert built.title_label._layout["slot"] == "title"
    assert [item.item["name"] for item in built.tasks_panel.get_components()] == [
        "Write tests",
        "Ship",
    ]
    assert built.content_panel.get_components()[0] is built.tasks_grid
    old = open_form("OldForm")
    assert old.old_label.text == "An older module form"
    assert old._kind == "LinearPanel"


def test_dialogs_focus_and_error_handling(page: FakeAdapter) -> None:
    second = start(page, "Second")
    page.focus = second.focus_box._dom
    page.fire(second.focus_box._dom, "focus")
    assert second.second_status.text == "focused: focus_box"
    page.fire(second.ask_button._button, "click")
    buttons = page.page_overlay.find("wb-modal-button")
    assert [b.text for b in buttons] == ["No", "Yes"]
    page.fire(buttons[1], "click")
    assert second.second_status.text == "answer: True"
    page.confirm_answer = False
    page.fire(second.confirm_button._button, "click")
    assert second.second_status.text == "confirm: kept"
    assert page.console[-1] == "confirm: Delete it?\n\nDelete (OK) / Keep (Cancel)"
    page.fire(second.fail_button._button, "click")
    assert second.second_status.text == "handled: on purpose"
    assert page.page_overlay.find("wb-notice") == []
    from anvil import set_default_error_handling

    set_default_error_handling(None)


# -- the client library ---------------------------------------------------------------------------


def test_media(page: FakeAdapter) -> None:
    from anvil import BlobMedia, URLMedia, download

    media = BlobMedia("text/plain", b"hello", name="a.txt")
    assert (media.content_type, media.name, media.length, media.get_bytes()) == (
        "text/plain",
        "a.txt",
        5,
        b"hello",
    )
    assert media._wb_encode() == {
        "$wb": "media",
        "v": {"content_type": "text/plain", "name": "a.txt", "data": "aGVsbG8="},
    }
    assert media.get_url() == "blob:fake/text/plain/5"
    chosen = BlobMedia._from_page("image/png", [1, 2, 3], "p.png", 3)
    assert chosen.length == 3
    assert chosen._wb_encode()["v"]["data"] == base64.b64encode(bytes([1, 2, 3])).decode()
    assert chosen.get_bytes() == bytes([1, 2, 3])
    fetched = URLMedia("/_/theme/logo.png")
    assert (fetched.get_bytes(), fetched.content_type, fetched.name) == (
        b"fetched",
        "text/plain",
        "logo.png",
    )
    download(media)
    assert page.page_overlay.children == []  # the link came and went
    with pytest.raises(TypeError):
        BlobMedia("text/plain", 5)


def test_url_hash(page: FakeAdapter) -> None:
    from anvil import get_url_hash, set_url_hash

    assert get_url_hash() == ""
    set_url_hash("page/2")
    assert (page.hash, get_url_hash()) == ("#page/2", "page/2")
    set_url_hash({"id": 3, "q": "a b"}, replace_current_url=True)
    assert page.hash == "#?id=3&q=a%20b"
    assert page.hash_replaced
    assert get_url_hash() == {"id": "3", "q": "a b"}


def test_file_loaders_give_media(page: FakeAdapter) -> None:
    import anvil

    loader = anvil.FileLoader(show_state=True)
    changes = []
    loader.set_event_handler("change", lambda file, files, **e: changes.append((file, files)))

    class Chosen:
        def __init__(self, name: str, data: bytes) -> None:
            self.name, self.type, self.size, self.bytes = name, "text/plain", len(data), data

    event = type("E", (), {"detail": [Chosen("a.txt", b"hi"), Chosen("b.txt", b"there")]})()
    for listener in loader._dom.listeners["wb-files"]:
        listener(event)
    file, files = changes[0]
    assert (file.name, file.get_bytes(), [f.name for f in files]) == (
        "a.txt",
        b"hi",
        ["a.txt", "b.txt"],
    )
    assert loader.file is file
    assert loader._dom.drawn["_state"] == "a.txt, b.txt"
    loader.clear()
    assert (loader.file, loader.files, loader._dom.drawn.get("_state", "")) == (None, [], "")


def test_plotly_graph_objects(page: FakeAdapter) -> None:
    from plotly import graph_objects as go
    from plotly import graph_objs

    assert graph_objs.Scatter is go.Scatter
    layout = go.Layout(title="T", xaxis={"title": "x"})
    layout.yaxis.range = [0, 1]
    layout.margin.t = 10
    assert layout.to_plotly_json() == {
        "title": "T",
        "xaxis": {"title": "x"},
        "yaxis": {"range": [0, 1]},
        "margin": {"t": 10},
    }
    figure = go.Figure(data=go.Pie(labels=["a"], values=[1]), layout=layout)
    figure.add_trace(go.Scatter(x=[1], y=[2], mode="lines"))
    assert [trace["type"] for trace in figure.to_plotly_json()["data"]] == ["pie", "scatter"]


# -- the designer keeps what it reads --------------------------------------------------------------

TRICKY = """\
container:
  type: HtmlTemplate
  properties: {html: '@theme:standard-page.html', unknown_thing: {a: [1, 2]}}
components:
- type: XYPanel
  name: xy
  properties: {height: 90, role: null, flag: yes, text: 'yes',
    when: 2026-11-24, quoted: '2026-11-24'}
  layout_properties: {slot: default}
  components:
  - {type: Label, name: a, properties: {text: 'n'}, layout_properties: {x: 30, y: 40, n: 1}}
  data_bindings:
  - {property: height, code: 'self.item[''h'']', writeback: false}
- type: form:Elsewhere.Thing
  name: thing
  properties: {colour: ~, count: 012, big: 1_000, ratio: .5, path: "a\\\\b", multi: "one\\ntwo"}
custom_component: true
properties:
- {name: value, type: string, default_value: '', important: true}
events:
- {name: changed, default_event: true, parameters: [{name: value}]}
extra_key_anvil_might_add: [x, {y: n}]
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="the designer's model needs `node`")
def test_the_designers_save_keeps_every_value_as_yaml_readers_read_it() -> None:
    from tests.unit._client_dom import designer_round_trip
    from widgetbox.host.gui import form_templates

    read = form_templates.load("f.yaml", TRICKY, 100_000, 10)
    saved = designer_round_trip(TRICKY, "yaml")
    assert form_templates.load("f.yaml", saved, 100_000, 10) == read
    assert read["components"][0]["components"][0]["layout_properties"] == {"x": 30, "y": 40, "n": 1}
    assert read["components"][0]["properties"]["flag"] is True
    assert read["components"][0]["properties"]["when"] == "2026-11-24"
    # an edit changes only what it edits
    edited = designer_round_trip(TRICKY, "yaml", "design.setProperty('a', 'text', 'yes')")
    expected = json.loads(json.dumps(read))
    expected["components"][0]["components"][0]["properties"]["text"] = "yes"
    assert form_templates.load("f.yaml", edited, 100_000, 10) == expected
    assert 'properties: { text: "yes" }' in edited  # quoted: `yes` alone would be true
    # JSON designs stay JSON
    legacy = json.dumps({"components": [{"name": "b", "type": "Button", "odd": [1]}]})
    assert json.loads(designer_round_trip(legacy, "json")) == json.loads(legacy)
