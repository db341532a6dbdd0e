"""Resolution and installs against a local package index (wheels written by the tests,
served on loopback): what is installed, what is refused and why, the limits, hashes,
markers, built-in packages, shared environments and their collection."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from tests.package_index import PackageIndex, sdist, wheel
from widgetbox.host.packages import LimitExceeded, Lock, PackageError, Progress, install
from widgetbox.host.packages.builtin import Builtin, Builtins
from widgetbox.host.packages.environments import Environments
from widgetbox.host.packages.index import public
from widgetbox.host.packages.install import Installed, Job

pytestmark = pytest.mark.unit

BUILTINS: Builtins = {
    "numpy": Builtin("numpy", Version("2.5.2"), ()),
    "pandas": Builtin(
        "pandas", Version("3.0.6"), ('openpyxl>=3.1; extra == "excel"', "numpy>=1.26")
    ),
}


def publish(index: PackageIndex, folder: Path) -> None:
    add = index.add
    add(wheel(folder, "demo-lib", "1.0", extras=["fancy"], requires=[
        "helper>=1", "numpy>=2", 'winonly; sys_platform == "win32"',
        'wasionly; sys_platform == "wasi"', 'extras-dep; extra == "fancy"',
    ]))  # fmt: skip
    add(wheel(folder, "demo-lib", "0.9"))
    add(wheel(folder, "helper", "1.2"))
    # 1.5 says in its metadata only that it needs a newer Python; 2.0 says so on the index
    add(wheel(folder, "helper", "1.5", requires_python=">=3.16"))
    add(wheel(folder, "helper", "2.0", requires_python=">=3.16"), requires_python=">=3.16")
    add(sdist(folder, "helper", "2.0"))
    for name in ("wasionly", "winonly", "extras-dep"):
        add(wheel(folder, name, "1.0"))
    add(wheel(folder, "openpyxl", "3.1.5"))
    add(sdist(folder, "sdistonly", "1.0"))
    add(wheel(folder, "compiled", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64"))
    add(wheel(folder, "compiled", "1.0", tag="cp312-cp312-win_amd64"))
    add(sdist(folder, "compiled", "1.0"))
    add(wheel(folder, "uses-compiled", "1.0", requires=["compiled"]))
    add(wheel(folder, "py2only", "1.0", tag="py2-none-any"))
    add(wheel(folder, "yanky", "2.0"), yanked=True)
    add(wheel(folder, "yanky", "1.0"))
    add(wheel(folder, "prerel", "2.0b1"))
    add(wheel(folder, "prerel", "1.0"))
    add(wheel(folder, "big", "1.0", padding=300_000))
    add(wheel(folder, "badhash", "1.0"), sha256="0" * 64)
    add(wheel(folder, "wants-old-helper", "1.0", requires=["helper<1.0"]))
    add(wheel(folder, "wants-old-numpy", "1.0", requires=["numpy<2"]))
    add(wheel(folder, "tool", "1.0", script=True))
    add(wheel(folder, "cached", "1.0", files={
        "cached/__init__.py": "X = 1\n", "cached/__pycache__/__init__.cpython-315.pyc": "junk",
    }))  # fmt: skip


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wheels")


@pytest.fixture(scope="module")
def index(wheels: Path) -> Iterator[PackageIndex]:
    """PEP 691 JSON with PEP 658 metadata files and PEP 700 sizes."""
    served = PackageIndex("json")
    publish(served, wheels)
    with served.serving():
        yield served


@pytest.fixture(scope="module")
def html_index(wheels: Path) -> Iterator[PackageIndex]:
    """PEP 503 HTML only: no metadata files (METADATA is read from the wheels), no sizes."""
    served = PackageIndex("html", pep658=False, sizes=False)
    publish(served, wheels)
    with served.serving():
        yield served


@pytest.fixture
def envs(tmp_path: Path) -> Environments:
    found = Environments(tmp_path / "packages")
    found.start()
    return found


def run(
    index: PackageIndex,
    requirements: str,
    envs: Environments,
    *,
    max_bytes: int = 50_000_000,
    seconds: float = 30.0,
    lock: Lock | None = None,
    progress: list[Progress] | None = None,
) -> Installed:
    index.requests.clear()
    job = Job(requirements, index.url, max_bytes, seconds, lock=lock, builtins=lambda: BUILTINS)
    done = install.run(job, envs, (progress if progress is not None else []).append)
    if done.key is not None:
        envs.release(done.key)
    return done


def names(done: Installed) -> dict[str, str]:
    return {p.name: p.version for p in done.lock.packages}


def folders(envs: Environments) -> list[str]:
    return sorted(p.name for p in envs.root.iterdir())


# -- what gets installed ---------------------------------------------------------------------


def test_a_pure_python_package_installs_with_its_dependency(
    index: PackageIndex, envs: Environments
) -> None:
    done = run(index, "demo-lib", envs)
    assert names(done) == {"demo-lib": "1.0", "helper": "1.2", "numpy": "2.5.2", "wasionly": "1.0"}
    assert done.key is not None
    env = envs.path(done.key)
    assert folders(envs) == [done.key]  # nothing temporary left
    assert sorted(p.name for p in env.iterdir()) == [
        "demo_lib", "demo_lib-1.0.dist-info", "helper", "helper-1.2.dist-info",
        "wasionly", "wasionly-1.0.dist-info",
    ]  # fmt: skip
    assert (env / "demo_lib-1.0.dist-info" / "INSTALLER").read_text() == "widgetbox\n"
    assert done.size == sum(p.stat().st_size for p in env.rglob("*") if p.is_file())
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import demo_lib, helper;"
        "from importlib.metadata import version; print(demo_lib.VERSION, version('helper'))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code, str(env)], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["1.0", "1.2"]


def test_the_lock_records_each_file_and_its_hash(index: PackageIndex, envs: Environments) -> None:
    done = run(index, "demo-lib", envs)
    helper = next(p for p in done.lock.packages if p.name == "helper")
    path = index.files["helper-1.2-py3-none-any.whl"].path
    assert helper.filename == path.name
    assert helper.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert helper.url is not None
    assert helper.url.endswith(f"/files/{path.name}")
    assert helper.size == path.stat().st_size
    numpy = next(p for p in done.lock.packages if p.name == "numpy")
    assert numpy.builtin
    assert numpy.sha256 is None
    assert done.lock.requirements == "demo-lib"
    assert done.lock.python == "3.15.0"
    assert Lock.loads(done.lock.dumps()) == done.lock


def test_a_built_in_dependency_is_not_installed_or_even_looked_up(
    index: PackageIndex, envs: Environments
) -> None:
    done = run(index, "demo-lib", envs)
    assert "numpy" not in index.pages()
    assert not any("numpy" in name for name in index.downloads())
    assert done.key is not None
    assert not list(envs.path(done.key).glob("numpy*"))


def test_requiring_only_built_in_packages_installs_nothing(
    index: PackageIndex, envs: Environments
) -> None:
    done = run(index, "numpy>=2\npandas", envs)
    assert names(done) == {"numpy": "2.5.2", "pandas": "3.0.6"}
    assert done.key is None
    assert done.size == 0
    assert index.requests == []
    assert folders(envs) == []


def test_an_extra_of_a_built_in_package_installs_what_it_adds(
    index: PackageIndex, envs: Environments
) -> None:
    done = run(index, "pandas[excel]", envs)
    assert names(done) == {"numpy": "2.5.2", "openpyxl": "3.1.5", "pandas": "3.0.6"}


def test_markers_are_evaluated_for_the_sandbox(index: PackageIndex, envs: Environments) -> None:
    done = run(
        index, 'demo-lib\nwinonly; os_name == "nt"\nextras-dep; sys_platform == "wasi"', envs
    )
    assert "winonly" not in names(done)
    assert "wasionly" in names(done)
    assert "extras-dep" in names(done)
    assert "winonly" not in index.pages()


def test_extras_add_their_dependencies(index: PackageIndex, envs: Environments) -> None:
    assert "extras-dep" not in names(run(index, "demo-lib", envs))
    assert names(run(index, "demo-lib[fancy]", envs))["extras-dep"] == "1.0"


def test_versions_that_need_another_python_are_passed_over(
    index: PackageIndex, envs: Environments
) -> None:
    # 2.0 is excluded by the index's data-requires-python; 1.5 by its own metadata
    assert names(run(index, "helper", envs))["helper"] == "1.2"
    with pytest.raises(PackageError) as caught:
        run(index, "helper>=1.5", envs)
    assert "the sandbox runs Python 3.15.0" in caught.value.message
    assert "helper 1.5 requires Python >=3.16" in caught.value.message


def test_yanked_releases_are_skipped_unless_pinned(index: PackageIndex, envs: Environments) -> None:
    assert names(run(index, "yanky", envs))["yanky"] == "1.0"
    assert names(run(index, "yanky==2.0", envs))["yanky"] == "2.0"


def test_pre_releases_only_when_asked_for(index: PackageIndex, envs: Environments) -> None:
    assert names(run(index, "prerel", envs))["prerel"] == "1.0"
    assert names(run(index, "prerel>=2.0b1", envs))["prerel"] == "2.0b1"


def test_console_scripts_and_data_files_are_not_written(
    index: PackageIndex, envs: Environments
) -> None:
    done = run(index, "tool", envs)
    assert done.key is not None
    env = envs.path(done.key)
    assert sorted(p.name for p in env.iterdir()) == ["tool", "tool-1.0.dist-info"]
    record = (env / "tool-1.0.dist-info" / "RECORD").read_text()
    assert "tool-tool" not in record
    assert "../" not in record
    assert "tool/__init__.py,sha256=" in record


def test_bytecode_in_a_wheel_is_not_installed(index: PackageIndex, envs: Environments) -> None:
    done = run(index, "cached", envs)
    assert done.key is not None
    assert not list(envs.path(done.key).rglob("__pycache__"))


def test_the_simple_html_index_without_metadata_files_works_too(
    html_index: PackageIndex, index: PackageIndex, envs: Environments
) -> None:
    done = run(html_index, "demo-lib[fancy]", envs)
    assert names(done) == names(run(index, "demo-lib[fancy]", envs))
    # each wheel read for its metadata during resolution is installed from the same download
    html_index.requests.clear()
    shared = Environments(envs.root.parent / "other")
    again = install.run(
        Job("demo-lib", html_index.url, 10**8, 30, builtins=lambda: BUILTINS), shared, [].append
    )
    downloads = html_index.downloads()
    assert len(downloads) == len(set(downloads))
    assert {p.filename for p in again.lock.installed} < set(downloads)  # and helper 1.5


# -- what is refused, and why ----------------------------------------------------------------


def refused(index: PackageIndex, requirements: str, envs: Environments) -> str:
    with pytest.raises(PackageError) as caught:
        run(index, requirements, envs)
    assert folders(envs) == []  # refused before anything was installed
    return caught.value.message


def test_a_package_with_only_a_source_distribution_is_refused(
    index: PackageIndex, envs: Environments
) -> None:
    message = refused(index, "sdistonly", envs)
    assert message == (
        "sdistonly 1.0 publishes no wheel, only a source distribution, and Widgetbox never "
        "builds packages from source (the widget requires sdistonly)."
    )
    assert index.downloads() == []


def test_a_package_with_only_platform_wheels_needs_compiled_code(
    index: PackageIndex, envs: Environments
) -> None:
    message = refused(index, "compiled", envs)
    assert message.startswith("compiled 1.0 needs compiled code the sandbox does not have")
    assert "cp312-cp312-manylinux_2_17_x86_64" in message or "win_amd64" in message
    assert index.downloads() == []


def test_a_compiled_dependency_is_refused_naming_who_needs_it(
    index: PackageIndex, envs: Environments
) -> None:
    message = refused(index, "uses-compiled", envs)
    assert "compiled 1.0 needs compiled code the sandbox does not have" in message
    assert "(uses-compiled 1.0 requires compiled)" in message


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        ("no-such-package", "There is no package named 'no-such-package' on the package index"),
        ("helper>=3", "No release of helper matches >=3 (the latest is 2.0)"),
        ("py2only", "py2only 1.0 has no wheel for Python 3 (only py2-none-any)"),
        ("numpy<2", "numpy 2.5.2 is built into the sandbox's interpreter and cannot be replaced"),
        ("wants-old-numpy", "numpy 2.5.2 is built into the sandbox's interpreter"),
        ("helper>=1.2\nwants-old-helper", "helper"),
    ],
)
def test_other_failures_say_which_package_and_why(
    index: PackageIndex, envs: Environments, requirements: str, expected: str
) -> None:
    assert expected in refused(index, requirements, envs)


def test_conflicting_requirements_name_both_sides(index: PackageIndex, envs: Environments) -> None:
    message = refused(index, "helper>=1.2\nwants-old-helper", envs)
    assert message.startswith(
        "The requirements on helper conflict: the widget requires helper>=1.2; "
        "wants-old-helper 1.0 requires helper<1.0."
    )


def test_a_file_that_does_not_match_its_hash_is_refused(
    index: PackageIndex, envs: Environments
) -> None:
    message = refused(index, "badhash", envs)
    assert "badhash-1.0-py3-none-any.whl from the package index does not match its sha256" in (
        message
    )


def test_a_wheel_that_does_not_match_its_record_is_refused(
    tmp_path: Path, envs: Environments
) -> None:
    path = wheel(tmp_path, "tampered", "1.0")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("tampered/extra.py", "print('not in RECORD')\n")
    served = PackageIndex()
    served.add(path)
    with served.serving():
        message = refused(served, "tampered", envs)
    assert message.startswith("tampered 1.0 could not be installed: its wheel")
    assert "not mentioned in RECORD" in message


def test_messages_never_show_the_index_s_credentials(envs: Environments) -> None:
    assert public("https://user:s3cret@mirror.example/simple/x/") == (
        "https://mirror.example/simple/x/"
    )
    seen: list[Progress] = []
    job = Job("attrs", "http://user:s3cret@127.0.0.1:9/simple", 10**6, 5, builtins=dict)
    with pytest.raises(PackageError) as caught:
        install.run(job, envs, seen.append)
    assert "s3cret" not in caught.value.message
    assert seen[-1] == Progress("failed", caught.value.message)


def test_an_unreachable_index_says_so(envs: Environments) -> None:
    job = Job("attrs", "http://127.0.0.1:9/simple", 10**6, 5, builtins=dict)
    with pytest.raises(PackageError, match=r"could not be reached at http://127\.0\.0\.1:9/simple"):
        install.run(job, envs, [].append)


# -- limits ------------------------------------------------------------------------------------


def test_the_size_limit_stops_an_install_announced_too_large(
    index: PackageIndex, envs: Environments
) -> None:
    with pytest.raises(LimitExceeded) as caught:
        run(index, "big", envs, max_bytes=100_000)
    assert caught.value.limit == "size"
    assert caught.value.message.startswith(
        "The install stopped at the size limit: packages may download at most 100 kB per "
        "install (it needs at least"
    )
    assert index.downloads() == []  # refused before downloading (PEP 700 sizes)
    assert folders(envs) == []


def test_the_size_limit_stops_a_download_as_it_goes(
    html_index: PackageIndex, envs: Environments
) -> None:
    with pytest.raises(LimitExceeded) as caught:
        run(html_index, "big", envs, max_bytes=100_000)
    assert caught.value.limit == "size"
    assert "at most 100 kB per install" in caught.value.message
    assert folders(envs) == []


def test_the_time_limit_stops_an_install(tmp_path: Path, envs: Environments) -> None:
    slow = PackageIndex("json", delay=0.1)
    slow.add(wheel(tmp_path, "big", "1.0", padding=300_000))
    with slow.serving(), pytest.raises(LimitExceeded) as caught:
        run(slow, "big", envs, seconds=0.3)
    assert caught.value.limit == "time"
    assert caught.value.message == (
        "The install stopped at the time limit: an install may take at most 0.3 seconds. "
        "Nothing was installed."
    )
    assert folders(envs) == []


def test_progress_is_reported_phase_by_phase(index: PackageIndex, envs: Environments) -> None:
    seen: list[Progress] = []
    run(index, "demo-lib", envs, progress=seen)
    phases = [p.phase for p in seen]
    assert (phases[0], phases[-1]) == ("resolving", "done")
    assert phases.index("resolving") < phases.index("downloading") < phases.index("installing")
    downloading = [p for p in seen if p.phase == "downloading"]
    last = downloading[-1]
    assert (last.done, last.total) == (3, 3)
    assert last.message == "3 of 3 files"
    assert last.total_bytes is not None
    assert last.bytes >= last.total_bytes > 0


# -- sharing -----------------------------------------------------------------------------------


def test_the_same_set_is_installed_once_and_shared(index: PackageIndex, envs: Environments) -> None:
    first = run(index, "demo-lib", envs)
    second = run(index, "Demo_Lib>=0.5  # the same set\n", envs)
    assert first.key == second.key
    assert index.downloads() == []  # the second found it installed
    assert folders(envs) == [first.key]
    assert run(index, "demo-lib==0.9", envs).key != first.key


def test_a_lock_installs_exactly_its_set_without_resolving(
    index: PackageIndex, envs: Environments, tmp_path: Path
) -> None:
    lock = run(index, "demo-lib", envs).lock
    elsewhere = Environments(tmp_path / "elsewhere")
    index.requests.clear()
    job = Job("", index.url, 10**8, 30, lock=lock, builtins=lambda: BUILTINS)
    again = install.run(job, elsewhere, [].append)
    assert again.lock == lock
    assert again.key == lock.key
    assert index.pages() == []  # no resolution: straight to the files
    assert sorted(index.downloads()) == sorted(p.filename for p in lock.installed)


def test_concurrent_installs_of_one_set_build_it_once(
    index: PackageIndex, envs: Environments
) -> None:
    results: list[Installed] = []
    job = Job("demo-lib[fancy]", index.url, 10**8, 30, builtins=lambda: BUILTINS)
    threads = [
        threading.Thread(target=lambda: results.append(install.run(job, envs, [].append)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len({r.key for r in results}) == 1
    assert len(results) == 3
    assert folders(envs) == [results[0].key]


def test_collection_removes_unrecorded_folders_but_never_held_ones(
    index: PackageIndex, envs: Environments
) -> None:
    kept = run(index, "demo-lib", envs).key
    dropped = run(index, "helper", envs).key
    held = run(index, "yanky", envs).key
    touched = run(index, "prerel", envs).key
    assert kept
    assert dropped
    assert held
    assert touched
    envs.hold(held)
    protected = envs.begin_collection()
    assert protected == {held}
    envs.hold(touched)  # an install that starts while the collection runs
    envs.release(touched)
    removed = envs.end_collection({kept})
    assert removed == [dropped]
    assert set(folders(envs)) == {kept, held, touched}
    envs.release(held)
    envs.begin_collection()
    assert sorted(envs.end_collection({kept})) == sorted([held, touched])
