"""`anvil.app` in the real guest without a widget (a plain run, as a classroom check has):
no facts to give, so id and branch are None, as Anvil's server before it knows its app;
theme assets read from the run's own files (`theme/assets/`, a `data:` URL decoded), a
missing one or a path out of the folder refused with Anvil's ValueError; read-only. With a
widget, tests/server/test_app_info.py."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from widgetbox.runtime import Code, Limits, Runtime, Script, Status

pytestmark = pytest.mark.sandbox

PNG = b"\x89PNG\r\n\x1a\n\x00\xff"
MAIN = """\
import json
import anvil


def attempt(fn):
    try:
        return ["ok", fn()]
    except Exception as e:
        return [type(e).__name__, str(e)]


app = anvil.app
print(json.dumps([app.id, app.branch, app.environment.name, app.environment.tags]))
text = app.get_asset("notes/a.txt")
print(json.dumps([text.content_type, text.name, text.get_bytes().decode()]))
png = app.get_asset("dot.png")
print(json.dumps([png.content_type, png.get_bytes().hex()]))
for path in ["missing.txt", "../secret.txt", "notes/../../secret.txt", "/widget/secret.txt", 3]:
    print(json.dumps(attempt(lambda: app.get_asset(path))))
print(json.dumps(attempt(lambda: setattr(app, "branch", "published"))))
"""


def test_anvil_app_without_a_widget(runtime: Runtime) -> None:
    files = {
        "main.py": MAIN,
        "secret.txt": "not an asset",
        "theme/assets/notes/a.txt": "hello",
        "theme/assets/dot.png": "data:image/png;base64," + base64.b64encode(PNG).decode(),
    }
    result = runtime.run(Script(Code(files, "main.py")), limits=Limits.script().with_(timeout=30))
    assert result.status is Status.OK, (result.message, result.stderr, result.stdout)
    found: list[Any] = [json.loads(line) for line in result.stdout.splitlines()]
    assert found == [
        [None, None, None, []],
        ["text/plain", "a.txt", "hello"],
        ["image/png", PNG.hex()],
        ["ValueError", "Asset not found: missing.txt"],
        ["ValueError", "Asset not found: ../secret.txt"],
        ["ValueError", "Asset not found: notes/../../secret.txt"],
        ["ValueError", "Asset not found: /widget/secret.txt"],
        ["TypeError", "an asset's path is a string, not int"],
        ["AttributeError", "This object is read-only"],
    ]
