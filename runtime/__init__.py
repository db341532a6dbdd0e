"""widgetbox.runtime: run widget code in a fresh CPython-on-WASI sandbox, with hard limits.

    from widgetbox.runtime import Runtime, Code, Script

    with Runtime() as runtime:
        result = runtime.run(Script(Code.single("print('hello')")))
        result.status, result.stdout

See ARCHITECTURE.md ("The sandbox") for how it works and `Limits` for every limit.
"""

from ._artifacts import ArtifactError, Interpreter, Pin
from ._artifacts import locate as locate_interpreter
from ._bridge import Bridge, HostCall, HostCallError, finite_float
from ._cancel import Cancel
from ._codec import Carried, SerializationError, load_guest_file
from ._codec import decode as decode_value
from ._codec import encode as encode_value
from ._engine import estimated_compile_seconds
from ._guest import GuestError
from ._http import ChunkCallback, HttpRequest, HttpResponse, ResponseChunk
from ._jobs import Call, Code, Job, Persistent, Recycle, Route, Script, Task
from ._launch import run_child_module
from ._limits import TOO_LONG, Limits
from ._load_app import LOAD_APP_TYPE, LoadApp, load_app_in
from ._output import OutputCallback
from ._prepare import prepare
from ._prepare import prepared as interpreter_prepared
from ._pycache import CompileFailed
from ._result import Frame, RunResult, Status, UserError
from ._runtime import ProcessStatus, Runtime
from ._statuses import FINISHED, RUN_STATUSES, RunStatus

__all__ = [
    "FINISHED",
    "LOAD_APP_TYPE",
    "RUN_STATUSES",
    "TOO_LONG",
    "ArtifactError",
    "Bridge",
    "Call",
    "Cancel",
    "Carried",
    "ChunkCallback",
    "Code",
    "CompileFailed",
    "Frame",
    "GuestError",
    "HostCall",
    "HostCallError",
    "HttpRequest",
    "HttpResponse",
    "Interpreter",
    "Job",
    "Limits",
    "LoadApp",
    "OutputCallback",
    "Persistent",
    "Pin",
    "ProcessStatus",
    "Recycle",
    "ResponseChunk",
    "Route",
    "RunResult",
    "RunStatus",
    "Runtime",
    "Script",
    "SerializationError",
    "Status",
    "Task",
    "UserError",
    "decode_value",
    "encode_value",
    "estimated_compile_seconds",
    "finite_float",
    "interpreter_prepared",
    "load_app_in",
    "load_guest_file",
    "locate_interpreter",
    "prepare",
    "run_child_module",
]
