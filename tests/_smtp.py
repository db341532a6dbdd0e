"""A real SMTP server on loopback for the email tests (aiosmtpd in a thread): what it
received, with the envelope, and optionally STARTTLS, implicit TLS and AUTH. Recipients whose
local part starts with `refused` are refused (550), as an unknown user would be.

`tls_contexts()` makes a throwaway CA and a certificate for 127.0.0.1 and `localhost`: the
server's context, and a client context that trusts only that CA.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests._certs import contexts

USER = "widgetbox"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Received:
    """One email as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.content)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower().startswith("refused"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.arrived:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's controller on a port the system chooses."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False, auth_data=data)  # a refusal answers 535


class SmtpServer:
    """A running SMTP server on 127.0.0.1:`port`; `received` is what it was sent."""

    def __init__(
        self,
        *,
        starttls: ssl.SSLContext | None = None,
        implicit_tls: ssl.SSLContext | None = None,
        auth: bool = False,
    ) -> None:
        self._handler = _Handler()
        kwargs: dict[str, Any] = {}
        if starttls is not None:
            kwargs.update(tls_context=starttls, require_starttls=True)
        if auth:
            kwargs.update(authenticator=_authenticate, auth_require_tls=True)
        self._controller = _Controller(
            self._handler,
            hostname="127.0.0.1",
            port=0,
            ssl_context=implicit_tls,
            server_hostname="smtp.test",
            **kwargs,
        )
        self._controller.start()
        self.port: int = self._controller.port

    @property
    def received(self) -> list[Received]:
        with self._handler.lock:
            return list(self._handler.received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """What it received once it has `count` emails (or after `timeout`)."""
        with self._handler.arrived:
            self._handler.arrived.wait_for(lambda: len(self._handler.received) >= count, timeout)
            return list(self._handler.received)

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.received.clear()

    def stop(self) -> None:
        self._controller.stop()


def tls_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context) for a certificate naming 127.0.0.1 and localhost,
    signed by a throwaway CA that only the client context trusts."""
    return contexts(hosts=("localhost",), addresses=("127.0.0.1",))
