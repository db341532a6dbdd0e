"""One install, start to finish, on a worker thread: resolve (unless a lock is given),
download and verify every wheel, then unpack them with the PyPA `installer` into a new
environment folder that is renamed into place. Nothing is installed until everything is
resolved and downloaded; a failure at any step leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import httpx
from installer import install as install_wheel
from installer.destinations import SchemeDictionaryDestination
from installer.exceptions import InstallerError
from installer.records import RecordEntry
from installer.sources import WheelContentElement, WheelFile
from installer.utils import Scheme

from widgetbox.host.packages.builtin import Builtins
from widgetbox.host.packages.environments import Environments, folder_size
from widgetbox.host.packages.errors import LimitExceeded, PackageError
from widgetbox.host.packages.index import Index, Link
from widgetbox.host.packages.limits import Budget, size_text
from widgetbox.host.packages.lock import Lock, Locked
from widgetbox.host.packages.progress import OnProgress, Progress
from widgetbox.host.packages.requirements import parse
from widgetbox.host.packages.resolve import resolve
from widgetbox.host.packages.target import SANDBOX, Target
from widgetbox.host.packages.wheels import Downloads

if TYPE_CHECKING:
    from installer.scripts import ScriptSection

USER_AGENT = "widgetbox (package installs for sandboxed widgets)"
UNPACKED_RATIO = 4
"""An install may unpack to at most this many times its download limit (a guard against
archives that expand enormously)."""
LIB = ("purelib", "platlib")

Prepare = Callable[[Path], None]
"""Called with a finished environment folder before it is renamed into place (e.g. to
compile its bytecode for the sandbox); an exception fails the install."""


@dataclass(frozen=True)
class Job:
    """What to install and within which limits."""

    requirements: str
    """The requirements text (resolved unless `lock` is given)."""
    index_url: str
    max_bytes: int
    seconds: float
    lock: Lock | None = None
    """Install exactly this set (a fork's or a restore's, or one whose folder is gone)."""
    builtins: Callable[[], Builtins] = dict
    target: Target = SANDBOX
    prepare: Prepare | None = None
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Installed:
    lock: Lock
    key: str | None
    """The environment's key; None when everything required is built in. The key is held
    in `Environments` until the caller releases it (after recording the result)."""
    size: int


def run(job: Job, environments: Environments, on_progress: OnProgress) -> Installed:
    """Install `job` into `environments` (or find its set there already), telling
    `on_progress` each step. Raises PackageError (LimitExceeded, Cancelled) whose message
    names the package or the limit; nothing is left behind then."""
    budget = Budget(job.max_bytes, job.seconds, job.cancel)
    client = httpx.Client(follow_redirects=True, headers={"User-Agent": USER_AGENT})
    try:
        done = _run(job, environments, on_progress, budget, client)
    except PackageError as e:
        on_progress(Progress("failed", e.message, bytes=budget.spent))
        raise
    finally:
        client.close()
    count = len(done.lock.packages)
    on_progress(Progress("done", f"{count} package{'s' * (count != 1)}", bytes=budget.spent))
    return done


def _run(
    job: Job,
    environments: Environments,
    on_progress: OnProgress,
    budget: Budget,
    client: httpx.Client,
) -> Installed:
    work = environments.workspace()
    try:
        index = Index(job.index_url, client)
        downloads = Downloads(index, work / "downloads", budget, on_progress)
        lock = job.lock
        if lock is None:
            on_progress(Progress("resolving", "reading the requirements"))
            requirements = parse(job.requirements)
            lock = resolve(requirements, index, job.target, job.builtins(), downloads, budget)
        key = lock.key
        if key is None:
            return Installed(lock, None, 0)
        environments.hold(key)
        try:
            with environments.building(key):
                if not environments.exists(key):
                    wheels = _download(lock, downloads, budget, on_progress)
                    built = _build(wheels, work / "env", budget, on_progress)
                    if job.prepare is not None:
                        on_progress(Progress("installing", "compiling the packages"))
                        job.prepare(built)
                    budget.check()
                    environments.publish(built, key)
            size = folder_size(environments.path(key))
        except BaseException:
            environments.release(key)
            raise
        return Installed(lock, key, size)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def link_of(package: Locked) -> Link:
    assert package.url is not None
    assert package.filename is not None
    assert package.sha256 is not None
    return Link(package.filename, package.url, package.sha256, size=package.size)


def _download(
    lock: Lock, downloads: Downloads, budget: Budget, on_progress: OnProgress
) -> list[tuple[Locked, Path]]:
    packages = lock.installed
    links = [link_of(p) for p in packages]
    missing = [link for link in links if not downloads.has_wheel(link)]
    sizes = [link.size for link in links]
    total_bytes = sum(s for s in sizes if s is not None) if None not in sizes else None
    announced = [link.size for link in missing]
    if None not in announced:
        budget.expect(sum(s for s in announced if s is not None))
    done = sum(1 for link in links if downloads.has_wheel(link))

    def report(_count: int = 0) -> None:
        on_progress(
            Progress(
                "downloading",
                f"{done} of {len(links)} file{'s' * (len(links) != 1)}",
                done=done,
                total=len(links),
                bytes=budget.spent,
                total_bytes=total_bytes,
            )
        )

    report()
    wheels = []
    for package, link in zip(packages, links, strict=True):
        budget.check()
        fresh = not downloads.has_wheel(link)
        wheels.append((package, downloads.wheel(link, report)))
        if fresh:
            done += 1
            report()
    return wheels


def _build(
    wheels: list[tuple[Locked, Path]],
    env: Path,
    budget: Budget,
    on_progress: OnProgress,
) -> Path:
    unpacked = 0
    for _, path in wheels:
        with zipfile.ZipFile(path) as archive:
            unpacked += sum(info.file_size for info in archive.infolist())
    if unpacked > UNPACKED_RATIO * budget.max_bytes:
        raise LimitExceeded(
            "size",
            f"The install stopped at the size limit: the packages would take "
            f"{size_text(unpacked)} on disk, more than {UNPACKED_RATIO} times the download "
            f"limit of {size_text(budget.max_bytes)}. Nothing was installed.",
        )
    env.mkdir(parents=True)
    destination = _LibOnly(
        scheme_dict={"purelib": str(env), "platlib": str(env)},
        interpreter="/usr/bin/python3",
        script_kind="posix",
    )
    for number, (package, path) in enumerate(wheels, start=1):
        budget.check()
        on_progress(
            Progress(
                "installing",
                f"{package.name} {package.version} ({number} of {len(wheels)})",
                done=number - 1,
                total=len(wheels),
                bytes=budget.spent,
            )
        )
        try:
            with zipfile.ZipFile(path) as archive:
                source = _Wheel(archive)
                source.validate_record()
                install_wheel(source, destination, {"INSTALLER": b"widgetbox\n"})
        except (InstallerError, ValueError, OSError, zipfile.BadZipFile, KeyError) as e:
            raise PackageError(
                f"{package.name} {package.version} could not be installed: its wheel "
                f"{package.filename} is not valid ({_first_line(e)})."
            ) from None
    return env


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


class _Wheel(WheelFile):
    """A wheel whose `__pycache__` entries are skipped quietly (bytecode is made for the
    sandbox, never taken from a wheel)."""

    def get_contents(self) -> Iterator[WheelContentElement]:
        for element in super().get_contents():
            if "__pycache__" not in element[0][0].split("/")[:-1]:
                yield element


class _LibOnly(SchemeDictionaryDestination):
    """Only importable files: console scripts, headers and data files have no place in the
    sandbox (it runs no programs and has no prefix), so they are not written, and RECORD
    lists what was."""

    def write_script(
        self, name: str, module: str, attr: str, section: ScriptSection
    ) -> RecordEntry:
        return RecordEntry(name, None, None)

    def write_file(
        self,
        scheme: Scheme,
        path: str | os.PathLike[str],
        stream: BinaryIO,
        is_executable: bool,
    ) -> RecordEntry:
        if scheme in LIB:
            return super().write_file(scheme, path, stream, is_executable)
        return RecordEntry(os.fspath(path), None, None)

    def finalize_installation(
        self,
        scheme: Scheme,
        record_file_path: str,
        records: Iterable[tuple[Scheme, RecordEntry]],
    ) -> None:
        kept = [(s, record) for s, record in records if s in LIB]
        super().finalize_installation(scheme, record_file_path, kept)
