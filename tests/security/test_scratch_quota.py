"""The scratch quota against files the guest keeps open after removing their names.

A file that is unlinked (or renamed over) while open keeps its bytes: they stay in the
host's memory (/dev/shm) until the last descriptor closes, yet no folder listing shows them.
The quota counts them for as long as the guest holds them, so every byte a run admitted is
counted, and the guest meets ENOSPC at the same limit as with named files.

`held_bytes` checks from outside: every block the sandbox processes hold under this
runtime's scratch folders, named or not.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.security._helpers import TIGHT, attempts, outcomes, run
from widgetbox.runtime import HostCall, Runtime, Status, _engine, _wasi

pytestmark = pytest.mark.security

MiB = 1024 * 1024
SLACK = 64 * 1024  # a few blocks: writes are admitted with a block to spare
ENOSPC = "raised OSError ENOSPC"
HELD = "security.held_bytes"


def held_bytes(runtime: Runtime) -> int:
    """Blocks (in bytes) of every file under a guest's scratch folder of `runtime`, named in
    the folder or only open in a process of ours, each file counted once."""
    work = os.path.realpath(runtime._work) + os.sep
    seen: dict[tuple[int, int], int] = {}
    for path in Path(work).glob("guest-*/scratch/**/*"):
        try:
            info = path.lstat()
        except OSError:
            continue
        seen[(info.st_dev, info.st_ino)] = info.st_blocks * 512
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
                if not (target.startswith(work) and "/scratch/" in target[len(work) :]):
                    continue
                info = fd.stat()
            except OSError:
                continue
            seen[(info.st_dev, info.st_ino)] = info.st_blocks * 512
    return sum(seen.values())


@pytest.fixture(autouse=True)
def held_handler(runtime: Runtime) -> None:
    def held(call: HostCall, data: object) -> int:
        return held_bytes(runtime)

    runtime.bridge.register(HELD, held)


def released(runtime: Runtime) -> int:
    """What the runtime still holds once the spent guest is closed (off the run's path)."""
    deadline = time.monotonic() + 5.0
    while (held := held_bytes(runtime)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return held


def number(result_stdout: str, label: str) -> int:
    line = next(line for line in result_stdout.splitlines() if line.startswith(label + " "))
    return int(line.split()[1])


def test_every_wasi_call_that_can_take_space_is_guarded(runtime: Runtime) -> None:
    """The guest reaches WASI only through what the interpreter module imports. Every call
    that can take space or entries is checked first; `fd_allocate` (posix_fallocate) is not
    imported at all (and wasmtime 50 answers it ENOTSUP). A new import must be sorted here."""
    module = _engine.compiled(runtime.interpreter).module
    imported = {item.name for item in module.imports if item.module == _wasi.WASI}
    takes_space = {
        "fd_write",
        "fd_pwrite",
        "fd_filestat_set_size",
        "path_open",
        "path_create_directory",
        "path_symlink",
        "path_link",
    }
    assert takes_space <= set(_wasi._SHADOWED)
    assert imported - takes_space == {
        *("args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "proc_exit"),
        *("clock_res_get", "clock_time_get", "poll_oneoff", "random_get", "sched_yield"),
        *("fd_advise", "fd_close", "fd_datasync", "fd_sync", "fd_fdstat_get"),
        *("fd_fdstat_set_flags", "fd_filestat_get", "fd_filestat_set_times"),
        *("fd_pread", "fd_read", "fd_readdir", "fd_seek", "fd_tell"),
        *("fd_prestat_get", "fd_prestat_dir_name"),
        *("path_filestat_get", "path_filestat_set_times", "path_readlink"),
        *("path_remove_directory", "path_unlink_file"),
        "path_rename",  # moves a name, or replaces one (the file replaced stays counted)
        *("sock_accept", "sock_recv", "sock_send", "sock_shutdown"),  # no sockets exist
    }


def test_an_unlinked_file_cannot_outgrow_the_default_quota(runtime: Runtime) -> None:
    """The report: open, unlink, and write 512 MiB in 1 MiB chunks under 64 MiB."""
    result = run(
        runtime,
        f"""
        import errno, os
        from _widgetbox import bridge
        fd = os.open("/tmp/ghost", os.O_WRONLY | os.O_CREAT)
        os.unlink("/tmp/ghost")
        chunk = b"x" * (1024 * 1024)
        written = 0
        try:
            while written < 512 * 1024 * 1024:
                written += os.write(fd, chunk)
        except OSError as e:
            print("ERR", errno.errorcode[e.errno])
        print("WRITTEN", written)
        print("SIZE", os.fstat(fd).st_size)
        print("HELD", bridge.call({HELD!r}))
        print("TMP", os.listdir("/tmp"))
        """,
        TIGHT.with_(timeout=30.0),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    written = number(result.stdout, "WRITTEN")
    assert "ERR ENOSPC\n" in result.stdout
    assert 63 * MiB <= written <= 64 * MiB, written
    assert number(result.stdout, "SIZE") == written
    assert number(result.stdout, "HELD") <= 64 * MiB + SLACK
    assert "TMP []\n" in result.stdout
    assert released(runtime) == 0  # the bytes leave with the spent guest


def test_many_unlinked_files_share_one_quota(runtime: Runtime) -> None:
    """50 files, each opened, unlinked and written, all kept open."""
    result = run(
        runtime,
        f"""
        import errno, os
        from _widgetbox import bridge
        fds, written, refused = [], 0, set()
        for i in range(50):
            fd = os.open(f"/tmp/g{{i}}", os.O_WRONLY | os.O_CREAT)
            os.unlink(f"/tmp/g{{i}}")
            fds.append(fd)
            try:
                written += os.write(fd, b"x" * (1024 * 1024))
            except OSError as e:
                refused.add(errno.errorcode[e.errno])
        print("WRITTEN", written)
        print("REFUSED", sorted(refused))
        print("HELD", bridge.call({HELD!r}))
        for fd in fds:
            os.close(fd)
        # Closed, the files are gone for good: their space is free again.
        attempt("write after closing", lambda: open("/tmp/new", "wb").write(b"x" * 6 * 1024 * 1024))
        """,
        TIGHT.with_(timeout=10.0, scratch_bytes=8 * MiB),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert 7 * MiB <= number(result.stdout, "WRITTEN") <= 8 * MiB
    assert "REFUSED ['ENOSPC']\n" in result.stdout
    assert number(result.stdout, "HELD") <= 8 * MiB + SLACK
    assert outcomes(result) == {"write after closing": "ok"}


def test_unlinked_files_count_as_entries_while_open(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import errno, os
        fds = []
        try:
            for i in range(500):
                fds.append(os.open(f"/tmp/e{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL))
                os.unlink(f"/tmp/e{i}")
        except OSError as e:
            print("ERR", errno.errorcode[e.errno])
        print("OPEN", len(fds))
        for fd in fds:
            os.close(fd)
        attempt("create after closing", lambda: open("/tmp/again", "w").close())
        """,
        TIGHT.with_(timeout=10.0, scratch_files=50),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert "ERR ENOSPC\n" in result.stdout
    assert number(result.stdout, "OPEN") == 50
    assert outcomes(result) == {"create after closing": "ok"}


def test_sparse_writes_to_an_unlinked_file_are_counted(runtime: Runtime) -> None:
    """One byte every 64 KiB takes a block each, far more than the bytes written."""
    result = run(
        runtime,
        f"""
        import errno, os
        from _widgetbox import bridge
        fd = os.open("/tmp/holes", os.O_WRONLY | os.O_CREAT)
        os.unlink("/tmp/holes")
        attempt("pwrite at 1 TiB", lambda: os.pwrite(fd, b"x", 1 << 40))
        written = 0
        try:
            for i in range(4096):
                os.pwrite(fd, b"x", i * 65536)
                written += 1
        except OSError as e:
            print("ERR", errno.errorcode[e.errno])
        print("WRITES", written)
        print("HELD", bridge.call({HELD!r}))
        """,
        TIGHT.with_(timeout=10.0, scratch_bytes=1 * MiB),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert outcomes(result) == {"pwrite at 1 TiB": "ok"}
    assert "ERR ENOSPC\n" in result.stdout
    assert number(result.stdout, "WRITES") <= MiB // 4096
    assert number(result.stdout, "HELD") <= MiB + SLACK


def test_truncate_games_on_unlinked_files(runtime: Runtime) -> None:
    """Shrinking frees what it frees; growing is counted; the space an unlinked file holds
    stays counted for as long as it is open."""
    result = run(
        runtime,
        f"""
        import os
        from _widgetbox import bridge
        MiB = 1024 * 1024
        fd = os.open("/tmp/t", os.O_RDWR | os.O_CREAT)
        os.unlink("/tmp/t")
        attempt("write 6 MiB", lambda: os.write(fd, b"x" * 6 * MiB))
        attempt("shrink to 0", lambda: os.ftruncate(fd, 0))
        attempt("rewrite 6 MiB", lambda: os.pwrite(fd, b"y" * 6 * MiB, 0))
        attempt("grow to 1 TiB", lambda: os.ftruncate(fd, 1 << 40))
        attempt("shrink to 5 MiB", lambda: os.ftruncate(fd, 5 * MiB))
        other = os.open("/tmp/u", os.O_RDWR | os.O_CREAT)
        os.unlink("/tmp/u")
        attempt("second file 4 MiB", lambda: os.write(other, b"z" * 4 * MiB))
        attempt("second file 2 MiB", lambda: os.write(other, b"z" * 2 * MiB))
        open("/tmp/v", "wb").close()
        attempt("grow by path to 4 MiB", lambda: os.truncate("/tmp/v", 4 * MiB))
        os.close(other)
        attempt("grow by path to 2 MiB", lambda: os.truncate("/tmp/v", 2 * MiB))
        v = os.open("/tmp/v", os.O_RDWR)
        attempt("fill the grown file", lambda: os.pwrite(v, b"v" * 2 * MiB, 0))
        print("HELD", bridge.call({HELD!r}))
        print("SIZES", os.fstat(fd).st_size, os.fstat(v).st_size)
        """,
        TIGHT.with_(timeout=10.0, scratch_bytes=8 * MiB),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert outcomes(result) == {
        "write 6 MiB": "ok",
        "shrink to 0": "ok",
        "rewrite 6 MiB": "ok",  # the space the shrink freed is free again
        "grow to 1 TiB": ENOSPC,
        "shrink to 5 MiB": "ok",
        "second file 4 MiB": ENOSPC,  # 5 + 4 > 8: the unlinked first file still holds 5
        "second file 2 MiB": "ok",
        "grow by path to 4 MiB": ENOSPC,  # 7 MiB held, and growth is counted
        "grow by path to 2 MiB": "ok",  # closing the second file freed its 2 MiB
        "fill the grown file": "ok",
    }
    assert number(result.stdout, "HELD") <= 8 * MiB + SLACK
    assert "SIZES 5242880 2097152\n" in result.stdout


def test_shrinking_a_file_is_allowed_at_a_full_quota(runtime: Runtime) -> None:
    """As on a full disk: a write fails, but truncating a file to free space works."""
    result = run(
        runtime,
        """
        import errno, os
        MiB = 1024 * 1024
        f = open("/tmp/full", "wb", buffering=0)
        try:
            while True:
                f.write(b"f" * 256 * 1024)
        except OSError as e:
            print("FULL", e.errno == errno.ENOSPC)
        attempt("shrink to 1 MiB", lambda: f.truncate(1 * MiB))
        attempt("shrink by path", lambda: os.truncate("/tmp/full", 512 * 1024))
        attempt("open with O_TRUNC", lambda: open("/tmp/full", "wb").close())
        attempt("write 7 MiB", lambda: open("/tmp/next", "wb").write(b"n" * 7 * MiB))
        """,
        TIGHT.with_(timeout=10.0, scratch_bytes=8 * MiB),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert "FULL True\n" in result.stdout
    assert outcomes(result) == {
        "shrink to 1 MiB": "ok",
        "shrink by path": "ok",
        "open with O_TRUNC": "ok",
        "write 7 MiB": "ok",
    }


def test_renaming_over_an_open_file_keeps_its_bytes_counted(runtime: Runtime) -> None:
    result = run(
        runtime,
        f"""
        import os
        from _widgetbox import bridge
        MiB = 1024 * 1024
        fd = os.open("/tmp/a", os.O_WRONLY | os.O_CREAT)
        os.write(fd, b"a" * 6 * MiB)
        open("/tmp/b", "wb").close()
        os.rename("/tmp/b", "/tmp/a")  # /tmp/a's old data now has no name, only the fd
        attempt("listing", lambda: sorted(os.listdir("/tmp")))
        attempt("write 4 MiB", lambda: open("/tmp/c", "wb").write(b"c" * 4 * MiB))
        print("HELD", bridge.call({HELD!r}))
        os.close(fd)
        attempt("write 4 MiB after closing", lambda: open("/tmp/d", "wb").write(b"d" * 4 * MiB))
        """,
        TIGHT.with_(timeout=10.0, scratch_bytes=8 * MiB),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert outcomes(result) == {
        "listing": "ok",
        "write 4 MiB": ENOSPC,
        "write 4 MiB after closing": "ok",
    }
    assert attempts(result)["listing"].value == "['a']"
    assert number(result.stdout, "HELD") <= 8 * MiB + SLACK


def test_many_descriptors_on_one_file_count_it_once(runtime: Runtime) -> None:
    """Rewriting one file through many descriptors stays allowed (its blocks are counted
    once, not once per descriptor), and it stays counted after its name is gone."""
    result = run(
        runtime,
        """
        import os
        MiB = 1024 * 1024
        with open("/tmp/same", "wb") as f:
            f.write(b"s" * 3 * MiB)
        fds = [os.open("/tmp/same", os.O_WRONLY) for _ in range(20)]
        os.link("/tmp/same", "/tmp/same-too")
        for i, fd in enumerate(fds):
            attempt(f"rewrite {i}", lambda: os.pwrite(fd, b"t" * 3 * MiB, 0))
        os.unlink("/tmp/same")
        os.unlink("/tmp/same-too")
        attempt("write 6 MiB elsewhere", lambda: open("/tmp/x", "wb").write(b"x" * 6 * MiB))
        attempt("write 4 MiB elsewhere", lambda: open("/tmp/y", "wb").write(b"y" * 4 * MiB))
        """,
        TIGHT.with_(timeout=10.0, scratch_bytes=8 * MiB),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert outcomes(result) == {
        **{f"rewrite {i}": "ok" for i in range(20)},
        "write 6 MiB elsewhere": ENOSPC,  # 3 + 6 > 8: the file is open through 20 fds
        "write 4 MiB elsewhere": "ok",
    }
