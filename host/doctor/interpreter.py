"""The interpreter cache: the pinned CPython-on-WASI files present and matching their
sha256, compiled for this machine, and the packages widgets import prepared."""

from __future__ import annotations

from widgetbox.host.config import Config
from widgetbox.host.doctor.findings import FAIL, OK, WARN, Finding
from widgetbox.runtime import ArtifactError, interpreter_prepared, locate_interpreter

NAME = "interpreter"
PREPARE = "run `widgetbox prepare` (as the user Widgetbox runs as, with the same settings)"


def check(config: Config) -> list[Finding]:
    try:
        found = locate_interpreter(cache=config.sandbox.cache_dir)  # hashes both files
    except ArtifactError as e:
        return [Finding(NAME, FAIL, str(e).split(". Run")[0], PREPARE)]
    pin = found.pin
    where = found.cache
    findings = [
        Finding(
            NAME,
            OK,
            f"{pin.project} {pin.version} (CPython {pin.python}) in {where}: present, sha256 "
            "verified",
        )
    ]
    compiled, included = interpreter_prepared(found)
    if not compiled:
        findings.append(
            Finding(
                NAME,
                WARN,
                "not compiled for this machine yet: the next start compiles it first "
                "(a minute or more) before serving",
                PREPARE,
            )
        )
    if not included:
        findings.append(
            Finding(
                NAME,
                WARN,
                "the packages included for widgets (requests, httpx) are not prepared: "
                "widgets cannot import them",
                PREPARE,
            )
        )
    return findings
