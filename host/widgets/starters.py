"""What a new widget starts with, per kind, and the examples the first account receives."""

from __future__ import annotations

from dataclasses import dataclass

ENTRY = {"script": "main.py", "scheduled": "main.py", "http": "main.py", "gui": "server.py"}
"""The file that runs (scripts, tasks) or whose callables and routes count (APIs, GUIs)."""

SCRIPT = """\
# A script runs top to bottom when you click Run; its output appears as it is printed.
import time

print("Hello from Widgetbox!")
for step in range(1, 4):
    print(f"step {step} of 3")
    time.sleep(0.5)
print("done")
"""

SCHEDULED = """\
# A scheduled task runs like a script, each time its schedule fires.
from datetime import datetime, timezone

now = datetime.now(timezone.utc)
print(f"The task ran at {now:%Y-%m-%d %H:%M:%S} UTC")
"""

HTTP = """\
# Each @anvil.server.route function answers at the widget's URL + its path.
# Query-string and form parameters arrive as keyword arguments.
import anvil.server


@anvil.server.route("/hello")
def hello(name="world", **params):
    return {"message": f"Hello, {name}!"}


@anvil.server.route("/add/:a/:b")
def add(a, b, **params):
    return {"sum": int(a) + int(b)}
"""

GUI_SERVER = """\
# Server code for the app: functions marked @anvil.server.callable can be called from the
# browser with anvil.server.call("name", ...).
import anvil.server


@anvil.server.callable
def greet(name):
    return f"Hello, {name}!"
"""

GUI_FORM = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)

    def button_1_click(self, **event_args):
        self.label_1.text = anvil.server.call("greet", self.text_box_1.text)
"""

GUI_DESIGN = """\
container:
  type: ColumnPanel
  properties: {col_widths: '{}'}
components:
- name: text_box_1
  type: TextBox
  properties: {placeholder: Your name}
  layout_properties: {grid_position: 'HELLOA,NAMEBX'}
  event_bindings: {pressed_enter: button_1_click}
- name: button_1
  type: Button
  properties: {text: Greet, role: null}
  layout_properties: {grid_position: 'HELLOA,GREETB'}
  event_bindings: {click: button_1_click}
- name: label_1
  type: Label
  properties: {text: ''}
  layout_properties: {grid_position: 'ANSWER,ANSWRC'}
is_package: true
"""

GUI_APP = """\
{"startup_form": "Form1", "runtime": "pyodide"}
"""

TEMPLATES: dict[str, dict[str, str]] = {
    "script": {"main.py": SCRIPT},
    "scheduled": {"main.py": SCHEDULED},
    "http": {"main.py": HTTP},
    "gui": {
        "server.py": GUI_SERVER,
        "client_code/Form1/__init__.py": GUI_FORM,
        "client_code/Form1/form_template.yaml": GUI_DESIGN,
        "app.json": GUI_APP,
    },
}


@dataclass(frozen=True)
class Example:
    kind: str
    title: str
    files: dict[str, str]


EXAMPLES = (
    Example("script", "Hello, script", {"main.py": SCRIPT}),
    Example("scheduled", "A scheduled report", {"main.py": SCHEDULED}),
    Example("http", "Hello API", {"main.py": HTTP}),
    Example("gui", "Hello, app", TEMPLATES["gui"]),
)
"""Given to the first account (one of each kind), so its dashboard is never empty."""
