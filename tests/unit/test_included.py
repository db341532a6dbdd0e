"""The packages included for every widget (runtime/_included.py): the pins, the folder's
name, and `ensure` (download, verify, unpack, compile, publish) with pip and the sandbox's
compile faked."""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from widgetbox.runtime import ArtifactError, Interpreter, Pin, _included
from widgetbox.runtime._included import Wheel

pytestmark = pytest.mark.unit


def test_the_pins_are_pure_python_wheels_of_the_http_clients_and_their_needs() -> None:
    wheels = _included.load()
    names = {wheel.name for wheel in wheels}
    assert {"requests", "urllib3", "idna", "certifi", "httpx", "httpcore", "h11"} <= names
    for wheel in wheels:
        assert wheel.filename.startswith(f"{wheel.name.replace('-', '_')}-{wheel.version}-")
        assert wheel.filename.endswith("-none-any.whl")
        assert len(wheel.sha256) == 64


def test_a_broken_pin_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "included.toml"
    broken.write_text("[[wheel]]\nname = 'x'\n")
    with pytest.raises(ArtifactError, match="cannot be read"):
        _included.load(broken)
    broken.write_text(
        "[[wheel]]\nname = 'x'\nversion = '1'\nfilename = 'x-1-cp315-cp315-wasi.whl'\n"
        "sha256 = '0'\n"
    )
    with pytest.raises(ArtifactError, match="not a pure-Python wheel"):
        _included.load(broken)


def wheel(folder: Path, name: str, files: dict[str, bytes]) -> tuple[Wheel, bytes]:
    path = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    data = path.read_bytes()
    path.unlink()
    return Wheel(name, "1.0", path.name, hashlib.sha256(data).hexdigest()), data


def interpreter(cache: Path) -> Interpreter:
    return Interpreter(Pin.load(), cache / "m.wasm", cache / "lib", cache)


def fake_pip(files: dict[str, bytes]):  # type: ignore[no-untyped-def]
    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        dest = Path(command[command.index("--dest") + 1])
        for name, data in files.items():
            (dest / name).write_bytes(data)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def test_ensure_downloads_verifies_unpacks_compiles_and_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, first_data = wheel(tmp_path, "alpha", {"alpha/__init__.py": b"A = 1\n"})
    second, second_data = wheel(tmp_path, "beta", {"beta.py": b"B = 2\n"})
    wheels = (first, second)
    monkeypatch.setattr(
        subprocess, "run", fake_pip({first.filename: first_data, second.filename: second_data})
    )
    compiled: list[list[str]] = []

    def compile_folder(folder: Path) -> int:
        compiled.append(sorted(path.name for path in folder.iterdir()))
        return 2

    lines: list[str] = []
    found = _included.ensure(interpreter(tmp_path), compile_folder, lines.append, wheels)
    assert found == _included.locate(interpreter(tmp_path), wheels)
    assert (found / "alpha" / "__init__.py").read_text() == "A = 1\n"
    assert (found / "beta.py").read_text() == "B = 2\n"
    assert compiled == [["alpha", "beta.py"]]
    assert any("alpha==1.0, beta==1.0" in line for line in lines)
    assert [path.name for path in found.parent.iterdir()] == [found.name]  # nothing left over
    # once there, nothing is downloaded or compiled again
    monkeypatch.setattr(subprocess, "run", fake_pip({}))
    assert _included.ensure(interpreter(tmp_path), compile_folder, None, wheels) == found
    assert len(compiled) == 1
    # another pin is another folder
    other = (first, Wheel("beta", "1.1", second.filename, second.sha256))
    assert _included.folder(interpreter(tmp_path), other) == found
    changed = (first, Wheel("beta", "1.0", second.filename, "f" * 64))
    assert _included.folder(interpreter(tmp_path), changed) != found


def test_a_wheel_that_does_not_match_its_pin_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, data = wheel(tmp_path, "alpha", {"alpha.py": b""})
    tampered = Wheel(good.name, good.version, good.filename, "0" * 64)
    monkeypatch.setattr(subprocess, "run", fake_pip({good.filename: data}))
    with pytest.raises(ArtifactError, match="package index served a different file"):
        _included.ensure(interpreter(tmp_path), lambda folder: 0, None, (tampered,))
    assert _included.locate(interpreter(tmp_path), (tampered,)) is None
    assert list((tmp_path / "included").iterdir()) == []


def test_files_outside_the_import_path_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd, data = wheel(tmp_path, "alpha", {"alpha-1.0.data/scripts/run": b"#!python\n"})
    monkeypatch.setattr(subprocess, "run", fake_pip({odd.filename: data}))
    with pytest.raises(ArtifactError, match="cannot place"):
        _included.ensure(interpreter(tmp_path), lambda folder: 0, None, (odd,))


def test_a_failed_download_says_what_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(subprocess, "run", failing)
    good, _ = wheel(tmp_path, "alpha", {"alpha.py": b""})
    with pytest.raises(ArtifactError, match=r"could not download alpha==1.0 .*No matching"):
        _included.ensure(interpreter(tmp_path), lambda folder: 0, None, (good,))
