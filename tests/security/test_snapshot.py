"""Every guest starts from one memory image, taken after the warm-up (`runtime/_snapshot.py`):
nothing in it may be shared between instances that must differ, nor come from the host.

One test per thing an image could carry: the random generators' state, descriptors, the
environment and arguments, clocks, host paths and values, and the string-hash key (fixed
in the image, so per installation rather than per instance: see ARCHITECTURE.md,
"Pre-initialised guests")."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import wasmtime

from tests.security._helpers import run
from widgetbox.runtime import Code, Limits, Runtime, Script, Status, _artifacts, _engine, _snapshot
from widgetbox.runtime._bridge import Bridge
from widgetbox.runtime._guest import GUEST_ENV, Guest, Sandbox

pytestmark = pytest.mark.security


def values(runtime: Runtime, source: str) -> dict[str, object]:
    """Run `source`, which prints one JSON object, in a fresh guest; that object."""
    result = run(runtime, source, prelude=False)
    assert result.status is Status.OK, (result.message, result.stderr)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


RANDOM = """
import sys
preloaded = "random" in sys.modules
import json, os, random, uuid
print(json.dumps({
    "preloaded": preloaded,
    "random": random.getrandbits(64),
    "urandom": os.urandom(8).hex(),
    "uuid": str(uuid.uuid4()),
}))
"""


def test_random_is_seeded_in_each_instance(runtime: Runtime) -> None:
    """`random` is in the image (its state too), so each run reseeds it before the widget's
    code runs; `os.urandom` reads the host's generator on every call."""
    first, second = values(runtime, RANDOM), values(runtime, RANDOM)
    assert [first["preloaded"], second["preloaded"]] == [True, True]
    for name in ("random", "urandom", "uuid"):
        assert first[name] != second[name], name


DESCRIPTORS = """
import json, os, stat
found = {}
for fd in range(64):
    try:
        info = os.fstat(fd)
    except OSError:
        continue
    found[fd] = "directory" if stat.S_ISDIR(info.st_mode) else "other"
mounts = {m: sorted(os.listdir(m)) for m in ("/widget", "/tmp", "/packages")}
with open("/tmp/mine", "w") as f:
    f.write("x")
print(json.dumps({"fds": found, "mounts": mounts}))
"""


def test_only_the_instances_own_mounts_are_open(runtime: Runtime) -> None:
    """No descriptor of the instance the image was taken from survives in it: the guest
    holds its standard streams and its six mounts (3 to 8, the same numbers in every
    instance, each the run's own folder), and nothing else."""
    for _ in range(2):  # the file the first run wrote is not in the second one's /tmp
        seen = values(runtime, DESCRIPTORS)
        assert seen["fds"] == {
            "0": "other",
            "1": "other",
            "2": "other",
            **{str(fd): "directory" for fd in range(3, 9)},
        }
        assert seen["mounts"] == {"/widget": ["main.py"], "/tmp": [], "/packages": []}


HOST_STATE = """
import json, os, sys
print(json.dumps({
    "environ": dict(os.environ),
    "argv": sys.argv,
    "orig_argv": sys.orig_argv,
    "cwd": os.getcwd(),
    "path": sys.path,
}))
"""


def test_the_environment_and_arguments_are_the_guests_own(runtime: Runtime) -> None:
    """The image is taken with exactly the environment and arguments every guest gets, so
    what the interpreter read from them at start-up holds in every instance, and nothing
    comes from the host."""
    seen = values(runtime, HOST_STATE)
    assert seen["environ"] == GUEST_ENV
    assert seen["argv"] == ["main.py"]
    assert seen["orig_argv"] == ["python"]
    assert seen["cwd"] == "/tmp"
    assert seen["path"] == ["/widget", "/usr/local/lib/python315.zip", "/packages", "/included"]


CLOCKS = """
import json, time
wall, mono = time.time(), time.monotonic()
time.sleep(0.05)
import logging
print(json.dumps({
    "wall": wall,
    "slept": time.monotonic() - mono,
    "logging_start": logging._startTime,
}))
"""


def test_clocks_are_read_in_the_instance(runtime: Runtime) -> None:
    """No clock reading from when the image was taken stands in for now."""
    before = time.time()
    seen = values(runtime, CLOCKS)
    after = time.time()
    assert before - 1 <= seen["wall"] <= after + 1  # type: ignore[operator]
    assert 0.04 <= seen["slept"] < 5  # type: ignore[operator]
    logging_start = seen["logging_start"] / 1e9  # type: ignore[operator] # time.time_ns()
    assert before - 1 <= logging_start <= after + 1


def test_the_image_holds_nothing_of_the_host(runtime: Runtime) -> None:
    """The guest's memory as an instance starts holds no host path (the cache, the folders
    the image was taken in, the runtime's, the host's working folder and Python) and no
    path from the host's environment."""
    compiled = _snapshot.compiled(runtime.interpreter)
    with tempfile.TemporaryDirectory() as work:
        sandbox = Sandbox(compiled, Bridge(max_workers=1), Path(work))
        try:
            guest = Guest(sandbox)
            memory = bytes(guest.memory.read(guest.store, 0, guest.memory.data_len(guest.store)))
        finally:
            sandbox.close_all()
    host = [
        str(runtime.interpreter.cache),
        str(runtime._work),
        "widgetbox-snapshot-",  # the temporary folder the image was taken in
        str(Path.cwd()),
        sys.executable,
        *(value for value in os.environ.values() if len(value) >= 16 and "/" in value),
    ]
    found = [text for text in host if text.encode() in memory]
    assert found == []


HASH = "import json, sys; print(json.dumps([sys.flags.hash_randomization, hash('widgetbox')]))"


def zero_key_hash(text: str) -> int:
    """`hash(text)` in a guest whose key is all zeroes: the host's CPython with
    PYTHONHASHSEED=0, truncated to the guest's 32 bits."""
    done = subprocess.run(
        [sys.executable, "-c", f"print(hash({text!r}))"],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    value = int(done.stdout) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def test_the_string_hash_key_is_secret_and_drawn_per_image(runtime: Runtime) -> None:
    """CPython draws its hash key when it initialises, before the warm-up, and every string
    and dict in the image is hashed with it: one key per image, drawn at random when the
    image is taken (so unknown outside this installation), never the all-zero key."""
    randomized, value = values(runtime, f"{HASH}\n")
    assert randomized == 1
    assert value != zero_key_hash("widgetbox")
    assert values(runtime, f"{HASH}\n") == [randomized, value]  # one key per image
    base = _engine.compiled(runtime.interpreter)
    job = Script(Code.single(HASH))
    keys = set()
    for _ in range(2):  # two images taken in turn draw two keys
        image = wasmtime.Module(base.engine, _snapshot.take(base))
        compiled = dataclasses.replace(base, memory=image, initialised=True)
        with tempfile.TemporaryDirectory() as work:
            sandbox = Sandbox(compiled, Bridge(max_workers=1), Path(work))
            try:
                result = Guest(sandbox).run(job.payload(), dict(job.code.files), Limits())
                assert result.status is Status.OK, result.stderr
                keys.add(result.stdout)
            finally:
                sandbox.close_all()
    assert len(keys) == 2


def test_a_snapshot_is_verified_before_it_is_loaded(runtime: Runtime, tmp_path: Path) -> None:
    """The image is loaded only when its sha256 matches the one recorded when it was made:
    a damaged or replaced file is made again, never deserialized."""
    path = _snapshot.cache_path(runtime.interpreter)
    copy = tmp_path / path.name
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 1
    copy.write_bytes(damaged)
    (tmp_path / path.with_suffix(".sha256").name).write_text(
        path.with_suffix(".sha256").read_text()
    )
    assert not _engine.valid(copy)
    assert _engine.valid(path)
    assert _artifacts.hashes_to(path, path.with_suffix(".sha256").read_text().strip())


IMMORTAL = """
import gc, json, sys
import anvil.server
made = [object(), {"a": 1}, "".join(["run", "time"])]
before = sys.getrefcount(made[0])
another = made[0]
print(json.dumps({
    "image": [sys._is_immortal(item) for item in (
        json, json.dumps, anvil.server.route, anvil.server, sys.modules, gc.collect,
        type(anvil.server.HttpResponse()),
    )],
    "run": [sys._is_immortal(item) for item in made],
    "counts_move": sys.getrefcount(made[0]) == before + 1,
}))
"""


def test_the_images_objects_are_immortal_and_a_runs_are_not(runtime: Runtime) -> None:
    """The image's objects are immortal (`runtime/_immortal.py`), so counting references to
    them writes no page; what a run makes is counted and freed as ever."""
    found = values(runtime, IMMORTAL)
    assert found == {"image": [True] * 7, "run": [False] * 3, "counts_move": True}
