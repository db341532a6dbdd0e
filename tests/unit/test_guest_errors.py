"""`_widgetbox.errors.describe`: widget exceptions as data, trimmed to the widget's frames."""

from __future__ import annotations

import sys
import textwrap
import traceback
import types
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit


@pytest.fixture
def errors(guest_modules: None) -> types.ModuleType:
    from _widgetbox import errors

    return errors


@pytest.fixture
def root(errors: types.ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A widget folder; its files count as the widget's own."""
    folder = tmp_path / "widget"
    folder.mkdir()
    monkeypatch.setattr(errors, "WIDGET_ROOT", f"{folder}/")
    return folder


Run = Callable[..., BaseException]


@pytest.fixture
def run(root: Path) -> Run:
    """Write `source` as a widget file, execute it and return what it raised."""

    def run(source: str, name: str = "main.py", folder: Path | None = None) -> BaseException:
        path = (folder or root) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        source = textwrap.dedent(source).lstrip("\n")
        path.write_text(source, encoding="utf-8")
        try:
            exec(compile(source, str(path), "exec"), {"__name__": "widget"})
        except BaseException as e:
            return e
        raise AssertionError("the widget code did not raise")

    return run


def frame(filename: str, lineno: int, name: str, line: str) -> dict[str, object]:
    return {"filename": filename, "lineno": lineno, "name": name, "line": line}


# -- frames ----------------------------------------------------------------------------------


def test_a_simple_error(errors, run: Run) -> None:
    exc = run(
        """
        def f():
            raise ValueError("bad")

        f()
        """
    )
    assert errors.describe(exc) == {
        "type": "ValueError",
        "qualified_type": "",
        "message": "bad",
        "frames": [
            frame("main.py", 4, "<module>", "f()"),
            frame("main.py", 2, "f", 'raise ValueError("bad")'),
        ],
        "traceback": (
            "Traceback (most recent call last):\n"
            '  File "main.py", line 4, in <module>\n'
            "    f()\n"
            '  File "main.py", line 2, in f\n'
            '    raise ValueError("bad")\n'
            "ValueError: bad\n"
        ),
    }


def test_only_the_widgets_frames_are_kept(errors, run: Run, root: Path) -> None:
    # The test's own frame (exec) and the json module's frames are outside the widget.
    exc = run(
        """
        import json

        def load():
            return json.loads("{")

        load()
        """
    )
    described = errors.describe(exc)
    assert [f["filename"] for f in described["frames"]] == ["main.py", "main.py"]
    assert [f["name"] for f in described["frames"]] == ["<module>", "load"]
    assert str(root) not in described["traceback"]
    assert "json" + "/decoder.py" not in described["traceback"]
    assert described["type"] == "JSONDecodeError"


def test_frames_in_subfolders_are_relative_to_the_widget(errors, root: Path) -> None:
    helper = root / "lib" / "util.py"
    helper.parent.mkdir()
    helper.write_text("def fail():\n    return 1 / 0\n")
    namespace: dict[str, object] = {}
    exec(compile(helper.read_text(), str(helper), "exec"), namespace)
    with pytest.raises(ZeroDivisionError) as info:
        exec(compile("fail()\n", str(root / "main.py"), "exec"), namespace)
    (root / "main.py").write_text("fail()\n")
    assert errors.describe(info.value)["frames"] == [
        frame("main.py", 1, "<module>", "fail()"),
        frame("lib/util.py", 2, "fail", "return 1 / 0"),
    ]


def test_files_outside_the_widget_are_hidden(errors, run: Run, root: Path) -> None:
    # A sibling folder whose name starts like the widget's does not count as the widget.
    sibling = root.parent / (root.name + "2")
    exc = run("raise KeyError('k')\n", folder=sibling)
    described = errors.describe(exc)
    assert described["frames"] == []
    assert described["traceback"] == "KeyError: 'k'\n"
    assert described["message"] == "'k'"


@pytest.mark.parametrize(
    ("filename", "relative"),
    [
        ("{root}/main.py", "main.py"),
        ("{root}/a/b.py", "a/b.py"),
        ("{root}2/main.py", None),
        ("{root}", None),
        ("/usr/lib/python3.11/json/decoder.py", None),
        ("<string>", None),
        ("", None),
    ],
)
def test_user_path(errors, root: Path, filename: str, relative: str | None) -> None:
    assert errors.user_path(filename.format(root=root)) == relative


def test_the_default_widget_root(errors) -> None:
    assert errors.WIDGET_ROOT == "/widget/"
    assert errors.user_path("/widget/main.py") == "main.py"
    assert errors.user_path("/widgetbox/_widgetbox/driver.py") is None


def test_frames_are_capped_at_the_innermost(errors, run: Run) -> None:
    exc = run(
        """
        def down(n):
            if n == 0:
                raise RecursionError("deep")
            down(n - 1)

        down(150)
        """
    )
    described = errors.describe(exc)
    assert len(described["frames"]) == errors.MAX_FRAMES
    assert described["frames"][-1] == frame("main.py", 3, "down", 'raise RecursionError("deep")')
    assert described["traceback"].count('  File "main.py"') == errors.MAX_FRAMES


def test_a_frame_without_its_source_has_no_line(errors, root: Path) -> None:
    code = compile("raise LookupError('x')\n", str(root / "gone.py"), "exec")  # not on disk
    with pytest.raises(LookupError) as info:
        exec(code, {})
    described = errors.describe(info.value)
    assert described["frames"] == [frame("gone.py", 1, "<module>", "")]
    assert described["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "gone.py", line 1, in <module>\n'
        "LookupError: x\n"
    )


# -- messages --------------------------------------------------------------------------------


def test_an_empty_message_shows_only_the_type(errors, run: Run) -> None:
    described = errors.describe(run("raise ValueError\n"))
    assert described["message"] == ""
    assert described["traceback"].endswith("\n    raise ValueError\nValueError\n")


def test_a_broken_str(errors, run: Run) -> None:
    exc = run(
        """
        class Odd(Exception):
            def __str__(self):
                raise RuntimeError("no")

        raise Odd()
        """
    )
    described = errors.describe(exc)
    assert described["type"] == "Odd"
    assert described["message"] == "<the exception's message could not be shown>"
    assert described["traceback"].endswith("Odd: <the exception's message could not be shown>\n")


def test_a_multi_line_message(errors, run: Run) -> None:
    described = errors.describe(run("raise ValueError('one\\ntwo')\n"))
    assert described["message"] == "one\ntwo"
    assert described["traceback"].endswith("ValueError: one\ntwo\n")


def test_system_exit(errors, run: Run) -> None:
    described = errors.describe(run("import sys\nsys.exit(3)\n"))
    assert described["type"] == "SystemExit"
    assert described["message"] == "3"
    assert described["frames"] == [frame("main.py", 2, "<module>", "sys.exit(3)")]


# -- syntax errors ---------------------------------------------------------------------------


def compile_error(root: Path, source: str, name: str = "main.py") -> SyntaxError:
    path = root / name
    path.write_text(source, encoding="utf-8")
    try:
        compile(source, str(path), "exec")
    except SyntaxError as e:
        return e
    raise AssertionError("the source compiled")


def test_a_syntax_error_shows_the_offending_line(errors, root: Path) -> None:
    exc = compile_error(root, "x = 1\ny = (1,\n")
    described = errors.describe(exc)
    assert described == {
        "type": "SyntaxError",
        "qualified_type": "",
        "message": "'(' was never closed",
        "frames": [frame("main.py", 2, "<module>", "y = (1,")],
        "traceback": (
            '  File "main.py", line 2\n'
            "    y = (1,\n"
            "        ^\n"
            "SyntaxError: '(' was never closed\n"
        ),
    }


def test_an_indentation_error(errors, root: Path) -> None:
    exc = compile_error(root, "def f():\nreturn 1\n")
    described = errors.describe(exc)
    assert described["type"] == "IndentationError"
    assert described["message"].startswith("expected an indented block")
    assert described["traceback"] == (
        f'  File "main.py", line 2\n    return 1\n    ^^^^^^\n'
        f"IndentationError: {described['message']}\n"
    )


def test_a_syntax_error_outside_the_widget_has_no_frame(errors, root: Path) -> None:
    exc = compile_error(root.parent, "x = (\n", name="elsewhere.py")
    described = errors.describe(exc)
    assert described["frames"] == []
    assert described["traceback"] == "SyntaxError: '(' was never closed\n"


def test_a_syntax_error_in_an_imported_widget_module(
    errors, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (root / "wb_broken_lib.py").write_text("x = (\n")
    source = "import wb_broken_lib\n"
    (root / "main.py").write_text(source)
    try:
        exec(compile(source, str(root / "main.py"), "exec"), {})
    except SyntaxError as e:
        exc = e
    finally:
        sys.modules.pop("wb_broken_lib", None)
    described = errors.describe(exc)
    assert described["frames"] == [
        frame("main.py", 1, "<module>", "import wb_broken_lib"),
        frame("wb_broken_lib.py", 1, "<module>", "x = ("),
    ]
    # As Python prints it, caret line included.
    assert described["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "main.py", line 1, in <module>\n'
        "    import wb_broken_lib\n"
        '  File "wb_broken_lib.py", line 1\n'
        "    x = (\n"
        "        ^\n"
        "SyntaxError: '(' was never closed\n"
    )


def test_a_syntax_error_from_eval_in_widget_code(errors, run: Run) -> None:
    described = errors.describe(run("value = eval('1 +')\n"))
    assert described["frames"] == [frame("main.py", 1, "<module>", "value = eval('1 +')")]
    assert described["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "main.py", line 1, in <module>\n'
        "    value = eval('1 +')\n"
        '  File "<string>", line 1\n'  # as CPython shows it: the string's own line
        "    1 +\n"
        "SyntaxError: invalid syntax\n"
    )


@pytest.mark.parametrize(
    "source",
    [
        "print('a' 'b' c)\n",
        "if True:\n\tx = = 1\n",
        "    x = 1\n",
        "def f(:\n    pass\n",
        "x = [1, 2\ny = 3\n",
        "f(**a, *b)\n",
        "x = 1 +\n",
        "s = 'unterminated\n",
    ],
)
def test_the_caret_line_is_cpythons(errors, root: Path, source: str) -> None:
    """The lines under `File ...` are the ones CPython's traceback module prints."""
    exc = compile_error(root, source)
    cpython = traceback.format_exception_only(type(exc), exc)
    expected = "".join(line for line in cpython[1:-1] if line.startswith("    "))
    ours = errors.describe(exc)["traceback"].splitlines(keepends=True)
    assert "".join(line for line in ours[1:-1] if line.startswith("    ")) == expected


def test_a_bare_syntax_error_has_a_string_message(errors, run: Run) -> None:
    described = errors.describe(run("raise SyntaxError\n"))
    assert isinstance(described["message"], str)


# -- chains ----------------------------------------------------------------------------------


def test_an_explicit_cause(errors, run: Run) -> None:
    exc = run(
        """
        try:
            int("x")
        except ValueError as e:
            raise RuntimeError("wrapped") from e
        """
    )
    described = errors.describe(exc)
    assert described["type"] == "RuntimeError"
    assert described["message"] == "wrapped"
    assert described["frames"] == [
        frame("main.py", 4, "<module>", 'raise RuntimeError("wrapped") from e')
    ]
    assert described["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "main.py", line 2, in <module>\n'
        '    int("x")\n'
        "ValueError: invalid literal for int() with base 10: 'x'\n"
        "\n"
        "The above exception was the direct cause of the following exception:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "main.py", line 4, in <module>\n'
        '    raise RuntimeError("wrapped") from e\n'
        "RuntimeError: wrapped\n"
    )


def test_an_implicit_context(errors, run: Run) -> None:
    exc = run(
        """
        try:
            {}["k"]
        except KeyError:
            None + 1
        """
    )
    assert errors.describe(exc)["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "main.py", line 2, in <module>\n'
        '    {}["k"]\n'
        "KeyError: 'k'\n"
        "\n"
        "During handling of the above exception, another exception occurred:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "main.py", line 4, in <module>\n'
        "    None + 1\n"
        "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'\n"
    )


def test_from_none_suppresses_the_context(errors, run: Run) -> None:
    exc = run(
        """
        try:
            {}["k"]
        except KeyError:
            raise LookupError("missing") from None
        """
    )
    assert errors.describe(exc)["traceback"] == (
        "Traceback (most recent call last):\n"
        '  File "main.py", line 4, in <module>\n'
        '    raise LookupError("missing") from None\n'
        "LookupError: missing\n"
    )


def test_a_mixed_chain_oldest_first(errors, run: Run) -> None:
    exc = run(
        """
        try:
            try:
                raise ValueError("first")
            except ValueError as e:
                raise KeyError("second") from e
        except KeyError:
            raise TypeError("third")
        """
    )
    text = errors.describe(exc)["traceback"]
    first, second, third = (text.index(s) for s in ("ValueError", "KeyError", "TypeError: t"))
    assert first < second < third
    cause = text.index("The above exception was the direct cause")
    context = text.index("During handling of the above exception")
    assert first < cause < second < context < third


def test_the_chain_is_capped(errors) -> None:
    exc: BaseException | None = None
    for i in range(errors.MAX_CHAIN + 3):
        new = ValueError(f"e{i}")
        new.__context__ = exc
        exc = new
    text = errors.describe(exc)["traceback"]
    assert text.count("ValueError: ") == errors.MAX_CHAIN
    assert text.endswith(f"ValueError: e{errors.MAX_CHAIN + 2}\n")
    assert "ValueError: e0\n" not in text


def test_a_cyclic_chain_ends(errors) -> None:
    a, b = ValueError("a"), KeyError("b")
    a.__context__, b.__context__ = b, a
    text = errors.describe(a)["traceback"]
    assert text == (
        "KeyError: 'b'\n\nDuring handling of the above exception, another exception occurred:\n\n"
        "ValueError: a\n"
    )


def test_the_top_level_fields_describe_the_newest_exception(errors, run: Run) -> None:
    exc = run(
        """
        def inner():
            raise ValueError("old")

        try:
            inner()
        except ValueError as e:
            raise KeyError("new") from e
        """
    )
    described = errors.describe(exc)
    assert (described["type"], described["message"]) == ("KeyError", "'new'")
    assert [f["lineno"] for f in described["frames"]] == [7]


# -- qualified type --------------------------------------------------------------------------


def test_qualified_type_for_anvil_server_exceptions(errors, guest_modules: None) -> None:
    import anvil.server

    for cls in (anvil.server.NoServerFunctionError, anvil.server.TimeoutError):
        described = errors.describe(cls("x"))
        assert described["qualified_type"] == f"anvil.server.{cls.__name__}"
        assert described["type"] == cls.__name__


def test_qualified_type_uses_the_qualified_name(errors) -> None:
    inner = type("Inner", (Exception,), {"__module__": "anvil.tables"})
    inner.__qualname__ = "Outer.Inner"
    assert errors.describe(inner())["qualified_type"] == "anvil.tables.Outer.Inner"


@pytest.mark.parametrize("module", ["builtins", "main", "anvilish", "my.anvil.server", ""])
def test_qualified_type_is_empty_for_others(errors, module: str) -> None:
    cls = type("Custom", (Exception,), {"__module__": module})
    assert errors.describe(cls())["qualified_type"] == ""


def test_qualified_type_is_empty_for_builtins(errors) -> None:
    assert errors.describe(ValueError("x"))["qualified_type"] == ""


# -- source_line -----------------------------------------------------------------------------


def test_source_line(errors, root: Path) -> None:
    path = root / "lines.py"
    path.write_text("first\n    second  \n\tthird\n", encoding="utf-8")
    assert errors.source_line(str(path), 1) == "first"
    assert errors.source_line(str(path), 2) == "second"
    assert errors.source_line(str(path), 3) == "third"


@pytest.mark.parametrize("lineno", [0, -1, 4, 100])
def test_source_line_out_of_range_is_empty(errors, root: Path, lineno: int) -> None:
    path = root / "lines.py"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    assert errors.source_line(str(path), lineno) == ""


def test_source_line_of_a_missing_file_is_empty(errors, root: Path) -> None:
    assert errors.source_line(str(root / "missing.py"), 1) == ""


def test_source_line_reads_utf8_and_replaces_bad_bytes(errors, root: Path) -> None:
    path = root / "bytes.py"
    path.write_bytes("s = 'é'\n".encode() + b"t = '\xff'\n")
    assert errors.source_line(str(path), 1) == "s = 'é'"
    assert errors.source_line(str(path), 2) == "t = '\ufffd'"


def test_source_line_reads_each_file_once(errors, root: Path) -> None:
    path = root / "cached.py"
    path.write_text("old\n", encoding="utf-8")
    assert errors.source_line(str(path), 1) == "old"
    path.write_text("new\n", encoding="utf-8")  # widget files are read-only in the sandbox
    assert errors.source_line(str(path), 1) == "old"
