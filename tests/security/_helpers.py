"""Helpers for the security tier: run hostile guest code and read what it saw.

Guest snippets use `attempt(label, fn)` (from `PRELUDE`): it runs `fn()` and prints one JSON
line saying whether it returned (and what) or raised (the exception's class, errno name and
message). `attempts(result)` reads those lines back on the host, so every test can assert the
exact outcome of every abuse it tried.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass

from widgetbox.runtime import Code, Limits, RunResult, Runtime, Script, Status

ECHO = "security.echo"
"""A bridge handler that answers with its data (registered for the whole tier)."""

TIGHT = Limits.script().with_(timeout=2.0)
"""The default for abuse runs: small enough that the whole tier stays fast."""

PRELUDE = """\
import errno as _errno, json as _json

def attempt(label, fn):
    try:
        value = fn()
    except BaseException as e:
        code = getattr(e, "errno", None)
        print(_json.dumps({
            "label": label,
            "raised": type(e).__name__,
            "errno": _errno.errorcode.get(code) if isinstance(code, int) else None,
            "message": str(e)[:500],
        }))
        return None
    print(_json.dumps({"label": label, "value": repr(value)[:2000]}))
    return value
"""

HEALTH_CHECK = """\
import builtins, os, sys
from _widgetbox import bridge
print(sorted(os.listdir("/tmp")), os.getcwd())
print(sorted(name for name in vars(builtins) if name.startswith("pwned")))
print(sorted(name for name in sys.modules if name.startswith("pwned")))
print(bridge.call("security.echo", "ping"))
print("healthy")
"""
HEALTHY_STDOUT = "[] /tmp\n[]\n[]\nping\nhealthy\n"


@dataclass(frozen=True)
class Attempt:
    """What one `attempt(label, fn)` in the guest reported."""

    label: str
    raised: str | None = None
    errno: str | None = None
    message: str = ""
    value: str | None = None

    @property
    def outcome(self) -> str:
        """`raised PermissionError EPERM`, `raised TypeError`, or `ok`."""
        if self.raised is None:
            return "ok"
        return " ".join(part for part in ("raised", self.raised, self.errno) if part)


def run(
    runtime: Runtime,
    source: str,
    limits: Limits = TIGHT,
    *,
    prelude: bool = True,
    **kwargs: object,
) -> RunResult:
    """Run `source` (dedented, after `PRELUDE`) as a script widget."""
    code = textwrap.dedent(source)
    if prelude:
        code = PRELUDE + code
    return runtime.run(Script(Code.single(code)), limits=limits, **kwargs)  # type: ignore[arg-type]


def attempts(result: RunResult) -> dict[str, Attempt]:
    """Every `attempt` the guest reported, by label."""
    found: dict[str, Attempt] = {}
    for line in result.stdout.splitlines():
        if not line.startswith('{"label"'):
            continue
        data = json.loads(line)
        found[data["label"]] = Attempt(
            label=data["label"],
            raised=data.get("raised"),
            errno=data.get("errno"),
            message=data.get("message", ""),
            value=data.get("value"),
        )
    return found


def outcomes(result: RunResult) -> dict[str, str]:
    """`attempts(result)` reduced to label -> outcome, for compact assertions."""
    return {label: found.outcome for label, found in attempts(result).items()}


def assert_healthy(runtime: Runtime) -> None:
    """A fresh run right after an abuse finishes OK within its 10 s limit, sees an empty
    /tmp and an unpolluted interpreter, and the bridge still answers. (A wedged sandbox
    process is killed by the watchdog and its replacement takes the run.)"""
    result = runtime.run(
        Script(Code.single(HEALTH_CHECK)),
        limits=Limits.script().with_(timeout=10.0, host_call_timeout=5.0),
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    assert result.stdout == HEALTHY_STDOUT
    assert result.stderr == ""
    assert result.host_calls == 1
    assert not result.output_truncated
