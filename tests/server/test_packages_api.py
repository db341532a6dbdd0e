"""Packages through the API, against a local package index (no network): requirements set
and installed in the background, progress and locks, shared environments, forks and
restores, refusals with their reasons, the limits, owner-only access, and collection.

The interpreter's real list of built-in packages is used (numpy is built in)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.package_index import PackageIndex, sdist, wheel
from tests.server._client import Browser, assert_error
from tests.server._live import Client, Live, serve
from tests.server._runs import wait_for_run
from tests.server.conftest import Server

pytestmark = pytest.mark.server

MAIN = "import demo_lib\nprint(demo_lib.VERSION)\n"
ROUTE = (
    "import anvil.server, demo_lib\n"
    "@anvil.server.route('/version')\n"
    "def version():\n"
    "    return demo_lib.VERSION\n"
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackageIndex]:
    folder = tmp_path_factory.mktemp("wheels")
    served = PackageIndex()
    served.add(wheel(folder, "demo-lib", "1.0", requires=[
        "helper>=1", "numpy>=2", 'winonly; sys_platform == "win32"',
    ]))  # fmt: skip
    served.add(wheel(folder, "helper", "1.2"))
    served.add(wheel(folder, "winonly", "1.0"))
    served.add(sdist(folder, "sdistonly", "1.0"))
    served.add(wheel(folder, "compiled", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64"))
    served.add(wheel(folder, "big", "1.0", padding=200_000))
    with served.serving():
        yield served


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, index: PackageIndex) -> Iterator[Live]:
    with serve(tmp_path_factory.mktemp("packages") / "data", package_index=index.url) as found:
        yield found


def settled(client: Client | Browser, slug: str, version: int | None = None) -> dict[str, Any]:
    """The packages of the widget's version once they are no longer pending."""
    query = f"?version={version}" if version else ""
    deadline = time.monotonic() + 30
    while True:
        response = client.get(f"/api/widgets/{slug}/packages{query}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        if found["status"] != "pending":
            return found
        assert time.monotonic() < deadline, f"the install did not finish: {found}"
        time.sleep(0.02)


def locked(status: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {p["name"]: (p["version"], p["builtin"]) for p in status["packages"]}


def set_requirements(client: Client | Browser, slug: str, text: str, **fields: Any) -> Any:
    return client.put(
        f"/api/widgets/{slug}/packages/requirements", json={"requirements": text, **fields}
    )


# -- over real HTTP --------------------------------------------------------------------------


def test_requirements_install_in_the_background_with_their_lock(
    live: Live, index: PackageIndex
) -> None:
    alice = live.user("alice")
    slug = alice.widget_with("script", {"main.py": MAIN})
    before = alice.api("GET", f"/api/widgets/{slug}/packages").json()
    assert (before["status"], before["version"], before["packages"]) == ("none", 2, [])

    index.requests.clear()
    response = alice.api(
        "PUT",
        f"/api/widgets/{slug}/packages/requirements",
        json={"requirements": "demo-lib\n# built in:\nnumpy>=2", "base_version": 2},
    )
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["version"] == 3
    assert started["requirements"] == "demo-lib\nnumpy>=2"
    assert started["status"] in {"pending", "ready"}
    if started["status"] == "pending":
        assert started["progress"]["phase"] in {"queued", "resolving", "downloading", "installing"}
        assert started["active_version"] == 2  # the previous packages (none) meanwhile

    done = settled(alice, slug)
    assert done["status"] == "ready", done
    assert locked(done) == {
        "demo-lib": ("1.0", False), "helper": ("1.2", False), "numpy": ("2.5.2", True),
    }  # fmt: skip
    assert done["active_version"] == 3
    assert done["progress"] is None
    assert done["message"] == ""
    helper = next(p for p in done["packages"] if p["name"] == "helper")
    assert helper["filename"] == "helper-1.2-py3-none-any.whl"
    assert len(helper["sha256"]) == 64
    assert "numpy" not in index.pages()
    assert "winonly" not in index.pages()

    env = live.config.packages_dir / done["environment"]
    assert (env / "demo_lib" / "__init__.py").is_file()
    assert not list(env.glob("numpy*"))
    files = alice.api("GET", f"/api/widgets/{slug}").json()["files"]
    assert files["requirements.txt"] == "demo-lib\n# built in:\nnumpy>=2\n"
    old = alice.api("GET", f"/api/widgets/{slug}/packages?version=2").json()
    assert old["status"] == "none"


def test_a_save_with_requirements_installs_and_the_same_set_is_shared(
    live: Live, index: PackageIndex
) -> None:
    carol, dave = live.user("carol"), live.user("dave")
    first = carol.widget_with("script", {"main.py": MAIN, "requirements.txt": "demo-lib\n"})
    one = settled(carol, first)
    index.requests.clear()
    second = dave.widget_with("script", {"main.py": MAIN, "requirements.txt": "Demo_Lib  # same"})
    two = settled(dave, second)
    assert one["status"] == two["status"] == "ready"
    assert one["environment"] == two["environment"]
    assert index.downloads() == []  # resolved again, installed once
    installed = [p.name for p in live.config.packages_dir.iterdir()]
    assert installed.count(one["environment"]) == 1


def test_a_fork_and_a_restore_get_the_same_packages_at_once(
    live: Live, index: PackageIndex
) -> None:
    erin, frank = live.user("erin"), live.user("frank")
    slug = erin.widget_with(
        "script", {"main.py": MAIN, "requirements.txt": "demo-lib\n"}, visibility="public"
    )
    original = settled(erin, slug)
    index.requests.clear()

    fork = frank.api("POST", f"/api/widgets/{slug}/fork", json={})
    assert fork.status_code == 201, fork.text
    copy = frank.api("GET", f"/api/widgets/{fork.json()['slug']}/packages").json()
    assert copy["status"] == "ready"  # its lock came along: nothing to install
    assert copy["packages"] == original["packages"]
    assert copy["environment"] == original["environment"]
    assert index.requests == []

    set_requirements(erin, slug, "helper\n")
    changed = settled(erin, slug)
    assert changed["environment"] != original["environment"]
    index.requests.clear()
    restored = erin.api("POST", f"/api/widgets/{slug}/versions/2/restore", json={})
    assert restored.status_code == 201
    again = erin.api("GET", f"/api/widgets/{slug}/packages").json()
    assert again["status"] == "ready"
    assert again["packages"] == original["packages"]
    assert again["environment"] == original["environment"]
    assert index.requests == []  # nothing resolved or downloaded


def test_installed_packages_import_in_scripts_and_routes_from_bytecode(live: Live) -> None:
    hana = live.user("hana")
    script = hana.widget_with("script", {"main.py": MAIN, "requirements.txt": "demo-lib\n"})
    api = hana.widget_with(
        "http", {"main.py": ROUTE, "requirements.txt": "demo-lib\n"}, visibility="public"
    )
    ready = settled(hana, script)
    assert ready["status"] == "ready", ready
    assert settled(hana, api)["status"] == "ready"

    run = hana.run_script(script)
    assert (run["status"], run["stdout"]) == ("ok", "1.0\n"), run
    response = live.client().get(f"/w/{api}/version")
    assert (response.status_code, response.text) == (200, "1.0")

    # compiled in the sandbox when installed, so imports load bytecode
    env = live.config.packages_dir / ready["environment"]
    pycs = [p.name for p in (env / "demo_lib" / "__pycache__").iterdir()]
    assert pycs == ["__init__.cpython-315.pyc"]


def test_a_widget_runs_with_its_previous_packages_until_the_new_ones_are_ready(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    slow = PackageIndex(delay=0.1)
    slow.add(wheel(tmp_path / "wheels", "demo-lib", "1.0"))
    slow.add(wheel(tmp_path / "wheels", "demo-lib", "2.0", padding=300_000))  # ~2 s to fetch
    with slow.serving():
        server = make_server(package_index=slow.url)
        owner = server.user("owner")
        slug = owner.create_widget("script", "Upgrading")["slug"]
        assert owner.save(slug, {"main.py": MAIN}, 1).status_code == 201
        set_requirements(owner, slug, "demo-lib==1.0")
        assert settled(owner, slug)["status"] == "ready"
        set_requirements(owner, slug, "demo-lib==2.0")
        meanwhile = wait_for_run(owner, owner.post(f"/api/widgets/{slug}/runs").json()["id"])
        still = owner.get(f"/api/widgets/{slug}/packages").json()
        assert still["status"] == "pending"  # so the run above happened during the install
        assert meanwhile["stdout"] == "1.0\n"
        assert settled(owner, slug)["status"] == "ready"
        after = wait_for_run(owner, owner.post(f"/api/widgets/{slug}/runs").json()["id"])
    assert after["stdout"] == "2.0\n"


def test_packages_that_cannot_be_installed_are_refused_with_the_reason(live: Live) -> None:
    gina = live.user("gina")
    slug = gina.widget_with("script", {"main.py": MAIN, "requirements.txt": "helper\n"})
    assert settled(gina, slug)["status"] == "ready"
    set_requirements(gina, slug, "helper\nsdistonly\n")
    failed = settled(gina, slug)
    assert failed["status"] == "failed"
    assert failed["message"] == (
        "sdistonly 1.0 publishes no wheel, only a source distribution, and Widgetbox never "
        "builds packages from source (the widget requires sdistonly)."
    )
    assert failed["active_version"] == 2  # still running with the previous packages
    assert failed["packages"] == []
    assert failed["environment"] is None

    set_requirements(gina, slug, "compiled")
    failed = settled(gina, slug)
    assert failed["status"] == "failed"
    assert failed["message"].startswith(
        "compiled 1.0 needs compiled code the sandbox does not have"
    )

    retried = gina.api("POST", f"/api/widgets/{slug}/packages/install", json={})
    assert retried.status_code == 202
    assert settled(gina, slug)["status"] == "failed"  # and fails again for the same reason


def test_requirements_that_are_not_plain_are_refused_naming_the_line(live: Live) -> None:
    hank = live.user("hank")
    slug = hank.widget_with("script", {"main.py": MAIN})
    response = set_requirements(hank, slug, "helper\n--index-url https://evil.example/simple\n")
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (422, "invalid_requirements")
    assert error["message"].startswith("requirements.txt line 2: options such as --index-url")
    assert error["details"] == {"line": 2}
    assert hank.api("GET", f"/api/widgets/{slug}").json()["head_version"] == 2  # nothing saved
    stale = set_requirements(hank, slug, "helper", base_version=1)
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "version_conflict")


def test_only_the_owner_sees_or_changes_packages(live: Live) -> None:
    ivy, jack = live.user("ivy"), live.user("jack")
    hidden = ivy.widget_with("script", {"main.py": MAIN})
    shown = ivy.widget_with("script", {"main.py": MAIN}, visibility="public")
    for slug, status, code in ((hidden, 404, "not_found"), (shown, 403, "not_owner")):
        for method, path, body in (
            ("GET", "/packages", None),
            ("PUT", "/packages/requirements", {"requirements": "helper"}),
            ("POST", "/packages/install", {}),
        ):
            response = jack.api(method, f"/api/widgets/{slug}{path}", json=body)
            assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    missing = ivy.api("GET", f"/api/widgets/{shown}/packages?version=99")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "no_such_version")


# -- limits, and collection (in-process) ----------------------------------------------------


def test_the_size_limit_stops_an_install_and_says_so(
    make_server: Callable[..., Server], index: PackageIndex
) -> None:
    server = make_server(package_index=index.url, package_max_bytes=100_000)
    owner = server.user("owner")
    slug = owner.create_widget("script", "Big")["slug"]
    assert set_requirements(owner, slug, "big").status_code == 202
    failed = settled(owner, slug)
    assert failed["status"] == "failed"
    assert failed["message"].startswith(
        "The install stopped at the size limit: packages may download at most 100 kB per install"
    )
    assert [p.name for p in server.config.packages_dir.iterdir()] == []


def test_the_time_limit_stops_an_install_and_says_so(
    make_server: Callable[..., Server], tmp_path: Path
) -> None:
    slow = PackageIndex(delay=0.1)
    slow.add(wheel(tmp_path / "wheels", "big", "1.0", padding=300_000))
    with slow.serving():
        server = make_server(package_index=slow.url, package_timeout=0.3)
        owner = server.user("owner")
        slug = owner.create_widget("script", "Slow")["slug"]
        assert set_requirements(owner, slug, "big").status_code == 202
        failed = settled(owner, slug)
    assert failed["status"] == "failed"
    assert failed["message"] == (
        "The install stopped at the time limit: an install may take at most 0.3 seconds. "
        "Nothing was installed."
    )


def test_collection_removes_environments_no_widget_version_uses(
    make_server: Callable[..., Server], index: PackageIndex
) -> None:
    server = make_server(package_index=index.url)
    owner = server.user("owner")
    slugs = []
    for title in ("One", "Two"):
        slugs.append(owner.create_widget("script", title)["slug"])
        set_requirements(owner, slugs[-1], "demo-lib")
    keys = {settled(owner, slug)["environment"] for slug in slugs}
    assert len(keys) == 1
    (key,) = keys
    collect = server.app.state.packages.collect_garbage
    assert server.call(collect) == []
    assert owner.delete(f"/api/widgets/{slugs[0]}").status_code == 204
    assert server.call(collect) == []  # the other widget still uses it
    assert owner.delete(f"/api/widgets/{slugs[1]}").status_code == 204
    assert server.call(collect) == [key]
    assert list(server.config.packages_dir.iterdir()) == []
    assert_error(owner.get(f"/api/widgets/{slugs[1]}/packages"), 404, "not_found")
