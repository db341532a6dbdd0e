"""An app's files from a git URL the server can reach, for an import: the URL checked, the
host resolved once and vetted by the outbound policy (`host/outbound/`: loopback, private
and link-local addresses refused unless the `[imports]` settings allow them, cloud metadata
always), then a shallow clone by the machine's `git` pinned to the vetted addresses, bounded
in time and size, and the commit's files read as a `trees.Read` through the same checks as a
folder's.

Why the `git` program rather than a Python implementation (dulwich): git speaks every
server's protocol versions and transports (smart and dumb HTTP, v0 to v2) and checks what it
receives (`transfer.fsckObjects`), it is on any machine that hosts code, and a strict
command line and environment leave it nothing to configure from outside: no system or user
configuration, no credential helpers or prompts, only the http and https protocols, no
redirects (each hop would need vetting again), no hooks, no submodules, and a bare clone, so
no checkout runs filters (Git LFS) or writes a file of the repository to disk.

How each bound is kept: the time by a deadline over the whole clone and read (the process
group is killed when it passes); the download by watching the clone's folder and killing git
once it holds more than `Bounds.total_bytes`; what is read by `trees.read_listing`, which
judges each file's size from the commit's listing before any is read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from widgetbox.host.errors import Busy, Forbidden, Invalid, Malformed
from widgetbox.host.outbound import (
    IPAddress,
    OutboundPolicy,
    Resolver,
    Target,
    parse_url,
    resolve_dns,
    vet_addresses,
)
from widgetbox.host.transfer import trees
from widgetbox.runtime import HostCallError

if TYPE_CHECKING:
    from widgetbox.host.config import Config

MAX_CLONES = 2
"""Clones one server process runs at once (each is a git process and its network)."""
_CLONES = threading.BoundedSemaphore(MAX_CLONES)
"""The server's capacity for clones: a limit on a resource, shared on purpose."""

POLL = 0.05
"""Seconds between looks at a running clone's size and deadline."""

PRIVATE_HINT = (
    " (imports clone only from the public internet unless the server's "
    "git_import_allow_private or git_import_allowlist setting allows the host)"
)

_STRICT_CONFIG = (
    # only http and https, whatever the URL or a server's answer asks for
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.http.allow=always",
    # never ask anyone for anything, never reuse stored credentials
    "credential.helper=",
    "core.askPass=",
    # a redirect would reach an address nobody vetted
    "http.followRedirects=false",
    "core.hooksPath=/dev/null",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "filter.lfs.smudge=",
    "filter.lfs.process=",
    "filter.lfs.required=false",
    "transfer.fsckObjects=true",
    "core.fsmonitor=false",
    "http.proxy=",
)


class GitImportError(Malformed):
    """The URL could not be cloned (the code and message say why)."""


@dataclass(frozen=True)
class GitLimits:
    """How long a clone may take and how much it may hold."""

    timeout: float = 60.0
    """Seconds for the whole clone and read."""
    bounds: trees.Bounds = field(default_factory=trees.Bounds)
    """What the commit's files may be; the clone's folder may hold `total_bytes`."""


def policy_for(config: Config) -> OutboundPolicy:
    """Where imports may clone from: the outbound policy's rules, with the `[imports]`
    settings' own exceptions for private hosts."""
    return OutboundPolicy(
        allow_private=config.imports.git_import_allow_private,
        allowlist=tuple(config.imports.git_import_allowlist),
    )


def limits_for(config: Config) -> GitLimits:
    return GitLimits(timeout=config.imports.git_import_timeout)


def check_url(url: str) -> Target:
    """`url` as a `Target` when it is an http(s) URL git may be asked to clone: no
    credentials (the server clones what anyone may read), no ssh or git: URLs; Invalid
    (`invalid_git_url`) otherwise."""
    text = url.strip()
    if text.startswith("git@") or text.split("://", 1)[0].lower() in ("ssh", "git", "file"):
        raise Invalid(
            "invalid_git_url",
            "Only https and http git URLs can be cloned (not ssh, git: or file URLs), for "
            "example https://github.com/me/my-app.git.",
        )
    if "@" in text.split("://", 1)[-1].split("/", 1)[0]:
        raise Invalid(
            "invalid_git_url",
            "A git URL with credentials in it is not accepted: the server clones only "
            "repositories anyone may read.",
        )
    if "#" in text:
        raise Invalid("invalid_git_url", "A git URL has no #fragment.")
    try:
        return parse_url(text)
    except HostCallError as e:
        raise Invalid(
            "invalid_git_url", f"That is not a git URL the server can clone: {e}."
        ) from None


def vet(target: Target, policy: OutboundPolicy, resolve: Resolver = resolve_dns) -> list[IPAddress]:
    """The addresses the clone may connect to, resolved once; Forbidden
    (`git_url_refused`) for an address the policy refuses."""
    try:
        return vet_addresses(policy, target, resolve, private_hint=PRIVATE_HINT)
    except HostCallError as e:
        if e.kind == "Refused":
            said = str(e)
            raise Forbidden("git_url_refused", f"{said[:1].upper()}{said[1:]}.") from None
        raise GitImportError("git_clone_failed", f"Cannot clone {target.url}: {e}.") from None


def clone(
    url: str,
    policy: OutboundPolicy,
    limits: GitLimits | None = None,
    *,
    resolve: Resolver = resolve_dns,
) -> trees.Read:
    """The files of the latest commit of `url`'s default branch, every check above passed.
    Blocking (run it in a thread)."""
    if not _CLONES.acquire(blocking=False):
        raise Busy(
            "git_busy",
            f"The server is already cloning {MAX_CLONES} repositories; try again in a minute.",
            retry_after=30,
        )
    try:
        return _clone(url, policy, limits or GitLimits(), resolve)
    finally:
        _CLONES.release()


def _clone(url: str, policy: OutboundPolicy, limits: GitLimits, resolve: Resolver) -> trees.Read:
    git = shutil.which("git")
    if git is None:
        raise Invalid(
            "git_unavailable",
            "This server has no git program, so it cannot clone; upload a zip instead.",
        )
    target = check_url(url)
    addresses = vet(target, policy, resolve)
    deadline = time.monotonic() + limits.timeout
    with tempfile.TemporaryDirectory(prefix="widgetbox-git-") as work:
        home = Path(work)
        repo = home / "repo.git"
        command = _git(git)
        if target.ip is None:  # an address in the URL is never looked up
            command += ["-c", f"http.curloptResolve={_pin(target, addresses)}"]
        command += ["clone", "--bare", "--depth=1", "--single-branch", "--no-tags"]
        command += ["--template=", "--quiet", "--", target.url, str(repo)]
        _run_clone(command, home, repo, target, deadline, limits)
        return _read_commit(git, home, repo, target, deadline, limits.bounds)


def _git(git: str) -> list[str]:
    command = [git]
    for option in _STRICT_CONFIG:
        command += ["-c", option]
    return command


def _environment(home: Path) -> dict[str, str]:
    """Nothing from the server's own environment but PATH: no configuration files, no
    proxies, no prompts, no askpass programs."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_ALLOW_PROTOCOL": "http:https",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_NO_REPLACE_OBJECTS": "1",
    }


def _pin(target: Target, addresses: list[IPAddress]) -> str:
    """curl's `--resolve` entry: the host name and port to the vetted addresses, so git
    connects to them and never looks the name up again (a rebinding DNS answer is never
    used); the URL keeps the name, for the Host header and the certificate check."""
    shown = ",".join(f"[{ip}]" if ip.version == 6 else str(ip) for ip in addresses)
    return f"{target.host}:{target.port}:{shown}"


def _run_clone(
    command: list[str],
    home: Path,
    repo: Path,
    target: Target,
    deadline: float,
    limits: GitLimits,
) -> None:
    errors_path = home / "stderr"
    with errors_path.open("wb") as errors:
        process = subprocess.Popen(  # noqa: S603 - a fixed program, the URL after `--`
            command,
            cwd=home,
            env=_environment(home),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            start_new_session=True,  # its helpers (git-remote-https, index-pack) die with it
        )
        ended: Literal["timeout", "size"] | None = None
        try:
            while process.poll() is None:
                if time.monotonic() > deadline:
                    ended = "timeout"
                elif _size(repo) > limits.bounds.total_bytes:
                    ended = "size"
                if ended:
                    _kill(process)
                    break
                time.sleep(POLL)
        finally:
            if process.poll() is None:
                _kill(process)
    if ended is None and process.returncode == 0 and _size(repo) > limits.bounds.total_bytes:
        ended = "size"  # finished between two looks
    if ended == "timeout":
        raise GitImportError(
            "git_timeout",
            f"Cloning {target.url} took more than {limits.timeout:g} seconds; nothing was "
            "imported.",
        )
    if ended == "size":
        raise GitImportError(
            "git_too_large",
            f"The repository at {target.url} is larger than "
            f"{limits.bounds.total_bytes // (1024 * 1024)} MB (its latest commit, "
            "compressed); nothing was imported.",
        )
    if process.returncode != 0:
        said = errors_path.read_bytes()[-4000:].decode("utf-8", "replace")
        raise GitImportError("git_clone_failed", _failure(target, said.replace(str(home), "")))


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):  # a temporary file git renamed meanwhile
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


_FAILURES = (
    (
        ("could not read username", "authentication failed", "error: 401", "error: 403"),
        "asks for credentials: only a repository anyone may read can be imported",
    ),
    (
        ("not found", "error: 404", "is this a git repository", "does not appear to be a git"),
        "is not a git repository (nothing was found there)",
    ),
    (("error: 30",), "answered with a redirect: give the repository's final URL"),
    (("ssl", "certificate"), "did not present a certificate that could be verified"),
    (
        ("failed to connect", "couldn't connect", "connection refused", "timed out"),
        "could not be reached",
    ),
    (("fsck", "object"), "sent objects git refused as broken or dangerous"),
)


def _failure(target: Target, said: str) -> str:
    """What went wrong, in words, from git's own (C-locale) messages."""
    lowered = said.lower()
    for needles, meaning in _FAILURES:
        if any(needle in lowered for needle in needles):
            return f"{target.url} {meaning}; nothing was imported."
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    detail = f" (git said: {lines[-1][:200]})" if lines else ""
    return f"{target.url} could not be cloned{detail}; nothing was imported."


def _read_commit(
    git: str,
    home: Path,
    repo: Path,
    target: Target,
    deadline: float,
    bounds: trees.Bounds,
) -> trees.Read:
    base = [*_git(git), "--git-dir", str(repo)]
    most = bounds.files * (trees.MAX_PATH + 80)
    listing = _output(
        [*base, "ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD"], home, b"", deadline, most
    )
    if listing is None:
        raise GitImportError(
            "git_empty", f"The repository at {target.url} has no commits; nothing was imported."
        )
    objects: dict[str, str] = {}
    entries: list[trees.Entry] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        head, _, raw_path = record.partition(b"\t")
        mode, _kind, sha, size = head.decode("ascii").split()
        path = raw_path.decode("utf-8", "surrogateescape")
        kind = _MODES.get(mode, "other")
        entries.append(trees.Entry(path, kind, int(size) if size.isdigit() else 0))
        objects[path] = sha

    def load(paths: list[str]) -> dict[str, bytes]:
        shas = list(dict.fromkeys(objects[path] for path in paths))
        wanted = "".join(f"{sha}\n" for sha in shas).encode()
        out = _output(
            [*base, "cat-file", "--batch"],
            home,
            wanted,
            deadline,
            bounds.total_bytes + 100 * len(shas),
        )
        blobs = _parse_batch(out or b"")
        return {path: blobs[objects[path]] for path in paths if objects[path] in blobs}

    return trees.read_listing(entries, load, bounds)


_MODES: dict[str, Literal["file", "link", "submodule", "other"]] = {
    "100644": "file",
    "100755": "file",
    "120000": "link",
    "160000": "submodule",
}


def _parse_batch(out: bytes) -> dict[str, bytes]:
    blobs: dict[str, bytes] = {}
    at = 0
    while at < len(out):
        end = out.index(b"\n", at)
        sha, _kind, size = out[at:end].decode("ascii").split()
        start = end + 1
        blobs[sha] = out[start : start + int(size)]
        at = start + int(size) + 1
    return blobs


def _output(
    command: list[str], home: Path, given: bytes, deadline: float, most: int
) -> bytes | None:
    """What a local git command prints, read to at most `most` bytes before the deadline;
    None when it fails."""
    process = subprocess.Popen(  # noqa: S603 - a fixed program and arguments
        command,
        cwd=home,
        env=_environment(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _kill, [process])
    watchdog.start()
    try:
        assert process.stdin is not None
        assert process.stdout is not None
        stdin = process.stdin
        # written from a thread: git answers while it reads, and both pipes are bounded
        writer = threading.Thread(target=_feed, args=(stdin, given), daemon=True)
        writer.start()
        chunks: list[bytes] = []
        read = 0
        while chunk := process.stdout.read(64 * 1024):
            chunks.append(chunk)
            read += len(chunk)
            if read > most:
                _kill(process)
                raise GitImportError(
                    "git_too_large", "The repository's latest commit holds too many files."
                )
        process.wait()
        writer.join()
    finally:
        watchdog.cancel()
        if process.poll() is None:
            _kill(process)
        if process.stdout is not None:
            process.stdout.close()
    if time.monotonic() > deadline:
        raise GitImportError("git_timeout", "Reading the cloned repository took too long.")
    return b"".join(chunks) if process.returncode == 0 else None


def _feed(stdin: IO[bytes], given: bytes) -> None:
    try:
        stdin.write(given)
        stdin.close()
    except OSError:
        pass  # git stopped reading: its exit status says why
