# ruff: noqa: E501 - the designs are written as Anvil writes them, one component a line
"""An app written as Anvil writes apps (its git layout: `client_code/<Form>/form_template.yaml`
beside `__init__.py`, nested forms, a module form, a form built in code), covering every
container, component and property Widgetbox draws: the server tier saves and serves it, the
browser tier runs it on Brython and on Pyodide (tests/browser/test_gui_anvil.py).

The designs are YAML as Anvil's editor writes it (flow mappings, `grid_position`, `role:
null`, theme colours, properties Widgetbox does not draw, kept and warned about)."""

from __future__ import annotations

SERVER = """\
import anvil.server


@anvil.server.callable
def people():
    return [
        {"name": "Ada", "age": 36, "team": "engines"},
        {"name": "Grace", "age": 45, "team": "compilers"},
        {"name": "Alan", "age": 41, "team": "machines"},
        {"name": "Edsger", "age": 72, "team": "compilers"},
        {"name": "Barbara", "age": 50, "team": "languages"},
    ]


@anvil.server.callable
def describe(media):
    data = media.get_bytes()
    return f"{media.name}: {len(data)} bytes, {media.content_type}"
"""

FORM1_TEMPLATE = """\
container:
  type: HtmlTemplate
  properties: {html: '@theme:standard-page.html', tooltip: '', background: '', foreground: ''}
  event_bindings: {show: form_show}
components:
- type: Label
  properties: {text: Anvil showcase, role: null, bold: true, icon: 'fa:star', font_size: 22}
  name: title_label
  layout_properties: {slot: title}
- type: FlowPanel
  properties: {spacing: small}
  name: navbar_links
  layout_properties: {slot: nav-right}
  components:
  - type: Link
    properties: {text: Home, url: '', role: null, foreground: 'theme:White'}
    name: home_link
    layout_properties: {}
    event_bindings: {click: home_link_click}
- type: ColumnPanel
  properties: {role: null}
  name: nav_panel
  layout_properties: {slot: left-nav}
  components:
  - type: Link
    properties: {text: Second form, url: ''}
    name: second_link
    layout_properties: {grid_position: 'NAVAAA,NAVCOL'}
    event_bindings: {click: second_link_click}
  - type: Link
    properties: {text: '', url: 'https://example.com/docs', tooltip: a link holding components}
    name: card_link
    layout_properties: {grid_position: 'NAVBBB,NAVCOL2'}
    components:
    - type: Label
      properties: {text: Inside a link}
      name: link_inner_label
      layout_properties: {grid_position: 'LNKROW,LNKCOL'}
- type: ColumnPanel
  properties: {col_widths: '{"COLAAA": 40, "COLBBB": 20}', col_spacing: large, wrap_on: mobile, spacing_above: none, border: ''}
  name: content_panel
  layout_properties: {slot: default}
  components:
  - type: Label
    properties: {text: Hello, role: headline, align: center, foreground: '#336699', background: '', border: '1px solid #336699', underline: true, italic: true, font: serif, tooltip: a heading, spacing_above: large, spacing_below: none, visible: true, icon: '', icon_align: left}
    name: heading
    layout_properties: {grid_position: 'ROWAAA,COLAAA'}
  - type: Button
    properties: {text: Greet, role: primary-color, icon: 'fa:hand', icon_align: right, align: full, enabled: true, bold: true}
    name: greet_button
    layout_properties: {grid_position: 'ROWAAA,COLBBB'}
    event_bindings: {click: greet_button_click}
  - type: TextBox
    properties: {placeholder: Your name, type: text, hide_text: false, width: '300', margin: null, align: left}
    name: name_box
    layout_properties: {grid_position: 'ROWBBB,COLCCC', full_width_row: true, row_background: '#eef6ff'}
    data_bindings:
    - {property: text, code: 'self.item[''name'']', writeback: true}
    event_bindings: {pressed_enter: greet_button_click}
  - type: Label
    properties: {text: ''}
    name: bound_label
    layout_properties: {grid_position: 'ROWBBB,COLDDD'}
    data_bindings:
    - {property: text, code: '"Name: " + self.item[''name'']', writeback: false}
  - type: RichText
    properties: {content: "## Rich text\\n\\nHello **{name}**, you are {age:03d}. A *slot*: {button}\\n\\n- one\\n- two", format: markdown, enable_slots: true, data: null}
    name: rich
    layout_properties: {grid_position: 'ROWCCC,COLEEE'}
    components:
    - type: Button
      properties: {text: In the text}
      name: slot_button
      layout_properties: {slot: button}
  - type: GridPanel
    properties: {}
    name: grid_panel
    layout_properties: {grid_position: 'ROWDDD,COLFFF'}
    components:
    - type: Label
      properties: {text: Grid left}
      name: grid_left
      layout_properties: {row: A, col_xs: 0, width_xs: 4}
    - type: Label
      properties: {text: Grid right}
      name: grid_right
      layout_properties: {row: A, col_xs: 6, width_xs: 6}
  - type: XYPanel
    properties: {height: 90, width: null, background: '#fafafa'}
    name: xy_panel
    layout_properties: {grid_position: 'ROWEEE,COLGGG'}
    components:
    - type: Label
      properties: {text: At 30 40}
      name: xy_label
      layout_properties: {x: 30, y: 40, width: 120}
  - type: FlowPanel
    properties: {align: center, vertical_align: middle, gap: small}
    name: choices
    layout_properties: {grid_position: 'ROWFFF,COLHHH'}
    components:
    - type: CheckBox
      properties: {text: Agree, checked: true, allow_indeterminate: false}
      name: agree_box
      layout_properties: {}
      event_bindings: {change: agree_box_change}
    - type: RadioButton
      properties: {text: Tea, group_name: drink, value: tea, selected: true}
      name: tea_radio
      layout_properties: {}
    - type: RadioButton
      properties: {text: Coffee, group_name: drink, value: coffee}
      name: coffee_radio
      layout_properties: {width: 120, expand: false}
    - type: DropDown
      properties: {items: [small, medium, large], include_placeholder: true, placeholder: Size}
      name: size_drop
      layout_properties: {expand: true}
    - type: DatePicker
      properties: {date: '2026-11-24', format: '%d %b %Y', pick_time: false, min_date: '', max_date: ''}
      name: when_picker
      layout_properties: {}
  - type: LinearPanel
    properties: {}
    name: stack
    layout_properties: {grid_position: 'ROWGGG,COLIII'}
    components:
    - type: Spacer
      properties: {height: 12}
      name: spacer_1
      layout_properties: {}
    - type: TextArea
      properties: {text: "two\\nlines", height: 60, auto_expand: false}
      name: notes_area
      layout_properties: {}
    - type: Image
      properties: {source: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', height: 30, display_mode: shrink_to_fit, horizontal_align: left, border_radius: 4px, alt_text: a dot}
      name: dot_image
      layout_properties: {}
  - type: DataGrid
    properties:
      columns:
      - {id: NAMECL, title: Name, data_key: name}
      - {id: AGECOL, title: Age, data_key: age, width: 80}
      - {id: ACTCOL, title: '', data_key: '', width: 90}
      auto_header: true
      rows_per_page: 2
      show_page_controls: true
      role: null
    name: people_grid
    layout_properties: {grid_position: 'ROWHHH,COLJJJ'}
    components:
    - type: RepeatingPanel
      properties: {item_template: Form1.RowTemplate1}
      name: people_panel
      layout_properties: {}
      event_bindings: {x-remove: people_panel_remove}
  - type: RepeatingPanel
    properties: {item_template: Widgets.Counter}
    name: counters
    layout_properties: {grid_position: 'ROWIII,COLKKK'}
  - type: form:Widgets.Counter
    properties: {start: 5, title: Custom}
    name: counter
    layout_properties: {grid_position: 'ROWJJJ,COLLLL'}
    event_bindings: {changed: counter_changed}
  - type: Plot
    properties: {height: 250, interactive: true}
    name: chart
    layout_properties: {grid_position: 'ROWKKK,COLMMM'}
  - type: Canvas
    properties: {height: 60}
    name: sketch
    layout_properties: {grid_position: 'ROWKKK,COLNNN'}
    event_bindings: {reset: sketch_reset}
  - type: FileLoader
    properties: {text: Choose a file, multiple: false, file_types: .txt, show_state: true}
    name: uploader
    layout_properties: {grid_position: 'ROWLLL,COLOOO'}
    event_bindings: {change: uploader_change}
  - type: YouTubeVideo
    properties: {youtube_id: dQw4w9WgXcQ, autoplay: false, loop: false, height: 120}
    name: video
    layout_properties: {grid_position: 'ROWLLL,COLPPP'}
  - type: Timer
    properties: {interval: 0.2}
    name: ticker
    event_bindings: {tick: ticker_tick}
  - type: Label
    properties: {text: 'ticks: 0', sparkle_level: 11}
    name: ticks_label
    layout_properties: {grid_position: 'ROWMMM,COLQQQ'}
    event_bindings: {show: no_such_method}
  - type: Label
    properties: {text: ''}
    name: status_label
    layout_properties: {grid_position: 'ROWNNN,COLRRR'}
is_package: true
"""

FORM1_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server
from plotly import graph_objects as go

from ..Helpers import shout


class Form1(Form1Template):
    def __init__(self, **properties):
        self.ticks = 0
        self.init_components(item={"name": "Ada"}, **properties)
        self.rich.data = {"name": "Ada", "age": 7}
        self.people_panel.items = anvil.server.call("people")
        self.counters.items = [{"start": 1}, {"start": 2}]
        self.chart.data = [go.Bar(x=["a", "b", "c"], y=[3, 1, 2], name="bars")]
        self.chart.layout = go.Layout(title="A chart")

    def form_show(self, **event_args):
        self.status_label.text = "shown"

    def greet_button_click(self, **event_args):
        self.heading.text = shout("Hello, " + self.item["name"])
        self.refresh_data_bindings()

    def home_link_click(self, **event_args):
        set_url_hash({"page": "home", "n": 1})
        self.status_label.text = "hash: " + repr(get_url_hash())

    def second_link_click(self, **event_args):
        open_form("Second")

    def agree_box_change(self, **event_args):
        self.status_label.text = f"agree: {self.agree_box.checked}"

    def people_panel_remove(self, person, **event_args):
        people = [p for p in self.people_panel.items if p["name"] != person["name"]]
        self.people_panel.items = people
        self.status_label.text = f"removed {person['name']}"

    def counter_changed(self, value, **event_args):
        self.status_label.text = f"counter: {value}"

    def sketch_reset(self, **event_args):
        self.sketch.fill_style = "#336699"
        self.sketch.fill_rect(0, 0, 40, 20)
        self.sketch.stroke_style = "red"
        self.sketch.begin_path()
        self.sketch.move_to(50, 10)
        self.sketch.line_to(90, 10)
        self.sketch.stroke()

    def uploader_change(self, file, **event_args):
        # (Media objects cross to server functions once the codec reads their tag, "media")
        self.status_label.text = f"{file.name}: {len(file.get_bytes())} bytes, {file.content_type}"

    def ticker_tick(self, **event_args):
        self.ticks += 1
        self.ticks_label.text = f"ticks: {self.ticks}"
"""

ROW_TEMPLATE = """\
container:
  type: DataRowPanel
  properties: {auto_display_data: true}
components:
- type: Button
  properties: {text: Remove, role: null}
  name: remove_button
  layout_properties: {column: ACTCOL}
  event_bindings: {click: remove_button_click}
is_package: true
"""

ROW_CODE = """\
from ._anvil_designer import RowTemplate1Template
from anvil import *


class RowTemplate1(RowTemplate1Template):
    def __init__(self, **properties):
        self.init_components(**properties)

    def remove_button_click(self, **event_args):
        self.parent.raise_event("x-remove", person=self.item)
"""

COUNTER_TEMPLATE = """\
container:
  type: ColumnPanel
  properties: {}
components:
- type: Label
  properties: {text: ''}
  name: count_label
  layout_properties: {grid_position: 'CNTROW,CNTCOL'}
  data_bindings:
  - {property: text, code: 'f"{self.title}: {self.value}"'}
- type: Button
  properties: {text: '+1'}
  name: add_button
  layout_properties: {grid_position: 'CNTROW,CNTBTN'}
  event_bindings: {click: add_button_click}
is_package: true
custom_component: true
properties:
- {name: start, type: number, default_value: 0, default_binding_prop: true}
- {name: title, type: string, default_value: Count}
events:
- name: changed
  default_event: true
  parameters:
  - {name: value}
"""

COUNTER_CODE = """\
from ._anvil_designer import CounterTemplate
from anvil import *


class Counter(CounterTemplate):
    def __init__(self, start=0, title="Count", **properties):
        self.title = title
        self.value = start
        if isinstance(self.item, dict) and "start" in self.item:
            self.value = self.item["start"]
        self.init_components(**properties)
        if isinstance(self.item, dict) and "start" in self.item:
            self.value = self.item["start"]
            self.refresh_data_bindings()

    def add_button_click(self, **event_args):
        self.value += 1
        self.refresh_data_bindings()
        self.raise_event("changed", value=self.value)
"""

HELPERS = """\
def shout(text):
    return text.upper() + "!"
"""

SECOND_TEMPLATE = """\
container:
  type: HtmlTemplate
  properties:
    html: |
      <div class="custom-page">
        <h1 anvil-name="heading">A custom page</h1>
        <div anvil-slot="main"></div>
        <ul><li anvil-slot-repeat="items"></li></ul>
        <p anvil-if-slot-empty="footer">No footer</p>
        <div anvil-slot="footer"></div>
      </div>
components:
- type: Label
  properties: {text: In the main slot}
  name: main_label
  layout_properties: {slot: main}
- type: Label
  properties: {text: First item}
  name: item_one
  layout_properties: {slot: items}
- type: Label
  properties: {text: Second item}
  name: item_two
  layout_properties: {slot: items}
- type: Button
  properties: {text: Code form}
  name: code_button
  layout_properties: {slot: main}
  event_bindings: {click: code_button_click}
- type: Button
  properties: {text: Old form}
  name: old_button
  layout_properties: {slot: main}
  event_bindings: {click: old_button_click}
- type: TextBox
  properties: {placeholder: Focus me}
  name: focus_box
  layout_properties: {slot: main}
  event_bindings: {focus: focus_box_focus}
- type: Button
  properties: {text: Ask}
  name: ask_button
  layout_properties: {slot: main}
  event_bindings: {click: ask_button_click}
- type: Button
  properties: {text: Confirm}
  name: confirm_button
  layout_properties: {slot: main}
  event_bindings: {click: confirm_button_click}
- type: Button
  properties: {text: Fail}
  name: fail_button
  layout_properties: {slot: main}
  event_bindings: {click: fail_button_click}
- type: Label
  properties: {text: ''}
  name: second_status
  layout_properties: {slot: main}
is_package: true
"""

SECOND_CODE = """\
from ._anvil_designer import SecondTemplate
from anvil import *


class Second(SecondTemplate):
    def __init__(self, **properties):
        self.init_components(**properties)
        self.main_label.text += " (" + self.dom_nodes["heading"].textContent + ")"

    def code_button_click(self, **event_args):
        open_form("Built")

    def old_button_click(self, **event_args):
        open_form("OldForm")

    def focus_box_focus(self, **event_args):
        focused = get_focused_component()
        self.second_status.text = "focused: " + ("focus_box" if focused is self.focus_box else repr(focused))

    def ask_button_click(self, **event_args):
        def answered(value):
            self.second_status.text = f"answer: {value!r}"

        alert("Keep going?", title="Question", buttons=[("No", False), ("Yes", True)], on_close=answered)

    def confirm_button_click(self, **event_args):
        value = confirm("Delete it?", buttons=[("Delete", "gone"), ("Keep", "kept")])
        self.second_status.text = f"confirm: {value}"

    def fail_button_click(self, **event_args):
        set_default_error_handling(lambda e: setattr(self.second_status, "text", f"handled: {e}"))
        raise ValueError("on purpose")
"""

# A form built in code, as the Anvil App Server's own app templates build theirs
BUILT_TEMPLATE = """\
from anvil import *
from .Item import Item


class BuiltTemplate(HtmlPanel):

  def init_components(self, **properties):
    super().__init__()
    self.html = '@theme:standard-page.html'
    self.content_panel = GridPanel()
    self.add_component(self.content_panel)
    self.title_label = Label(text="Built in code")
    self.add_component(self.title_label, slot="title")
    self.tasks_grid = DataGrid()
    self.tasks_grid.columns = [
      {"id": "A", "title": "Task", "data_key": "name"},
      {"id": "B", "title": "Done", "data_key": "done", "width": 100},
    ]
    self.tasks_grid.rows_per_page = 8
    self.tasks_panel = RepeatingPanel(item_template=Item)
    self.tasks_grid.add_component(self.tasks_panel)
    self.content_panel.add_component(self.tasks_grid, row="A", col_sm=2, width_sm=8)
"""

BUILT_CODE = """\
from _template import BuiltTemplate
from anvil import *


class Built(BuiltTemplate):
  def __init__(self, **properties):
    self.init_components(**properties)
    self.tasks_panel.items = [{"name": "Write tests", "done": "yes"}, {"name": "Ship", "done": "no"}]
"""

ITEM_TEMPLATE = """\
from anvil import *

class ItemTemplate(DataRowPanel):

  def init_components(self, **properties):
    super().__init__()
    self.item = properties.get('item', {})
"""

ITEM_CODE = """\
from _template import ItemTemplate
from anvil import *


class Item(ItemTemplate):
  def __init__(self, **properties):
    self.init_components(**properties)
"""

# Anvil's older module forms: the code beside a <Form>.yaml
OLD_FORM_TEMPLATE = """\
container: {type: LinearPanel}
components:
- type: Label
  properties: {text: An older module form}
  name: old_label
  layout_properties: {}
"""

OLD_FORM_CODE = """\
from ._anvil_designer import OldFormTemplate
from anvil import *


class OldForm(OldFormTemplate):
    def __init__(self, **properties):
        self.init_components(**properties)
"""


def files(runtime: str = "brython") -> dict[str, str]:
    return {
        "server.py": SERVER,
        "client_code/Form1/form_template.yaml": FORM1_TEMPLATE,
        "client_code/Form1/__init__.py": FORM1_CODE,
        "client_code/Form1/RowTemplate1/form_template.yaml": ROW_TEMPLATE,
        "client_code/Form1/RowTemplate1/__init__.py": ROW_CODE,
        "client_code/Widgets/__init__.py": "",
        "client_code/Widgets/Counter/form_template.yaml": COUNTER_TEMPLATE,
        "client_code/Widgets/Counter/__init__.py": COUNTER_CODE,
        "client_code/Second/form_template.yaml": SECOND_TEMPLATE,
        "client_code/Second/__init__.py": SECOND_CODE,
        "client_code/Built/_template.py": BUILT_TEMPLATE,
        "client_code/Built/__init__.py": BUILT_CODE,
        "client_code/Built/Item/_template.py": ITEM_TEMPLATE,
        "client_code/Built/Item/__init__.py": ITEM_CODE,
        "client_code/OldForm.yaml": OLD_FORM_TEMPLATE,
        "client_code/OldForm.py": OLD_FORM_CODE,
        "client_code/Helpers.py": HELPERS,
        "app.json": f'{{"startup_form": "Form1", "runtime": "{runtime}"}}\n',
    }
