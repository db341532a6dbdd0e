"""Exceptions from widget code as plain data: type, message and the widget's own frames.

Only frames from files under the widget's folder are kept, with paths relative to it, so a
traceback never shows the driver, the standard library's internals or any host path.

Texts are trimmed, with a marker, so that a report fits the host's smallest report cap (1 MiB,
`runtime/_door.py`) and passes its checks (`runtime/_outcome.py` allows these lengths).
"""

import collections

WIDGET_ROOT = "/widget/"
MAX_CHAIN = 5
MAX_FRAMES = 100
MAX_MESSAGE = 64 * 1024
"""Characters kept of an exception's message (its start)."""
MAX_TRACEBACK = 256 * 1024
"""Characters kept of the formatted traceback (its end, where the error is)."""
MAX_TEXT = 1024
"""Characters kept of a type's name, a file's, a function's, and a source line."""
MAX_LINENO = 10**7
"""Largest line number reported; a SyntaxError made by hand may claim any (then 0)."""
TRIMMED = " [...trimmed]"


def clip(text: str, limit: int) -> str:
    """`text`, or as much of its start as fits in `limit` characters with the marker."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRIMMED)] + TRIMMED


def clip_start(text: str, limit: int) -> str:
    """`text`, or the marker and as much of its end as fits in `limit` characters."""
    if len(text) <= limit:
        return text
    return TRIMMED.lstrip() + "\n" + text[len(text) - limit + len(TRIMMED) :]


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
            frames.append(
                {
                    "filename": clip(name, MAX_TEXT),
                    "lineno": _lineno(tb.tb_lineno),
                    "name": clip(code.co_name, MAX_TEXT),
                    "line": clip(source_line(code.co_filename, tb.tb_lineno), MAX_TEXT),
                }
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
            "filename": clip(name, MAX_TEXT),
            "lineno": _lineno(exc.lineno),
            "name": "<module>",
            "line": clip((exc.text or "").strip(), MAX_TEXT),
        }
    return shown, frame


def _lineno(value: object) -> int:
    return value if type(value) is int and 0 <= value <= MAX_LINENO else 0


def _syntax_lines(exc: SyntaxError) -> list[str]:
    """The line a SyntaxError points to and, under it, the caret line (`^` under the
    columns it names), as CPython's traceback module prints them."""
    text = exc.text if isinstance(exc.text, str) else ""
    rtext = text.rstrip("\n")
    ltext = rtext.lstrip(" \n\f")
    if not ltext.strip():
        return []
    shown = clip(ltext, MAX_TEXT)
    lines = [f"    {shown}"]
    offset = exc.offset
    if type(offset) is not int:
        return lines
    end = exc.end_offset if type(exc.end_offset) is int and exc.end_offset != 0 else offset
    if exc.end_lineno is not None and exc.end_lineno != exc.lineno:
        end = len(rtext) + 1
    offset, end = min(offset, len(rtext) + 1), min(end, len(rtext) + 1)
    if offset >= end or end < 0:
        end = offset + 1
    spaces = len(rtext) - len(ltext)
    start, stop = offset - 1 - spaces, end - 1 - spaces
    if start < 0 or start > len(shown):
        return lines
    # tabs before the caret are kept, so it lines up under the text
    padding = "".join(c if c.isspace() else " " for c in shown[:start])
    lines.append(f"    {padding}{'^' * max(1, min(stop, len(shown) + 1) - start)}")
    return lines


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
            lines.extend(_syntax_lines(exc))
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
        "type": clip(type(exc).__name__, MAX_TEXT),
        "qualified_type": clip(_qualified(exc), MAX_TEXT),
        "message": clip(_message_of(exc), MAX_MESSAGE),
        "frames": _own_frames(exc),
        "traceback": clip_start("\n".join(lines) + "\n", MAX_TRACEBACK),
    }
