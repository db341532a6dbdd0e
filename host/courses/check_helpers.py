"""The bridge services behind the guest's `classroom` helpers, for a test of a course's
checks (`checking.py`): each runs the student's code under test (the run's context
`checks_target`, a `Code`) in a fresh sandbox of its own and answers only what it did.

- `checks.script` `{"stdin", "argv"}`: the student's script; `{status, stdout, stderr,
  error: {type, message}}`.
- `checks.http` `{"method", "path", "query", "headers", "body" (base64)}`: one request to the
  student's `@anvil.server.route`s; `{status, response: {status, headers, body}, error}`.
- `checks.call` `{"name", "args", "kwargs"}` (JSON values): the student's
  `@anvil.server.callable`; `{status, value, error}`.

`status` is `timeout` when the student's run passed what is left of the test's deadline
(the guest raises `TimedOut`). The student's code runs with no context, so no service
(Data Tables, secrets, email, outbound HTTP) answers it, and its files never hold the checks:
nothing it does can read them. These runs are not recorded in anyone's run history; their
fuel goes to the check run's `Meter` (the context's `checks_meter`), so it counts towards
the student's limits with the check run's (`limits.py`).
Handlers block a bridge thread while the student's run goes (`Runtime.run`), never past the
call's timeout."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from typing import Any

from widgetbox.host.runs.fuel import charged
from widgetbox.runtime import (
    Bridge,
    Call,
    Code,
    HostCall,
    HostCallError,
    HttpRequest,
    Limits,
    Route,
    RunResult,
    Runtime,
    Script,
    SerializationError,
    Status,
)

TARGET = "checks_target"
"""The context key of the student's `Code` in a test's run."""
METER = "checks_meter"
"""The context key of the check run's `Meter`."""
MARGIN = 0.2
"""Seconds kept back from the call's timeout, so the student's run ends (as timed out)
before the bridge gives up on the call."""
OUTPUT = 1024 * 1024
"""Bytes of output a student's run may print under a check."""
MAX_STDIN = 512 * 1024


def _target(call: HostCall) -> Code:
    code = call.context.get(TARGET)
    if not isinstance(code, Code):
        raise HostCallError("BadRequest", "Only a course's checks may run a student's code.")
    return code


def _text_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise HostCallError("BadRequest", f"{what} maps text to text.")
    return value


def _error(result: RunResult) -> dict[str, str] | None:
    if result.error is not None:
        return {"type": result.error.type, "message": result.error.message}
    if result.status is not Status.OK:
        return {"type": result.status.value, "message": result.message}
    return None


class Meter:
    """The fuel a check run's sandboxes burnt: its tests' (added by the checker) and the
    student's runs the tests asked for (added here, from bridge threads)."""

    def __init__(self, fuel: int = 0) -> None:
        self._lock = threading.Lock()
        self._fuel = fuel  # a resumed check run's: what it burnt before a restart

    def add(self, result: RunResult) -> None:
        """A sandbox's fuel, or for one stopped mid-computation (no count) its wall time's
        worth, as a run's is charged (`runs.fuel.charged`)."""
        fuel = charged(result.fuel, result.wall_time)
        with self._lock:
            self._fuel += fuel

    @property
    def fuel(self) -> int:
        with self._lock:
            return self._fuel


class CheckHelpers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _run(self, call: HostCall, job: Script | Route | Call) -> RunResult:
        left = call.timeout - MARGIN
        if left <= 0:
            return RunResult(Status.TIMEOUT, "", "", 0.0, None, 0, message="No time was left")
        limits = Limits(timeout=left, output=OUTPUT, host_calls=1000)
        result = self.runtime.run(job, limits=limits, context={})
        meter = call.context.get(METER)
        if isinstance(meter, Meter):
            meter.add(result)
        return result

    @staticmethod
    def _answer(result: RunResult, **more: Any) -> dict[str, Any]:
        status = "timeout" if result.status is Status.TIMEOUT else result.status.value
        return {"status": status, "error": _error(result), "message": result.message, **more}

    def script(self, call: HostCall, data: Any) -> dict[str, Any]:
        code = _target(call)
        if not isinstance(data, dict):
            raise HostCallError("BadRequest", "A script run is {stdin, argv}.")
        stdin, argv = data.get("stdin", ""), data.get("argv", [])
        if not isinstance(stdin, str) or len(stdin) > MAX_STDIN:
            raise HostCallError("BadRequest", f"stdin is text of at most {MAX_STDIN} characters.")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise HostCallError("BadRequest", "argv is a list of text.")
        result = self._run(call, Script(code, argv, stdin=stdin))
        return self._answer(result, stdout=result.stdout, stderr=result.stderr)

    def http(self, call: HostCall, data: Any) -> dict[str, Any]:
        code = _target(call)
        if not isinstance(data, dict):
            raise HostCallError("BadRequest", "A request is {method, path, query, headers, body}.")
        method, path = data.get("method"), data.get("path")
        if not isinstance(method, str) or not method.isalpha() or len(method) > 16:
            raise HostCallError("BadRequest", "A request needs an HTTP method.")
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 2000:
            raise HostCallError("BadRequest", "A request's path starts with /.")
        try:
            body = base64.b64decode(data.get("body") or "", validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise HostCallError("BadRequest", "A request's body is base64.") from None
        request = HttpRequest(
            method=method.upper(),
            path=path,
            query=_text_map(data.get("query"), "query"),
            headers={k.lower(): v for k, v in _text_map(data.get("headers"), "headers").items()},
            body=body,
            origin="http://checks.invalid",
            remote_address="127.0.0.1",
        )
        result = self._run(call, Route(code, request))
        response = None
        if result.status is Status.OK and result.response is not None:
            response = {
                "status": result.response.status,
                "headers": dict(result.response.headers),
                "body": base64.b64encode(result.response.body).decode("ascii"),
            }
        return self._answer(result, response=response)

    def call(self, call: HostCall, data: Any) -> dict[str, Any]:
        code = _target(call)
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise HostCallError("BadRequest", "A call is {name, args, kwargs}.")
        args, kwargs = data.get("args", []), data.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise HostCallError("BadRequest", "A call's args are a list, its kwargs a dict.")
        try:
            result = self._run(call, Call(code, data["name"], args, kwargs))
        except SerializationError as e:
            raise HostCallError("BadRequest", f"Cannot pass the arguments: {e}") from None
        value = result.value if result.status is Status.OK else None
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            value = repr(value)[:2000]  # a value checks cannot take as JSON: its repr
        return self._answer(result, value=value)


def register(bridge: Bridge, runtime: Runtime) -> CheckHelpers:
    helpers = CheckHelpers(runtime)
    bridge.register("checks.script", helpers.script)
    bridge.register("checks.http", helpers.http)
    bridge.register("checks.call", helpers.call)
    return helpers
