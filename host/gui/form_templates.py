"""Reading a form's template (its design) from text: Anvil's `form_template.yaml` (and the
`<Form>.yaml` of module forms), or the same data as JSON (`form_template.json`, and Widgetbox's
older `forms/<Name>.json`).

YAML is read as Anvil reads it (YAML 1.1: `yes`/`no` are booleans), with two exceptions that
keep a design the same data in every place that reads it (the host, the designer, the app):
dates stay text (`2026-11-24` is the text a DatePicker's property holds, not a date object),
and only what JSON can hold is accepted (the page receives designs as JSON): no binary, sets
or non-text keys, no NaN. The same key twice in one mapping is refused (one of the two values
would be lost), and so is a document larger than the catalogue's limit or nested past it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

try:  # libyaml's parser when it is installed; the constructor is PyYAML's either way
    _Base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Base = yaml.SafeLoader

TIMESTAMP = "tag:yaml.org,2002:timestamp"
MAX_NODES = 2_000_000
"""Values walked at most when checking a document (a YAML alias repeats a value without
repeating its text; this bounds what a short document can make)."""


class TemplateError(ValueError):
    """The text is not a design: `where` is a line or a key, `problem` says what."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(problem)
        self.where = where
        self.problem = problem


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """YAML 1.1 without timestamps, refusing a key given twice."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class attribute
        first: [(tag, pattern) for tag, pattern in resolvers if tag != TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                raise TemplateError(
                    f"line {key_node.start_mark.line + 1}", f"the key {key!r} appears twice"
                )
            if isinstance(key, str):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def is_yaml(path: str) -> bool:
    return path.endswith((".yaml", ".yml"))


def load(path: str, text: str, limit: int, depth: int) -> Any:
    """The data in `text` (YAML or, by `path`'s suffix, JSON); raises TemplateError."""
    if len(text.encode("utf-8")) > limit:
        raise TemplateError("", f"the file is larger than {limit:,} bytes")
    data = _load_yaml(text) if is_yaml(path) else _load_json(text)
    _check_values(data, depth)
    return data


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader (SafeLoader's)
    except TemplateError:
        raise
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise TemplateError(where, f"not valid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise TemplateError("", f"not valid YAML: {e}") from None
    except RecursionError:
        raise TemplateError("", "the design is nested too deeply") from None


def _load_json(text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise TemplateError(key, "this key appears twice")
            out[key] = value
        return out

    def constant(name: str) -> Any:
        raise TemplateError("", f"{name} is not allowed in a design")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as e:
        raise TemplateError(f"line {e.lineno}", f"not valid JSON: {e.msg}") from None
    except RecursionError:
        raise TemplateError("", "the design is nested too deeply") from None


def _check_values(data: Any, depth: int) -> None:
    """Only what JSON holds, nested at most `depth * 4` deep (a component's values sit a few
    levels below it), at most MAX_NODES values."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    count = 0
    while stack:
        value, level, where = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise TemplateError("", "the design holds too many values")
        if level > depth * 4:
            raise TemplateError(where, "the design is nested too deeply")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise TemplateError(where, f"a key must be text, not {key!r}")
                stack.append((item, level + 1, f"{where}.{key}" if where else key))
        elif isinstance(value, list):
            stack.extend((item, level + 1, f"{where}[{i}]") for i, item in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            raise TemplateError(where, "NaN and infinite numbers cannot be kept")
        elif value is not None and not isinstance(value, (str, bool, int, float)):
            raise TemplateError(where, f"a {type(value).__name__} value cannot be kept")


def as_json(data: Any) -> str:
    """A design as the page receives it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dump_yaml(data: Any) -> str:
    """A design as YAML text, keys in their order (what Widgetbox writes, e.g. new apps)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


__all__ = ["TemplateError", "as_json", "dump_yaml", "is_yaml", "load"]
