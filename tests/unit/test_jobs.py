from __future__ import annotations

import base64
import datetime

import pytest

from widgetbox.runtime import Call, Code, HttpRequest, Route, Script, SerializationError, Task
from widgetbox.runtime._jobs import MAX_FILES

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "path",
    ["", "/abs.py", "../up.py", "a/../b.py", "./a.py", "a//b.py", "a\\b.py", "a/", "nul\x00.py"],
)
def test_file_paths_must_be_plain_relative_names(path: str) -> None:
    with pytest.raises(ValueError, match="bad file path"):
        Code(files={path: "", "main.py": ""})


def test_files_must_be_valid_unicode_text() -> None:
    with pytest.raises(ValueError, match="not valid Unicode"):
        Code.single("x = '\ud800'")


def test_nested_relative_paths_are_fine() -> None:
    code = Code(files={"main.py": "", "lib/util.py": "x = 1"})
    assert code.entry == "main.py"


def test_the_entry_must_be_one_of_the_files_and_python() -> None:
    with pytest.raises(ValueError, match="not among"):
        Code(files={"a.py": ""}, entry="main.py")
    with pytest.raises(ValueError, match=r"must be a \.py file"):
        Code(files={"data.txt": ""}, entry="data.txt")


def test_size_and_count_are_limited() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Code(files={})
    with pytest.raises(ValueError, match="at most"):
        Code(files={f"f{i}.py": "" for i in range(MAX_FILES + 1)}, entry="f0.py")
    with pytest.raises(ValueError, match="bytes"):
        Code.single("x" * (9 * 1024 * 1024))


def test_payloads_are_what_the_driver_reads() -> None:
    code = Code.single("pass")
    assert Script(code, argv=["a", 1]).payload() == {  # type: ignore[list-item]
        "mode": "script",
        "entry": "main.py",
        "argv": ["a", "1"],
    }
    given = Script(code, stdin="1\n2\n").payload()
    assert given == {"mode": "script", "entry": "main.py", "argv": [], "stdin": "1\n2\n"}
    call = Call(code, "f", (1, datetime.date(2026, 1, 2)), {"k": (1,)}).payload()
    assert call["args"] == [1, {"$wb": "date", "v": "2026-01-02"}]
    assert call["kwargs"] == {"k": [1]}
    request = HttpRequest(
        "POST", "/x", query={"a": "1"}, headers={"X-Thing": "v"}, body=b"\x00\xff"
    )
    route = Route(code, request).payload()["request"]
    assert route["headers"] == {"x-thing": "v"}
    assert base64.b64decode(route["body"]) == b"\x00\xff"


def test_what_services_tell_the_guest_travels_with_every_kind_of_job() -> None:
    code = Code.single("pass")
    told = {"tables": ["people"]}
    jobs = [
        Script(code, services=told),
        Task(code, "t", services=told),
        Call(code, "f", services=told),
        Route(code, HttpRequest("GET", "/"), services=told),
    ]
    assert [job.payload()["services"] for job in jobs] == [told] * 4
    assert "services" not in Script(code).payload()  # nothing told: asked when used


def test_unserializable_call_arguments_fail_before_running() -> None:
    with pytest.raises(SerializationError):
        Call(Code.single("pass"), "f", ({1, 2},)).payload()
