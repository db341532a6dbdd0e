"""The messages between the host and its workers (runtime/remote/_messages.py) are checked
as strictly as a sandbox process's, and the NATS configuration gives each worker only its
own subjects (runtime/remote/_auth.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from widgetbox.runtime import Limits, RunResult, Status
from widgetbox.runtime._wire import RunRequest, WireError
from widgetbox.runtime.remote import _auth, _packages
from widgetbox.runtime.remote import _messages as m

pytestmark = pytest.mark.unit


def _request() -> RunRequest:
    return RunRequest(
        job={"mode": "script", "entry": "main.py", "argv": []},
        bundle="0" * 64,
        files={"main.py": "print(1)"},
        limits=Limits.script(),
        bytecode={},
        lane="batch",
        packages=None,
    )


def test_a_dispatch_round_trips() -> None:
    sent = m.Dispatch(run="abc", request=_request(), timeout=12.5)
    assert m.unpack(m.pack(sent), m.TO_WORKER) == sent


def test_the_hosts_confirmation_round_trips() -> None:
    sent = m.Confirm(run="abc")
    assert m.unpack(m.pack(sent), m.TO_WORKER) == sent
    with pytest.raises(WireError):
        m.unpack(b'{"kind": "confirm", "run": "abc", "go": true}', m.TO_WORKER)


def test_a_result_round_trips_and_is_checked() -> None:
    result = RunResult(
        status=Status.OK, stdout="hi\n", stderr="", wall_time=0.1, fuel=5, peak_memory=1
    )
    done = m.RunDone(run="abc", result=result)
    assert m.unpack(m.pack(done), m.FROM_WORKER) == done
    data = json.loads(m.pack(done))
    data["result"]["status"] = "pwned"
    with pytest.raises(WireError):
        m.unpack(json.dumps(data).encode(), m.FROM_WORKER)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "dispatch", "run": "a", "request": {}, "timeout": 1},  # the host's kind
        {"kind": "confirm", "run": "a"},  # the host's too
        {"kind": "output", "run": "a", "stream": "stdin", "text": "x"},
        {"kind": "output", "run": "a", "stream": "stdout", "text": "x", "extra": 1},
        {"kind": "output", "run": 5, "stream": "stdout", "text": "x"},
        {"kind": "beat", "worker": "w", "runs": 1, "capacity": 1},
        {"kind": "host_call", "run": "a", "op": "x", "data": None, "timeout": 1e400},
    ],
)
def test_a_worker_cannot_send_anything_malformed(data: dict[str, object]) -> None:
    text = json.dumps(data).replace("Infinity", "1e400")
    with pytest.raises(WireError):
        m.unpack(text.encode(), m.FROM_WORKER)


@pytest.mark.parametrize("name", ["", "a.b", "a*", "a>", "w 1", "é", "x" * 65])
def test_a_worker_name_is_one_subject_token(name: str) -> None:
    with pytest.raises(ValueError, match="worker name"):
        m.check_name(name)


def test_each_worker_may_use_only_its_own_subjects(tmp_path: Path) -> None:
    config = json.loads(
        _auth.server_config(
            listen="127.0.0.1:4222",
            store_dir=tmp_path,
            host_password="h",
            workers={"w1": "p1", "w2": "p2"},
        )
    )
    users = {user["user"]: user for user in config["authorization"]["users"]}
    assert "permissions" not in users[_auth.HOST_USER]
    w1 = users["w1"]["permissions"]
    for allowed in (*w1["publish"]["allow"], *w1["subscribe"]["allow"]):
        assert ".w2" not in allowed
        assert "*" not in allowed
        assert allowed.endswith((".w1", ".w1.>", "WIDGETBOX_RUNS.workers", "workers.>"))
    assert config["max_payload"] >= 40 * 1024 * 1024


def test_an_environment_is_used_only_if_its_hash_matches(tmp_path: Path) -> None:
    folder = tmp_path / "env"
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "__init__.py").write_text("X = 1\n")
    tar = tmp_path / "env.tar"
    digest = _packages.pack_folder(folder, tar)
    assert digest == _packages.pack_folder(folder, tmp_path / "again.tar")  # deterministic
    data = tar.read_bytes()
    environments = _packages.Environments(tmp_path / "cache")
    with pytest.raises(_packages.EnvironmentError_, match="not what its digest says"):
        environments.folder("0" * 64, lambda offset: data[offset : offset + _packages.PIECE])
    assert not (tmp_path / "cache" / ("0" * 64)).exists()
    got = environments.folder(digest, lambda offset: data[offset : offset + _packages.PIECE])
    assert (got / "pkg" / "__init__.py").read_text() == "X = 1\n"
    with pytest.raises(_packages.EnvironmentError_, match="digest"):
        environments.folder("../escape", lambda offset: b"")


def test_an_environment_cannot_write_outside_its_folder(tmp_path: Path) -> None:
    import hashlib
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../outside.py")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    data = buffer.getvalue()
    environments = _packages.Environments(tmp_path / "cache")
    with pytest.raises(tarfile.OutsideDestinationError):
        environments.folder(hashlib.sha256(data).hexdigest(), lambda offset: data[offset:])
    assert not (tmp_path / "outside.py").exists()
    assert not (tmp_path / "cache" / hashlib.sha256(data).hexdigest()).exists()
