"""The deployment examples in deploy/ are checked by the tools that run them: the systemd
unit with `systemd-analyze verify`, the Caddyfile with `caddy validate`, the nginx files with
`nginx -t` (inside a small main configuration), and the Dockerfile built and served where a
Docker daemon is available. A missing tool skips its test, saying which and how to get it.

The certificate paths are pointed at a self-signed wildcard certificate made here, and the
unit's ExecStart at this checkout's `widgetbox`, since the tools read those files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests._certs import authority
from widgetbox.host.cli import main

pytestmark = pytest.mark.release

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def need(tool: str, install: str) -> str:
    found = shutil.which(tool) or next(
        (str(p) for p in (Path("/usr/sbin") / tool, Path("/sbin") / tool) if p.exists()), None
    )
    if found is None:
        pytest.skip(f"{tool} is not installed ({install}); its example is not checked here")
    return found


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` (a wildcard is fine) and its key, from a throwaway CA."""
    issued = authority(folder).issue(name, addresses=(), hosts=(name,))
    return issued.cert, issued.key


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False
    )


@pytest.mark.parametrize(
    ("name", "command"),
    [("widgetbox.service", "serve"), ("widgetbox-worker.service", "worker")],
)
def test_the_systemd_unit_verifies(tmp_path: Path, name: str, command: str) -> None:
    analyze = need("systemd-analyze", "apt-get install systemd")
    unit = (DEPLOY / name).read_text()
    assert f"ExecStart=/opt/widgetbox/bin/widgetbox {command}" in unit
    # verify checks that ExecStart's program exists: this checkout's, for the check
    here = Path(sys.executable).with_name("widgetbox")
    copy = tmp_path / name
    copy.write_text(unit.replace("/opt/widgetbox/bin/widgetbox", str(here)))

    result = run(analyze, "verify", copy)

    assert result.returncode == 0, result.stderr
    # it warns (and still exits 0) for an unknown option or a bad value: none at all
    assert result.stderr.strip() == ""
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=",
                   "SystemCallFilter=@system-service", "PrivateTmp=yes"):  # fmt: skip
        assert option in unit
    # every option ExecStart gives is one the command takes
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    given = {word for word in exec_start.split() if word.startswith("--")}
    taken = {opt for param in main.commands[command].params for opt in param.opts}
    assert given <= taken, given - taken


def test_the_caddyfile_validates(tmp_path: Path) -> None:
    caddy = need("caddy", "apt-get install -y caddy")
    cert, key = certificate(tmp_path / "tls", "*.apps.example.net")
    text = (DEPLOY / "Caddyfile").read_text()
    text = text.replace("/etc/widgetbox/tls/apps.example.net.crt", str(cert))
    text = text.replace("/etc/widgetbox/tls/apps.example.net.key", str(key))
    copy = tmp_path / "Caddyfile"
    copy.write_text(text)

    result = run(caddy, "validate", "--config", copy, "--adapter", "caddyfile", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_the_nginx_configuration_passes_nginx_t(tmp_path: Path) -> None:
    nginx = need("nginx", "apt-get install -y nginx")
    certs = {
        "widgets.example.com": certificate(tmp_path / "tls", "widgets.example.com"),
        "apps.example.net": certificate(tmp_path / "tls", "*.apps.example.net"),
    }
    proxy = tmp_path / "nginx-proxy.conf"
    shutil.copy(DEPLOY / "nginx" / "nginx-proxy.conf", proxy)
    site = (DEPLOY / "nginx" / "widgetbox.conf").read_text()
    site = site.replace("/etc/widgetbox/nginx-proxy.conf", str(proxy))
    for name, (cert, key) in certs.items():
        site = site.replace(f"/etc/letsencrypt/live/{name}/fullchain.pem", str(cert))
        site = site.replace(f"/etc/letsencrypt/live/{name}/privkey.pem", str(key))
    (tmp_path / "widgetbox.conf").write_text(site)
    main = tmp_path / "nginx.conf"  # what /etc/nginx/nginx.conf gives a conf.d file
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        f"    access_log {tmp_path}/access.log;\n"
        f"    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n"
        f"    include {tmp_path}/widgetbox.conf;\n"
        "}\n"
    )

    result = run(nginx, "-t", "-p", tmp_path, "-c", main)

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def docker_daemon() -> str:
    docker = need("docker", "https://docs.docker.com/engine/install/")
    if run(docker, "info").returncode != 0:
        pytest.skip(
            "no Docker daemon is running here (`docker info` fails): the Dockerfile is not built"
        )
    return docker


def test_the_dockerfile_builds_from_the_wheel_and_serves(tmp_path: Path) -> None:
    docker = docker_daemon()
    wheels = sorted((ROOT / "dist").glob("widgetbox-*.whl"))
    if not wheels:
        pytest.skip("no wheel in dist/: run `just dist` first")
    tag = f"widgetbox-test:{int(time.time())}"
    built = run(docker, "build", "-f", DEPLOY / "Dockerfile", "-t", tag, ROOT)
    assert built.returncode == 0, built.stderr
    started = run(docker, "run", "-d", "--rm", "-p", "127.0.0.1::8000", tag)
    assert started.returncode == 0, started.stderr
    container = started.stdout.strip()
    try:
        port = run(docker, "port", container, "8000").stdout.strip().rsplit(":", 1)[1]
        deadline = time.monotonic() + 120
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, run(docker, "logs", container).stderr
            time.sleep(1)
    finally:
        run(docker, "rm", "-f", container)
        run(docker, "rmi", tag)
