"""NATS in operator (JWT) mode for the tests, set up as `nsc` would: an operator, a system
account, one account for Widgetbox, and a credentials file (a user JWT the account signed,
and the user's seed) for the host and for each worker, the worker's holding the same
permissions its password or nkey user gets (`_auth.worker_permissions`). Widgetbox itself
only reads credentials files (`Access.creds`); making them is the operator's, with nsc.

A JWT here is `header.claims.signature`, each part base64url without padding, signed with
the issuer's nkey (ed25519); nats-server checks each signature up to the operator it was
configured with. Claims follow NATS's JWT version 2."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nkeys  # type: ignore[import-untyped]

from widgetbox.runtime.remote._auth import worker_permissions

UNLIMITED = {
    "subs": -1,
    "data": -1,
    "payload": -1,
    "imports": -1,
    "exports": -1,
    "wildcards": True,
    "conn": -1,
    "leaf": -1,
}
JETSTREAM = {"mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}


@dataclass
class _Key:
    seed: bytes
    pair: Any
    public: str

    @classmethod
    def new(cls, prefix: int) -> _Key:
        seed = nkeys.encode_seed(os.urandom(32), prefix)
        pair = nkeys.from_seed(bytearray(seed))
        return cls(seed, pair, pair.public_key.decode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(issuer: _Key, subject: str, name: str, nats: dict[str, Any]) -> str:
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    claims: dict[str, Any] = {
        "jti": "",
        "iat": int(time.time()),
        "iss": issuer.public,
        "name": name,
        "sub": subject,
        "nats": {**nats, "version": 2},
    }
    digest = hashlib.sha512(json.dumps(claims).encode()).digest()[:32]
    claims["jti"] = base64.b32encode(digest).decode().rstrip("=")
    body = _b64(json.dumps(claims).encode())
    signature = issuer.pair.sign(f"{header}.{body}".encode())
    return f"{header}.{body}.{_b64(signature)}"


def _user_permissions(permissions: dict[str, Any]) -> dict[str, Any]:
    """nats-server's configuration permissions as a user JWT's."""
    found: dict[str, Any] = {
        "pub": {"allow": permissions["publish"]["allow"]},
        "sub": {"allow": permissions["subscribe"]["allow"]},
    }
    responses = permissions.get("allow_responses")
    if responses:
        found["resp"] = {"max": responses["max"], "ttl": 60 * 1_000_000_000}
    return found


@dataclass
class Operator:
    """An operator, its system account and Widgetbox's account (see the module)."""

    folder: Path
    operator: _Key = field(default_factory=lambda: _Key.new(nkeys.PREFIX_BYTE_OPERATOR))
    system: _Key = field(default_factory=lambda: _Key.new(nkeys.PREFIX_BYTE_ACCOUNT))
    account: _Key = field(default_factory=lambda: _Key.new(nkeys.PREFIX_BYTE_ACCOUNT))

    def server_block(self) -> dict[str, Any]:
        """nats-server's configuration for this operator (accounts preloaded in memory)."""
        system_jwt = _jwt(self.operator, self.system.public, "SYS", {"type": "account"})
        account_jwt = _jwt(
            self.operator,
            self.account.public,
            "widgetbox",
            {"type": "account", "limits": {**UNLIMITED, **JETSTREAM}},
        )
        operator = {"type": "operator", "system_account": self.system.public}
        return {
            "operator": _jwt(self.operator, self.operator.public, "test", operator),
            "system_account": self.system.public,
            "resolver": "MEMORY",
            "resolver_preload": {self.system.public: system_jwt, self.account.public: account_jwt},
        }

    def credentials(self, user: str, worker: bool, account: _Key | None = None) -> Path:
        """A credentials file for `user` (a worker's with its permissions; the host's may
        do anything), its JWT signed by `account` (by default Widgetbox's)."""
        signer = account or self.account
        key = _Key.new(nkeys.PREFIX_BYTE_USER)
        nats: dict[str, Any] = {"type": "user", "subs": -1, "data": -1, "payload": -1}
        if worker:
            nats |= _user_permissions(worker_permissions(user))
        token = _jwt(signer, key.public, user, nats)
        path = self.folder / f"{user}.creds"
        path.write_text(
            "-----BEGIN NATS USER JWT-----\n"
            f"{token}\n"
            "------END NATS USER JWT------\n\n"
            "-----BEGIN USER NKEY SEED-----\n"
            f"{key.seed.decode()}\n"
            "------END USER NKEY SEED------\n"
        )
        path.chmod(0o600)
        return path
