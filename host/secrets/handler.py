"""The bridge handler `secrets.get`: the named secret of the run's widget (the run's
`context["widget_id"]`), read and opened for `anvil.secrets.get_secret`. `register` offers
it on a `Bridge` and returns it."""

from __future__ import annotations

import logging
from typing import Any

from widgetbox.host.secrets.box import SecretBox, SecretDecryptError
from widgetbox.host.secrets.records import MAX_NAME, NAME, get_sealed
from widgetbox.host.storage.database import Database
from widgetbox.runtime import Bridge, HostCall, HostCallError

log = logging.getLogger("widgetbox.host.secrets.handler")

OP = "secrets.get"
"""The bridge operation `anvil.secrets.get_secret` calls."""


class SecretsHandler:
    """`secrets.get`: the named secret of the run's widget (`call.context["widget_id"]`)."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    def __call__(self, call: HostCall, data: Any) -> str:
        widget_id = call.context.get("widget_id")
        if not isinstance(widget_id, int) or isinstance(widget_id, bool):
            raise HostCallError("NotFound", "Secrets belong to widgets, and this run has none.")
        if not isinstance(data, str):
            raise HostCallError("BadRequest", "A secret's name is a string.")
        if NAME.fullmatch(data) is None:
            # no such name can be stored; the message shows a bounded part of it
            shown = repr(data[:MAX_NAME]) + ("..." if len(data) > MAX_NAME else "")
            raise HostCallError("NotFound", f"No such secret {shown}.")
        sealed = self.db.read_now(get_sealed, widget_id, data)
        if sealed is None:
            raise HostCallError("NotFound", f"No such secret {data!r}.")
        try:
            return self.box.decrypt(widget_id, data, sealed.nonce, sealed.ciphertext)
        except SecretDecryptError:
            log.error(
                "the secret %r of widget %d does not decrypt with the key in %s",
                data,
                widget_id,
                self.box.path,
            )
            raise HostCallError(
                "Undecryptable",
                f"The secret {data!r} cannot be read with this server's key; set it again.",
            ) from None


def register(bridge: Bridge, db: Database, box: SecretBox) -> SecretsHandler:
    """Offer `secrets.get` to guests on `bridge`, reading `db` with `box`; returns the
    handler, for whoever needs it later (the bridge keeps no other way to reach it)."""
    handler = SecretsHandler(db, box)
    bridge.register(OP, handler)
    return handler
