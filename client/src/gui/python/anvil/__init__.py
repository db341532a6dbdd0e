"""Anvil's `anvil` module for the browser: the components and containers, alert, confirm,
Notification, open_form and get_open_form, Media, `app` (the app's id, environment, theme
colours and assets), the URL's hash, the focused component, the
default error handling (and `anvil.server` for server calls). The same code runs on Brython
and on Pyodide; only `_brython.py` / `_pyodide.py` know which one is underneath.
"""

from ._app import app
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
from ._component import Component, ComponentTag, Container, InvalidComponent
from ._containers import (
    ColumnPanel,
    DataGrid,
    DataRowPanel,
    FlowPanel,
    GridPanel,
    HtmlPanel,
    HtmlTemplate,
    LinearPanel,
    RepeatingPanel,
    XYPanel,
)
from ._dialogs import Notification, alert, confirm
from ._errors import set_default_error_handling
from ._forms import get_focused_component, get_open_form, open_form
from ._location import get_url_hash, set_url_hash
from ._media import BlobMedia, Media, URLMedia, download
from ._tables import transport as _tables_transport  # noqa: F401 - anvil.tables takes it
from ._widgets import Canvas, FileLoader, Plot, RichText, YouTubeVideo

__all__ = [
    "BlobMedia",
    "Button",
    "Canvas",
    "CheckBox",
    "ColumnPanel",
    "Component",
    "ComponentTag",
    "Container",
    "DataGrid",
    "DataRowPanel",
    "DatePicker",
    "DropDown",
    "FileLoader",
    "FlowPanel",
    "GridPanel",
    "HtmlPanel",
    "HtmlTemplate",
    "Image",
    "InvalidComponent",
    "Label",
    "LinearPanel",
    "Link",
    "Media",
    "Notification",
    "Plot",
    "RadioButton",
    "RepeatingPanel",
    "RichText",
    "Spacer",
    "TextArea",
    "TextBox",
    "Timer",
    "URLMedia",
    "XYPanel",
    "YouTubeVideo",
    "alert",
    "app",
    "confirm",
    "download",
    "get_focused_component",
    "get_open_form",
    "get_url_hash",
    "open_form",
    "set_default_error_handling",
    "set_url_hash",
]
