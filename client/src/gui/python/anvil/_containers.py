"""The containers: ColumnPanel, LinearPanel and FlowPanel. Each child sits in a slot
element of the container's own, which carries the child's layout properties."""

from . import _platform
from ._component import Container, component


class _Panel(Container):
    _slot_class = "anvil-slot"

    def _wrap(self, child, layout):
        dom = _platform.get()
        slot = dom.create("div")
        dom.set_class(slot, self._slot_class, True)
        self._layout_slot(dom, slot, layout)
        return slot

    def _layout_slot(self, dom, slot, layout):
        """Apply the child's layout properties to its slot."""


@component("ColumnPanel")
class ColumnPanel(_Panel):
    """Components one below the other, each in its own row."""

    _slot_class = "anvil-cp-row"

    def _layout_slot(self, dom, slot, layout):
        dom.set_class(slot, "anvil-full-width", bool(layout.get("full_width_row")))


@component("LinearPanel")
class LinearPanel(_Panel):
    """Components one below the other, without gaps of its own."""

    _slot_class = "anvil-lp-item"

    def _layout_slot(self, dom, slot, layout):
        dom.set_class(slot, "anvil-expand", bool(layout.get("expand")))


@component("FlowPanel")
class FlowPanel(_Panel):
    """Components side by side, wrapping when they do not fit."""

    _slot_class = "anvil-fp-item"

    def _layout_slot(self, dom, slot, layout):
        dom.set_class(slot, "anvil-expand", bool(layout.get("expand")))
        width = layout.get("width")
        dom.set_style(slot, "width", None if width is None else f"{width}px")

    def _render_spacing(self, value):
        self._swap_class("spacing", "anvil-gap-" + value)


BY_NAME = {"ColumnPanel": ColumnPanel, "LinearPanel": LinearPanel, "FlowPanel": FlowPanel}

__all__ = ["ColumnPanel", "FlowPanel", "LinearPanel"]
