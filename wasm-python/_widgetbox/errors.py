"""Exceptions from widget code as plain data: type, message and the widget's own frames.

Only frames from files under the widget's folder are kept, with paths relative to it, so a
traceback never shows the driver, the standard library's internals or any host path.
"""

import collections

WIDGET_ROOT = "/widget/"
MAX_CHAIN = 5
MAX_FRAMES = 100


def user_path(filename: str) -> str | None:
    """`main.py` for `/widget/main.py`; None for anything outside the widget."""
    if filename.startswith(WIDGET_ROOT):
        return filename[len(WIDGET_ROOT) :]
    return None


_sources: dict = {}


def source_line(path, lineno):
    """A line of a widget file, stripped ("" when unavailable). The widget's files are UTF-8;
    reading them directly avoids linecache's encoding detection, which imports tokenize."""
    lines = _sources.get(path)
    if lines is None:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        _sources[path] = lines
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""


def _frames(tb) -> list[dict]:
    frames = collections.deque(maxlen=MAX_FRAMES)  # the innermost frames, in order
    while tb is not None:
        code = tb.tb_frame.f_code
        name = user_path(code.co_filename)
        if name is not None:
            line = source_line(code.co_filename, tb.tb_lineno)
            frames.append(
                {"filename": name, "lineno": tb.tb_lineno, "name": code.co_name, "line": line}
            )
        tb = tb.tb_next
    return list(frames)


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a user-defined __str__ may raise
        return "<the exception's message could not be shown>"


def _qualified(exc: BaseException) -> str:
    cls = type(exc)
    module = getattr(cls, "__module__", "")
    if module == "anvil" or module.startswith("anvil."):
        return f"{module}.{cls.__qualname__}"
    return ""


def _syntax_location(exc: SyntaxError) -> tuple[str, dict | None] | None:
    """Where a SyntaxError points: (the name to show, the frame to record when the place is
    in the widget's own files), or None for a file outside the widget (never shown)."""
    filename = exc.filename or ""
    name = user_path(filename)
    if name is None and not filename.startswith("<"):
        return None
    shown = name if name is not None else filename  # `<string>` from eval() or compile()
    frame = None
    if name is not None:
        frame = {
            "filename": name,
            "lineno": exc.lineno or 0,
            "name": "<module>",
            "line": (exc.text or "").strip(),
        }
    return shown, frame


def _message_of(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return str(exc.msg)  # as CPython prints it, "None" included
    return _message(exc)


def _format_one(exc: BaseException, frames: list[dict]) -> list[str]:
    lines: list[str] = []
    if frames:
        lines.append("Traceback (most recent call last):")
        for frame in frames:
            lines.append(
                f'  File "{frame["filename"]}", line {frame["lineno"]}, in {frame["name"]}'
            )
            if frame["line"]:
                lines.append(f"    {frame['line']}")
    if isinstance(exc, SyntaxError):
        location = _syntax_location(exc)
        if location is not None:
            lines.append(f'  File "{location[0]}", line {exc.lineno or 0}')
            if (exc.text or "").strip():
                lines.append(f"    {exc.text.strip()}")
    message = _message_of(exc)
    lines.append(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
    return lines


def _chain(exc: BaseException) -> list:
    """The exception and those it was raised from or during, oldest first. Each entry carries
    the words Python prints between it and the next (newer) one."""
    chain: list = []
    seen: set[int] = set()
    current: BaseException | None = exc
    joint = ""
    while current is not None and id(current) not in seen and len(chain) < MAX_CHAIN:
        seen.add(id(current))
        chain.append((current, joint))
        if current.__cause__ is not None:
            current, joint = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, joint = current.__context__, _CONTEXT
        else:
            current = None
    chain.reverse()
    return chain


_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"


def _traceback_frames(exc: BaseException) -> list[dict]:
    return _frames(exc.__traceback__)


def _own_frames(exc: BaseException) -> list[dict]:
    """The widget's frames, ending at the line a SyntaxError points to when it is there."""
    frames = _frames(exc.__traceback__)
    if isinstance(exc, SyntaxError):
        location = _syntax_location(exc)
        if location is not None and location[1] is not None:
            frames.append(location[1])
    return frames


def describe(exc: BaseException) -> dict:
    """The exception as data the host turns into a `UserError`."""
    lines: list[str] = []
    chain = _chain(exc)
    for index, (link, _joint) in enumerate(chain):
        if index:
            lines.extend(["", chain[index - 1][1], ""])
        lines.extend(_format_one(link, _traceback_frames(link)))
    return {
        "type": type(exc).__name__,
        "qualified_type": _qualified(exc),
        "message": _message_of(exc),
        "frames": _own_frames(exc),
        "traceback": "\n".join(lines) + "\n",
    }
