"""The client `anvil` package (client/src/gui/python/anvil/) on CPython behind a fake page:
components, containers, forms from designs, events, dialogs, errors and server calls."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.unit._client_dom import (
    CLIENT_PYTHON,
    Element,
    FakeAdapter,
    forget_modules,
    install_package,
    package_sources,
    write_forms,
)
from widgetbox.host.gui.catalogue import catalogue

pytestmark = pytest.mark.unit

GUEST_ANVIL = Path(__file__).resolve().parents[2] / "wasm-python" / "anvil"
"""The guest's package, whose shared modules the client bundles (python.js)."""

FORM1_DESIGN = {
    "container": {"type": "ColumnPanel", "event_bindings": {"show": "form_show"}},
    "components": [
        {"name": "name_box", "type": "TextBox", "properties": {"placeholder": "Name"},
         "event_bindings": {"pressed_enter": "greet_click"}},
        {"name": "greet", "type": "Button", "properties": {"text": "Greet", "bold": True},
         "event_bindings": {"click": "greet_click"}},
        {"name": "answer", "type": "Label", "properties": {"foreground": "#336699"}},
        {"name": "row", "type": "FlowPanel", "layout_properties": {"full_width_row": True},
         "components": [
             {"name": "left", "type": "Label", "properties": {"text": "L"},
              "layout_properties": {"width": 120}},
             {"name": "ticker", "type": "Timer", "properties": {"interval": 0.5},
              "event_bindings": {"tick": "ticker_tick"}},
         ]},
    ],
}  # fmt: skip

FORM1_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server


class Form1(Form1Template):
    def __init__(self, **properties):
        self.calls = []
        self.ticks = 0
        self.init_components(**properties)

    def form_show(self, **event_args):
        self.calls.append(("show", event_args["sender"] is self))

    def greet_click(self, sender, event_name, **event_args):
        self.calls.append((event_name, sender))
        self.answer.text = anvil.server.call("greet", self.name_box.text)

    def ticker_tick(self, **event_args):
        self.ticks += 1
"""

FORM2_CODE = """\
from ._anvil_designer import Form2Template


class Form2(Form2Template):
    def __init__(self, greeting="", **properties):
        self.init_components(**properties)
        self.message.text = greeting

    def form_hide(self, **event_args):
        self.hidden = True
"""

FORM2_DESIGN = {
    "container": {"type": "LinearPanel", "properties": {"background": "red"},
                  "event_bindings": {"hide": "form_hide"}},
    "components": [{"name": "message", "type": "Label"}],
}  # fmt: skip


@pytest.fixture
def page(tmp_path: Path) -> Iterator[FakeAdapter]:
    """The client package and two forms importable, the fake page installed."""
    saved = forget_modules()
    install_package(tmp_path)
    write_forms(
        tmp_path, {"Form1": (FORM1_DESIGN, FORM1_CODE), "Form2": (FORM2_DESIGN, FORM2_CODE)}
    )
    sys.path.insert(0, str(tmp_path))
    adapter = FakeAdapter()
    try:
        import anvil._platform

        anvil._platform.current = adapter
        yield adapter
    finally:
        sys.path.remove(str(tmp_path))
        forget_modules()
        sys.modules.update(saved)


@pytest.fixture
def anvil(page: FakeAdapter) -> types.ModuleType:
    import anvil

    return anvil


def answer_with(page: FakeAdapter, status: int, body: dict[str, Any]) -> None:
    page.answer = lambda payload: (status, json.dumps(body))


def start(page: FakeAdapter) -> Any:
    from anvil import _forms, _start

    _start.start(page, "Form1")
    assert page.is_ready
    return _forms.get_open_form()


# -- the catalogue and the classes -------------------------------------------------------------


def test_every_catalogue_component_is_a_class_with_its_properties_and_events(
    anvil: types.ModuleType,
) -> None:
    cat = catalogue()
    for name, kind in cat.components.items():
        cls = getattr(anvil, name)
        assert set(cls._specs) == set(kind.properties), name
        assert set(cls._event_names) == set(kind.events), name
        for prop in kind.properties:
            assert isinstance(getattr(cls, prop), property), (name, prop)
    assert set(cat.components) <= set(anvil.__all__)


def test_what_is_drawn_is_each_propertys_drawn_value_in_catalogue_order(
    anvil: types.ModuleType, page: FakeAdapter
) -> None:
    """A type's defaults and drawn properties are worked out once per class: a component's
    drawn properties are still, in the catalogue's order, every `_draw_value` not None."""
    for name in catalogue().components:
        component = getattr(anvil, name)()
        for prop, spec in component._specs.items():
            if spec.get("type") in ("string", "text") and prop != "tag":
                setattr(component, prop, f"{prop} set")  # a value that is not the default
        expected = {
            prop: drawn
            for prop, value in component._props.items()
            if (drawn := component._draw_value(prop, value)) is not None
        }
        expected.update(component._drawn_own())
        drawn = component._drawn()
        assert list(drawn.items()) == list(expected.items()), name
        assert component._dom.drawn == drawn, name
        # its own copy of a list default: changing one component's leaves the next one's
        other = getattr(anvil, name)()
        for prop, value in component._props.items():
            if isinstance(value, list):
                assert value is not other._props[prop], (name, prop)


def test_members_of_forms_are_reserved_names(anvil: types.ModuleType) -> None:
    """The host refuses component names that would hide a member of their form (the
    catalogue's properties and methods of the form's container type, and what every form
    has); this keeps those lists complete."""
    from anvil._forms import template

    cat = catalogue()
    for name in cat.containers:
        if name in ("Link", "RichText"):
            continue  # containers, but no form's
        cls = template("FormX", {"container": {"type": name}})
        public = {member for member in dir(cls) if not member.startswith("_")}
        reserved = cat.reserved_names(name)
        assert public <= reserved, (name, public - reserved)


def test_the_python_sources_list_in_python_js_is_complete() -> None:
    """client/src/gui/python.js hands every module of the package to the runtimes: each file
    of python/anvil/ under its own name, and the modules shared with the guest from their one
    source (tests/unit/test_codec_parity.py checks those)."""
    sources = package_sources()
    own = {f"anvil/{path.name}": path for path in (CLIENT_PYTHON / "anvil").glob("*.py")}
    assert {module: sources[module] for module in own} == own
    assert all(path.is_file() for path in sources.values())


# -- forms from designs --------------------------------------------------------------------------


def test_the_startup_form_is_built_from_its_design(page: FakeAdapter) -> None:
    form = start(page)
    assert type(form).__name__ == "Form1"
    assert type(form).__mro__[1].__name__ == "Form1Template"
    assert form.calls == [("show", True)]  # shown once it is on the page
    assert page.page_root.children == [form._dom]
    box, button, answer = form.name_box, form.greet, form.answer
    assert box._dom.drawn["placeholder"] == "Name"
    assert (button._dom.drawn["text"], button._dom.drawn["bold"]) == ("Greet", True)
    assert answer._dom.drawn["foreground"] == "#336699"
    assert (form._dom.kind, form.row._dom.kind, form.ticker._dom.kind) == (
        "ColumnPanel",
        "FlowPanel",
        "Timer",
    )
    assert form.get_components() == [box, button, answer, form.row]
    assert form.row.get_components() == [form.left, form.ticker]
    assert form.row._wrapper.drawn == {
        "full_width_row": True,
        "row_background": "",
        "grid_position": "",
    }
    assert form.row._wrapper.kind == "ColumnPanel"
    assert form.left._wrapper.drawn == {"width": 120, "expand": False}


def test_events_call_the_forms_methods_with_sender_and_event_name(page: FakeAdapter) -> None:
    form = start(page)
    answer_with(page, 200, {"value": "Hello, Ada!"})
    page.type_into(form.name_box._dom, "Ada")
    assert form.name_box.text == "Ada"
    page.fire(form.greet._button, "click")
    assert form.calls[-1] == ("click", form.greet)
    assert form.answer.text == "Hello, Ada!"
    assert form.answer._dom.drawn["text"] == "Hello, Ada!"
    assert page.requests == [("/_/call", {"name": "greet", "args": ["Ada"], "kwargs": {}})]
    page.fire(form.name_box._dom, "keydown", key="a")
    assert len(page.requests) == 1
    page.fire(form.name_box._dom, "keydown", key="Enter")
    assert form.calls[-1] == ("pressed_enter", form.name_box)


def test_a_missing_handler_is_a_warning_in_the_console(page: FakeAdapter, anvil: Any) -> None:
    """As in Anvil, an event bound to a method the form lacks never stops the form."""
    from anvil._forms import template

    cls = template("Broken", {"components": [
        {"name": "b", "type": "Button", "event_bindings": {"click": "nowhere"}}]})  # fmt: skip
    form = cls()
    warning = page.console[-1]
    assert warning.startswith("warning: Form Broken: parts of its design are not used")
    assert "no method nowhere(), which the design binds to the click event of b" in warning
    page.fire(form.b._button, "click")  # nothing happens, nothing fails
    assert page.page_overlay.children == []


def test_timers_tick_only_while_their_form_is_open(page: FakeAdapter) -> None:
    form = start(page)
    page.advance(1.6)
    assert form.ticks == 3
    form.ticker.interval = 0
    page.advance(2)
    assert form.ticks == 3
    form.ticker.interval = 1
    page.advance(1)
    assert form.ticks == 4
    from anvil import open_form

    open_form("Form2")
    page.advance(5)
    assert form.ticks == 4
    assert page.timers == {}


def test_open_form_by_name_and_by_instance(page: FakeAdapter, anvil: Any) -> None:
    first = start(page)
    second = anvil.open_form("Form2", greeting="hi")
    assert anvil.get_open_form() is second
    assert page.page_root.children == [second._dom]
    assert second.message.text == "hi"
    assert second._dom.drawn["background"] == "red"
    assert first._shown is False
    anvil.open_form(first)
    assert second.hidden is True
    assert page.page_root.children == [first._dom]
    assert first.calls.count(("show", True)) == 2
    with pytest.raises(TypeError):
        anvil.open_form(first, 1)


# -- components ----------------------------------------------------------------------------------


def test_common_properties_render(anvil: Any) -> None:
    label = anvil.Label(text="Hi", font_size=18, italic=True, align="center", role="title")
    drawn = label._dom.drawn
    assert (drawn["text"], drawn["font_size"], drawn["italic"]) == ("Hi", 18, True)
    assert (drawn["align"], drawn["role"], label._dom.kind) == ("center", "title", "Label")
    label.align = "right"
    assert drawn["align"] == "right"
    label.visible = False
    assert drawn["visible"] is False
    label.tooltip = "more"
    assert drawn["tooltip"] == "more"
    label.font_size = None
    assert "font_size" not in drawn
    label.text = 42
    assert (label.text, drawn["text"]) == ("42", "42")
    with pytest.raises(ValueError, match="one of left, center, right, justify"):
        label.align = "middle"
    with pytest.raises(TypeError, match="has no property 'colour'"):
        anvil.Label(colour="red")
    label.tag.row = 3
    assert label.tag.row == 3


def test_buttons_can_be_disabled(anvil: Any, page: FakeAdapter) -> None:
    button = anvil.Button(text="Go", enabled=False)
    assert button._dom.drawn["enabled"] is False
    assert button._button.kind == "Button"  # its control: the button inside
    clicks = []
    button.set_event_handler("click", lambda **event: clicks.append(event))
    page.fire(button._button, "click")
    assert clicks == [{"sender": button, "event_name": "click"}]
    button.remove_event_handler("click")
    page.fire(button._button, "click")
    assert len(clicks) == 1
    with pytest.raises(ValueError, match="has no event 'tick'"):
        button.set_event_handler("tick", print)
    button.add_event_handler("x-mine", lambda **event: clicks.append(event["value"]))
    button.raise_event("x-mine", value=7)
    assert clicks[-1] == 7


def test_text_inputs(anvil: Any, page: FakeAdapter) -> None:
    box = anvil.TextBox(text="a", type="number", hide_text=True)
    assert (box._dom.drawn["type"], box._dom.drawn["hide_text"]) == ("number", True)
    assert box.text is None  # "a" is no number
    box.hide_text = False
    assert box._dom.drawn["hide_text"] is False
    page.type_into(box._dom, " 12 ")
    assert box.text == 12
    page.type_into(box._dom, "1.5")
    assert box.text == 1.5
    page.type_into(box._dom, "")
    assert box.text is None
    area = anvil.TextArea(text="x\ny", height=120)
    assert (area._dom.kind, area.text, area._dom.drawn["height"]) == ("TextArea", "x\ny", 120)
    changes = []
    area.set_event_handler("change", lambda **event: changes.append(area.text))
    area.set_event_handler("lost_focus", lambda **event: changes.append("blur"))
    page.type_into(area._dom, "typed")
    page.fire(area._dom, "blur")
    assert changes == ["typed", "blur"]


def test_check_boxes_and_radio_groups(anvil: Any, page: FakeAdapter) -> None:
    check = anvil.CheckBox(text="Agree", checked=True, font_size=20)
    assert check._input.props["checked"] is True
    assert check._dom.drawn["font_size"] == 20
    check._input.props["checked"] = False
    assert check.checked is False
    tea = anvil.RadioButton(text="Tea", value="tea", group_name="drinks")
    coffee = anvil.RadioButton(text="Coffee", value="coffee", group_name="drinks")
    other = anvil.RadioButton(text="Other", value="x", group_name="else", selected=True)
    assert tea._dom.drawn["group_name"] == "drinks"
    assert "value" not in tea._dom.drawn  # a value is the app's own, not drawn
    assert tea.get_group_value() is None
    coffee._input.props["checked"] = True
    assert tea.get_group_value() == "coffee"
    assert other.get_group_value() == "x"


def test_drop_downs(anvil: Any, page: FakeAdapter) -> None:
    drop = anvil.DropDown(items=["tea", ("Coffee", 2)], selected_value=2)
    assert drop._dom.drawn["items"] == ["tea", "Coffee"]  # texts only: values stay here
    assert "selected_value" not in drop._dom.drawn
    assert drop._select.props["selectedIndex"] == 1
    assert drop.selected_value == 2
    drop.include_placeholder = True
    drop.placeholder = "Pick one"
    drawn = drop._dom.drawn
    assert (drawn["include_placeholder"], drawn["placeholder"]) == (True, "Pick one")
    assert drop._select.props["selectedIndex"] == 2
    assert drop.selected_value == 2
    drop.selected_value = None
    assert drop._select.props["selectedIndex"] == 0
    changed = []
    drop.set_event_handler("change", lambda **event: changed.append(drop.selected_value))
    drop._select.props["selectedIndex"] = 1
    page.fire(drop._select, "change")
    assert changed == ["tea"]


def test_date_pickers(anvil: Any, page: FakeAdapter) -> None:
    import datetime

    picker = anvil.DatePicker(date="2026-11-24", min_date=datetime.date(2026, 1, 1))
    assert picker._dom.drawn["date"] == "2026-11-24"
    assert picker._dom.drawn["min_date"] == "2026-01-01"
    assert picker.date == datetime.date(2026, 11, 24)
    picker.pick_time = True
    assert picker._dom.drawn["pick_time"] is True
    assert picker._input.props["value"] == "2026-11-24T00:00"
    picker._input.props["value"] = "2026-12-01T09:30"
    assert picker.date == datetime.datetime(2026, 12, 1, 9, 30)
    picker.date = None
    assert picker.date is None
    with pytest.raises(ValueError, match="not a date"):
        picker.date = "soon"


def test_links_images_and_spacers(anvil: Any, page: FakeAdapter) -> None:
    link = anvil.Link(text="Docs", url="https://example.com/")
    assert link._dom.drawn["url"] == "https://example.com/"
    link.url = " javascript:alert(1)"
    # draw.js refuses it, and keeps a Link without a URL from following its "#" (browser tier)
    assert link._dom.drawn["url"] == " javascript:alert(1)"
    clicks = []
    link.set_event_handler("click", lambda **event: clicks.append(1))
    page.fire(link._dom, "click")
    assert clicks == [1]
    image = anvil.Image(source="data:image/png;base64,AAAA", display_mode="zoom_to_fill")
    assert image._dom.drawn["source"] == "data:image/png;base64,AAAA"
    assert image._dom.drawn["display_mode"] == "zoom_to_fill"
    assert anvil.Spacer(height=10)._dom.drawn["height"] == 10


# -- containers ----------------------------------------------------------------------------------


def test_containers_add_insert_clear_and_remove(anvil: Any) -> None:
    panel = anvil.LinearPanel()
    a, b, c = anvil.Label(text="a"), anvil.Label(text="b"), anvil.Label(text="c")
    panel.add_component(a)
    panel.add_component(c, expand=True, unknown_layout=1)
    panel.add_component(b, index=1)
    assert panel.get_components() == [a, b, c]
    assert [slot.all_text() for slot in panel._dom.children] == ["a", "b", "c"]
    assert c._wrapper.drawn == {"expand": True}
    assert b.parent is panel
    with pytest.raises(ValueError, match="already in a container"):
        anvil.ColumnPanel().add_component(b)
    b.remove_from_parent()
    assert (b.parent, panel.get_components()) == (None, [a, c])
    assert [slot.all_text() for slot in panel._dom.children] == ["a", "c"]
    panel.clear()
    assert panel.get_components() == []
    assert panel._dom.children == []
    with pytest.raises(TypeError):
        panel.add_component("text")


def test_show_and_hide_reach_components_added_later(anvil: Any, page: FakeAdapter) -> None:
    form = start(page)
    events = []
    label = anvil.Label()
    label.set_event_handler("show", lambda **e: events.append("show"))
    label.set_event_handler("hide", lambda **e: events.append("hide"))
    form.row.add_component(label)
    label.remove_from_parent()
    assert events == ["show", "hide"]
    label.visible = False
    form.add_component(label)
    assert "anvil-hidden" in label._wrapper.classes


# -- dialogs and notifications ------------------------------------------------------------------


def test_alert_shows_a_dialog_until_a_button_closes_it(anvil: Any, page: FakeAdapter) -> None:
    closed = []
    anvil.alert("Saved!", title="Done", buttons=["Yes", ("No", False)], on_close=closed.append)
    backdrop = page.page_overlay.children[0]
    assert "wb-modal-backdrop" in backdrop.classes
    assert backdrop.find("wb-modal")[0].attrs["role"] == "alertdialog"
    assert backdrop.find("wb-modal-body")[0].text == "Saved!"
    buttons = backdrop.find("wb-modal-button")
    assert [button.text for button in buttons] == ["Yes", "No"]
    assert buttons[0].props["calls"] == ["focus"]
    page.fire(buttons[1], "click")
    assert closed == [False]
    assert page.page_overlay.children == []


def test_alerts_are_dismissed_outside_or_with_escape(anvil: Any, page: FakeAdapter) -> None:
    closed = []
    anvil.alert("one", on_close=closed.append)
    backdrop = page.page_overlay.children[0]
    page.fire(backdrop.find("wb-modal-body")[0], "click")  # inside: stays
    assert page.page_overlay.children == [backdrop]
    page.fire(backdrop, "click")
    assert closed == [None]
    anvil.alert(anvil.Label(text="a component"), on_close=closed.append)
    modal = page.page_overlay.children[0].find("wb-modal")[0]
    assert "a component" in modal.all_text()
    page.fire(modal, "keydown", key="Escape")
    assert closed == [None, None]
    anvil.alert("stays", dismissible=False)
    page.fire(page.page_overlay.children[0], "click")
    assert len(page.page_overlay.children) == 1


def test_where_python_cannot_wait_confirm_asks_with_the_browsers_dialog(
    anvil: Any, page: FakeAdapter
) -> None:
    page.confirm_answer = False
    assert anvil.confirm("Delete it?") is False
    assert page.console[-1] == "confirm: Delete it?"


def test_where_python_can_wait_alert_returns_the_chosen_value(
    anvil: Any, page: FakeAdapter
) -> None:
    page.waits = True
    closed = []

    def choose_no() -> None:
        buttons = page.page_overlay.children[0].find("wb-modal-button")
        page.fire(buttons[1], "click")

    page.meanwhile = choose_no
    chosen = anvil.alert("Sure?", buttons=[("Yes", 1), ("No", 2)], on_close=closed.append)
    assert chosen == 2
    assert closed == [2]
    assert page.page_overlay.children == []
    # confirm asks in the page too (not with the browser's dialog): dismissed answers None
    page.meanwhile = lambda: page.fire(page.page_overlay.children[0], "click")
    assert anvil.confirm("Delete it?", dismissible=True) is None
    assert not any(line.startswith("confirm:") for line in page.console)


def test_the_loading_indicator_covers_the_app_during_calls(anvil: Any, page: FakeAdapter) -> None:
    import anvil.server

    covered = []

    def shown() -> int:
        covers = page.page_overlay.find("wb-loading-cover")
        return len([cover for cover in covers if "hidden" not in cover.attrs])

    def answer(payload: dict[str, Any]) -> tuple[int, str]:
        covered.append(shown())
        return 200, json.dumps({"value": None})

    page.answer = answer
    anvil.server.call("f")  # Python cannot wait here: no indicator (the page cannot paint)
    page.waits = True
    anvil.server.call("f")
    anvil.server.call_s("f")
    with anvil.server.no_loading_indicator:
        anvil.server.call("f")
    assert covered == [0, 1, 0, 0]
    assert shown() == 0
    label = anvil.Label()
    with anvil.server.loading_indicator(label):
        assert label._dom.find("wb-loading-cover")
        assert "wb-loading-target" in label._dom.classes
    assert label._dom.find("wb-loading-cover") == []


def test_a_startup_module_runs_instead_of_the_form(tmp_path: Path, page: FakeAdapter) -> None:
    from anvil import _forms, _start

    (tmp_path / "client_code").mkdir()
    (tmp_path / "client_code" / "__init__.py").write_text("")
    module = tmp_path / "client_code" / "Startup.py"
    module.write_text("from anvil import open_form\nopen_form('Form1')\nSTARTED = True\n")
    _start.start(page, "Missing", "Startup")
    assert page.is_ready
    assert sys.modules["client_code.Startup"].STARTED
    assert type(_forms.get_open_form()).__name__ == "Form1"


def test_notifications_show_and_go(anvil: Any, page: FakeAdapter) -> None:
    note = anvil.Notification("Saved", title="Done", style="success", timeout=1).show()
    toast = page.page_overlay.children[0]
    assert {"wb-toast", "wb-toast-success"} <= toast.classes
    assert toast.attrs["role"] == "status"
    assert toast.all_text() == "DoneSaved"
    page.advance(1.1)
    assert page.page_overlay.children == []
    with anvil.Notification("Working..."):
        assert len(page.page_overlay.children) == 1
        page.advance(10)
        assert len(page.page_overlay.children) == 1
    assert page.page_overlay.children == []
    note.show()
    page.fire(page.page_overlay.children[0], "click")
    assert page.page_overlay.children == []
    with pytest.raises(ValueError, match="style"):
        anvil.Notification("x", style="loud")


# -- uncaught errors -----------------------------------------------------------------------------


def test_an_uncaught_error_shows_a_dismissible_notice_and_goes_to_the_console(
    anvil: Any, page: FakeAdapter
) -> None:
    button = anvil.Button()

    def fails(**event_args: Any) -> None:
        raise ValueError("boom")

    button.set_event_handler("click", fails)
    page.fire(button._button, "click")
    notice = page.page_overlay.children[0]
    assert {"wb-notice", "wb-error"} <= notice.classes
    assert notice.attrs["role"] == "alert"
    assert notice.find("wb-notice-text")[0].text == "ValueError: boom"
    assert "Traceback" in page.console[-1]
    assert "in fails" in page.console[-1]
    page.fire(notice.find("wb-notice-close")[0], "click")
    assert page.page_overlay.children == []


def test_a_startup_error_is_reported_and_the_app_still_says_ready(page: FakeAdapter) -> None:
    from anvil import _start

    _start.start(page, "Missing")
    assert page.is_ready
    assert "this app has no form 'Missing'" in page.page_overlay.children[0].all_text()


# -- server calls --------------------------------------------------------------------------------


def test_calls_pass_values_by_anvils_rules(anvil: Any, page: FakeAdapter) -> None:
    import datetime

    import anvil.server

    answer_with(page, 200, {"value": {"when": {"$wb": "date", "v": "2026-11-24"}, "n": [1]}})
    value = anvil.server.call("f", (1, 2), when=datetime.date(2026, 1, 2))
    assert value == {"when": datetime.date(2026, 11, 24), "n": [1]}
    assert page.requests[-1][1] == {
        "name": "f",
        "args": [[1, 2]],
        "kwargs": {"when": {"$wb": "date", "v": "2026-01-02"}},
    }
    with pytest.raises(anvil.server.SerializationError):
        anvil.server.call("f", {1, 2})


@pytest.mark.parametrize(
    ("status", "body", "expected", "message"),
    [
        (200, {"exception": {"type": "anvil.server.NoServerFunctionError", "message": "none"}},
         "NoServerFunctionError", "none"),
        (200, {"exception": {"type": "anvil.server.TimeoutError",
                             "message": "Server code took too long"}},
         "TimeoutError", "Server code took too long"),
        (200, {"exception": {"type": "ValueError", "message": "bad value"}},
         "AnvilWrappedError", "bad value"),
        (200, {"exception": {"type": "anvil.server.Nonsense", "message": "m"}},
         "AnvilWrappedError", "m"),
        (429, {"error": {"message": "slow down"}}, "QuotaExceededError", "slow down"),
        (503, {"error": {"message": "busy"}}, "RuntimeUnavailableError", "busy"),
        (404, {"error": {"message": "gone"}}, "SessionExpiredError", "gone"),
        (500, {"error": {"message": "oops"}}, "InternalError", "oops"),
        (0, {}, "AppOfflineError", "could not be reached"),
    ],
)  # fmt: skip
def test_errors_arrive_as_anvil_server_exceptions(
    anvil: Any, page: FakeAdapter, status: int, body: dict[str, Any], expected: str, message: str
) -> None:
    import anvil.server

    answer_with(page, status, body)
    with pytest.raises(anvil.server.AnvilWrappedError) as caught:
        anvil.server.call("f")
    assert type(caught.value).__name__ == expected
    assert message in str(caught.value)


def test_a_built_in_server_exception_keeps_its_name_as_in_anvil(
    anvil: Any, page: FakeAdapter
) -> None:
    """Anvil's client: a class it does not know arrives as `AnvilWrappedError` made from the
    server's error object, which keeps the original name (`error_obj`, the repr, the
    uncaught-error notice); a visitor's notice is the one line."""
    import anvil.server

    answer_with(page, 200, {"exception": {"type": "ValueError", "message": "bad value"}})
    with pytest.raises(anvil.server.AnvilWrappedError) as caught:
        anvil.server.call("f")
    error = caught.value
    assert type(error) is anvil.server.AnvilWrappedError
    assert (error.message, str(error)) == ("bad value", "bad value")
    assert error.error_obj == {"type": "ValueError", "message": "bad value", "trace": []}
    assert repr(error) == "AnvilWrappedError(ValueError('bad value'))"
    assert repr(anvil.server.AnvilWrappedError("made here")) == "AnvilWrappedError('made here')"

    from anvil import _errors

    notice = _errors.report(error)
    assert notice.find("wb-notice-text")[0].text == "ValueError: bad value"
    assert notice.find("wb-notice-trace") == []
    assert "Traceback" not in notice.all_text()


def test_the_owners_notice_shows_the_server_traceback(anvil: Any, page: FakeAdapter) -> None:
    import anvil.server
    from anvil import _errors

    traceback = (
        "Traceback (most recent call last):\n"
        '  File "server.py", line 3, in fails\n'
        '    raise ValueError("bad value")\n'
        "ValueError: bad value\n"
    )
    exception = {"type": "ValueError", "message": "bad value", "trace": [["server.py", 3]],
                 "traceback": traceback}  # fmt: skip
    answer_with(page, 200, {"exception": exception})
    with pytest.raises(anvil.server.AnvilWrappedError) as caught:
        anvil.server.call("fails")
    assert caught.value.error_obj["trace"] == [["server.py", 3]]
    notice = _errors.report(caught.value)
    assert notice.find("wb-notice-text")[0].text == "ValueError: bad value"
    [details] = notice.find("wb-notice-trace")
    assert 'File "server.py", line 3, in fails' in details.all_text()
    assert "only you, the owner, see this" in details.all_text()
    assert any(traceback in line for line in page.console)


def test_a_garbled_answer_is_an_internal_error(anvil: Any, page: FakeAdapter) -> None:
    import anvil.server

    page.answer = lambda payload: (502, "<html>bad gateway</html>")
    with pytest.raises(anvil.server.InternalError, match="HTTP 502"):
        anvil.server.call("f")


def test_the_elements_of_the_fake_page_are_plain(page: FakeAdapter) -> None:
    assert isinstance(page.create("div"), Element)


def test_the_client_package_imports_only_what_both_runtimes_have() -> None:
    """The shared modules import the standard library and each other; only the adapters
    import their runtime's own modules (`browser`, `javascript` on Brython; `js`, `pyodide`
    on Pyodide), and nothing imports `json` or `re` (slow to import on Brython)."""
    import ast

    adapters = {"_brython.py": {"browser", "javascript"}, "_pyodide.py": {"js", "pyodide", "json"}}
    for path in sorted(package_sources().values()):
        allowed = {"anvil", "datetime", "math", "sys", "traceback", *adapters.get(path.name, ())}
        allowed |= {"binascii", "plotly"}  # Media sent to the server; a Plot's graph objects
        if path.name == "_waiting.py":
            allowed.add("time")  # its sleep replaces time.sleep where Python can wait
        if path.is_relative_to(GUEST_ANVIL):  # anvil.tables, anvil.tz: as the guest has them
            # json for to_csv only; _widgetbox (the sandbox's bridge) never in a browser
            allowed |= {"base64", "functools", "json", "random", "time", "_widgetbox"}
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
