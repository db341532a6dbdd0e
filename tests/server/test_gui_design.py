"""GUI widgets' designs over the JSON API: the template, saves checked against the component
catalogue (400 naming the file and place), forks and restores keep the design."""

from __future__ import annotations

import json

import pytest

from tests.server._client import Browser, assert_error
from widgetbox.host.widgets.starters import TEMPLATES

pytestmark = pytest.mark.server


def save(browser: Browser, slug: str, files: dict[str, str], base: int) -> object:
    return browser.post(
        f"/api/widgets/{slug}/versions", json={"base_version": base, "files": files}
    )


def test_a_new_app_has_a_form_its_code_server_code_and_settings(alice: Browser) -> None:
    widget = alice.create_widget("gui", "My app")
    files = sorted(widget["files"])
    assert files == ["app.json", "forms/Form1.json", "forms/Form1.py", "server.py"]
    design = json.loads(widget["files"]["forms/Form1.json"])
    assert [c["type"] for c in design["components"]] == ["TextBox", "Button", "Label"]
    assert design["components"][1]["event_bindings"] == {"click": "button_1_click"}
    assert "def button_1_click(self, **event_args):" in widget["files"]["forms/Form1.py"]
    settings = json.loads(widget["files"]["app.json"])
    assert settings == {"startup_form": "Form1", "runtime": "brython"}


def test_a_bad_design_is_refused_with_a_400_naming_the_place(alice: Browser) -> None:
    widget = alice.create_widget("gui", "My app")
    files = dict(widget["files"])
    design = json.loads(files["forms/Form1.json"])
    design["components"][1]["properties"]["text"] = 42
    files["forms/Form1.json"] = json.dumps(design)
    error = assert_error(save(alice, widget["slug"], files, 1), 400, "invalid_design")
    assert error["message"] == (
        "The app cannot be saved: forms/Form1.json: button_1.properties.text: "
        "expected text, not a number"
    )
    assert error["details"] == {"file": "forms/Form1.json", "where": "button_1.properties.text"}
    # nothing was saved
    assert alice.get(f"/api/widgets/{widget['slug']}").json()["head_version"] == 1


def test_a_good_change_is_saved_and_other_kinds_are_not_checked(alice: Browser) -> None:
    widget = alice.create_widget("gui", "My app")
    files = dict(widget["files"])
    design = json.loads(files["forms/Form1.json"])
    design["components"].append({"name": "tick", "type": "Timer", "properties": {"interval": 1}})
    files["forms/Form1.json"] = json.dumps(design)
    files["forms/Form2.json"] = '{"container": {"type": "FlowPanel"}}'
    files["forms/Form2.py"] = "from ._anvil_designer import Form2Template\n"
    files["app.json"] = '{"startup_form": "Form2", "runtime": "pyodide"}'
    response = save(alice, widget["slug"], files, 1)
    assert response.status_code == 201, response.text
    # a script may hold any JSON file it likes
    script = alice.create_widget("script", "A script")
    odd = {**TEMPLATES["script"], "forms/Form1.json": "not json"}
    assert save(alice, script["slug"], odd, 1).status_code == 201


def test_forks_and_restores_keep_the_design(alice: Browser, bob: Browser) -> None:
    widget = alice.create_widget("gui", "Shared app", visibility="public")
    fork = bob.post(f"/api/widgets/{widget['slug']}/fork", json={}).json()
    assert fork["files"] == widget["files"]
    files = {**widget["files"], "app.json": '{"runtime": "pyodide"}'}
    assert save(alice, widget["slug"], files, 1).status_code == 201
    restored = alice.post(f"/api/widgets/{widget['slug']}/versions/1/restore", json={})
    assert restored.status_code == 201
    latest = alice.get(f"/api/widgets/{widget['slug']}").json()
    assert latest["files"] == widget["files"]
