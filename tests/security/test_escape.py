"""Ways out of the sandbox other than files: the environment, the network, processes,
threads and native code. None exists; each attempt fails with a clear exception."""

from __future__ import annotations

import os

import pytest

from tests.security._helpers import PRELUDE, outcomes, run
from widgetbox.runtime import Code, Limits, Runtime, Script, Status

pytestmark = pytest.mark.security

GUEST_ENVIRONMENT = {"HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONTZPATH": ""}

ENVIRONMENT_PROBE = """
import os, sys
print("ENV", sorted(os.environ.items()))
print("ARGV", sys.argv, sys.orig_argv)
attempt("getenv", lambda: os.getenv("WIDGETBOX_SECURITY_SECRET"))
attempt("environ file", lambda: open("/proc/self/environ").read())
"""


def test_the_environment_holds_only_the_guests_own_variables(runtime: Runtime) -> None:
    result = run(runtime, ENVIRONMENT_PROBE)
    assert result.status is Status.OK, result.message
    lines = result.stdout.splitlines()
    assert lines[0] == f"ENV {sorted(GUEST_ENVIRONMENT.items())}"
    assert lines[1] == "ARGV ['main.py'] ['python']"
    assert outcomes(result) == {"getenv": "ok", "environ file": "raised FileNotFoundError ENOENT"}


def test_host_variables_never_reach_the_guest(monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable set in the host process before the guest is even created stays invisible
    (a runtime without a pool, so the guest starts after the variable is set)."""
    secret = "host-secret-" + os.urandom(8).hex()
    monkeypatch.setenv("WIDGETBOX_SECURITY_SECRET", secret)
    monkeypatch.setenv("PATH", os.environ.get("PATH", "") + ":/" + secret)
    with Runtime(pool_size=0) as fresh:
        result = fresh.run(
            Script(Code.single(PRELUDE + ENVIRONMENT_PROBE)),
            limits=Limits.script().with_(timeout=5.0),
        )
    assert result.status is Status.OK, result.message
    assert result.stdout.splitlines()[0] == f"ENV {sorted(GUEST_ENVIRONMENT.items())}"
    assert outcomes(result)["getenv"] == "ok"
    assert '"value": "None"' in result.stdout
    assert secret not in result.stdout + result.stderr


def test_there_is_no_network(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import socket
        attempt("tcp socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
        attempt("udp socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        attempt("unix socket", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
        attempt("socketpair", socket.socketpair)
        attempt("create_connection", lambda: socket.create_connection(("127.0.0.1", 80), 1))
        attempt("getaddrinfo", lambda: socket.getaddrinfo("localhost", 80))
        attempt("socket from fd 3", lambda: socket.socket(fileno=3))
        import urllib.request
        attempt("urlopen", lambda: urllib.request.urlopen("http://127.0.0.1:9/", timeout=1))
        """,
    )
    assert result.status is Status.OK, result.message
    no_getaddrinfo = "raised AttributeError"
    assert outcomes(result) == {
        "tcp socket": "raised OSError ENOTSUP",
        "udp socket": "raised OSError ENOTSUP",
        "unix socket": "raised AttributeError",  # AF_UNIX does not exist on WASI
        "socketpair": "raised OSError ENOTSUP",
        "create_connection": no_getaddrinfo,
        "getaddrinfo": no_getaddrinfo,
        "socket from fd 3": "raised OSError ENOTSOCK",
        # urllib goes through the host's outbound policy (issue 14), which refuses loopback
        "urlopen": "raised URLError",
    }
    assert "has no attribute 'getaddrinfo'" in result.stdout


def test_there_are_no_processes(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import os, subprocess
        attempt("subprocess.run", lambda: subprocess.run(["/bin/sh", "-c", "id"]))
        attempt("Popen", lambda: subprocess.Popen(["ls"]))
        attempt("check_output", lambda: subprocess.check_output("id", shell=True))
        attempt("os.popen", lambda: os.popen("id").read())
        attempt("os.system", lambda: os.system("id"))
        attempt("os.fork", lambda: os.fork())
        attempt("os.execv", lambda: os.execv("/bin/sh", ["sh"]))
        attempt("os.posix_spawn", lambda: os.posix_spawn("/bin/sh", ["sh"], {}))
        attempt("os.kill", lambda: os.kill(1, 9))
        import multiprocessing
        attempt("multiprocessing", lambda: multiprocessing.Process(target=print).start())
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "subprocess.run": "raised OSError ENOTSUP",
        "Popen": "raised OSError ENOTSUP",
        "check_output": "raised OSError ENOTSUP",
        "os.popen": "raised OSError ENOTSUP",
        "os.system": "raised AttributeError",
        "os.fork": "raised AttributeError",
        "os.execv": "raised AttributeError",
        "os.posix_spawn": "raised AttributeError",
        "os.kill": "raised AttributeError",
        "multiprocessing": "raised AttributeError",
    }
    assert result.stdout.count("wasi does not support processes") == 4


def test_there_are_no_threads(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import threading, _thread
        attempt("Thread.start", lambda: threading.Thread(target=print).start())
        attempt("start_new_thread", lambda: _thread.start_new_thread(print, ()))
        from concurrent.futures import ThreadPoolExecutor
        attempt("executor", lambda: ThreadPoolExecutor(2).submit(print).result())
        attempt("active", threading.active_count)
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "Thread.start": "raised RuntimeError",
        "start_new_thread": "raised RuntimeError",
        "executor": "raised RuntimeError",
        "active": "ok",
    }
    assert result.stdout.count("can't start new thread") == 3
    assert '"label": "active", "value": "1"' in result.stdout


def test_there_is_no_native_code(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import ctypes
        attempt("CDLL", lambda: ctypes.CDLL(None))
        attempt("string_at", lambda: ctypes.string_at(0xFFFFFF00, 64))
        attempt("pythonapi", lambda: ctypes.pythonapi)
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "CDLL": "raised OSError",
        "string_at": "raised OSError",
        "pythonapi": "raised AttributeError",
    }
    assert result.stdout.count("ctypes is unavailable on wasm32-wasi") == 2


def test_stdin_is_empty_and_never_blocks(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import select, sys
        attempt("read", sys.stdin.read)
        attempt("input", input)
        attempt("select", lambda: select.select([0], [], [], 30))
        """,
        Limits.script().with_(timeout=2.0),
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {"read": "ok", "input": "raised EOFError", "select": "ok"}
