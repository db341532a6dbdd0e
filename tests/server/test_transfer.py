"""Import and export over the JSON API, with the real sandbox: an imported Anvil app's server
modules load as in Anvil (calls, endpoints), a report comes back, hostile zips are refused
with every problem, and an export is the app that was imported."""

from __future__ import annotations

import time

import pytest

from tests import anvil_repo
from tests.server._client import Browser, assert_error
from tests.server._runs import RUN_DEADLINE, history, run_detail, start_run, wait_for_run
from tests.server.conftest import Server
from tests.server.test_gui_apps import app_url, call
from widgetbox.host.transfer import trees
from widgetbox.host.transfer.folders import META_FILE

pytestmark = pytest.mark.server


def upload(browser: Browser, data: bytes, **fields: str) -> dict:
    response = browser.post(
        "/api/imports", files={"file": ("app.zip", data, "application/zip")}, data=fields
    )
    assert response.status_code == 201, response.text
    answer: dict = response.json()
    return answer


def test_an_anvil_app_imports_and_its_server_modules_load_as_in_anvil(
    server: Server, alice: Browser, anon: Browser
) -> None:
    answer = upload(
        alice, anvil_repo.zipped(anvil_repo.task_board(), "TaskBoard/"), visibility="public"
    )
    widget = answer["widget"]
    assert (widget["kind"], widget["title"], widget["visibility"]) == (
        "gui",
        "Task Board",
        "public",
    )
    assert answer["source"] == "anvil"
    assert answer["url"] == f"/widgets/{widget['slug']}"
    levels = [line["level"] for line in answer["report"]]
    assert levels == sorted(levels, key=["error", "warning", "info"].index)
    assert any("3 server modules" in line["message"] for line in answer["report"])
    slug = widget["slug"]
    # a callable of one module, which imports another and a client module (relative imports)
    listed = call(anon, server, slug, "list_tasks")
    assert listed.status_code == 200, listed.text
    assert listed.json()["value"][0] == {"title": "Write the report", "done": False}
    added = call(anon, server, slug, "add_task", "  Buy   milk ")
    assert added.json() == {"value": "added Buy milk"}
    # its HTTP endpoint, on the app's origin
    endpoint = anon.client.get(app_url(server, slug, "/_/api/tasks"))
    assert endpoint.status_code == 200, endpoint.text
    assert endpoint.json()["greeting"] == "hello from Auth"
    # its Data Tables and Users service
    tables = alice.get(f"/api/widgets/{slug}/tables").json()
    assert sorted(t["name"] for t in tables["tables"]) == ["tasks", "users"]
    settings = alice.get(f"/api/widgets/{slug}/users/settings").json()
    assert settings["enabled"] is True
    assert settings["settings"]["remember_me_days"] == 14


def test_an_http_api_and_a_scheduled_task(server: Server, alice: Browser, anon: Browser) -> None:
    api = upload(alice, anvil_repo.zipped(anvil_repo.api()), visibility="public")["widget"]
    assert api["kind"] == "http"
    forecast = anon.get(f"/w/{api['slug']}/forecast/paris")
    assert forecast.status_code == 200, forecast.text
    assert forecast.json() == {"city": "paris", "tomorrow": "sunny"}
    assert anon.get(f"/w/{api['slug']}/ping").text == "pong"

    task = upload(alice, anvil_repo.zipped(anvil_repo.nightly()), title="Digest")["widget"]
    assert (task["kind"], task["title"]) == ("scheduled", "Digest")
    schedule = alice.get(f"/api/widgets/{task['slug']}/schedule").json()
    # a run launches the app's background task, as Anvil's scheduler does
    run = wait_for_run(alice, start_run(alice, task["slug"])["id"])
    assert run["status"] == "ok", run
    deadline = time.monotonic() + RUN_DEADLINE
    while not any(
        r.get("task_name") == "digest" and r["status"] == "ok" for r in history(alice, task["slug"])
    ):
        assert time.monotonic() < deadline, history(alice, task["slug"])
        time.sleep(0.05)
    launched = next(r for r in history(alice, task["slug"]) if r.get("task_name") == "digest")
    assert "digest sent" in run_detail(alice, launched["id"])["stdout"]
    assert schedule["rule"] == {
        "type": "interval",
        "every": 30,
        "unit": "minutes",
        "timezone": "UTC",
    }


def test_the_report_of_an_app_with_problems_comes_with_its_widget(alice: Browser) -> None:
    answer = upload(alice, anvil_repo.zipped(anvil_repo.troubled()))
    warnings = [line for line in answer["report"] if line["level"] == "warning"]
    assert len(warnings) >= 15
    assert {"file", "where", "message", "level"} == set(warnings[0])
    assert any("Uplink" in line["message"] for line in warnings)
    slug = answer["widget"]["slug"]
    widget = alice.get(f"/api/widgets/{slug}")
    assert widget.status_code == 200
    assert widget.json()["persistent"] is True  # the app's server_persist: true
    exported = trees.read_zip(alice.get(f"/api/widgets/{slug}/export").content).tree
    assert b"server_persist: true" in exported["anvil.yaml"]
    alice.patch(f"/api/widgets/{slug}", json={"persistent": False}).raise_for_status()
    exported = trees.read_zip(alice.get(f"/api/widgets/{slug}/export").content).tree
    assert b"server_persist: false" in exported["anvil.yaml"]


def test_nothing_is_imported_when_an_app_cannot_be(alice: Browser) -> None:
    tree = anvil_repo.api()
    del tree["anvil.yaml"]
    tree["server_code/Broken.py"] = b"print 'two'\n"
    response = alice.post(
        "/api/imports", files={"file": ("x.zip", anvil_repo.zipped(tree), "application/zip")}
    )
    error = assert_error(response, 400, "cannot_import")
    assert [p["file"] for p in error["details"]["problems"]] == ["anvil.yaml"]
    assert any(line["file"] == "server_code/Broken.py" for line in error["details"]["report"])
    assert alice.get("/api/widgets").json()["widgets"] == []


def test_a_file_sent_as_a_plain_field_is_a_bad_request(alice: Browser) -> None:
    boundary = "b0undary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'.encode()
        + b"\x89PNG\r\n\x1a\n"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = alice.post(
        "/api/imports",
        content=form,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    error = assert_error(answer, 400, "invalid_request")
    assert "not text" in error["message"]


def test_hostile_zips_are_refused_with_every_problem(alice: Browser) -> None:
    evil = anvil_repo.zipped(
        {"../../etc/cron.d/x": b"* * * * * root sh", "/abs.py": b"", "anvil.yaml": b""}
    )
    error = assert_error(
        alice.post("/api/imports", files={"file": ("x.zip", evil, "application/zip")}),
        400,
        "invalid_zip",
    )
    assert [p["file"] for p in error["details"]["problems"]] == ["../../etc/cron.d/x", "/abs.py"]
    many = anvil_repo.zipped({f"f{i}.py": b"" for i in range(1001)})
    error = assert_error(
        alice.post("/api/imports", files={"file": ("x.zip", many, "application/zip")}),
        400,
        "invalid_zip",
    )
    assert error["details"]["problems"][0]["problem"] == "more than 1,000 files"
    bomb = anvil_repo.zipped({f"b{i}.bin": bytes(8 * 1024 * 1024) for i in range(5)})
    error = assert_error(
        alice.post("/api/imports", files={"file": ("x.zip", bomb, "application/zip")}),
        400,
        "invalid_zip",
    )
    assert "bytes in all" in error["details"]["problems"][0]["problem"]
    assert_error(
        alice.post("/api/imports", files={"file": ("x.zip", b"nope", "application/zip")}),
        400,
        "invalid_zip",
    )


def test_export_gives_back_the_imported_app_and_a_folder_that_imports_again(
    alice: Browser, bob: Browser, anon: Browser
) -> None:
    original = anvil_repo.task_board()
    slug = upload(alice, anvil_repo.zipped(original))["widget"]["slug"]
    exported = alice.get(f"/api/widgets/{slug}/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/zip"
    assert exported.headers["content-disposition"] == f'attachment; filename="{slug}.zip"'
    assert trees.read_zip(exported.content).tree == original
    # private: nobody else may export it
    assert_error(bob.get(f"/api/widgets/{slug}/export"), 404)
    assert_error(anon.get(f"/api/widgets/{slug}/export"), 404)

    folder = alice.get(f"/api/widgets/{slug}/export?format=folder")
    assert folder.headers["content-disposition"] == f'attachment; filename="{slug}-folder.zip"'
    tree = trees.read_zip(folder.content).tree
    assert f'slug = "{slug}"' in tree[META_FILE].decode()
    assert tree["theme/assets/logo.png"] == original["theme/assets/logo.png"]
    again = upload(alice, folder.content, title="Second copy")
    assert again["source"] == "folder"
    assert again["widget"]["title"] == "Second copy"
    assert again["widget"]["slug"] != slug  # the folder's slug was taken
    first = alice.get(f"/api/widgets/{slug}").json()["files"]
    second = alice.get(f"/api/widgets/{again['widget']['slug']}").json()["files"]
    assert first == second


def test_scripts_export_only_as_folders(alice: Browser) -> None:
    slug = alice.create_widget("script", "Plain")["slug"]
    assert_error(alice.get(f"/api/widgets/{slug}/export"), 422, "not_exportable")
    tree = trees.read_zip(alice.get(f"/api/widgets/{slug}/export?format=folder").content).tree
    assert sorted(tree) == [META_FILE, "main.py"]


def test_the_import_page(alice: Browser, anon: Browser) -> None:
    page = alice.get("/import")
    assert page.status_code == 200
    assert "Import an Anvil app" in page.text
    assert anon.get("/import", follow_redirects=False).status_code == 303
