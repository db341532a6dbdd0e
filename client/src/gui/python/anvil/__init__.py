"""Anvil's `anvil` module for the browser: the components, alert, confirm, Notification,
open_form and get_open_form (and `anvil.server` for server calls). The same code runs on
Brython and on Pyodide; only `_brython.py` / `_pyodide.py` know which one is underneath.
"""

from ._basic import (
    Button,
    CheckBox,
    DatePicker,
    DropDown,
    Image,
    Label,
    Link,
    RadioButton,
    Spacer,
    TextArea,
    TextBox,
    Timer,
)
from ._component import Component, ComponentTag, Container
from ._containers import ColumnPanel, FlowPanel, LinearPanel
from ._dialogs import Notification, alert, confirm
from ._forms import get_open_form, open_form

__all__ = [
    "Button",
    "CheckBox",
    "ColumnPanel",
    "Component",
    "ComponentTag",
    "Container",
    "DatePicker",
    "DropDown",
    "FlowPanel",
    "Image",
    "Label",
    "LinearPanel",
    "Link",
    "Notification",
    "RadioButton",
    "Spacer",
    "TextArea",
    "TextBox",
    "Timer",
    "alert",
    "confirm",
    "get_open_form",
    "open_form",
]
