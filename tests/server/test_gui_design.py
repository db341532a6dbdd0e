"""GUI widgets' designs over the JSON API: a new app in Anvil's own layout, Anvil apps saved as
they are (YAML kept byte for byte, what Widgetbox does not draw kept), refusals listing every
problem with its file and place, apps of Widgetbox's first layout still saved, forks and
restores keeping the design; and the app's page serving Anvil designs as JSON."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
import yaml

from tests import anvil_app
from tests.server._client import Browser, assert_error
from tests.server.conftest import Server
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.server

TEMPLATE = "client_code/Form1/form_template.yaml"


def save(browser: Browser, slug: str, files: dict[str, str], base: int) -> httpx.Response:
    return browser.post(
        f"/api/widgets/{slug}/versions", json={"base_version": base, "files": files}
    )


def boot_of(page: httpx.Response) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="wb-boot">(.*?)</script>', page.text)
    assert found, page.text[:500]
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_a_new_app_is_in_anvils_layout(alice: Browser) -> None:
    widget = alice.create_widget("gui", "My app")
    files = sorted(widget["files"])
    assert files == ["app.json", "client_code/Form1/__init__.py", TEMPLATE, "server.py"]
    design = yaml.safe_load(widget["files"][TEMPLATE])
    assert [c["type"] for c in design["components"]] == ["TextBox", "Button", "Label"]
    assert design["components"][1]["event_bindings"] == {"click": "button_1_click"}
    assert design["components"][0]["layout_properties"]["grid_position"]
    code = widget["files"]["client_code/Form1/__init__.py"]
    assert code.startswith("from ._anvil_designer import Form1Template\n")
    assert "def button_1_click(self, **event_args):" in code
    settings = json.loads(widget["files"]["app.json"])
    assert settings == {"startup_form": "Form1", "runtime": "pyodide"}


def test_an_anvil_app_is_saved_as_it_is(alice: Browser) -> None:
    widget = alice.create_widget("gui", "Anvil app")
    files = anvil_app.files()
    response = save(alice, widget["slug"], files, 1)
    assert response.status_code == 201, response.text
    assert alice.get(f"/api/widgets/{widget['slug']}").json()["files"] == files


def test_every_problem_is_refused_at_once_with_its_place(alice: Browser) -> None:
    widget = alice.create_widget("gui", "My app")
    files = dict(widget["files"])
    design = yaml.safe_load(files[TEMPLATE])
    design["components"][1]["name"] = "text_box_1"  # a second text_box_1
    design["components"][2]["name"] = "visible"  # the form's property
    design["components"][0]["properties"]["sparkle"] = True  # a warning only
    files[TEMPLATE] = yaml.safe_dump(design)
    files["client_code/Form2/form_template.yaml"] = "components: [\n"
    error = assert_error(save(alice, widget["slug"], files, 1), 400, "invalid_design")
    assert error["message"].startswith("The app cannot be saved (4 problems): ")
    assert [(p["file"], p["where"]) for p in error["details"]["problems"]] == [
        ("client_code/Form2/form_template.yaml", ""),
        ("client_code/Form2/form_template.yaml", "line 2"),
        (TEMPLATE, "text_box_1"),
        (TEMPLATE, "visible"),
    ]
    assert (error["details"]["file"], error["details"]["where"]) == (
        "client_code/Form2/form_template.yaml",
        "",
    )
    # nothing was saved
    assert alice.get(f"/api/widgets/{widget['slug']}").json()["head_version"] == 1


def test_apps_of_the_first_layout_are_still_saved(alice: Browser) -> None:
    widget = alice.create_widget("gui", "Old app")
    legacy = {
        "server.py": "",
        "forms/Form1.json": json.dumps(
            {"container": {"type": "ColumnPanel"},
             "components": [{"name": "hello", "type": "Label", "properties": {"text": "Hi"}}]}
        ),
        "forms/Form1.py": "from ._anvil_designer import Form1Template\n\n"
                          "class Form1(Form1Template):\n    pass\n",
        "forms/Form2.json": '{"container": {"type": "FlowPanel"}}',
        "forms/Form2.py": "from ._anvil_designer import Form2Template\n",
        "app.json": '{"startup_form": "Form2", "runtime": "pyodide"}',
    }  # fmt: skip
    response = save(alice, widget["slug"], legacy, 1)
    assert response.status_code == 201, response.text
    # a script may hold any file it likes
    script = alice.create_widget("script", "A script")
    odd = {**TEMPLATES["script"], "client_code/Form1/form_template.yaml": "{["}
    assert save(alice, script["slug"], odd, 1).status_code == 201


def test_forks_and_restores_keep_the_design(alice: Browser, bob: Browser) -> None:
    widget = alice.create_widget("gui", "Shared app", visibility="public")
    assert save(alice, widget["slug"], anvil_app.files(), 1).status_code == 201
    fork = bob.post(f"/api/widgets/{widget['slug']}/fork", json={}).json()
    assert fork["files"] == anvil_app.files()
    restored = alice.post(f"/api/widgets/{widget['slug']}/versions/1/restore", json={})
    assert restored.status_code == 201
    latest = alice.get(f"/api/widgets/{widget['slug']}").json()
    assert latest["files"] == widget["files"]


def test_the_apps_page_sends_anvil_designs_as_json(alice: Browser, server: Server) -> None:
    widget = alice.create_widget("gui", "Anvil page", visibility="public")
    assert save(alice, widget["slug"], anvil_app.files("pyodide"), 1).status_code == 201
    page = alice.client.get(f"http://{widget['slug']}.{server.config.apps_host}/")
    assert page.status_code == 200
    boot = boot_of(page)
    assert boot["runtime"] == "pyodide"
    assert boot["startup_form"] == "Form1"
    sent = boot["files"]
    assert "server.py" not in sent
    source = anvil_app.files()
    for path in ("client_code/Form1/form_template.yaml", "client_code/OldForm.yaml"):
        assert json.loads(sent[path]) == yaml.safe_load(source[path]), path
    for path in ("client_code/Built/_template.py", "client_code/Helpers.py",
                 "client_code/Form1/__init__.py"):  # fmt: skip
        assert sent[path] == source[path]
    csp = page.headers["content-security-policy"]
    assert "frame-src https://www.youtube-nocookie.com;" in csp
