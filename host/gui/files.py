"""Where a GUI widget's forms, client code and settings are among its files.

Client code lives under one of two roots, each a Python package in the browser:

- `client_code/`, Anvil's own layout (what an Anvil app's git repository holds): a form is a
  package, `client_code/Form1/__init__.py` (its code) with `form_template.yaml` beside it (its
  design); forms nest (`client_code/Form1/RowTemplate1/`). Anvil's older module forms are
  read too: `client_code/Form1.py` with `client_code/Form1.yaml` beside it. A form package
  with `_template.py` and no design is built in code (`class Form1Template(HtmlPanel)`).
  Other modules (`client_code/Module1.py`) are client code.
- `forms/`, Widgetbox's first layout: `forms/Form1.json` (the design, the same data as Anvil's
  form template) and `forms/Form1.py`. Every `.json` or `.yaml` there is a design.

A form's name is its dotted path from its root ("Form1", "Form1.RowTemplate1"), as Anvil
names forms in `item_template` and `form:` component types.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass

CLIENT_CODE = "client_code/"
LEGACY = "forms/"
ROOTS = (CLIENT_CODE, LEGACY)
APP_FILE = "app.json"
GENERATED = "_anvil_designer.py"
"""Made by Widgetbox in each folder of forms (their `<Name>Template` classes)."""
PACKAGE_TEMPLATES = ("form_template.yaml", "form_template.json")
CODE_TEMPLATE = "_template.py"
DESIGN_SUFFIXES = (".yaml", ".yml", ".json")

_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Form:
    name: str
    """Dotted from its root: "Form1", "Form1.RowTemplate1"."""
    code: str
    """The path of its code: `client_code/Form1/__init__.py`, `forms/Form1.py`."""
    template: str | None
    """The path of its design, or None for a form built in code (`_template.py`)."""
    root: str


def root_of(path: str) -> str | None:
    return next((root for root in ROOTS if path.startswith(root)), None)


def is_name(part: str) -> bool:
    """A part of a form's name: a Python identifier (it is imported)."""
    return bool(_PART.fullmatch(part)) and not keyword.iskeyword(part)


def forms(files: Mapping[str, str]) -> list[Form]:
    """Every form in `files`, sorted by path (whether or not its code exists: see design.py)."""
    found = []
    for path in sorted(files):
        root = root_of(path)
        if root is None:
            continue
        folder, _, name = path[len(root) :].rpartition("/")
        parts = folder.split("/") if folder else []
        prefix = root + (folder + "/" if folder else "")
        if name in PACKAGE_TEMPLATES and parts:
            found.append(Form(".".join(parts), prefix + "__init__.py", path, root))
        elif name == CODE_TEMPLATE and parts and not _has_template(files, prefix):
            if prefix + "__init__.py" in files:
                found.append(Form(".".join(parts), prefix + "__init__.py", None, root))
        elif name.endswith(DESIGN_SUFFIXES) and name not in PACKAGE_TEMPLATES:
            stem = name.rsplit(".", 1)[0]
            code = prefix + stem + ".py"
            if root == LEGACY or code in files:
                found.append(Form(".".join([*parts, stem]), code, path, root))
    return found


def _has_template(files: Mapping[str, str], prefix: str) -> bool:
    return any(prefix + name in files for name in PACKAGE_TEMPLATES)


def form_names(files: Mapping[str, str]) -> list[str]:
    """The forms' names, sorted."""
    return sorted({form.name for form in forms(files)})


def is_client_file(path: str) -> bool:
    """Whether the browser gets it: client code and designs, and the app's settings (never
    the server code)."""
    return root_of(path) is not None or path == APP_FILE
