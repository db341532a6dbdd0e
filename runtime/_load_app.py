"""A GUI app's route that answers with the app itself (`FormResponse`, `AppResponder`): the
guest's driver sends it as a response of type LOAD_APP_TYPE whose JSON body says what to
open, the form's arguments, the startup data and the page's meta tags
(`_widgetbox/routing.py`). The body is guest bytes read as a server call's value is: its
size and its number of values checked before anything is decoded (a call report's caps),
then every field typed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ._bridge import HostCallError, check_frame, finite_float, no_constants
from ._codec import SerializationError, decode
from ._door import REPORT_CAPS, RESULT_DEPTH

LOAD_APP_TYPE = "application/vnd.widgetbox.load-app+json"
"""The content type of a route's answer that loads the app: the guest's
`_widgetbox/routing.py` names it too, and its META_NAME and MAX_META
(tests/server/test_load_app.py checks that they agree)."""

META_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:._-]{0,63}")
"""A meta tag's name the page may carry (`description`, `og:image`, `twitter:card`...)."""
MAX_META = 64
"""Meta tags one page may carry."""
_CAP = REPORT_CAPS["call"]
_KEYS = frozenset({"form", "module", "args", "kwargs", "data", "meta"})


@dataclass(frozen=True)
class LoadApp:
    """What the app's page opens: `form` (made with `args` and `kwargs`), else `module`,
    else the app's own start-up; `data` is the client's `anvil.server.startup_data`. Values
    are decoded as a call's (rows and searches as `Carried`, for the host to sign)."""

    form: str | None
    module: str | None
    args: list[Any]
    kwargs: dict[str, Any]
    data: Any
    meta: dict[str, str]


def load_app_in(body: bytes) -> LoadApp:
    """The LoadApp a route's body describes; ValueError saying what is wrong with it."""
    if len(body) > _CAP.max_bytes:
        raise ValueError(f"the app's startup data is over {_CAP.max_bytes:,} bytes")
    try:
        check_frame(body, RESULT_DEPTH, _CAP.max_values, "app's startup data")
        found = json.loads(body, parse_float=finite_float, parse_constant=no_constants)
    except HostCallError as e:
        raise ValueError(str(e)) from None
    except (ValueError, RecursionError):
        raise ValueError("the app's startup data is not valid JSON") from None
    if not isinstance(found, dict) or set(found) != _KEYS:
        raise ValueError(f"the app's startup data must have exactly {sorted(_KEYS)}")
    names = {key: found[key] for key in ("form", "module")}
    meta = found["meta"]
    if not all(name is None or isinstance(name, str) for name in names.values()):
        raise ValueError("the form or module to open must be named by text")
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ValueError("the page's meta tags must be text")
    if len(meta) > MAX_META or not all(META_NAME.fullmatch(name) for name in meta):
        raise ValueError(f"the page takes at most {MAX_META} meta tags, named as META_NAME says")
    try:
        args, kwargs, data = (decode(found[key]) for key in ("args", "kwargs", "data"))
    except SerializationError as e:
        raise ValueError(f"the app's startup data cannot be read: {e}") from None
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise ValueError("a form's arguments must be a list and a dict")
    return LoadApp(names["form"], names["module"], args, kwargs, data, meta)
