"""Email through the whole app: the `[email]` settings reach the `email.send` handler that
`Services` registers, a script widget's run sends through a real SMTP server on loopback
(`tests/_smtp.py`), and the send is counted in the main database; without settings the run
fails with `anvil.email.SendFailure` saying email is not configured."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests._smtp import SmtpServer
from tests.server._client import Browser
from tests.server._data import widget_id
from tests.server._runs import wait_for_run
from tests.server.conftest import Server
from widgetbox.host import email
from widgetbox.host.storage.times import now

pytestmark = pytest.mark.server

SOURCE = """
import anvil.email
report = anvil.email.send(
    to="Joe <joe@example.org>",
    bcc=["audit@example.org"],
    from_address="reports",
    subject="Daily report",
    text="All is well.",
)
print("sent", report.message_id)
"""


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


def start_run(browser: Browser, slug: str, source: str) -> dict[str, object]:
    assert browser.save(slug, {"main.py": source}, 1).status_code == 201
    started = browser.post(f"/api/widgets/{slug}/runs")
    assert started.status_code == 202, started.text
    return wait_for_run(browser, started.json()["id"], deadline=120)


def test_a_script_sends_through_the_configured_server(
    make_server: Callable[..., Server], smtp: SmtpServer
) -> None:
    server = make_server(
        email_host="127.0.0.1",
        email_port=smtp.port,
        email_security="none",
        email_from="Widgets <widgets@mail.example.com>",
        email_per_widget_per_day=1,
    )
    server.user("admin")
    alice = server.user("alice")
    slug = alice.create_widget("script", "Reporter")["slug"]
    run = start_run(alice, slug, SOURCE)
    assert run["status"] == "ok", run
    [received] = smtp.wait_for(1)
    assert received.mail_from == "widgets@mail.example.com"
    assert received.rcpt_tos == ["joe@example.org", "audit@example.org"]
    assert received.message["From"] == "reports@mail.example.com"
    assert received.message["Subject"] == "Daily report"
    assert f"sent {received.message['Message-ID']}" in str(run["stdout"])
    widget = server.db.read_now(widget_id, slug)
    assert server.db.read_now(email.sent_on, widget, email.day_of(now())) == 1

    # the day's one email is spent: the next run's send is refused, and nothing is sent
    again = wait_for_run(alice, alice.post(f"/api/widgets/{slug}/runs").json()["id"], 120)
    assert again["status"] == "error", again
    error = again["error"]
    assert isinstance(error, dict)
    assert error["type"] == "SendFailure"
    assert "this widget has sent its 1 emails for today" in error["message"]
    assert len(smtp.received) == 1


def test_without_settings_a_send_says_email_is_not_configured(
    server: Server, alice: Browser
) -> None:
    slug = alice.create_widget("script", "Hopeful")["slug"]
    run = start_run(alice, slug, SOURCE)
    assert run["status"] == "error", run
    error = run["error"]
    assert isinstance(error, dict)
    assert error["type"] == "SendFailure"
    assert error["message"] == email.NOT_CONFIGURED
