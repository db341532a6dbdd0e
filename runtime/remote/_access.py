"""How a NATS client (the host's, a worker's) proves who it is and checks whom it talks to.

- TLS with a CA the operator names (`ca`: a private CA is the common self-hosted case; with
  none, a `tls://` URL trusts the system's CAs), and optionally a certificate of its own
  for a server that asks for one (`cert`, `key`: mutual TLS).
- An nkey seed file (`nkey`) in place of a password: the server knows only the public key,
  and the client signs the server's nonce with the seed, so no secret crosses the network.
- A user credentials file (`creds`: a user JWT and its nkey seed) for a server in operator
  (JWT) mode, as `nsc` makes them and managed NATS services hand them out: the server
  trusts the JWT's signing chain, and the seed signs its nonce as above.

Secrets stay in files, named by path: nats-py reads the seed when it signs a connection's
nonce, and nothing here logs or shows a file's contents. Once TLS is asked for (a
`tls://` URL or a CA or certificate named), a server that does not require TLS is refused
before any credential is sent (`TlsOnly`: nats-py alone would send them in the clear, even
for a `tls://` URL). A first connection that the server refuses (its certificate not
trusted, ours not accepted, the credentials wrong) raises `Refused`, saying which and what
to change: trying again would not help.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats import errors
from nats.aio.client import Client

log = logging.getLogger("widgetbox.runtime.remote")


class Refused(errors.Error):
    """The NATS server refused this client, or this client the server; the message says
    why and which setting to change. A nats-py error, so that a reconnection it ends is
    tried again like any other (only a first connection gives up on it)."""


@dataclass(frozen=True)
class Access:
    """Files a client connects with (see the module's docstring); all optional."""

    ca: Path | None = None
    """PEM certificates of the CA(s) that signed the NATS server's certificate."""
    cert: Path | None = None
    """This client's certificate (PEM), for a server with `verify: true`."""
    key: Path | None = None
    """Its private key (PEM), if not in `cert`'s file."""
    nkey: Path | None = None
    """A user nkey seed (`SU...`), in place of a user and password in the URL."""
    creds: Path | None = None
    """A user credentials file (a user JWT and its seed), for a server in operator mode."""

    @property
    def wants_tls(self) -> bool:
        return self.ca is not None or self.cert is not None

    def tls(self) -> ssl.SSLContext | None:
        """The TLS context for nats-py (None: its own default, for a `tls://` URL without a
        CA named). Raises ValueError naming the file that cannot be used."""
        if not self.wants_tls:
            return None
        try:
            context = ssl.create_default_context(cafile=self.ca)
        except (OSError, ssl.SSLError) as e:
            raise ValueError(f"{self.ca}: not a readable file of PEM certificates ({e})") from None
        if self.cert is not None:
            try:
                context.load_cert_chain(self.cert, self.key)
            except (OSError, ssl.SSLError) as e:
                raise ValueError(
                    f"{self.cert}: not a readable PEM certificate with its key"
                    f"{f' (in {self.key})' if self.key else ''} ({e})"
                ) from None
        elif self.key is not None:
            raise ValueError("a client key needs its certificate too")
        return context

    def check(self) -> None:
        """Raise ValueError saying what is wrong with the files, before any connection."""
        self.tls()
        if self.nkey is not None and self.creds is not None:
            raise ValueError("an nkey seed or a credentials file, not both (the file has a seed)")
        if self.nkey is not None:
            public_key(self.nkey)
        if self.creds is not None:
            credentials_user(self.creds)

    def options(self) -> dict[str, Any]:
        """nats-py's connection options for these files (TLS, the seed's path)."""
        options: dict[str, Any] = {}
        context = self.tls()
        if context is not None:
            options["tls"] = context
        if self.nkey is not None:
            options["nkeys_seed"] = str(self.nkey)
        if self.creds is not None:
            options["user_credentials"] = str(self.creds)
        return options


def requires_tls(urls: list[str], access: Access | None) -> bool:
    return any(url.lower().startswith("tls://") for url in urls) or (
        access is not None and access.wants_tls
    )


class TlsOnly(Client):
    """A client that refuses a server which does not require TLS, before it sends its
    credentials: nats-py upgrades to TLS only when the server's INFO asks for it, so a
    server without TLS (or someone in between rewriting the INFO) would get them in the
    clear."""

    async def _process_info(self, info: dict[str, Any], initial_connection: bool = False) -> None:
        if initial_connection and not info.get("tls_required"):
            raise Refused(
                "the NATS server does not require TLS, which this client was told to use (a "
                "tls:// URL or a CA named): no credential was sent. Give nats-server a "
                "tls {} block, or connect without TLS on a trusted network"
            )
        await super()._process_info(info, initial_connection)


def refusal(error: BaseException) -> str | None:
    """What the server's (or our) refusal `error` means, or None for an error that trying
    again may mend (the server unreachable, a connection cut)."""
    if isinstance(error, Refused):
        return str(error)
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"the NATS server's certificate is not trusted ({error.verify_message}): name the "
            "CA that signed it (--nats-ca; the server's nats_ca setting), and reach the "
            "server by a name or address its certificate holds"
        )
    if isinstance(error, ssl.SSLError) and not isinstance(
        error, ssl.SSLEOFError | ssl.SSLZeroReturnError
    ):
        return (
            f"the TLS handshake with the NATS server failed ({error.reason or error}): if it "
            "asks for a client certificate (verify: true), give one its CA signed "
            "(--nats-cert and --nats-key; nats_cert and nats_key)"
        )
    text = str(error).lower()
    if isinstance(error, errors.AuthorizationError) or "authorization violation" in text:
        return (
            "the NATS server refused the credentials (Authorization Violation): check the "
            "user and password in the URL, the nkey seed file and the public key "
            "nats-server's configuration has for it, or that the credentials file's user "
            "belongs to an account this server knows"
        )
    return None


SEED_PREFIX = b"SU"
"""A user nkey's seed (S: seed, U: user); the public key the server knows starts with U."""


def public_key(seed_file: Path) -> str:
    """The public key of the user nkey seed in `seed_file` (checked: nats-py would only say
    so when it signs); ValueError naming the file, never its contents. Warns when others
    on this machine may read it."""
    try:
        raw = bytearray(seed_file.read_bytes().strip())
        mode = seed_file.stat().st_mode
    except OSError as e:
        raise ValueError(f"{seed_file}: cannot be read ({e.strerror})") from None
    found = _seed_public_key(raw, seed_file)
    if mode & 0o077:
        log.warning("%s may be read by other users of this machine: chmod 600 it", seed_file)
    return found


def _seed_public_key(raw: bytearray, source: Path) -> str:
    """The public key of the user seed `raw` (from the file `source`), checked whole."""
    try:
        import nkeys  # type: ignore[import-untyped] # only with an nkey or credentials
    except ImportError:
        raise ValueError("nkeys need the nkeys package: pip install 'widgetbox[workers]'") from None
    try:
        # whole: the right kind, 32 bytes, and its checksum (which nkeys does not check)
        prefix, key = nkeys.decode_seed(bytes(raw))
        if not raw.startswith(SEED_PREFIX) or nkeys.encode_seed(key, prefix) != raw:
            raise ValueError
        pair = nkeys.from_seed(raw)
    except (ValueError, TypeError, nkeys.NkeysError):
        raise ValueError(
            f"{source}: not an nkey user seed (one line starting SU; `widgetbox nkey` makes one)"
        ) from None
    try:
        return str(bytes(pair.public_key).decode())
    finally:
        pair.wipe()


def new_seed(seed_file: Path) -> str:
    """Write a new user nkey seed to `seed_file` (created for its owner only; an existing
    file is never overwritten) and return its public key, for nats-server's configuration."""
    import nkeys

    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    descriptor = os.open(seed_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(seed + b"\n")
    return public_key(seed_file)


JWT_BLOCK = re.compile(rb"-{3,}BEGIN NATS USER JWT-{3,}\s*\n\s*([A-Za-z0-9_.=-]+)\s*\n")
SEED_BLOCK = re.compile(rb"-{3,}BEGIN USER NKEY SEED-{3,}\s*\n\s*(SU[A-Z2-7]+)\s*\n")


def credentials_user(creds_file: Path) -> str:
    """The user (the public key) of the credentials file `creds_file`, checked as nats-py
    would only check it when it connects: a user JWT, and a user seed whose public key is
    the JWT's subject. ValueError naming the file, never its contents; warns when others on
    this machine may read it (it holds a seed)."""
    import base64
    import json

    try:
        raw = creds_file.read_bytes()
        mode = creds_file.stat().st_mode
    except OSError as e:
        raise ValueError(f"{creds_file}: cannot be read ({e.strerror})") from None
    jwt, seed = JWT_BLOCK.search(raw), SEED_BLOCK.search(raw)
    what = "not a NATS user credentials file (a user JWT and its seed, as nsc makes them)"
    if jwt is None or seed is None:
        raise ValueError(f"{creds_file}: {what}")
    try:
        claims = jwt.group(1).split(b".")[1]
        subject = json.loads(base64.urlsafe_b64decode(claims + b"=" * (-len(claims) % 4)))["sub"]
    except (IndexError, ValueError, KeyError, TypeError):
        raise ValueError(f"{creds_file}: {what}: its JWT cannot be read") from None
    found = _seed_public_key(bytearray(seed.group(1)), creds_file)
    if found != subject:
        raise ValueError(f"{creds_file}: its seed is not the JWT's user's")
    if mode & 0o077:
        log.warning("%s may be read by other users of this machine: chmod 600 it", creds_file)
    return found
