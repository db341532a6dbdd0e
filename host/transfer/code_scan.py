"""What an app's Python code registers and uses, read from its syntax tree (never run):
server functions (`@anvil.server.callable`), HTTP endpoints (`@anvil.server.route`,
`http_endpoint`), background tasks, the server functions it calls by name
(`anvil.server.call("name")`), the services Widgetbox does not provide that it imports, and
receiving email. Names are followed through `import anvil.server as s` and
`from anvil.server import callable`."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

Where = tuple[str, int]
"""(file, line)."""

UNAVAILABLE_MODULES = {
    "anvil.google": "Google",
    "anvil.facebook": "Facebook",
    "anvil.microsoft": "Microsoft",
    "anvil.stripe": "Stripe",
    "anvil.pdf": "PDF rendering",
    "anvil.saml": "SAML",
}
"""Modules that import in Widgetbox, whose use raises ServiceNotAvailable."""
_CALLABLE = "anvil.server.callable"
_ROUTES = ("anvil.server.route", "anvil.server.http_endpoint")
_TASK = "anvil.server.background_task"
_CALLS = ("anvil.server.call", "anvil.server.call_s")
_RECEIVE = "anvil.email.handle_message"


@dataclass
class Scan:
    callables: dict[str, Where] = field(default_factory=dict)
    routes: list[tuple[str, Where]] = field(default_factory=list)
    tasks: dict[str, Where] = field(default_factory=dict)
    calls: list[tuple[str, Where]] = field(default_factory=list)
    services: list[tuple[str, Where]] = field(default_factory=list)
    """(service's name, where it is imported)."""
    receives_email: list[Where] = field(default_factory=list)
    unreadable: list[tuple[Where, str]] = field(default_factory=list)
    """Files that are not Python 3, with why."""


def scan(files: Iterable[tuple[str, str]], found: Scan | None = None) -> Scan:
    """Scan every (path, text) into `found` (a new Scan by default)."""
    result = found or Scan()
    for path, text in files:
        try:
            tree = ast.parse(text, path)
        except SyntaxError as e:
            result.unreadable.append(((path, e.lineno or 0), f"not Python 3: {e.msg}"))
            continue
        except (ValueError, RecursionError, MemoryError) as e:
            result.unreadable.append(((path, 0), f"cannot be read ({type(e).__name__})"))
            continue
        _Module(path, result).visit(tree)
    return result


class _Module(ast.NodeVisitor):
    def __init__(self, path: str, result: Scan) -> None:
        self.path = path
        self.result = result
        self.names: dict[str, str] = {}
        """Local name -> the dotted name it stands for (`s` -> `anvil.server`)."""

    def where(self, node: ast.AST) -> Where:
        return (self.path, getattr(node, "lineno", 0))

    def imported(self, module: str, node: ast.AST) -> None:
        for prefix, service in UNAVAILABLE_MODULES.items():
            if module == prefix or module.startswith(prefix + "."):
                self.result.services.append((service, self.where(node)))
                return

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imported(alias.name, node)
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self.names[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        for alias in node.names:
            dotted = f"{node.module}.{alias.name}"
            self.imported(dotted, node)
            self.names[alias.asname or alias.name] = dotted

    def dotted(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.names:
            return None
        return ".".join([self.names[node.id], *reversed(parts)])

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            name = self.dotted(call.func if call else decorator)
            first = _first_text(call) if call else None
            where = self.where(decorator)
            if name == _CALLABLE:
                self.result.callables.setdefault(first or node.name, where)
            elif name in _ROUTES:
                self.result.routes.append((first or "", where))
            elif name == _TASK:
                self.result.tasks.setdefault(first or node.name, where)
            elif name == _RECEIVE:
                self.result.receives_email.append(where)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if self.dotted(node.func) in _CALLS:
            name = _first_text(node)
            if name is not None:
                self.result.calls.append((name, self.where(node)))
        self.generic_visit(node)


def _first_text(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None
