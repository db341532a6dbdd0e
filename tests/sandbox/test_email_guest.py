"""`anvil.email.send` end to end: widget code in the sandbox sends, the host's `email.send`
handler checks, counts and sends through a real SMTP server on loopback (aiosmtpd,
`tests/_smtp.py`), and the test reads what that server received: envelope, headers, bodies,
attachments. Refusals (not configured, the daily cap, header injection, a refused recipient,
a server that is down, silent, or whose certificate does not verify) reach the widget as
`anvil.email.SendFailure`.

The session's runtime gets the handler for each test, with the settings the test needs.
"""

from __future__ import annotations

import json
import socket
import ssl
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from tests._smtp import PASSWORD, USER, SmtpServer, tls_contexts
from widgetbox.host import email
from widgetbox.host.config import load
from widgetbox.host.email import EmailHandler
from widgetbox.host.storage.database import Database
from widgetbox.host.storage.times import iso, now
from widgetbox.runtime import Code, Limits, RunResult, Runtime, Script, Status

pytestmark = pytest.mark.sandbox

SENDER = "Widgetbox <noreply@mail.example.com>"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = Database(tmp_path_factory.mktemp("email") / "widgetbox.db")
    yield db
    db.close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh(smtp: SmtpServer) -> None:
    smtp.clear()


@pytest.fixture
def widget(database: Database) -> int:
    def add(db: Any) -> int:
        stamp = iso(now())
        tag = uuid.uuid4().hex[:12]
        owner = db.table("users").insert(
            {"username": f"u{tag}", "password_hash": "-", "created_at": stamp}
        )
        row = db.table("widgets").insert(
            {
                "owner_id": owner.last_pk,
                "kind": "script",
                "title": "Mailer",
                "slug": f"w-{tag}",
                "visibility": "private",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        return int(row.last_pk)

    return database.write_now(add)


Mailer = Callable[..., EmailHandler]


@pytest.fixture
def mailer(runtime: Runtime, database: Database, smtp: SmtpServer) -> Mailer:
    """`mailer(**settings)`: the handler on the session's bridge with these `[email]`
    settings (by default the plain local server, no TLS)."""

    def register(ssl_context: ssl.SSLContext | None = None, **settings: Any) -> EmailHandler:
        chosen = {
            "email_host": "127.0.0.1",
            "email_port": smtp.port,
            "email_security": "none",
            "email_from": SENDER,
            **settings,
        }
        config = load(environ={}, overrides=chosen)
        return email.register(runtime.bridge, database, config.email, ssl_context=ssl_context)

    return register


def run(runtime: Runtime, source: str, widget: int | None, **limits: Any) -> RunResult:
    return runtime.run(
        Script(Code.single(textwrap.dedent(source))),
        limits=Limits.script().with_(timeout=30, **limits),
        context=None if widget is None else {"widget_id": widget},
    )


ATTEMPT = """
import json
import anvil
import anvil.email
import anvil.server

def attempt(**kwargs):
    try:
        report = anvil.email.send(**kwargs)
        print(json.dumps({"sent": report.message_id}))
    except anvil.email.SendFailure as e:
        print(json.dumps({"failed": str(e),
                          "wrapped": isinstance(e, anvil.server.AnvilWrappedError)}))
"""


def attempts(runtime: Runtime, widget: int | None, body: str, **limits: Any) -> list[Any]:
    result = run(runtime, ATTEMPT + textwrap.dedent(body), widget, **limits)
    assert result.status is Status.OK, (result.message, result.stderr, result.stdout)
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_an_email_arrives_whole(
    runtime: Runtime, mailer: Mailer, smtp: SmtpServer, widget: int, database: Database
) -> None:
    mailer()
    result = run(
        runtime,
        """
        import anvil, anvil.email
        report = anvil.email.send(
            to="Joe Bloggs <joe@example.org>",
            cc=["ann@example.org"],
            bcc="hidden@example.org",
            from_address="support",
            from_name="Support Désk",
            subject="Your report ✓",
            text="Hello Joe,\\nyour report is attached.",
            html="<p>Hello Joe, <img src='cid:logo'></p>",
            attachments=[anvil.BlobMedia("application/pdf", b"%PDF-1.4 fake", name="report.pdf")],
            inline_attachments={"logo": anvil.BlobMedia("image/png", b"\\x89PNG", name="logo.png")},
        )
        print(report.message_id)
        """,
        widget,
    )
    assert result.status is Status.OK, (result.message, result.stderr)
    [received] = smtp.wait_for(1)
    assert received.mail_from == "noreply@mail.example.com"
    assert received.rcpt_tos == ["joe@example.org", "ann@example.org", "hidden@example.org"]
    message = received.message
    assert message["Message-ID"] == result.stdout.strip()
    assert message["From"] == "Support Désk <support@mail.example.com>"
    assert message["To"] == "Joe Bloggs <joe@example.org>"
    assert message["Cc"] == "ann@example.org"
    assert message["Bcc"] is None
    assert b"hidden@example.org" not in received.content
    assert message["Subject"] == "Your report ✓"
    plain, html = body(message, "plain"), body(message, "html")
    assert (
        plain.get_content().replace("\r\n", "\n").rstrip() == "Hello Joe,\nyour report is attached."
    )
    assert html.get_content().strip() == "<p>Hello Joe, <img src='cid:logo'></p>"
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "report.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 fake"
    logo = next(part for part in message.walk() if part["Content-ID"] == "<logo>")
    assert logo.get_content() == b"\x89PNG"
    assert logo.get_filename() == "logo.png"
    assert database.read_now(email.sent_on, widget, email.day_of(now())) == 1


def body(message: EmailMessage, kind: str) -> EmailMessage:
    part = message.get_body((kind,))
    assert isinstance(part, EmailMessage), kind
    return part


def test_the_daily_cap_is_per_widget(
    runtime: Runtime, mailer: Mailer, smtp: SmtpServer, widget: int, database: Database
) -> None:
    mailer(email_per_widget_per_day=2)
    answers = attempts(
        runtime,
        widget,
        """
        for n in range(3):
            attempt(to="joe@example.org", subject=f"number {n}", text="hi")
        """,
    )
    assert [list(answer) for answer in answers] == [["sent"], ["sent"], ["failed", "wrapped"]]
    assert answers[2]["failed"] == (
        "The email was not sent: this widget has sent its 2 emails for today, the most this "
        "server allows a widget in a day (UTC)."
    )
    assert answers[2]["wrapped"] is True
    assert [r.message["Subject"] for r in smtp.wait_for(2)] == ["number 0", "number 1"]
    assert database.read_now(email.sent_on, widget, email.day_of(now())) == 2
    other = add_other_widget(database, widget)
    assert "sent" in attempts(runtime, other, 'attempt(to="joe@example.org")')[0]


def add_other_widget(database: Database, like: int) -> int:
    def add(db: Any) -> int:
        row = db.execute("SELECT * FROM widgets WHERE id = ?", [like]).fetchone()
        columns = [c[0] for c in db.execute("SELECT * FROM widgets").description]
        values = dict(zip(columns, row, strict=True))
        values.pop("id")
        values["slug"] = f"w-{uuid.uuid4().hex[:12]}"
        return int(db.table("widgets").insert(values).last_pk)

    return database.write_now(add)


def test_without_settings_email_is_not_configured(
    runtime: Runtime, mailer: Mailer, smtp: SmtpServer, widget: int
) -> None:
    mailer(email_host=None, email_from=None, email_port=0)
    result = run(
        runtime,
        """
        import anvil.email
        anvil.email.send(to="joe@example.org", text="hi")
        """,
        widget,
    )
    assert result.status is Status.ERROR
    assert result.error is not None
    assert result.error.type == "SendFailure"
    assert result.error.message == email.NOT_CONFIGURED
    assert "Email is not configured on this server" in result.error.message
    assert smtp.received == []


def test_header_injection_is_refused_and_nothing_is_sent(
    runtime: Runtime, mailer: Mailer, smtp: SmtpServer, widget: int, database: Database
) -> None:
    mailer()
    answers = attempts(
        runtime,
        widget,
        """
        bad = "x\\r\\nBcc: victim@example.org"
        attempt(to="joe@example.org", subject="Hi" + bad)
        attempt(to="joe@example.org", from_name="Joe" + bad)
        attempt(to="joe@example.org" + bad)
        attempt(to=["Joe" + bad + " <joe@example.org>"])
        attempt(to="joe@example.org", from_address="support" + bad)
        media = anvil.BlobMedia("text/plain", b"x", name="a" + bad)
        attempt(to="joe@example.org", attachments=[media])
        attempt(to="joe@example.org", attachments=[anvil.BlobMedia("text/plain" + bad, b"x")])
        media = anvil.BlobMedia("image/png", b"x")
        attempt(to="joe@example.org", inline_attachments={"id" + bad: media})
        """,
    )
    assert len(answers) == 8
    assert all("failed" in answer for answer in answers), answers
    assert "the subject may not contain line breaks" in answers[0]["failed"]
    assert "Invalid 'from' address" in answers[1]["failed"]
    assert "Not a valid sequence of addresses" in answers[2]["failed"]
    assert "Invalid email address" in answers[3]["failed"]
    assert "victim" not in json.dumps([a["failed"] for a in answers[5:]])
    assert smtp.received == []
    assert database.read_now(email.sent_on, widget, email.day_of(now())) == 0


def test_a_refused_recipient_sends_nothing(
    runtime: Runtime, mailer: Mailer, smtp: SmtpServer, widget: int, database: Database
) -> None:
    mailer()
    [answer] = attempts(
        runtime, widget, 'attempt(to=["ok@example.org", "refused@example.org"], text="hi")'
    )
    assert answer["failed"] == (
        "The email was not sent: the mail server refused the recipient refused@example.org "
        "(550 5.1.1 No such user here)."
    )
    assert smtp.received == []
    assert database.read_now(email.sent_on, widget, email.day_of(now())) == 0  # given back
    assert "sent" in attempts(runtime, widget, 'attempt(to="ok@example.org")')[0]


def test_a_mail_server_that_is_down_or_silent(
    runtime: Runtime, mailer: Mailer, widget: int, database: Database
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    mailer(email_port=port)
    [down] = attempts(runtime, widget, 'attempt(to="joe@example.org")')
    assert down["failed"] == (
        "The email was not sent: this server's mail server could not be reached; its "
        "administrator has to check the [email] settings."
    )
    with silent_server() as silent_port:
        mailer(email_port=silent_port)
        [silent] = attempts(runtime, widget, 'attempt(to="joe@example.org")', host_call_timeout=1.0)
    assert silent["failed"] == (
        "The email was not sent: this server's mail server did not answer in time."
    )
    assert database.read_now(email.sent_on, widget, email.day_of(now())) == 0


class silent_server:  # a context manager, named like one made by a function
    """A TCP server on loopback that accepts connections and never says anything."""

    def __enter__(self) -> int:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        return int(self.sock.getsockname()[1])

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture(scope="module")
def certificates() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    return tls_contexts()


def test_starttls_with_a_log_in(
    runtime: Runtime,
    mailer: Mailer,
    widget: int,
    certificates: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, client_context = certificates
    server = SmtpServer(starttls=server_context, auth=True)
    try:
        settings = {
            "email_port": server.port,
            "email_security": "starttls",
            "email_user": USER,
            "email_password": PASSWORD,
        }
        mailer(ssl_context=client_context, **settings)
        assert "sent" in attempts(runtime, widget, 'attempt(to="joe@example.org", text="tls")')[0]
        [received] = server.wait_for(1)
        assert received.message.get_content().strip() == "tls"

        mailer(ssl_context=client_context, **{**settings, "email_password": "wrong"})
        [refused] = attempts(runtime, widget, 'attempt(to="joe@example.org")')
        assert refused["failed"] == (
            "The email was not sent: this server's mail server refused its log-in; its "
            "administrator has to check the [email] settings."
        )
        # a certificate this server does not trust: nothing is sent, not even the password
        mailer(**settings)
        [untrusted] = attempts(runtime, widget, 'attempt(to="joe@example.org")')
        assert (
            "TLS certificate of this server's mail server could not be verified"
            in (untrusted["failed"])
        )
        assert len(server.received) == 1
    finally:
        server.stop()


def test_starttls_is_required_when_chosen(
    runtime: Runtime, mailer: Mailer, smtp: SmtpServer, widget: int
) -> None:
    mailer(email_security="starttls")  # the plain server offers no STARTTLS
    [answer] = attempts(runtime, widget, 'attempt(to="joe@example.org")')
    assert "does not offer STARTTLS" in answer["failed"]
    assert smtp.received == []


def test_tls_from_the_start(
    runtime: Runtime,
    mailer: Mailer,
    widget: int,
    certificates: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, client_context = certificates
    server = SmtpServer(implicit_tls=server_context)
    try:
        mailer(ssl_context=client_context, email_port=server.port, email_security="tls")
        answers = attempts(runtime, widget, 'attempt(to="joe@example.org", subject="implicit")')
        assert "sent" in answers[0], answers
        assert server.wait_for(1)[0].message["Subject"] == "implicit"
    finally:
        server.stop()


def test_a_run_without_a_widget_sends_nothing(
    runtime: Runtime, mailer: Mailer, smtp: SmtpServer
) -> None:
    mailer()
    [answer] = attempts(runtime, None, 'attempt(to="joe@example.org")')
    assert answer["failed"] == "Email is sent by widgets, and this run has none."
    assert smtp.received == []


def test_an_email_too_large_for_the_bridge_says_so(
    runtime: Runtime, mailer: Mailer, smtp: SmtpServer, widget: int
) -> None:
    mailer()
    answers = attempts(
        runtime,
        widget,
        """
        big = anvil.BlobMedia("application/octet-stream", bytes(800_000), name="big.bin")
        attempt(to="joe@example.org", attachments=[big])
        fits = anvil.BlobMedia("application/octet-stream", bytes(600_000), name="fits.bin")
        attempt(to="joe@example.org", attachments=[fits])
        """,
    )
    assert answers[0]["failed"].startswith(
        "This email and its attachments are too large to send: a request may be at most"
    )
    assert "sent" in answers[1]
    [received] = smtp.wait_for(1)
    [attachment] = received.message.iter_attachments()
    assert attachment.get_content() == bytes(600_000)
