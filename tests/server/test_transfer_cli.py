"""`widgetbox import` and `widgetbox export`, the real command against a data folder of its
own: an Anvil app (a git clone) in, the same app out, a widget's folder both ways, and the
exit codes and JSON of refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import anvil_repo
from tests.git_server import make_repo, serving
from widgetbox.host.accounts import users as accounts
from widgetbox.host.config import load
from widgetbox.host.storage.database import Database
from widgetbox.host.transfer import trees
from widgetbox.host.widgets import records as widgets

pytestmark = pytest.mark.server

WIDGETBOX = str(Path(sys.executable).parent / "widgetbox")


def widgetbox(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WIDGETBOX_")}
    return subprocess.run(
        [WIDGETBOX, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data folder whose database has the admin and alice."""
    folder = tmp_path / "data"
    db = Database(load(environ={}, overrides={"data_dir": folder}).database_path)
    try:
        for name in ("admin", "alice"):
            db.write_now(
                accounts.create_user, name, accounts.hash_password("a long password"), True
            )
    finally:
        db.close()
    return folder


def stored(data: Path, slug: str) -> tuple[Any, dict[str, str]]:
    db = Database(load(environ={}, overrides={"data_dir": data}).database_path)
    try:
        widget = db.read_now(widgets.find, slug)
        return widget, db.read_now(widgets.head_files, widget)
    finally:
        db.close()


def test_an_anvil_clone_in_and_the_same_app_out(tmp_path: Path, data: Path) -> None:
    clone = anvil_repo.write(tmp_path / "task-board", anvil_repo.task_board())
    (clone / ".git").mkdir()
    (clone / ".git" / "HEAD").write_text("ref: refs/heads/master\n")
    done = widgetbox(
        tmp_path, "import", str(clone), "--data-dir", str(data), "--user", "alice", "--json"
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["ok"] is True
    assert record["widget"] == {
        "slug": "task-board",
        "title": "Task Board",
        "kind": "gui",
        "visibility": "private",
        "owner": "alice",
        "version": 1,
        "url": "http://localhost:8000/widgets/task-board",
    }
    assert any(
        line["message"].startswith("left out") and ".git/" in line["message"]
        for line in record["report"]
    )
    assert {"level", "file", "where", "message"} == set(record["report"][0])
    widget, files = stored(data, "task-board")
    assert widget.kind == "gui"
    assert "server_code/Tasks.py" in files

    out = tmp_path / "out"
    done = widgetbox(tmp_path, "export", "task-board", str(out), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"exported task-board as an Anvil app to {out} (15 files)"
    assert trees.read_folder(out).tree == anvil_repo.task_board()

    # the folder must be new or empty: nothing is overwritten
    again = widgetbox(tmp_path, "export", "task-board", str(out), "--data-dir", str(data), "--json")
    assert again.returncode == 1
    refused = json.loads(again.stdout)
    assert (refused["ok"], refused["error"]) == (False, "nothing was exported")
    assert refused["problems"] == [
        {"file": str(out), "where": "", "problem": "exists and is not an empty folder"}
    ]


def test_the_text_output_lists_the_report_and_the_widget(tmp_path: Path, data: Path) -> None:
    app = anvil_repo.write(tmp_path / "troubled", anvil_repo.troubled())
    done = widgetbox(tmp_path, "import", str(app), "--data-dir", str(data), "--title", "Mixed bag")
    assert done.returncode == 0, done.stderr
    assert "warning: anvil.yaml: services[0]: Widgetbox has no Google service" in done.stderr
    assert "Uplink" in done.stderr
    assert done.stdout.splitlines()[-1] == (
        "imported 'Mixed bag' as an app mixed-bag for admin: http://localhost:8000/widgets/mixed-bag"
    )


def test_a_widgets_folder_round_trip(tmp_path: Path, data: Path) -> None:
    app = anvil_repo.write(tmp_path / "nightly", anvil_repo.nightly())
    assert widgetbox(tmp_path, "import", str(app), "--data-dir", str(data)).returncode == 0
    folder = tmp_path / "nightly-folder"
    done = widgetbox(
        tmp_path, "export", "nightly-digest", str(folder), "--folder", "--data-dir", str(data)
    )
    assert done.returncode == 0, done.stderr
    assert (folder / ".widgetbox.toml").read_text().endswith('slug = "nightly-digest"\n')
    done = widgetbox(
        tmp_path, "import", str(folder), "--data-dir", str(data), "--slug", "copy", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["widget"]["kind"] == "scheduled"
    assert stored(data, "copy")[1] == stored(data, "nightly-digest")[1]


def test_refusals_exit_with_1_and_say_why(tmp_path: Path, data: Path) -> None:
    not_an_app = anvil_repo.write(tmp_path / "code", {"server_code/x.py": b"x = 1\n"})
    done = widgetbox(tmp_path, "import", str(not_an_app), "--data-dir", str(data), "--json")
    assert done.returncode == 1
    record = json.loads(done.stdout)
    assert record["ok"] is False
    assert record["report"][0]["file"] == "anvil.yaml"
    assert record["report"][0]["level"] == "error"

    done = widgetbox(tmp_path, "import", str(not_an_app), "--data-dir", str(data))
    assert done.returncode == 1
    assert "error: anvil.yaml: missing" in done.stderr

    nobody = widgetbox(
        tmp_path, "import", str(tmp_path / "code"), "--data-dir", str(data), "--user", "zed"
    )
    assert nobody.returncode == 1
    no_such = widgetbox(
        tmp_path, "export", "nothing-here", str(tmp_path / "o"), "--data-dir", str(data)
    )
    assert (no_such.returncode, no_such.stderr.strip()) == (
        1,
        "Error: There is no widget 'nothing-here'.",
    )
    url = widgetbox(tmp_path, "import", "git@github.com:me/app.git", "--data-dir", str(data))
    assert url.returncode == 1
    assert "Only https and http git URLs" in url.stderr


def test_import_clones_a_git_url(tmp_path: Path, data: Path) -> None:
    root = tmp_path / "repos"
    root.mkdir()
    make_repo(root, "forecast.git", anvil_repo.api())
    with serving(root) as git:
        done = widgetbox(
            tmp_path, "import", git.url("forecast.git"), "--data-dir", str(data), "--json"
        )
        missing = widgetbox(tmp_path, "import", git.url("gone.git"), "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    slug = json.loads(done.stdout)["widget"]["slug"]
    widget, files = stored(data, slug)
    assert widget.kind == "http"
    assert files["server_code/Forecast.py"] == anvil_repo.api()["server_code/Forecast.py"].decode()
    assert missing.returncode == 1
    assert "is not a git repository" in missing.stderr
