"""Throwaway X.509 certificates for tests: a private CA and the certificates it signs, as
PEM files in a folder (what servers and clients are configured with), made with the
`cryptography` package. Every extension a strict verifier asks for is there (key usage,
key identifiers), so the files are what a real private CA would hand out."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key, as PEM files."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class Authority:
    """A CA: `cert` is what clients (or servers) are told to trust."""

    folder: Path
    name: str
    cert: Path
    _key: Any
    _certificate: Any

    def issue(
        self,
        name: str,
        *,
        addresses: Sequence[str] = ("127.0.0.1",),
        hosts: Sequence[str] = ("localhost",),
        client: bool = False,
    ) -> Issued:
        """A certificate for a server at `addresses` and `hosts` (or, with `client`, for a
        client named `name`), signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        names: list[x509.GeneralName] = [x509.DNSName(h) for h in hosts]
        names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(self._certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - VALID)
            .not_valid_after(now + VALID)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, True, False, False, False, False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), False
            )
        )
        if names and not client:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        certificate = builder.sign(self._key, hashes.SHA256())
        stem = name.replace(" ", "-")
        return Issued(
            _write(self.folder / f"{stem}.pem", certificate),
            _write_key(self.folder / f"{stem}-key.pem", key),
        )


def authority(folder: Path, name: str = "Widgetbox test CA") -> Authority:
    """A new CA whose files go in `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - VALID)
        .not_valid_after(now + VALID)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    stem = name.replace(" ", "-")
    return Authority(folder, name, _write(folder / f"{stem}.pem", certificate), key, certificate)


def contexts(
    hosts: Sequence[str] = ("localhost",), addresses: Sequence[str] = ("127.0.0.1",)
) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context) for a server certificate naming `hosts` and
    `addresses`, signed by a throwaway CA that only the client context trusts (the files
    are gone once the contexts hold them)."""
    with tempfile.TemporaryDirectory() as folder:
        ca = authority(Path(folder))
        issued = ca.issue(hosts[0] if hosts else addresses[0], addresses=addresses, hosts=hosts)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(issued.cert, issued.key)
        client = ssl.create_default_context(cafile=str(ca.cert))
    return server, client


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _write(path: Path, certificate: Any) -> Path:
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def _write_key(path: Path, key: Any) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return path
