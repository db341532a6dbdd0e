# ruff: noqa: E501 - the files are written as Anvil writes them
"""Anvil apps as Anvil's git repositories hold them (`anvil.yaml`, `client_code/`,
`server_code/`, `theme/`), written for the import and export tests; none is downloaded.

- `task_board()`: a GUI app using everything the import supports: a startup form with a
  nested form package and a client module, three server modules that import each other (by
  relative import, by bare name, and a client module from server code), a server function,
  an HTTP endpoint, a background task, Data Tables with a users table, the Users service,
  email, App Secrets, a scheduled task, `requirements.txt`, theme assets (one binary), and
  `anvil.yaml` exactly as Anvil's editor writes it. It round-trips byte for byte.
- `showcase()`: tests/anvil_app.py's showcase (every component, module forms, forms built
  in code, custom components) as a repository.
- `api()`: server code with HTTP endpoints only (an HTTP API widget).
- `nightly()`: a background task on a schedule, and nothing else (a scheduled task).
- `todo()`: an older app, whose `anvil.yaml` Anvil's editor of today did not write.
- `troubled()`: an app with a bit of everything Widgetbox cannot do, for the report.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests import anvil_app

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005d2b7a2f0000000049454e44ae426082"
)
"""A 1x1 PNG: a binary theme asset (not UTF-8)."""

TASK_BOARD_YAML = """\
allow_embedding: false
db_schema:
  tasks:
    client: search
    columns:
    - admin_ui: {order: 0, width: 200}
      name: title
      type: string
    - admin_ui: {order: 1, width: 100}
      name: done
      type: bool
    - admin_ui: {order: 2, width: 200}
      name: owner
      target: users
      type: link_single
    server: full
    title: Tasks
  users:
    client: none
    columns:
    - admin_ui: {order: 0, width: 200}
      name: email
      type: string
    - admin_ui: {order: 1, width: 100}
      name: enabled
      type: bool
    - admin_ui: {order: 2, width: 200}
      name: last_login
      type: datetime
    - admin_ui: {order: 3, width: 200}
      name: password_hash
      type: string
    - admin_ui: {order: 4, width: 100}
      name: n_password_failures
      type: number
    - admin_ui: {order: 5, width: 100}
      name: confirmed_email
      type: bool
    - admin_ui: {order: 6, width: 200}
      name: signed_up
      type: datetime
    - admin_ui: {order: 7, width: 200}
      name: remembered_logins
      type: simpleObject
    server: full
    title: Users
dependencies: []
metadata: {description: Tasks for a small team, title: Task Board}
name: Task Board
package_name: TaskBoard
renamed: true
runtime_options:
  client_version: '3'
  server_spec: {base: python310-standard}
  server_version: python3-sandbox
  version: 2
scheduled_tasks:
- job_id: QMUPCYEH
  task_name: tidy_up
  time_spec:
    at: {hour: 3, minute: 0}
    every: day
    n: 1
services:
- client_config: {}
  server_config: {auto_create_missing_columns: false}
  source: /runtime/services/tables.yml
- client_config: {allow_remember_me: true, allow_signup: true, confirm_email: false,
    enable_automatically: true, remember_me_days: 14, require_secure_passwords: true,
    share_login_status: true, use_email: true, use_facebook: false, use_google: false,
    use_microsoft: false, use_saml: false, use_token: false}
  server_config: {user_table: users}
  source: /runtime/services/anvil/users.yml
- client_config: {}
  server_config: {}
  source: /runtime/services/anvil/email.yml
- client_config: {}
  server_config: {}
  source: /runtime/services/anvil/secrets.yml
startup: {module: Main, type: form}
startup_form: null
"""

MAIN_TEMPLATE = """\
container:
  type: ColumnPanel
  properties: {col_widths: '{}'}
  event_bindings: {show: form_show}
components:
- name: title_label
  properties: {text: Task Board, role: headline}
  type: Label
  layout_properties: {grid_position: 'TITLEA,TITLEB'}
- name: new_task_box
  properties: {placeholder: A new task}
  type: TextBox
  layout_properties: {grid_position: 'NEWROW,NEWBOX'}
  event_bindings: {pressed_enter: add_button_click}
- name: add_button
  properties: {text: Add, role: primary-color}
  type: Button
  layout_properties: {grid_position: 'NEWROW,NEWBTN'}
  event_bindings: {click: add_button_click}
- name: tasks_panel
  properties: {item_template: Main.TaskRow}
  type: RepeatingPanel
  layout_properties: {grid_position: 'LISTRW,LISTCL'}
- name: status_label
  properties: {text: ''}
  type: Label
  layout_properties: {grid_position: 'STATRW,STATCL'}
is_package: true
"""

MAIN_CODE = """\
from ._anvil_designer import MainTemplate
from anvil import *
import anvil.server

from ..Validation import clean


class Main(MainTemplate):
    def __init__(self, **properties):
        self.init_components(**properties)

    def form_show(self, **event_args):
        self.tasks_panel.items = anvil.server.call("list_tasks")

    def add_button_click(self, **event_args):
        title = clean(self.new_task_box.text)
        self.status_label.text = anvil.server.call("add_task", title)
        self.tasks_panel.items = anvil.server.call("list_tasks")
"""

ROW_TEMPLATE = """\
container:
  type: ColumnPanel
  properties: {}
components:
- name: done_box
  properties: {text: ''}
  type: CheckBox
  layout_properties: {grid_position: 'ROWAAA,ROWBBB'}
  data_bindings:
  - {property: checked, code: 'self.item[''done'']', writeback: false}
  - {property: text, code: 'self.item[''title'']', writeback: false}
is_package: true
"""

ROW_CODE = """\
from ._anvil_designer import TaskRowTemplate
from anvil import *


class TaskRow(TaskRowTemplate):
    def __init__(self, **properties):
        self.init_components(**properties)
"""

VALIDATION = """\
def clean(title):
    return " ".join(str(title or "").split())[:200]
"""

TASKS = """\
import anvil.server

from . import Auth
from .Validation import clean

TASKS = ["Write the report", "Water the plants"]


@anvil.server.callable
def list_tasks():
    return [{"title": title, "done": False} for title in TASKS]


@anvil.server.callable("add_task")
def add(title):
    Auth.check()
    return f"added {clean(title)}"


@anvil.server.route("/tasks")
def tasks_endpoint(**params):
    return {"tasks": TASKS, "greeting": Auth.GREETING}
"""

AUTH = """\
GREETING = "hello from Auth"


def check():
    return True
"""

REPORTS = """\
import anvil.server

import Auth


@anvil.server.background_task
def tidy_up():
    print("tidy", Auth.GREETING)
"""


def task_board() -> dict[str, bytes]:
    files = {
        "anvil.yaml": TASK_BOARD_YAML,
        "__init__.py": "",
        "client_code/Main/form_template.yaml": MAIN_TEMPLATE,
        "client_code/Main/__init__.py": MAIN_CODE,
        "client_code/Main/TaskRow/form_template.yaml": ROW_TEMPLATE,
        "client_code/Main/TaskRow/__init__.py": ROW_CODE,
        "client_code/Validation.py": VALIDATION,
        "server_code/Tasks.py": TASKS,
        "server_code/Auth.py": AUTH,
        "server_code/Reports.py": REPORTS,
        "server_code/requirements.txt": "# packages the server code needs\n",
        "theme/parameters.yaml": "roles:\n- {name: headline, title: Headline, components: [Label]}\ncolor_scheme: {Primary 500: '#2196F3'}\n",
        "theme/assets/standard-page.html": '<div class="content">\n  <div anvil-slot="default"></div>\n</div>\n',
        "theme/assets/theme.css": "body {\n  font-family: sans-serif;\n}\n",
    }
    tree = {path: text.encode("utf-8") for path, text in files.items()}
    tree["theme/assets/logo.png"] = PNG
    return tree


SHOWCASE_YAML = """\
dependencies: []
name: Anvil showcase
package_name: Showcase
runtime_options: {client_version: '3', version: 2}
services: []
startup: {module: Form1, type: form}
startup_form: null
"""


def showcase() -> dict[str, bytes]:
    files = {
        path: text for path, text in anvil_app.files().items() if path.startswith("client_code/")
    }
    files["server_code/ServerModule1.py"] = anvil_app.SERVER
    files["anvil.yaml"] = SHOWCASE_YAML
    return {path: text.encode("utf-8") for path, text in files.items()}


API_YAML = """\
db_schema: []
name: Weather API
package_name: Weather
services: []
"""

API_SERVER = """\
import anvil.server
from anvil.server import route

from .Forecast import tomorrow


@route("/forecast/:city")
def forecast(city, **params):
    return {"city": city, "tomorrow": tomorrow()}


@anvil.server.http_endpoint("/ping")
def ping(**params):
    return "pong"
"""

API_FORECAST = """\
def tomorrow():
    return "sunny"
"""


def api() -> dict[str, bytes]:
    files = {
        "anvil.yaml": API_YAML,
        "server_code/Endpoints.py": API_SERVER,
        "server_code/Forecast.py": API_FORECAST,
    }
    return {path: text.encode("utf-8") for path, text in files.items()}


NIGHTLY_YAML = """\
name: Nightly digest
package_name: Nightly
scheduled_tasks:
- job_id: ABCDEFGH
  task_name: digest
  time_spec:
    at: {}
    every: minute
    n: 30
- job_id: IJKLMNOP
  task_name: weekly
  time_spec:
    at: {day: 2, hour: 9, minute: 30}
    every: week
    n: 1
services: []
"""

NIGHTLY_SERVER = """\
import anvil.server


@anvil.server.background_task
def digest():
    print("digest sent")


@anvil.server.background_task
def weekly():
    print("weekly")
"""


def nightly() -> dict[str, bytes]:
    files = {"anvil.yaml": NIGHTLY_YAML, "server_code/Digest.py": NIGHTLY_SERVER}
    return {path: text.encode("utf-8") for path, text in files.items()}


TODO_YAML = """\
dependencies: []
services:
- source: /runtime/services/tables.yml
  client_config: {}
  server_config: {auto_create_missing_columns: true}
package_name: Todo
name: Todo
startup_form: Form1
db_schema:
- name: tasks
  id: 12345
  python_name: tasks
  columns:
    E9e2ASS2uyU=:
      name: name
      type: string
      admin_ui: {order: 0, width: 200}
    Lk958fQHwJ0=:
      name: complete
      type: bool
  access: {python_name: tasks, app_id: Todo, server: full, client: none, table_id: 12345}
"""

TODO_TEMPLATE = """\
from anvil import *


class Form1Template(ColumnPanel):
    def __init__(self, **properties):
        super().__init__(**properties)
        self.add_component(Label(text="To do"))
"""


def todo() -> dict[str, bytes]:
    """An older app: anvil.yaml not as today's editor writes it (keys unsorted, the older
    list form of db_schema), a form built in code."""
    files = {
        "anvil.yaml": TODO_YAML,
        "client_code/Form1/_template.py": TODO_TEMPLATE,
        "client_code/Form1/__init__.py": "from ._template import Form1Template\n\n\nclass Form1(Form1Template):\n    pass\n",
        "server_code/ServerModule1.py": "import anvil.server\n",
    }
    return {path: text.encode("utf-8") for path, text in files.items()}


TROUBLED_YAML = """\
dependencies:
- app_id: ZBDT7UM6GVGR7W4D
  version: {dev: false}
name: Troubled
native_deps: {head_html: '<script src="https://cdn.example.com/chart.js"></script>'}
package_name: Troubled
runtime_options: {client_version: '3', server_persist: true, version: 2}
scheduled_tasks:
- job_id: QQQQQQQQ
  task_name: nightly
  time_spec:
    at: {}
    every: hour
    n: 1
secrets:
  api_key: {type: secret, value: {ABCDEF: 'encrypted=='}}
services:
- client_config: {}
  server_config: {}
  source: /runtime/services/google.yml
- client_config: {}
  server_config: {}
  source: /runtime/services/custom/thing.yml
- client_config: {use_email: true, use_google: true, require_mfa: true}
  server_config: {user_table: people}
  source: /runtime/services/anvil/users.yml
startup: {module: Form1, type: form}
"""

TROUBLED_FORM = """\
container: {type: ColumnPanel}
components:
- name: map_1
  type: GoogleMap
  properties: {}
  layout_properties: {grid_position: 'AAAAAA,BBBBBB'}
- name: fancy
  type: form:ZBDT7UM6GVGR7W4D:Fancy
  properties: {}
  layout_properties: {grid_position: 'CCCCCC,DDDDDD'}
"""

TROUBLED_FORM_CODE = """\
from ._anvil_designer import Form1Template
from anvil import *
import anvil.server


class Form1(Form1Template):
    def __init__(self, **properties):
        self.init_components(**properties)
        self.answer = anvil.server.call("ask_the_uplink", 42)
"""

TROUBLED_SERVER = """\
import anvil.server
import anvil.email
from anvil.google.drive import app_files


@anvil.email.handle_message
def incoming(msg):
    pass


@anvil.server.callable
def files():
    return app_files.reports
"""

TROUBLED_OLD = """\
print "this is Python 2"
"""


def troubled() -> dict[str, bytes]:
    files = {
        "anvil.yaml": TROUBLED_YAML,
        "client_code/Form1/form_template.yaml": TROUBLED_FORM,
        "client_code/Form1/__init__.py": TROUBLED_FORM_CODE,
        "server_code/Main.py": TROUBLED_SERVER,
        "server_code/Legacy.py": TROUBLED_OLD,
        "server_code/requirements.txt": "-e git+https://example.com/lib.git#egg=lib\n",
    }
    return {path: text.encode("utf-8") for path, text in files.items()}


def write(folder: Path, tree: dict[str, bytes]) -> Path:
    for path, data in tree.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def zipped(tree: dict[str, bytes], top: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(tree.items()):
            archive.writestr(top + path, data)
    return buffer.getvalue()
