"""The containers: ColumnPanel, LinearPanel and FlowPanel. Each child sits in a slot
element of the container's own, which carries the child's layout properties (drawn by
client/src/gui/draw.js, like the containers themselves)."""

from ._component import Container, component


@component("ColumnPanel")
class ColumnPanel(Container):
    """Components one below the other, each in its own row."""


@component("LinearPanel")
class LinearPanel(Container):
    """Components one below the other, without gaps of its own."""


@component("FlowPanel")
class FlowPanel(Container):
    """Components side by side, wrapping when they do not fit."""


BY_NAME = {"ColumnPanel": ColumnPanel, "LinearPanel": LinearPanel, "FlowPanel": FlowPanel}

__all__ = ["ColumnPanel", "FlowPanel", "LinearPanel"]
