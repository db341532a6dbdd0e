"""The client `anvil` package on the host's CPython: a fake page behind the adapter interface
(`anvil._platform`), so the component library is unit-tested without a browser. The browser
tier runs the same code on Brython and Pyodide.

The components' drawing is JavaScript (client/src/gui/draw.js, shared with the designer), so
the fake does not draw: a component's element records what the Python side asked the drawing
to show (`Element.drawn`, checked to be plain values), and its control keeps what the real
drawing leaves there for the Python side to read back (a text box's value, a box's checked).
How the drawing looks is tested in the browser tier (tests/browser/test_gui_draw.py)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLIENT_PYTHON = REPO / "client" / "src" / "gui" / "python"
CATALOGUE = REPO / "client" / "src" / "gui" / "components.json"
PYTHON_JS = REPO / "client" / "src" / "gui" / "python.js"
"""The package's listing: each module's name in the runtimes and the file it is bundled from."""


def package_sources() -> dict[str, Path]:
    """{"anvil/server.py": its source file} for every module python.js bundles, read from its
    imports as esbuild reads them (some come from the guest's package, wasm-python/anvil/)."""
    listing = PYTHON_JS.read_text()
    files = {
        name: (PYTHON_JS.parent / path).resolve()
        for name, path in re.findall(r'^import (\w+) from "([^"]+\.py)";$', listing, re.M)
    }
    entries = re.findall(r'^  "([^"]+\.py)": (\w+),$', listing, re.M)
    return {module: files[name] for module, name in entries}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    style: dict[str, str] = field(default_factory=dict)
    classes: set[str] = field(default_factory=set)
    props: dict[str, Any] = field(default_factory=dict)
    children: list[Element] = field(default_factory=list)
    parent: Element | None = None
    text: str = ""
    kind: str = ""
    drawn: dict[str, Any] = field(default_factory=dict)
    listeners: dict[str, list[Callable[[Any], Any]]] = field(default_factory=dict)

    @property
    def textContent(self) -> str:
        return self.text

    def all_text(self) -> str:
        own = self.text + str(self.drawn.get("text", ""))
        return own + "".join(child.all_text() for child in self.children)

    def walk(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, css_class: str) -> list[Element]:
        return [element for element in self.walk() if css_class in element.classes]

    def find_tag(self, tag: str) -> list[Element]:
        return [element for element in self.walk() if element.tag == tag]


class Event:
    def __init__(self, target: Element, key: str | None = None) -> None:
        self.target = target
        self.key = key
        self.default_prevented = False
        self.stopped = False

    def preventDefault(self) -> None:
        self.default_prevented = True

    def stopPropagation(self) -> None:
        self.stopped = True


PLAIN = (str, bool, int, float)
WITH_CONTROL = {
    "Button", "CheckBox", "RadioButton", "DropDown", "DatePicker", "FileLoader", "Canvas",
    "YouTubeVideo", "Plot",
}  # fmt: skip
"""Components whose control is an element inside their own (see draw.js's `control`)."""


def _json_like(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and _json_like(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_json_like(item) for item in value)
    return value is None or isinstance(value, PLAIN)


def _check_plain(props: dict[str, Any]) -> None:
    """What the drawing takes: JSON-like values, never None at the top."""
    for name, value in props.items():
        assert value is not None, name
        assert _json_like(value), (name, value)


def _shown_date(value: Any, pick_time: Any) -> str:
    """A date's text as draw.js puts it into the date input."""
    if not value:
        return ""
    text = str(value)
    if not pick_time:
        return text[:10]
    return text[:16] if "T" in text else text[:10] + "T00:00"


class FakeWaiter:
    """A one-shot: `wait()` runs what the visitor does meanwhile, which must wake it."""

    def __init__(self, page: FakeAdapter) -> None:
        self.page = page
        self.woken = False

    def wake(self) -> None:
        self.woken = True

    def wait(self) -> None:
        self.page.meanwhile()
        assert self.woken, "nothing woke the waiting call"


class FakeAdapter:
    """The adapter interface of `anvil._platform`, over `Element`s."""

    name = "fake"

    def __init__(self) -> None:
        self.page_root = Element("div", attrs={"id": "wb-app"})
        self.page_overlay = Element("div", attrs={"id": "wb-overlay"})
        self.console: list[str] = []
        self.timers: dict[int, tuple[str, float, float, Callable[[], Any]]] = {}
        self.now = 0.0
        self._numbers = iter(range(1, 1_000_000))
        self.requests: list[tuple[str, Any]] = []
        self.answer: Callable[[dict[str, Any]], tuple[int, str]] = lambda payload: (
            200,
            json.dumps({"value": None}),
        )
        self.confirm_answer = True
        self.is_ready = False
        self.waits = False
        """Whether Python can suspend here, as on Pyodide with JSPI (`can_wait`)."""
        self.meanwhile: Callable[[], Any] = lambda: None
        """What the visitor does while Python waits (a `waiter`'s `wait` runs it)."""

    # the interface: the drawing
    def draw(self, kind: str, props: dict[str, Any]) -> Element:
        _check_plain(props)
        element = Element(kind, kind=kind)
        if kind in WITH_CONTROL:
            self.append(element, Element("control", kind=kind))
        for name in props:
            self.update(element, kind, name, props)
        return element

    def update(self, element: Element, kind: str, name: str, props: dict[str, Any]) -> None:
        assert element.kind == kind
        _check_plain(props)
        value = props.get(name)
        if value is None:
            element.drawn.pop(name, None)
        else:
            element.drawn[name] = value
        control = self.control(element, kind)
        if name == "text" and kind in ("TextBox", "TextArea"):
            control.props["value"] = value or ""
        elif name in ("checked", "selected"):
            control.props["checked"] = bool(value)
        elif kind == "DatePicker" and (
            name == "date" or (name == "pick_time" and props.get("date"))
        ):
            control.props["value"] = _shown_date(props.get("date"), props.get("pick_time"))

    def control(self, element: Element, kind: str) -> Element:
        return element.children[0] if kind in WITH_CONTROL else element

    def slot(self, parent_kind: str, layout: dict[str, Any]) -> Element:
        _check_plain(layout)
        return Element("slot", kind=parent_kind, drawn=dict(layout))

    def attach(
        self,
        container: Element,
        kind: str,
        holder: Element,
        layout: dict[str, Any],
        before: Element | None,
    ) -> None:
        _check_plain(layout)
        assert container.kind == kind
        holder.attrs["placed"] = repr(sorted(layout.items()))
        if before is None:
            self.append(container, holder)
        else:
            self.insert(container, holder, before)

    def place(
        self,
        container: Element,
        kind: str,
        child: Element,
        layout: dict[str, Any],
        before: Element | None,
        hidden: bool,
        invisible: bool,
    ) -> Element:
        """draw.js's `place`: `slot`, the child in it, its classes, then `attach`."""
        holder = self.slot(kind, layout)
        self.append(holder, child)
        self.set_class(holder, "anvil-hidden", hidden)
        if invisible:
            self.set_class(holder, "anvil-invisible", True)
        self.attach(container, kind, holder, layout, before)
        return holder

    def release(self, holder: Element) -> None:
        self.detach(holder)

    def draw_call(self, name: str, *args: Any) -> None:
        self.console.append(f"draw_call: {name}")

    def query(self, element: Element, selector: str) -> Element | None:
        found = element.props.setdefault("queried", {})
        return found.setdefault(
            selector, Element("queried", attrs={"selector": selector}, text=selector)
        )

    # the interface: the page
    def create(self, tag: str) -> Element:
        return Element(tag)

    def root(self) -> Element:
        return self.page_root

    def overlay(self) -> Element:
        return self.page_overlay

    def append(self, parent: Element, child: Element) -> None:
        self.detach(child)
        parent.children.append(child)
        child.parent = parent

    def insert(self, parent: Element, child: Element, before: Element) -> None:
        self.detach(child)
        parent.children.insert(parent.children.index(before), child)
        child.parent = parent

    def detach(self, element: Element) -> None:
        if element.parent is not None:
            element.parent.children.remove(element)
            element.parent = None

    def set_text(self, element: Element, text: str) -> None:
        assert isinstance(text, str)
        element.text = text

    def set_attr(self, element: Element, name: str, value: str | None) -> None:
        if value is None:
            element.attrs.pop(name, None)
        else:
            element.attrs[name] = str(value)

    def set_style(self, element: Element, name: str, value: str | None) -> None:
        if value is None:
            element.style.pop(name, None)
        else:
            element.style[name] = value

    def set_class(self, element: Element, name: str, on: bool) -> None:
        if on:
            element.classes.add(name)
        else:
            element.classes.discard(name)

    def set_prop(self, element: Element, name: str, value: Any) -> None:
        element.props[name] = value

    def get_prop(self, element: Element, name: str) -> Any:
        defaults = {"value": "", "checked": False, "selectedIndex": -1}
        return element.props.get(name, defaults.get(name))

    def call(self, element: Element, method: str, *args: Any) -> Any:
        element.props.setdefault("calls", []).append(method if not args else (method, *args))
        if method == "getContext":
            return Element("context")
        return None

    def listen(self, element: Element, event: str, fn: Callable[[Any], Any]) -> None:
        element.listeners.setdefault(event, []).append(fn)

    def stop_propagation(self, element: Element, event: str) -> None:
        self.listen(element, event, lambda found: found.stopPropagation())

    def set_timeout(self, fn: Callable[[], Any], seconds: float) -> int:
        number = next(self._numbers)
        self.timers[number] = ("timeout", self.now + seconds, seconds, fn)
        return number

    def set_interval(self, fn: Callable[[], Any], seconds: float) -> int:
        number = next(self._numbers)
        self.timers[number] = ("interval", self.now + seconds, seconds, fn)
        return number

    def clear(self, handle: int) -> None:
        self.timers.pop(handle, None)

    def can_wait(self) -> bool:
        return self.waits

    def waiter(self) -> FakeWaiter:
        assert self.waits, "waiter() is only asked for where Python can wait"
        return FakeWaiter(self)

    def post(self, url: str, text: str) -> tuple[int, str]:
        payload = json.loads(text)
        self.requests.append((url, payload))
        return self.answer(payload)

    def json_dumps(self, value: Any) -> str:
        return json.dumps(value)

    def json_loads(self, text: str) -> Any:
        return json.loads(text)

    def console_error(self, text: str) -> None:
        self.console.append(text)

    def console_warn(self, text: str) -> None:
        self.console.append(f"warning: {text}")

    hash = ""
    hash_replaced = False
    focus: Element | None = None

    def location_hash(self) -> str:
        return self.hash

    def set_location_hash(self, text: str, replace: bool) -> None:
        self.hash = "#" + text if text else ""
        self.hash_replaced = replace

    def encode_uri(self, text: str) -> str:
        from urllib.parse import quote

        return quote(text, safe="")

    def decode_uri(self, text: str) -> str:
        from urllib.parse import unquote

        return unquote(text)

    def focused(self) -> Element | None:
        return self.focus

    def contains(self, element: Element, other: Element) -> bool:
        node: Element | None = other
        while node is not None:
            if node is element:
                return True
            node = node.parent
        return False

    def bytes_of(self, js_bytes: Any) -> bytes:
        return bytes(js_bytes)

    def base64_of(self, js_bytes: Any) -> str:
        import base64

        return base64.b64encode(bytes(js_bytes)).decode()

    def object_url(self, data: Any, content_type: str) -> str:
        return f"blob:fake/{content_type}/{len(bytes(data))}"

    def fetch_bytes(self, url: str) -> tuple[int, bytes, str]:
        self.requests.append((url, None))
        return 200, b"fetched", "text/plain"

    def confirm(self, text: str) -> bool:
        self.console.append(f"confirm: {text}")
        return self.confirm_answer

    def ready(self) -> None:
        self.is_ready = True

    # what a visitor does
    def fire(self, element: Element, event: str, key: str | None = None) -> Event:
        """Dispatch `event` at `element`, bubbling up through its ancestors."""
        happened = Event(element, key)
        node: Element | None = element
        while node is not None and not happened.stopped:
            for listener in list(node.listeners.get(event, [])):
                listener(happened)
            node = node.parent
        return happened

    def type_into(self, element: Element, text: str) -> None:
        element.props["value"] = text
        self.fire(element, "input")

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass, running the timers that fall due, in order."""
        end = self.now + seconds
        while True:
            due = [(when, number) for number, (_, when, _, _) in self.timers.items() if when <= end]
            if not due:
                break
            when, number = min(due)
            kind, _, every, fn = self.timers[number]
            self.now = when
            if kind == "timeout":
                del self.timers[number]
            else:
                self.timers[number] = (kind, when + every, every, fn)
            fn()
        self.now = end


def install_package(folder: Path) -> None:
    """Write the client package into `folder` as the build bundles it (`package_sources`),
    with the catalogue as the loader hands it over (a Python literal in
    `anvil/_catalogue_data.py`)."""
    for module, source in package_sources().items():
        target = folder / module
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    catalogue = json.loads(CATALOGUE.read_text())
    (folder / "anvil" / "_catalogue_data.py").write_text(f"CATALOGUE = {catalogue!r}\n")
    (folder / "anvil" / "_app_data.py").write_text('FORMS = {}\nPACKAGE = "client_code"\n')


def write_forms(folder: Path, forms: dict[str, tuple[dict[str, Any], str]]) -> None:
    """forms/<Name>.py for each form, the generated forms/_anvil_designer.py, and the
    registry of forms (`anvil/_app_data.py`), as the loader (modules.js) makes them."""
    package = folder / "forms"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("")
    lines = ["from anvil._forms import template as _template", ""]
    for name, (design, code) in forms.items():
        (package / f"{name}.py").write_text(code)
        lines.append(f"{name}Template = _template({name!r}, {design!r})")
    (package / "_anvil_designer.py").write_text("\n".join(lines) + "\n")
    registry = {name: f"forms.{name}" for name in forms}
    (folder / "anvil" / "_app_data.py").write_text(
        f'FORMS = {registry!r}\nPACKAGE = "client_code"\n'
    )


def layout_modules(files: dict[str, str], package: str = "client_code") -> dict[str, str]:
    """What client/src/gui/modules.js makes of `files` (run through esbuild and node)."""
    found: dict[str, str] = run_client(
        "src/gui/modules.js",
        "appModules",
        "(input) => appModules(input.files, input.package)",
        {"files": files, "package": package},
    )
    return found


def designer_round_trip(text: str, format: str, edit: str = "") -> str:
    """A design's text as the designer saves it (client/src/gui/designer/model.js): read,
    `edit` (JavaScript run with `design` set), written."""
    found: str = run_client(
        "src/gui/designer/model.js",
        "FormDesign",
        f"(input) => {{ const design = new FormDesign('Form1', input.text, input.format); "
        f"{edit}; return design.text(); }}",
        {"text": text, "format": format},
    )
    return found


def run_client(entry: str, name: str, call: str, argument: Any) -> Any:
    """`call(argument)` (a JavaScript function of the export `name` of client/`entry`), with
    the module bundled by esbuild as the build bundles it, run by node; its JSON result."""
    import shutil
    import subprocess
    import tempfile

    client = REPO / "client"
    node = shutil.which("node")
    assert node is not None, "node is needed to run the client's modules"
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp) / "module.mjs"
        subprocess.run(
            [
                str(client / "node_modules" / ".bin" / "esbuild"),
                str(client / entry),
                "--bundle",
                "--format=esm",
                "--platform=browser",  # as the build resolves packages (yaml)
                "--loader:.py=text",
                f"--outfile={bundle}",
            ],
            check=True,
            capture_output=True,
        )
        runner = Path(tmp) / "run.mjs"
        runner.write_text(
            f'import {{ {name} }} from "{bundle.as_posix()}";\n'
            'import { readFileSync } from "node:fs";\n'
            "const input = JSON.parse(readFileSync(0, 'utf8'));\n"
            f"process.stdout.write(JSON.stringify(({call})(input)));\n"
        )
        done = subprocess.run(
            [node, str(runner)],
            input=json.dumps(argument),
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(done.stdout)


def forget_modules() -> dict[str, Any]:
    saved = {}
    for name in list(sys.modules):
        if name in ("anvil", "forms", "client_code", "plotly") or name.startswith(
            ("anvil.", "forms.", "client_code.", "plotly.")
        ):
            saved[name] = sys.modules.pop(name)
    return saved
