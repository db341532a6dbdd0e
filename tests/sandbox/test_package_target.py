"""What the sandbox's interpreter says about itself, against what package resolution assumes
(`widgetbox.host.packages.target` and `.builtin`): environment markers, the pure-Python
wheel tags it accepts, and the packages built into it with their versions."""

from __future__ import annotations

import json

import pytest

from widgetbox.host.packages import SANDBOX, builtin
from widgetbox.runtime import Code, Runtime, Script, Status

pytestmark = pytest.mark.sandbox

PROBE = """
import json
from importlib.metadata import distributions
from packaging.markers import default_environment
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name

print(json.dumps({
    "markers": default_environment(),
    "tags": [str(tag) for tag in sys_tags()],
    # built in: what the interpreter carries, not the included HTTP clients on /included
    # (last on sys.path, so a widget's own version of them wins)
    "builtins": {
        canonicalize_name(d.metadata["Name"]): d.version
        for d in distributions()
        if not str(d.locate_file("")).startswith("/included")
    },
}))
"""


@pytest.fixture(scope="module")
def reported(runtime: Runtime) -> dict[str, object]:
    result = runtime.run(Script(Code.single(PROBE)))
    assert result.status is Status.OK, result.stderr
    found: dict[str, object] = json.loads(result.stdout)
    return found


def test_the_marker_environment_is_the_interpreter_s(reported: dict[str, object]) -> None:
    assert SANDBOX.markers == reported["markers"]


def test_the_pure_tags_are_the_interpreter_s_any_tags_in_its_order(
    reported: dict[str, object],
) -> None:
    tags = reported["tags"]
    assert isinstance(tags, list)
    assert [str(tag) for tag in SANDBOX.tags] == [t for t in tags if t.endswith("-none-any")]


def test_the_built_in_packages_are_the_ones_the_interpreter_sees(
    reported: dict[str, object],
) -> None:
    found = {name: str(b.version) for name, b in builtin.of_sandbox().items()}
    assert found == reported["builtins"]
