"""The component catalogue, read from client/src/gui/components.json: the one description of
every component (properties with their types and defaults, events, containers' layout
properties) shared by the host's design validation, the client `anvil` package and the
designer."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOGUE_PATH = Path(__file__).resolve().parents[2] / "client" / "src" / "gui" / "components.json"

PROPERTY_TYPES = frozenset(
    {
        "string", "text", "number", "boolean", "enum", "color", "uri", "items", "value", "date",
        "size", "object", "icon", "role", "html", "form", "spacing", "json",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    default: Any
    nullable: bool = False
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class ComponentType:
    name: str
    properties: dict[str, Property]
    events: frozenset[str]
    container: bool
    layout_properties: dict[str, Property]
    """For containers: the properties their children may have in `layout_properties`."""
    methods: frozenset[str] = frozenset()
    invisible: bool = False
    """Drawn nowhere (Timer)."""

    @property
    def members(self) -> frozenset[str]:
        """Its properties and methods: names a component on a form of this type may not
        have (it would hide them)."""
        return frozenset(self.properties) | self.methods


@dataclass(frozen=True)
class Limits:
    design_bytes: int
    components_per_form: int
    depth: int
    forms: int
    name_length: int
    string_length: int
    items: int


@dataclass(frozen=True)
class Catalogue:
    components: dict[str, ComponentType]
    form_events: frozenset[str]
    common_names: frozenset[str]
    """Members of every form: what forms add (`init_components`, `item`) and what every
    component has (`raise_event`, `parent`)."""
    limits: Limits

    @property
    def containers(self) -> list[str]:
        return [name for name, kind in self.components.items() if kind.container]

    def reserved_names(self, form_type: str) -> frozenset[str]:
        """Names a component on a form whose container is `form_type` may not have: the
        form's members (a component named `parent` or `visible` would hide them)."""
        kind = self.components.get(form_type)
        return self.common_names | (kind.members if kind else frozenset())


def _property(name: str, spec: dict[str, Any]) -> Property:
    kind = spec["type"]
    if kind not in PROPERTY_TYPES:
        raise ValueError(f"the catalogue's property {name!r} has an unknown type {kind!r}")
    return Property(
        name=name,
        type=kind,
        default=spec.get("default"),
        nullable=bool(spec.get("nullable", False)),
        options=tuple(spec.get("options", ())),
        minimum=spec.get("min"),
        maximum=spec.get("max"),
    )


def parse(data: dict[str, Any]) -> Catalogue:
    """The catalogue from its JSON form (groups expanded: a component's `include` adds the
    properties of the groups it names, and its own `properties` come after them, so a
    component can change a group's property, e.g. its default)."""
    groups: dict[str, dict[str, Any]] = data["groups"]
    components = {}
    for name, spec in data["components"].items():
        merged: dict[str, Any] = {}
        for group in spec.get("include", []):
            merged.update(groups[group])
        merged.update(spec.get("properties", {}))
        components[name] = ComponentType(
            name=name,
            properties={key: _property(key, value) for key, value in merged.items()},
            events=frozenset(spec.get("events", [])),
            container=bool(spec.get("container", False)),
            layout_properties={
                key: _property(key, value)
                for key, value in spec.get("layout_properties", {}).items()
            },
            methods=frozenset(spec.get("methods", [])),
            invisible=bool(spec.get("invisible", False)),
        )
    return Catalogue(
        components=components,
        form_events=frozenset(data["form_events"]),
        common_names=frozenset(data["form_members"]) | frozenset(data["component_members"]),
        limits=Limits(**data["limits"]),
    )


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue (read once)."""
    return parse(json.loads(CATALOGUE_PATH.read_text(encoding="utf-8")))
