"""The driver: fetch one job from the host, run the widget's code, report the result.

A pooled interpreter imports this module ahead of demand; the run itself is one call to
`serve()`. Jobs and results cross the bridge as JSON (see `widgetbox.runtime._guest`). In
persistent mode one interpreter serves many runs of the same widget version, one `serve()`
each: the widget's modules stay imported with their state, but what the guest package
learnt about one run (its visitor's user and session, its call context, its tables) is
forgotten before the next (`_forget_last_run`).
"""

import binascii
import builtins
import io
import os
import sys
import types

import anvil.server
from anvil import _serialize, _session, _tasks

from . import bridge, clients, errors, imports, routing

WIDGET_DIR = "/widget"
SCRATCH_DIR = "/tmp"  # noqa: S108 - the sandbox's own, per-run scratch area

RESERVE_BYTES = 256 * 1024
JOB = "widgetbox.job"
RESULT = "widgetbox.result"
CHUNK = "widgetbox.chunk"
EXIT_CODES = (-(2**31), 2**31 - 1)


# Memory kept back so that a run that used up its memory can still describe its MemoryError.
_reserve = bytearray(RESERVE_BYTES)
_served = False
"""Whether this interpreter has served a run already (persistent mode)."""

if sys.platform == "wasi":  # in the sandbox; on a host's CPython, http.client is the host's
    clients.install()  # http.client, requests and httpx through the host, once imported


def serve() -> None:
    """Run the job the host hands over and report how it went."""
    global _reserve, _served
    if _served:
        _forget_last_run()
    _served = True
    job = bridge.call(JOB)
    try:
        _learn(job.get("services"))
        report = _MODES[job["mode"]](job)
    except BaseException as exc:  # the widget's error, reported as data
        if isinstance(exc, MemoryError):
            _reserve = None
        report = {"status": "error", "error": errors.describe(exc)}
    _flush()
    try:
        bridge.call(RESULT, report)
    except (bridge.HostCallError, ValueError) as exc:  # too large, deep or wide to report,
        # or an int too long for JSON. The refusal fits any report cap: a one-line message
        # from the host or CPython, and no frames of the widget's.
        bridge.call(RESULT, {"status": "error", "error": errors.describe(exc)})


def _forget_last_run() -> None:
    """Persistent mode: the widget's own state is kept between runs (that is the point),
    but the guest package's caches of the last run's visitor must never reach the next one:
    the logged-in user, the session and cookies' cache, the call context, the current HTTP
    request, and the tables the host described (the next run is told them afresh)."""
    modules = sys.modules
    users = modules.get("anvil.users")
    if users is not None:
        users._forget()
    _session._forget_run()
    tables = modules.get("anvil.tables")
    if tables is not None:
        tables.app_tables._forget()
    anvil.server._CurrentRequest._current = None


def _learn(services: dict | None) -> None:
    """What the run's services told the guest with the job (`runtime/_jobs.py`), handed to
    them before the widget's code runs: the widget's table names, so that `app_tables.x`
    needs no host call. A service not told asks the host when first used."""
    if services and "tables" in services:
        import anvil.tables  # in the memory image already: costs nothing

        anvil.tables.app_tables._given(services["tables"])


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        # not contextlib.suppress: importing contextlib costs every interpreter 1.4 ms
        try:  # noqa: SIM105
            stream.flush()
        except Exception:  # noqa: S110 - user code may have replaced the stream
            pass


def _prepare(job: dict) -> None:
    if "files" in job:  # the widget's modules come from the host's memory (see `imports`)
        imports.install(WIDGET_DIR, job["files"], job.get("bytecode", ()))
    # getcwd is the C library's own string; chdir opens and closes the folder through the
    # host's file guard (about 90 us of a kept interpreter's 0.6 ms turn)
    if os.getcwd() != SCRATCH_DIR:
        os.chdir(SCRATCH_DIR)
    # Line by line: scripts stream to the Run console, and whatever any run printed before
    # it was stopped (time limit, cancel) reaches its log; a buffer in here would be lost.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(line_buffering=True)


def _compile(relative: str) -> types.CodeType:
    """The script's code: from the bytecode the host compiled earlier when it is there, else
    compiled now (both taken as imports take them: see `imports`)."""
    code = imports.compiled(relative)
    if code is not None:
        return code
    path = f"{WIDGET_DIR}/{relative}"
    return compile(imports.read(relative), path, "exec", dont_inherit=True)


def _script(job: dict) -> dict:
    _prepare(job)
    entry = job["entry"]
    main = types.ModuleType("__main__")
    main.__file__ = f"{WIDGET_DIR}/{entry}"
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    sys.argv = [entry, *job.get("argv", [])]
    if "stdin" in job:  # given input (classroom checks); otherwise stdin is empty
        sys.stdin = io.StringIO(job["stdin"])
    try:
        exec(_compile(entry), main.__dict__)
    except SystemExit as exc:
        return _exit_report(exc)
    return {"status": "ok"}


def _exit_report(exc: SystemExit) -> dict:
    """`sys.exit()` ends a script as CPython's would: None or an int is the exit status
    (0 is success); anything else is printed to stderr and the status is 1. An int beyond
    what the host accepts (a C int) is status 1 too."""
    code = exc.code
    if code is None:
        return {"status": "ok"}
    if isinstance(code, int):
        status = int(code) if EXIT_CODES[0] <= code <= EXIT_CODES[1] else 1
    else:
        print(code, file=sys.stderr)
        status = 1
    if status == 0:
        return {"status": "ok"}
    return {"status": "error", "error": errors.describe(exc), "exit_code": status}


def _import_entry(job: dict) -> None:
    _prepare(job)
    imports.import_entry(job["entry"][: -len(".py")].replace("/", "."))


def _call(job: dict) -> dict:
    _import_entry(job)
    name = job["name"]
    fn = anvil.server._callables.get(name)
    if fn is None:
        raise anvil.server.NoServerFunctionError(
            f'No server function matching "{name}" has been registered'
        )
    try:
        args = _serialize.decode(job.get("args", []))
        kwargs = _serialize.decode(job.get("kwargs", {}))
    except _serialize.SerializationError as e:
        raise anvil.server.SerializationError(f"Cannot read the arguments: {e}") from None
    value = fn(*args, **kwargs)
    try:
        encoded = _serialize.encode(value)
    except _serialize.SerializationError as e:
        raise anvil.server.SerializationError(f"Cannot serialize the return value: {e}") from None
    return {"status": "ok", "value": encoded}


def _credentials(headers: dict[str, str]) -> tuple[str | None, str | None]:
    scheme, _, encoded = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = binascii.a2b_base64(encoded.strip(), strict_mode=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else (None, None)


def _route(job: dict) -> dict:
    _import_entry(job)
    spec = job["request"]
    method, path = spec["method"].upper(), spec["path"]
    headers = {str(k).lower(): str(v) for k, v in spec.get("headers", {}).items()}
    found = routing.find(anvil.server._routes, method, path, headers)
    if isinstance(found, dict):
        return _response_report(found)
    route, params = found
    username, password = _credentials(headers)
    if route.require_credentials and username is None:
        return _response_report(
            routing.response(
                401, "Unauthorized", {"www-authenticate": 'Basic realm="Widgetbox API"'}
            )
        )
    request = anvil.server.HttpRequest(
        path=path,
        method=method,
        query_params=dict(spec.get("query", {})),
        form_params=dict(spec.get("form", {})),
        headers=headers,
        body=binascii.a2b_base64(spec.get("body", "")),
        origin=spec.get("origin", ""),
        remote_address=spec.get("remote_address", ""),
        username=username,
        password=password,
    )
    # Path parameters win over query parameters, which win over form parameters (as Anvil).
    kwargs = {**request.form_params, **request.query_params, **params}
    anvil.server._CurrentRequest._current = request
    try:
        answer = routing.to_response(route.fn(**kwargs), route, headers, app=bool(spec.get("app")))
        stream = answer.pop("stream", None)
        if stream is not None:  # while the request is current: the generator may read it
            _stream(answer, stream)
    finally:
        anvil.server._CurrentRequest._current = None
    return _response_report(answer)


def _stream(answer: dict, stream) -> None:
    """Send each piece the response's iterator yields to the host as one chunk, the first
    with the response's status and headers: the host passes them on as they come. A route
    that yields nothing answers as usual, with an empty body; an exception (a limit the
    host refused a chunk for too) ends the stream and is the run's error."""
    head = {"status": answer["status"], "headers": answer["headers"]}
    for piece in routing.pieces(stream, routing.event_stream(answer["headers"])):
        if not piece:
            continue
        chunk = {"body": binascii.b2a_base64(piece, newline=False).decode("ascii")}
        if head is not None:
            chunk.update(head)
            head = None
        bridge.call(CHUNK, chunk)


def _response_report(response: dict) -> dict:
    return {
        "status": "ok",
        "response": {
            "status": response["status"],
            "headers": response["headers"],
            "body": binascii.b2a_base64(response["body"], newline=False).decode("ascii"),
        },
    }


def _as_task(run, job: dict) -> dict:
    """Run a job of the batch lane as a background task (a script's function is its module
    body): `anvil.server.task_state` starts empty, and its last state reaches the host."""
    _tasks._state.begin()
    try:
        report = run(job)
    except BaseException:
        _tasks._state.end(False)
        raise
    _tasks._state.end(report.get("status") == "ok")
    return report


def _task(job: dict) -> dict:
    """Import the entry module and call the `@anvil.server.background_task` `job["name"]`;
    its return value is reported as a call's is."""
    _tasks._state.importing = True  # a task launched by the import itself would never end
    try:
        _import_entry(job)
    finally:
        _tasks._state.importing = False
    name = job["name"]
    fn = _tasks._registered.get(name)
    if fn is None:
        raise anvil.server.NoServerFunctionError(
            f'No background task matching "{name}" has been registered'
        )
    try:
        args = _serialize.decode(job.get("args", []))
        kwargs = _serialize.decode(job.get("kwargs", {}))
    except _serialize.SerializationError as e:
        raise anvil.server.SerializationError(f"Cannot read the arguments: {e}") from None
    value = fn(*args, **kwargs)
    try:
        encoded = _serialize.encode(value)
    except _serialize.SerializationError as e:
        raise anvil.server.SerializationError(f"Cannot serialize the return value: {e}") from None
    return {"status": "ok", "value": encoded}


_MODES = {
    "script": lambda job: _as_task(_script, job),
    "task": lambda job: _as_task(_task, job),
    "call": _call,
    "route": _route,
}
