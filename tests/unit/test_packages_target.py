"""The sandbox as a target for packages: its environment markers, the wheel tags it can
use, and the packages built into its interpreter (read from the stdlib zip)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.tags import parse_tag
from packaging.version import Version

from widgetbox.host.packages import SANDBOX, builtin
from widgetbox.host.packages.target import PYTHON, pure_tags
from widgetbox.runtime import Pin

pytestmark = pytest.mark.unit


def test_the_markers_are_the_sandbox_s() -> None:
    assert SANDBOX.markers == {
        "implementation_name": "cpython",
        "implementation_version": "3.15.0",
        "os_name": "posix",
        "platform_machine": "wasm32",
        "platform_python_implementation": "CPython",
        "platform_release": "0.0.0",
        "platform_system": "wasi",
        "platform_version": "0.0.0",
        "python_full_version": "3.15.0",
        "python_version": "3.15",
        "sys_platform": "wasi",
    }


def test_the_python_version_follows_the_interpreter_pin() -> None:
    # A new pin must come with the markers and tags its interpreter reports (the sandbox
    # tier asks it): this fails first, as a reminder.
    assert PYTHON.startswith(Pin.load().python + ".")


@pytest.mark.parametrize(
    ("marker", "holds"),
    [
        ('sys_platform == "wasi"', True),
        ('sys_platform == "linux"', False),
        ('sys_platform == "win32"', False),
        ('platform_system == "Windows"', False),
        ('os_name == "posix"', True),
        ('python_version >= "3.12"', True),
        ('python_version < "3.11"', False),
        ('python_full_version >= "3.15.0"', True),
        ('platform_machine == "x86_64"', False),
        ('implementation_name == "cpython"', True),
        ('platform_python_implementation == "PyPy"', False),
        ('extra == "test"', False),
    ],
)
def test_markers_are_evaluated_for_the_sandbox(marker: str, holds: bool) -> None:
    assert SANDBOX.evaluate(Marker(marker)) is holds
    assert SANDBOX.evaluate(None)


def test_extras_are_evaluated_when_asked_for() -> None:
    assert SANDBOX.evaluate(Marker('extra == "test"'), "test")
    assert SANDBOX.evaluate(Marker('extra == "Test_Tools"'), "test-tools")


def test_only_pure_python_wheels_fit() -> None:
    assert [str(t) for t in pure_tags()[:4]] == [
        "cp315-none-any", "py315-none-any", "py3-none-any", "py314-none-any",
    ]  # fmt: skip
    assert str(pure_tags()[-1]) == "py30-none-any"
    fits = {
        "py3-none-any": True,
        "py2.py3-none-any": True,
        "py38-none-any": True,
        "cp315-none-any": True,
        "py2-none-any": False,
        "cp312-none-any": False,
        "py316-none-any": False,
        "cp315-cp315-wasi_0_0_0_wasm32": False,
        "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64": False,
        "cp38-abi3-macosx_11_0_arm64": False,
        "cp312-cp312-pyodide_2024_0_wasm32": False,
        "py3-none-win_amd64": False,
    }
    for tag, expected in fits.items():
        assert (SANDBOX.tag_rank(parse_tag(tag)) is not None) is expected, tag
    assert SANDBOX.tag_rank(parse_tag("cp315-none-any")) == 0


@pytest.mark.parametrize(
    ("requires_python", "supported"),
    [
        (None, True),
        ("", True),
        (">=3.8", True),
        (">=3.8,<3.15", False),
        ("~=3.15", True),
        (">=3.16", False),
        ("==3.*", True),
        ("not a specifier", False),
    ],
)
def test_requires_python_is_checked(requires_python: str | None, supported: bool) -> None:
    assert SANDBOX.supports(requires_python) is supported


def _stdlib(tmp_path: Path, packages: dict[str, str]) -> Path:
    path = tmp_path / "python315.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("os.pyc", b"")
        for folder, metadata in packages.items():
            archive.writestr(f"{folder}/METADATA", metadata)
        archive.writestr("deep/x.dist-info/METADATA", "Name: nested\nVersion: 1\n")
    return path


def test_built_in_packages_are_read_from_the_stdlib_zip(tmp_path: Path) -> None:
    path = _stdlib(
        tmp_path,
        {
            "numpy-2.5.2.dist-info": "Metadata-Version: 2.4\nName: numpy\nVersion: 2.5.2\n",
            "scikit_learn-1.9.1.dist-info": (
                "Name: scikit-learn\nVersion: 1.9.1\nRequires-Dist: numpy>=1.22\n"
                'Requires-Dist: pytest; extra == "tests"\n'
            ),
            "broken-1.dist-info": "Name: broken\nVersion: not a version\n",
        },
    )
    found = builtin.read(path)
    assert set(found) == {"numpy", "scikit-learn"}
    assert found["numpy"].version == Version("2.5.2")
    assert found["scikit-learn"].name == "scikit-learn"
    assert found["scikit-learn"].requires_dist == ("numpy>=1.22", 'pytest; extra == "tests"')
    assert builtin.read(path) == found  # cached, and an equal copy


def test_the_real_interpreter_has_numpy_and_pandas_built_in() -> None:
    try:
        found = builtin.of_sandbox()
    except Exception as e:
        pytest.skip(f"the interpreter is not prepared ({e})")
    for name in ("numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "lxml", "pillow"):
        assert name in found, name
