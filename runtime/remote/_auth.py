"""A NATS server configuration for a Widgetbox host and its workers: a user per worker,
each allowed only its own subjects.

A worker may publish only its own events, host calls and heartbeats, and ask the work
queue for its next script; it may subscribe only to what is sent to it by name and to its
own reply inbox (`_INBOX.<name>.>`, the prefix its client uses), so it can neither
publish as the host or another worker nor read another's runs, answers or host-call
replies. The host's user may do anything. A user is known by name and password or by
the public key of its nkey, with the same permissions either way. The tests start
nats-server with this; a deployment writes its own file the same way (README: "Workers on
other machines").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from . import _messages as m
from ._link import MAX_PAYLOAD_NEEDED

HOST_USER = "widgetbox-host"


def worker_permissions(name: str) -> dict[str, object]:
    m.check_name(name)
    queue = f"{m.STREAM}.{m.CONSUMER}"
    return {
        "publish": {
            "allow": [
                m.subject("events", name),
                m.subject("host", name),
                m.subject("beat", name),
                m.subject("pkg", name),
                f"$JS.API.CONSUMER.MSG.NEXT.{queue}",
                f"$JS.API.CONSUMER.INFO.{queue}",
                f"$JS.ACK.{queue}.>",
            ]
        },
        "subscribe": {
            "allow": [m.subject("work", name), m.subject("cancel", name), f"_INBOX.{name}.>"]
        },
        # to answer the host's dispatches on the reply subject it gave, and nothing else
        "allow_responses": {"max": 1, "expires": "1m"},
    }


def server_config(
    *,
    listen: str,
    store_dir: Path,
    host_password: str | None = None,
    workers: Mapping[str, str] | None = None,
    host_nkey: str | None = None,
    worker_nkeys: Mapping[str, str] | None = None,
    tls: Mapping[str, object] | None = None,
) -> str:
    """nats-server's configuration (JSON is valid in its format): `listen` (host:port),
    JetStream files in `store_dir`; the host's user by password or by the public key of its
    nkey (`host_nkey`); each worker's, by name, by password (`workers`) or nkey public key
    (`worker_nkeys`), with the same permissions either way; and `tls`, nats-server's TLS
    block (`cert_file`, `key_file`, and `ca_file` with `verify: true` to ask clients for a
    certificate), when given."""
    users: list[dict[str, object]] = []
    if host_password is not None:
        users.append({"user": HOST_USER, "password": host_password})
    if host_nkey is not None:
        users.append({"nkey": host_nkey})
    users += [
        {"user": name, "password": password, "permissions": worker_permissions(name)}
        for name, password in (workers or {}).items()
    ]
    users += [
        {"nkey": key, "permissions": worker_permissions(name)}
        for name, key in (worker_nkeys or {}).items()
    ]
    config: dict[str, object] = {
        "listen": listen,
        "max_payload": MAX_PAYLOAD_NEEDED + 4 * 1024 * 1024,
        "max_pending": 128 * 1024 * 1024,
        "jetstream": {"store_dir": str(store_dir), "max_file_store": 1024**3},
        "authorization": {"users": users},
    }
    if tls is not None:
        config["tls"] = dict(tls)
    return json.dumps(config, indent=2)
