"""The guest's file system: nothing outside its four mounts is reachable, the read-only mounts
stay read-only, and the WASI advisories that reached guests through paths stay fixed.

The guest sees /usr/local/lib (the stdlib zip), /widgetbox (the guest bundle) and /widget
(the widget's files), all read-only, and /tmp, its writable scratch area and working folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import textwrap
from pathlib import Path

import pytest

from tests.security._helpers import PRELUDE, TIGHT, attempts, outcomes, run
from widgetbox.runtime import Runtime, Status, _bytecode

pytestmark = pytest.mark.security

EPERM = "raised PermissionError EPERM"
ENOENT = "raised FileNotFoundError ENOENT"
EISDIR = "raised IsADirectoryError EISDIR"
ENOTDIR = "raised NotADirectoryError ENOTDIR"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _guest_relative(runtime: Runtime, target: Path) -> str:
    """`target` as a relative path from a guest's scratch folder on the host (every guest's
    scratch folder is `<work root>/guest-*/scratch`, so the depth is the same for all)."""
    scratch = runtime._work / "guest-any" / "scratch"
    return os.path.relpath(target, scratch)


def test_dotdot_and_absolute_paths_reveal_nothing_of_the_host(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import os
        for path in [
            "/etc/passwd",
            "/proc/self/environ",
            "/proc/self/cmdline",
            "../../etc/passwd",
            "../" * 20 + "etc/passwd",
            "/widget/../../etc/passwd",
            "/tmp/../../etc/passwd",
            "/usr/local/lib/../../../etc/passwd",
            "/tmp/../widget/main.py",
        ]:
            attempt("read " + path, lambda: open(path, "rb").read())
        for path in ["/", "..", "/tmp/..", "/widget/..", "/usr", "/etc", "/proc", "/dev", "/home"]:
            attempt("list " + path, lambda: os.listdir(path))
        attempt("chdir ..", lambda: os.chdir(".."))
        attempt("cwd", os.getcwd)
        for mount in ["/usr/local/lib", "/widgetbox", "/widget", "/tmp"]:
            attempt("mount " + mount, lambda: sorted(os.listdir(mount)))
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "read /etc/passwd": ENOENT,
        "read /proc/self/environ": ENOENT,
        "read /proc/self/cmdline": ENOENT,
        "read ../../etc/passwd": EPERM,
        "read " + "../" * 20 + "etc/passwd": EPERM,
        "read /widget/../../etc/passwd": EPERM,
        "read /tmp/../../etc/passwd": EPERM,
        "read /usr/local/lib/../../../etc/passwd": EPERM,
        "read /tmp/../widget/main.py": EPERM,  # `..` never leaves a mount, even to another
        "list /": ENOENT,
        "list ..": EPERM,
        "list /tmp/..": EPERM,
        "list /widget/..": EPERM,
        "list /usr": ENOENT,
        "list /etc": ENOENT,
        "list /proc": ENOENT,
        "list /dev": ENOENT,
        "list /home": ENOENT,
        "chdir ..": EPERM,
        "cwd": "ok",
        "mount /usr/local/lib": "ok",
        "mount /widgetbox": "ok",
        "mount /widget": "ok",
        "mount /tmp": "ok",
    }
    seen = attempts(result)
    assert seen["cwd"].value == "'/tmp'"
    assert seen["mount /usr/local/lib"].value == "['python315.zip']"
    assert seen["mount /widgetbox"].value == "['guest.bundle']"
    assert seen["mount /widget"].value == "['main.py']"
    assert seen["mount /tmp"].value == "[]"
    assert "root:" not in result.stdout


def test_a_host_file_is_unreachable_by_any_path(runtime: Runtime, tmp_path: Path) -> None:
    secret = "host-only-content-" + os.urandom(8).hex()
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text(secret)
    relative = _guest_relative(runtime, sentinel)
    paths = [
        str(sentinel),  # the host's absolute path
        relative,  # relative to the guest's working folder, as the host lays it out
        "/tmp/" + relative,
        "/widget/../" + relative,
        "../" * 30 + str(sentinel).lstrip("/"),
        str(runtime._work),  # the runtime's own folder on the host
    ]
    result = run(
        runtime,
        f"""
        import os
        paths = {paths!r}
        for index, path in enumerate(paths):
            attempt(f"read {{index}}", lambda: open(path).read())
            attempt(f"list {{index}}", lambda: os.listdir(path))
        attempt("symlink absolute", lambda: os.symlink(paths[0], "/tmp/abs"))
        attempt("symlink relative", lambda: os.symlink(paths[1], "/tmp/rel"))
        attempt("read through symlink", lambda: open("/tmp/rel").read())
        attempt("chdir relative", lambda: os.chdir(os.path.dirname(paths[1])))
        names = []
        for mount in ["/usr/local/lib", "/widgetbox", "/widget", "/tmp"]:
            for folder, dirs, files in os.walk(mount):
                names += dirs + files
        print("NAMES", sorted(names))
        """,
    )
    assert result.status is Status.OK, result.message
    seen = outcomes(result)
    for index in range(len(paths)):
        assert seen[f"read {index}"] in (EPERM, ENOENT), paths[index]
        assert seen[f"list {index}"] in (EPERM, ENOENT), paths[index]
    assert seen["read 0"] == ENOENT  # an absolute host path names nothing in the guest
    assert seen["read 1"] == EPERM
    assert seen["symlink absolute"] == EPERM
    assert seen["symlink relative"] == "ok"  # a dangling link is harmless: it cannot be used
    assert seen["read through symlink"] == EPERM
    assert seen["chdir relative"] == EPERM
    assert secret not in result.stdout + result.stderr
    # Everything the guest can see, walked: only its own mounts' files and its dangling link.
    assert "NAMES ['guest.bundle', 'main.py', 'python315.zip', 'rel']\n" in result.stdout
    assert sentinel.read_text() == secret


def test_symlinks_cannot_lead_out_of_the_scratch_area(runtime: Runtime, tmp_path: Path) -> None:
    outside = _guest_relative(runtime, tmp_path / "created-through-a-link")
    result = run(
        runtime,
        f"""
        import os
        attempt("link to /etc/passwd", lambda: os.symlink("/etc/passwd", "/tmp/passwd"))
        attempt("read /tmp/passwd", lambda: open("/tmp/passwd").read())
        attempt("link to /widget/main.py", lambda: os.symlink("/widget/main.py", "/tmp/main"))
        attempt("link up", lambda: os.symlink("../../..", "/tmp/up"))
        attempt("readlink up", lambda: os.readlink("/tmp/up"))
        attempt("list up", lambda: os.listdir("/tmp/up"))
        attempt("stat up", lambda: os.stat("/tmp/up"))
        attempt("read up/etc/passwd", lambda: open("/tmp/up/etc/passwd").read())
        attempt("chdir up", lambda: os.chdir("/tmp/up"))
        attempt("link parent", lambda: os.symlink("..", "/tmp/parent"))
        attempt("list parent", lambda: os.listdir("/tmp/parent"))
        attempt("read parent/widget/main.py", lambda: open("/tmp/parent/widget/main.py").read())
        attempt("link chain", lambda: os.symlink("up/etc/passwd", "/tmp/chain"))
        attempt("read chain", lambda: open("/tmp/chain").read())
        attempt("link outside", lambda: os.symlink({outside!r}, "/tmp/outside"))
        attempt("create through link", lambda: open("/tmp/outside", "w").write("escaped"))
        attempt("mkdir through link", lambda: os.mkdir("/tmp/outside/"))
        os.mkdir("/tmp/dir")
        attempt("link in subfolder", lambda: os.symlink("../../../..", "/tmp/dir/up"))
        attempt("list subfolder link", lambda: os.listdir("/tmp/dir/up"))
        with open("/tmp/real", "w") as f:
            f.write("inside")
        attempt("link inside", lambda: os.symlink("real", "/tmp/inside"))
        attempt("read inside", lambda: open("/tmp/inside").read())
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "link to /etc/passwd": EPERM,  # absolute targets are refused outright
        "read /tmp/passwd": ENOENT,
        "link to /widget/main.py": EPERM,
        "link up": "ok",  # relative targets may be stored, but never followed out
        "readlink up": "ok",
        "list up": EPERM,
        "stat up": EPERM,
        "read up/etc/passwd": EPERM,
        "chdir up": EPERM,
        "link parent": "ok",
        "list parent": EPERM,
        "read parent/widget/main.py": EPERM,
        "link chain": "ok",
        "read chain": EPERM,
        "link outside": "ok",
        "create through link": EPERM,
        "mkdir through link": "raised FileExistsError EEXIST",
        "link in subfolder": "ok",
        "list subfolder link": EPERM,
        "link inside": "ok",
        "read inside": "ok",  # links inside the scratch area work as usual
    }
    assert attempts(result)["read inside"].value == "'inside'"
    assert list(tmp_path.iterdir()) == []  # nothing was created on the host


def test_hard_links_and_renames_out_of_read_only_mounts_are_refused(runtime: Runtime) -> None:
    """GHSA-4ch3-9j33-3pmj: hard links and renames from a read-only mount into the writable
    one would let the guest write a host file through the link."""
    interpreter = runtime.interpreter
    stdlib = Path(interpreter.stdlib_dir) / "python315.zip"
    bundle = (
        _bytecode.bundle_dir(interpreter.cache, interpreter.pin.module.sha256)
        / _bytecode.BUNDLE_NAME
    )
    before = {path: _sha256(path) for path in (stdlib, bundle)}
    source = """
        import hashlib, os
        for name, path in [
            ("main", "/widget/main.py"),
            ("zip", "/usr/local/lib/python315.zip"),
            ("bundle", "/widgetbox/guest.bundle"),
        ]:
            attempt("link " + name, lambda: os.link(path, "/tmp/" + name))
            attempt("write through " + name, lambda: open("/tmp/" + name, "r+b").write(b"pwned"))
            attempt("rename " + name, lambda: os.rename(path, "/tmp/moved-" + name))
        with open("/tmp/mine", "w") as f:
            f.write("x")
        attempt("rename into /widget", lambda: os.rename("/tmp/mine", "/widget/main.py"))
        attempt("link into /widget", lambda: os.link("/tmp/mine", "/widget/new.py"))
        attempt("link into /usr/local/lib", lambda: os.link("/tmp/mine", "/usr/local/lib/x"))
        attempt("tmp", lambda: sorted(os.listdir("/tmp")))
        with open("/widget/main.py", "rb") as f:
            print("SHA", hashlib.sha256(f.read()).hexdigest())
        """
    result = run(runtime, source)
    assert result.status is Status.OK, result.message
    seen = outcomes(result)
    for name in ("main", "zip", "bundle"):
        assert seen["link " + name] == EPERM
        assert seen["write through " + name] == ENOENT
        assert seen["rename " + name] == EPERM
    assert seen["rename into /widget"] == EPERM
    assert seen["link into /widget"] == EPERM
    assert seen["link into /usr/local/lib"] == EPERM
    assert attempts(result)["tmp"].value == "['mine']"
    sent = (PRELUDE + textwrap.dedent(source)).encode()
    assert f"SHA {hashlib.sha256(sent).hexdigest()}\n" in result.stdout
    assert {path: _sha256(path) for path in before} == before


def test_read_only_mounts_cannot_be_written(runtime: Runtime) -> None:
    result = run(
        runtime,
        """
        import os
        attempt("append", lambda: open("/widget/main.py", "a").write("x"))
        attempt("overwrite", lambda: open("/widget/main.py", "w"))
        attempt("create in /widget", lambda: open("/widget/new.py", "w"))
        attempt("create in /widgetbox", lambda: open("/widgetbox/new", "w"))
        attempt("create in /usr/local/lib", lambda: open("/usr/local/lib/new", "w"))
        attempt("truncate", lambda: os.truncate("/widget/main.py", 0))
        attempt("unlink", lambda: os.unlink("/widget/main.py"))
        attempt("unlink zip", lambda: os.unlink("/usr/local/lib/python315.zip"))
        attempt("mkdir", lambda: os.mkdir("/widget/folder"))
        attempt("utime", lambda: os.utime("/widget/main.py", (0, 0)))
        attempt("symlink in /widget", lambda: os.symlink("main.py", "/widget/link"))
        attempt("listing", lambda: sorted(os.listdir("/widget")))
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "append": EPERM,
        "overwrite": EPERM,
        "create in /widget": EPERM,
        "create in /widgetbox": EPERM,
        "create in /usr/local/lib": EPERM,
        "truncate": EPERM,
        "unlink": EPERM,
        "unlink zip": EPERM,
        "mkdir": EPERM,
        "utime": EPERM,
        "symlink in /widget": EPERM,
        "listing": "ok",
    }
    assert attempts(result)["listing"].value == "['main.py']"


def test_o_trunc_on_a_read_only_file_is_refused(runtime: Runtime) -> None:
    """GHSA-2r75-cxrj-cmph: `O_TRUNC` with `O_RDONLY` on a read-only mount truncated the file."""
    interpreter = runtime.interpreter
    stdlib = Path(interpreter.stdlib_dir) / "python315.zip"
    size = stdlib.stat().st_size
    result = run(
        runtime,
        """
        import os
        before = len(open("/widget/main.py", "rb").read())
        flags = os.O_RDONLY | os.O_TRUNC
        attempt("main.py", lambda: os.open("/widget/main.py", flags))
        attempt("zip", lambda: os.open("/usr/local/lib/python315.zip", flags))
        attempt("bundle", lambda: os.open("/widgetbox/guest.bundle", flags))
        attempt("main.py O_WRONLY", lambda: os.open("/widget/main.py", os.O_WRONLY | os.O_TRUNC))
        print("SIZES", before, len(open("/widget/main.py", "rb").read()),
              os.stat("/usr/local/lib/python315.zip").st_size)
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "main.py": EPERM,
        "zip": EPERM,
        "bundle": EPERM,
        "main.py O_WRONLY": EPERM,
    }
    sizes = next(line for line in result.stdout.splitlines() if line.startswith("SIZES"))
    _, before, after, zip_size = sizes.split()
    assert before == after != "0"
    assert int(zip_size) == size == stdlib.stat().st_size


def test_trailing_slashes_do_not_escape(runtime: Runtime, tmp_path: Path) -> None:
    """GHSA-vqjp-4c8c-hfgg (trailing-slash paths) and GHSA-m9f7-9w4p-gv38 (renaming symlinks
    with trailing slashes)."""
    outside = _guest_relative(runtime, tmp_path / "escaped")
    result = run(
        runtime,
        f"""
        import os
        attempt("open file/ for writing", lambda: open("/tmp/file/", "w"))
        with open("/tmp/f", "w") as f:
            f.write("data")
        attempt("open f/ for reading", lambda: open("/tmp/f/").read())
        attempt("link outside", lambda: os.symlink({outside!r}, "/tmp/esc"))
        attempt("open esc/ for writing", lambda: open("/tmp/esc/", "w"))
        attempt("open esc for writing", lambda: open("/tmp/esc", "w"))
        attempt("mkdir esc/", lambda: os.mkdir("/tmp/esc/"))
        attempt("rename f to esc/", lambda: os.rename("/tmp/f", "/tmp/esc/"))
        attempt("link f to esc/", lambda: os.link("/tmp/f", "/tmp/esc/"))
        attempt("symlink at esc/", lambda: os.symlink("f", "/tmp/esc/"))
        attempt("absolute symlink at x/", lambda: os.symlink("/etc/passwd", "/tmp/x/"))
        attempt("link up", lambda: os.symlink("../../..", "/tmp/up"))
        attempt("rename up/", lambda: os.rename("/tmp/up/", "/tmp/up2"))
        attempt("rename up to up3/", lambda: os.rename("/tmp/up", "/tmp/up3/"))
        attempt("unlink up/", lambda: os.unlink("/tmp/up/"))
        attempt("rmdir up/", lambda: os.rmdir("/tmp/up/"))
        os.mkdir("/tmp/dir")
        attempt("rename dir/ to up/", lambda: os.rename("/tmp/dir/", "/tmp/up/"))
        attempt("link to file", lambda: os.symlink("f", "/tmp/lf"))
        attempt("rename lf/", lambda: os.rename("/tmp/lf/", "/tmp/lf2"))
        attempt("list up", lambda: os.listdir("/tmp/up"))
        attempt("list esc", lambda: os.listdir("/tmp/esc"))
        attempt("tmp", lambda: sorted(os.listdir("/tmp")))
        """,
    )
    assert result.status is Status.OK, result.message
    assert outcomes(result) == {
        "open file/ for writing": EISDIR,
        "open f/ for reading": ENOTDIR,
        "link outside": "ok",
        "open esc/ for writing": EISDIR,
        "open esc for writing": EPERM,
        "mkdir esc/": "raised FileExistsError EEXIST",
        "rename f to esc/": ENOTDIR,
        "link f to esc/": EPERM,
        "symlink at esc/": EPERM,
        "absolute symlink at x/": EPERM,
        "link up": "ok",
        "rename up/": ENOTDIR,
        "rename up to up3/": ENOTDIR,
        "unlink up/": EPERM,
        "rmdir up/": EPERM,
        "rename dir/ to up/": ENOTDIR,
        "link to file": "ok",
        "rename lf/": ENOTDIR,
        "list up": EPERM,
        "list esc": EPERM,
        "tmp": "ok",
    }
    assert attempts(result)["tmp"].value == "['dir', 'esc', 'f', 'lf', 'up']"
    assert list(tmp_path.iterdir()) == []  # nothing was created on the host


def test_directory_listings_hold_exactly_the_names_created(runtime: Runtime) -> None:
    """GHSA-96f6-r43r-8c24: `fd_readdir` padded its answer with bytes from outside the
    entries. Many names of varied lengths (ASCII and multi-byte) cross several buffers."""
    names = []
    for i in range(400):
        stem = f"{i:03d}-"
        if i % 3 == 0:
            names.append(stem + "a" * (i % 250))
        elif i % 3 == 1:
            names.append(stem + "é" * (i % 120))
        else:
            names.append(stem + "z.txt" * (i % 50))
    names.append("x" * 255)  # the longest name allowed
    result = run(
        runtime,
        f"""
        import json, os
        names = {names!r}
        for name in names:
            open("/tmp/" + name, "w").close()
        os.mkdir("/tmp/sub")
        for name in names[:50]:
            open("/tmp/sub/" + name, "w").close()
        print("LISTDIR", json.dumps(os.listdir("/tmp")))
        with os.scandir("/tmp") as entries:
            print("SCANDIR", json.dumps([[e.name, e.is_file()] for e in entries]))
        print("SUB", json.dumps(os.listdir("/tmp/sub")))
        """,
        TIGHT.with_(timeout=5.0),
    )
    assert result.status is Status.OK, result.message
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in result.stdout.splitlines()}
    expected = sorted([*names, "sub"])
    listed = json.loads(lines["LISTDIR"])
    assert sorted(listed) == expected
    assert len(listed) == len(set(listed))
    scanned = json.loads(lines["SCANDIR"])
    assert sorted(name for name, _ in scanned) == expected
    assert all(is_file == (name != "sub") for name, is_file in scanned)
    assert sorted(json.loads(lines["SUB"])) == sorted(names[:50])


class TestTheScratchQuota:
    """The scratch area is capped in bytes and entries; the guest sees a full disk."""

    def test_writing_past_the_byte_limit_fails_with_enospc(self, runtime: Runtime) -> None:
        result = run(
            runtime,
            """
            import os
            chunk = b"x" * 65536
            written = 0
            try:
                with open("/tmp/big", "wb") as f:
                    while True:
                        f.write(chunk)
                        f.flush()
                        written += len(chunk)
            except OSError as e:
                print("ERR", os.strerror(e.errno) == e.strerror, e.strerror, written)
            print("SIZE", os.path.getsize("/tmp/big"))
            """,
            TIGHT.with_(scratch_bytes=1024 * 1024),
        )
        assert result.status is Status.OK, result.message
        # Each write is counted with a block of slack, so the last chunk that fits may be one
        # short of the exact limit; the file never passes it.
        err, size = result.stdout.splitlines()
        written = int(err.rsplit(" ", 1)[1])
        assert err.startswith("ERR True No space left on device ")
        assert 1024 * 1024 - 65536 <= written <= 1024 * 1024
        assert size == f"SIZE {written}"

    def test_the_default_limit_holds_64_mib(self, runtime: Runtime) -> None:
        result = run(
            runtime,
            """
            import errno
            chunk = b"x" * (1024 * 1024)
            written = 0
            try:
                with open("/tmp/big", "wb") as f:
                    while True:
                        f.write(chunk)
                        f.flush()
                        written += len(chunk)
            except OSError as e:
                print(errno.errorcode[e.errno], e.strerror, written // (1024 * 1024))
            """,
            TIGHT.with_(timeout=10.0),
        )
        assert result.status is Status.OK, result.message
        assert result.stdout in {
            "ENOSPC No space left on device 63\n",
            "ENOSPC No space left on device 64\n",
        }

    @pytest.mark.parametrize(
        ("limit", "timeout"), [(50, 2.0), (1000, 10.0)], ids=["small", "default"]
    )
    def test_creating_too_many_entries_fails_with_enospc(
        self, runtime: Runtime, limit: int, timeout: float
    ) -> None:
        result = run(
            runtime,
            """
            import errno, os
            created = 0
            try:
                while True:
                    open(f"/tmp/f{created}", "w").close()
                    created += 1
            except OSError as e:
                print(errno.errorcode[e.errno], e.strerror, created)
            for label, make in [
                ("mkdir", lambda: os.mkdir("/tmp/d")),
                ("symlink", lambda: os.symlink("f0", "/tmp/s")),
                ("link", lambda: os.link("/tmp/f0", "/tmp/h")),
            ]:
                attempt(label, make)
            attempt("reopen existing", lambda: open("/tmp/f0", "w").write("still writable"))
            print("COUNT", len(os.listdir("/tmp")))
            """,
            TIGHT.with_(timeout=timeout, scratch_files=limit),
        )
        assert result.status is Status.OK, result.message
        assert result.stdout.splitlines()[0] == f"ENOSPC No space left on device {limit}"
        assert outcomes(result) == {
            "mkdir": "raised OSError ENOSPC",
            "symlink": "raised OSError ENOSPC",
            "link": "raised OSError ENOSPC",
            "reopen existing": "ok",
        }
        assert result.stdout.splitlines()[-1] == f"COUNT {limit}"

    def test_growing_a_file_by_truncate_is_counted(self, runtime: Runtime) -> None:
        result = run(
            runtime,
            """
            import os
            with open("/tmp/t", "wb") as f:
                attempt("truncate 1 TiB", lambda: f.truncate(1 << 40))
                attempt("truncate 10 MiB", lambda: os.truncate("/tmp/t", 10 << 20))
                attempt("truncate 1 KiB", lambda: f.truncate(1024))
            print("SIZE", os.path.getsize("/tmp/t"))
            """,
            TIGHT.with_(scratch_bytes=1024 * 1024),
        )
        assert result.status is Status.OK, result.message
        assert outcomes(result) == {
            "truncate 1 TiB": "raised OSError ENOSPC",
            "truncate 10 MiB": "raised OSError ENOSPC",
            "truncate 1 KiB": "ok",
        }
        assert result.stdout.splitlines()[-1] == "SIZE 1024"

    def test_writes_far_past_the_end_of_a_file_cost_only_what_they_store(
        self, runtime: Runtime
    ) -> None:
        """A write far past the end makes a sparse file: it occupies a block, not its
        apparent size, so it is allowed; the real disk use is what the quota bounds (next
        test)."""
        result = run(
            runtime,
            """
            import os
            with open("/tmp/seek", "wb") as f:
                f.seek(1 << 30)
                attempt("seek and write", lambda: (f.write(b"x"), f.flush()))
            fd = os.open("/tmp/pwrite", os.O_WRONLY | os.O_CREAT)
            attempt("pwrite at 4 GiB", lambda: os.pwrite(fd, b"x", 1 << 32))
            print("SIZES", os.path.getsize("/tmp/seek"), os.path.getsize("/tmp/pwrite"))
            """,
            TIGHT.with_(scratch_bytes=1024 * 1024),
        )
        assert result.status is Status.OK, result.message
        assert outcomes(result) == {"seek and write": "ok", "pwrite at 4 GiB": "ok"}

    def test_real_disk_use_stays_within_the_byte_limit(self, runtime: Runtime) -> None:
        """The quota must bound what the host's disk holds, not only the bytes passed to
        write(): sparse writes are the cheap way to make the two differ."""
        name = "holes-" + os.urandom(6).hex()

        def disk_use(call: object, data: object) -> int:
            return sum(
                path.stat().st_blocks * 512
                for path in runtime._work.glob(f"guest-*/scratch/{name}")
            )

        runtime.bridge.register("security.disk_use", disk_use)
        result = run(
            runtime,
            f"""
            import os
            from _widgetbox import bridge
            fd = os.open("/tmp/{name}", os.O_WRONLY | os.O_CREAT)
            written = 0
            try:
                for i in range(4096):
                    os.pwrite(fd, b"x", i * 4096)
                    written += 1
            except OSError as e:
                print("ENOSPC after", written)
            print("DISK", bridge.call("security.disk_use"))
            """,
            TIGHT.with_(timeout=10.0, scratch_bytes=1024 * 1024),
        )
        assert result.status is Status.OK, result.message
        disk = int(result.stdout.split("DISK ")[1])
        assert disk <= 1024 * 1024 + 64 * 1024, f"{disk:,} bytes on disk for a 1 MiB quota"
