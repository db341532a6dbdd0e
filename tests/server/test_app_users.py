"""A widget's Users service through the whole app, as Anvil's documentation of `anvil.users`
describes it: the owner turns it on (settings saved with the code, the `users` table made),
visitors sign up, log in, stay logged in between calls (their app session on the app's own
origin) or between sessions ("Remember me"), and log out; server code asks who is logged in,
requires a user, forces a login, changes a password; emails confirm addresses and reset
passwords (a real SMTP server on loopback); failed passwords are limited per user and per
address; guest code and browsers can never read, write or search the password hashes; HTTP
endpoints authenticate users with HTTP Basic; the owner manages the users on the Data page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import unescape
from urllib.parse import urlsplit

import pytest

from tests._smtp import SmtpServer
from tests.server._client import Browser, cookie_attributes, set_cookies
from tests.server._users import PASSWORD, Visitor, app_url, basic, fast_hashing, make_app
from tests.server.conftest import Server

pytestmark = pytest.mark.server

SERVER = """\
import anvil.server
import anvil.users
import anvil.tables.query as q
from anvil.tables import app_tables


@anvil.server.callable
def me():
    user = anvil.users.get_user()
    return None if user is None else user["email"]


@anvil.server.callable
def me_now():
    user = anvil.users.get_user(allow_remembered=False)
    return None if user is None else user["email"]


@anvil.server.callable(require_user=True)
def secret():
    return "for " + anvil.users.get_user()["email"]


@anvil.server.callable(require_user=lambda user: user["email"].startswith("admin"))
def admin_only():
    return "admin things"


@anvil.server.callable
def add_user(email, password):
    return anvil.users.signup_with_email(email, password)["email"]


@anvil.server.callable
def log_in_as(email):
    user = app_tables.users.get(email=email)
    return anvil.users.force_login(user)["email"]


@anvil.server.callable
def login(email, password, remember=False):
    return anvil.users.login_with_email(email, password, remember=remember)["email"]


@anvil.server.callable
def change_password(old, new):
    anvil.users.reset_password(old, new)


@anvil.server.callable
def log_out():
    anvil.users.logout()
    return anvil.users.get_user()


@anvil.server.callable
def the_user():
    return anvil.users.get_user()


@anvil.server.callable
def columns():
    user = anvil.users.get_user()
    return {name: (value if name != "remembered_logins" else len(value or []))
            for name, value in dict(user).items() if name not in ("signed_up", "last_login")}


@anvil.server.callable
def write_hash(value):
    anvil.users.get_user()["password_hash"] = value


@anvil.server.callable
def search_hash():
    return len(app_tables.users.search(password_hash=q.like("$argon2%")))


@anvil.server.callable
def order_by_hash():
    import anvil.tables
    return len(app_tables.users.search(anvil.tables.order_by("password_hash")))


@anvil.server.callable
def add_row_with_hash(email):
    app_tables.users.add_row(email=email, enabled=True, password_hash="$argon2id$chosen")


@anvil.server.callable
def forget_failures(email):
    app_tables.users.get(email=email)["n_password_failures"] = 0


@anvil.server.route("/whoami", authenticate_users=True)
def whoami(**params):
    return {"email": anvil.server.request.user["email"],
            "same": anvil.users.get_user() == anvil.server.request.user}


@anvil.server.route("/open")
def open_route(**params):
    user = anvil.users.get_user()
    return {"email": None if user is None else user["email"]}
"""


@pytest.fixture(autouse=True)
def cheap_hashes() -> None:
    fast_hashing()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    found = SmtpServer()
    yield found
    found.stop()


@pytest.fixture
def owner(server: Server) -> Browser:
    return server.user("admin")


@pytest.fixture
def app(owner: Browser) -> str:
    return make_app(owner, "Members", SERVER, users={})


def emailed_link(smtp: SmtpServer, count: int) -> str:
    message = smtp.wait_for(count)[-1].message
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"https?://\S+", text)
    assert found, text
    return found.group(0)


# -- the owner turns it on -------------------------------------------------------------------


def test_turning_the_service_on_saves_its_settings_and_the_users_table(
    server: Server, owner: Browser
) -> None:
    slug = make_app(owner, "Members", SERVER)
    url = f"/api/widgets/{slug}/users/settings"
    off = owner.get(url).json()
    assert off["enabled"] is False
    assert off["settings"] == {
        "allow_signup": True,
        "enable_automatically": True,
        "confirm_email": False,
        "remember_me_days": 30,
        "min_password_length": 8,
    }
    on = owner.put(url, json={"enabled": True, "remember_me_days": 7, "base_version": 2})
    assert on.status_code == 200, on.text
    assert on.json()["enabled"] is True
    assert on.json()["settings"]["remember_me_days"] == 7
    version = owner.get(f"/api/widgets/{slug}/versions/3").json()
    assert version["message"] == "Users service on"
    files = version["files"]
    assert "remember_me_days: 7" in files["services.yaml"]
    tables = owner.get(f"/api/widgets/{slug}/tables").json()["tables"]
    users = next(table for table in tables if table["name"] == "users")
    assert users["client"] == "none"
    assert {column["name"]: column["type"] for column in users["columns"]} == {
        "email": "string",
        "enabled": "bool",
        "signed_up": "datetime",
        "last_login": "datetime",
        "password_hash": "string",
        "n_password_failures": "number",
        "confirmed_email": "bool",
        "remembered_logins": "simpleObject",
    }
    # a stale base version is refused; turning it off keeps the table (and its users)
    stale = owner.put(url, json={"enabled": False, "base_version": 2})
    assert stale.status_code == 409
    assert owner.put(url, json={"enabled": False}).json()["enabled"] is False
    latest = owner.get(f"/api/widgets/{slug}/versions/4").json()
    assert "services.yaml" not in latest["files"]
    assert "users:" in latest["files"]["tables.yaml"]
    # the service off: anvil.users says so
    visitor = Visitor(server, slug)
    kind, message = visitor.refused("login", email="a@example.com", password="x")
    assert kind == "anvil.server.AnvilWrappedError"
    assert "Add the Users service" in message
    assert visitor.ok("config") == {"enabled": False}


# -- signing up, logging in, out -------------------------------------------------------------


def test_sign_up_log_in_and_out_from_the_browser(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    assert visitor.ok("config") == {
        "enabled": True,
        "allow_signup": True,
        "confirm_email": False,
        "remember_me": True,
        "min_password_length": 8,
    }
    assert visitor.ok("get_user") is None
    response = visitor.post(
        "/_/users", {"op": "signup", "email": " Ann@Example.com ", "password": PASSWORD}
    )
    record = response.json()["ok"]
    # the new user's row, its address lower-cased, the hash hidden, with a capability
    assert record["table"] == "users"
    assert record["values"]["email"] == "ann@example.com"
    assert record["values"]["enabled"] is True
    assert record["values"]["password_hash"] == "<hidden>"
    assert record["cap"].startswith("read.")
    # logged in at once: the session cookie is the app's, host-only and HttpOnly
    cookies = set_cookies(response)
    assert set(cookies) == {"wb_session"}
    attributes = cookie_attributes(cookies["wb_session"])
    assert "httponly" in attributes
    assert "domain" not in attributes
    assert "max-age" not in attributes  # it lasts for the browser's session
    assert attributes["samesite"].lower() == "lax"
    assert visitor.ok("get_user")["id"] == record["id"]
    assert visitor.call("me") == "ann@example.com"
    assert visitor.call("secret") == "for ann@example.com"
    # another browser is nobody
    stranger = Visitor(server, app)
    assert stranger.call("me") is None
    # log out, then in again with the wrong password, then the right one
    assert visitor.ok("logout") is None
    assert visitor.call("me") is None
    assert visitor.refused("login", email="ann@example.com", password="wrong password") == (
        "anvil.users.AuthenticationFailed",
        "Incorrect email address or password",
    )
    assert visitor.refused("login", email="nobody@example.com", password=PASSWORD) == (
        "anvil.users.AuthenticationFailed",
        "Incorrect email address or password",
    )
    assert visitor.ok("login", email="ANN@example.com", password=PASSWORD)["id"] == record["id"]
    assert visitor.call("me") == "ann@example.com"
    # the row says so (as Anvil's columns do); the user can read it, not the hash
    found = visitor.call("columns")
    assert found["email"] == "ann@example.com"
    assert found["enabled"] is True
    assert found["n_password_failures"] == 0
    assert found["password_hash"] == "<hidden>"
    assert found["remembered_logins"] == 0


def test_logging_in_gives_the_session_a_new_token(server: Server, app: str) -> None:
    """A session token someone planted in the browser before the log-in (session fixation)
    is not the one that ends up logged in."""
    visitor = Visitor(server, app)
    visitor.ok("signup", email="fix@example.com", password=PASSWORD)
    visitor.ok("logout")
    planted = visitor.cookie("wb_session")
    assert planted is not None
    visitor.ok("login", email="fix@example.com", password=PASSWORD)
    assert visitor.cookie("wb_session") not in (None, planted)
    assert visitor.call("me") == "fix@example.com"
    attacker = Visitor(server, app)
    attacker.client.cookies.set("wb_session", planted, domain=f"{app}.localhost")
    assert attacker.raised("me")[0] == "anvil.server.SessionExpiredError"


def test_signing_up_follows_the_apps_rules(server: Server, owner: Browser) -> None:
    slug = make_app(owner, "Rules", SERVER, users={"min_password_length": 12})
    visitor = Visitor(server, slug)
    assert visitor.refused("signup", email="bo@example.com", password="short one") == (
        "anvil.users.PasswordNotAcceptable",
        "Passwords must be 12 characters or more",
    )
    assert visitor.refused("signup", email="not an address", password=PASSWORD)[0] == (
        "anvil.users.AuthenticationFailed"
    )
    visitor.ok("signup", email="bo@example.com", password=PASSWORD + "!!")
    assert visitor.refused("signup", email="BO@example.com", password=PASSWORD + "!!") == (
        "anvil.users.UserExists",
        "This user already exists",
    )
    # the browser may not sign up when the app does not allow it; server code still may
    url = f"/api/widgets/{slug}/users/settings"
    owner.put(url, json={"enabled": True, "allow_signup": False, "enable_automatically": False})
    assert visitor.refused("signup", email="cy@example.com", password=PASSWORD + "!!") == (
        "anvil.server.AnvilWrappedError",
        "Signups from client code are not enabled.",
    )
    assert visitor.call("add_user", "cy@example.com", PASSWORD + "!!") == "cy@example.com"
    # not enabled automatically: the account cannot log in until the owner enables it
    kind, message = visitor.refused("login", email="cy@example.com", password=PASSWORD + "!!")
    assert (kind, message) == (
        "anvil.users.AccountIsNotEnabled",
        "This account has not been enabled by an administrator",
    )
    listed = owner.get(f"/api/widgets/{slug}/users", params={"q": "cy@"}).json()
    [cy] = listed["users"]
    assert cy["email"] == "cy@example.com"
    assert cy["enabled"] is False
    assert owner.patch(f"/api/widgets/{slug}/users/{cy['id']}", json={"enabled": True}).json()[
        "enabled"
    ]
    visitor.ok("login", email="cy@example.com", password=PASSWORD + "!!")


def test_require_user(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    assert visitor.raised("secret") == (
        "anvil.users.AuthenticationFailed",
        "You must be logged in to call this server function",
    )
    assert visitor.raised("admin_only") == (
        "anvil.users.AuthenticationFailed",
        "You must be logged in to call server function 'admin_only'",
    )
    visitor.ok("signup", email="ann@example.com", password=PASSWORD)
    assert visitor.call("secret") == "for ann@example.com"
    assert visitor.raised("admin_only") == (
        "anvil.server.PermissionDenied",
        "You do not have permission to call server function 'admin_only'",
    )
    admin = Visitor(server, app)
    admin.ok("signup", email="admin@example.com", password=PASSWORD)
    assert admin.call("admin_only") == "admin things"


def test_server_code_logs_users_in(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    assert visitor.call("add_user", "dee@example.com", PASSWORD) == "dee@example.com"
    # signing someone up from server code logs them into this session (enabled at once)
    assert visitor.call("me") == "dee@example.com"
    assert visitor.call("log_out") is None
    assert visitor.call("me") is None
    assert visitor.call("login", "dee@example.com", PASSWORD) == "dee@example.com"
    assert visitor.call("me") == "dee@example.com"
    assert visitor.call("log_out") is None
    # force_login: server code only, a row of the users table
    assert visitor.call("log_in_as", "dee@example.com") == "dee@example.com"
    assert visitor.call("me") == "dee@example.com"
    row = visitor.call("the_user")
    kind, _ = visitor.refused("force_login", id=row["v"]["id"])
    assert kind == "anvil.server.PermissionDenied"
    # the user's row reaches the browser as a row it may read (not its password hash)
    assert row["$wb"] == "row"
    assert row["v"]["values"]["password_hash"] == "<hidden>"


def test_changing_a_password_logs_out_other_sessions(server: Server, app: str) -> None:
    here, there = Visitor(server, app), Visitor(server, app)
    here.ok("signup", email="eve@example.com", password=PASSWORD)
    there.ok("login", email="eve@example.com", password=PASSWORD)
    assert here.refused("reset_password", old="wrong", new="another long password") == (
        "anvil.users.AuthenticationFailed",
        "Incorrect password",
    )
    assert here.refused("reset_password", old=PASSWORD, new="short")[0] == (
        "anvil.users.PasswordNotAcceptable"
    )
    assert here.call("change_password", PASSWORD, "another long password") is None
    assert here.call("me") == "eve@example.com"
    assert there.call("me") is None
    there.ok("login", email="eve@example.com", password="another long password")
    assert there.refused("login", email="eve@example.com", password=PASSWORD)[0] == (
        "anvil.users.AuthenticationFailed"
    )


# -- failures are limited --------------------------------------------------------------------


def test_wrong_passwords_lock_an_account_until_it_is_reset(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    visitor.ok("signup", email="fay@example.com", password=PASSWORD)
    visitor.ok("logout")
    attacker = Visitor(server, app)
    kinds = [
        attacker.refused("login", email="fay@example.com", password=f"guess {n}")[0]
        for n in range(10)
    ]
    assert kinds == ["anvil.users.AuthenticationFailed"] * 9 + [
        "anvil.users.TooManyPasswordFailures"
    ]
    # now even the right password is refused, with Anvil's message
    assert visitor.refused("login", email="fay@example.com", password=PASSWORD) == (
        "anvil.users.TooManyPasswordFailures",
        "You have entered an incorrect password too many times. Please reset your password "
        "by email.",
    )


def test_wrong_passwords_are_limited_per_address(server: Server, owner: Browser) -> None:
    slug = make_app(owner, "Limited", SERVER, users={})
    visitor = Visitor(server, slug)
    for n in range(20):
        visitor.call("add_user", f"user{n}@example.com", PASSWORD)
    visitor.call("log_out")
    attacker = Visitor(server, slug)
    for n in range(20):  # one guess per account: no account is locked
        attacker.refused("login", email=f"user{n}@example.com", password="guess")
    kind, message = attacker.refused("login", email="user0@example.com", password=PASSWORD)
    assert kind == "anvil.users.TooManyPasswordFailures"
    assert "too many failed log-ins from this address" in message
    # server code cannot lift it by resetting the account's count
    visitor.call("forget_failures", "user0@example.com")
    kind, _ = attacker.refused("login", email="user0@example.com", password=PASSWORD)
    assert kind == "anvil.users.TooManyPasswordFailures"


# -- the password hash is the host's ---------------------------------------------------------


def test_code_can_neither_read_nor_write_nor_search_the_hashes(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    visitor.ok("signup", email="gil@example.com", password=PASSWORD)
    refused = "anvil.server.PermissionDenied"
    assert visitor.raised("write_hash", "$argon2id$chosen")[0] == refused
    assert visitor.raised("search_hash")[0] == refused
    assert visitor.raised("order_by_hash")[0] == refused
    kind, message = visitor.raised("add_row_with_hash", "mal@example.com")
    assert kind == refused
    assert "password_hash" in message
    # the browser reads the row server code handed it, without its hash
    row = visitor.call("the_user")["v"]
    read = visitor.post("/_/tables", {"op": "row", "id": row["id"], "cap": row["cap"]}).json()
    assert read["ok"]["values"]["password_hash"] == "<hidden>"
    # and the password still works: nothing was overwritten
    visitor.ok("logout")
    visitor.ok("login", email="gil@example.com", password=PASSWORD)


# -- remembered logins -----------------------------------------------------------------------


def test_remember_me_keeps_a_browser_logged_in(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    visitor.ok("signup", email="hal@example.com", password=PASSWORD)
    response = visitor.post(
        "/_/users",
        {"op": "login", "email": "hal@example.com", "password": PASSWORD, "remember": True},
    )
    remember = cookie_attributes(set_cookies(response)["wb_remember"])
    assert remember["max-age"] == str(30 * 86400)
    assert "httponly" in remember
    assert visitor.call("columns")["remembered_logins"] == 1
    # the browser is closed: its session cookie is gone, the "Remember me" cookie is not
    visitor.forget_cookie("wb_session")
    assert visitor.call("me") == "hal@example.com"
    assert visitor.call("me_now") is None  # get_user(allow_remembered=False)
    assert visitor.call("secret") == "for hal@example.com"
    # a forged cookie for another row is refused
    forged = visitor.cookie("wb_remember")
    assert forged is not None
    other = Visitor(server, app)
    other.client.cookies.set("wb_remember", forged.replace(".", "x."), domain=f"{app}.localhost")
    assert other.call("me") is None
    # logging out forgets it too
    visitor.ok("logout")
    assert visitor.call("me") is None
    visitor.forget_cookie("wb_session")
    assert visitor.call("me") is None


# -- emails ----------------------------------------------------------------------------------


def email_server(make_server: Callable[..., Server], smtp: SmtpServer) -> Server:
    return make_server(
        email_host="127.0.0.1",
        email_port=smtp.port,
        email_security="none",
        email_from="Apps <apps@mail.example.com>",
    )


def test_email_confirmation(make_server: Callable[..., Server], smtp: SmtpServer) -> None:
    server = email_server(make_server, smtp)
    owner = server.user("admin")
    slug = make_app(owner, "Confirmed", SERVER, users={"confirm_email": True})
    visitor = Visitor(server, slug)
    assert visitor.ok("config")["remember_me"] is True
    record = visitor.ok("signup", email="ivy@example.com", password=PASSWORD)
    assert record["values"]["confirmed_email"] is False
    assert visitor.call("me") is None  # not logged in until confirmed
    [received] = smtp.wait_for(1)
    message = received.message
    assert received.rcpt_tos == ["ivy@example.com"]
    assert message["From"] == "Confirmed Accounts <accounts@mail.example.com>"
    assert message["Subject"] == "Confirm your email address"
    link = emailed_link(smtp, 1)
    assert link.startswith(app_url(server, slug, "/_/email-confirm?t="))
    assert visitor.refused("login", email="ivy@example.com", password=PASSWORD)[0] == (
        "anvil.users.EmailNotConfirmed"
    )
    page = visitor.client.get(link)
    assert page.status_code == 200
    assert "Email address confirmed" in page.text
    visitor.ok("login", email="ivy@example.com", password=PASSWORD)
    # a made-up link confirms nothing
    page = visitor.client.get(app_url(server, slug, "/_/email-confirm?t=made.up"))
    assert "expired" in page.text


def test_confirmation_needs_email_configured(server: Server, owner: Browser) -> None:
    slug = make_app(owner, "No email", SERVER, users={"confirm_email": True})
    kind, message = Visitor(server, slug).refused(
        "signup", email="jo@example.com", password=PASSWORD
    )
    assert kind == "anvil.server.AnvilWrappedError"
    assert "email is not configured on this server" in message


def test_password_reset_by_email(make_server: Callable[..., Server], smtp: SmtpServer) -> None:
    server = email_server(make_server, smtp)
    owner = server.user("admin")
    slug = make_app(owner, "Forgetful", SERVER, users={})
    visitor = Visitor(server, slug)
    visitor.ok("signup", email="kim@example.com", password=PASSWORD)
    visitor.ok("logout")
    assert visitor.refused("send_reset", email="nobody@example.com") == (
        "anvil.users.AuthenticationFailed",
        "This username does not exist or is disabled.",
    )
    assert visitor.ok("send_reset", email="kim@example.com") is None
    message = smtp.wait_for(1)[0].message
    assert message["Subject"] == "Reset your password"
    link = emailed_link(smtp, 1)
    assert urlsplit(link).path == "/_/reset-password"
    form = visitor.client.get(link)
    assert 'name="password"' in form.text
    token = unescape(re.search(r'name="t" value="([^"]+)"', form.text).group(1))  # type: ignore[union-attr]
    origin = {"origin": visitor.origin}
    fields = {"t": token, "password": "new long password", "again": "different"}
    mismatch = visitor.client.post(link, data=fields, headers=origin)
    assert "The passwords do not match." in mismatch.text
    fields["again"] = fields["password"]
    done = visitor.client.post(link, data=fields, headers=origin)
    assert "Your password has been changed" in done.text
    assert visitor.refused("login", email="kim@example.com", password=PASSWORD)[0] == (
        "anvil.users.AuthenticationFailed"
    )
    visitor.ok("login", email="kim@example.com", password="new long password")
    # the link worked once
    again = visitor.client.post(link, data=fields, headers=origin)
    assert "expired" in again.text


# -- HTTP endpoints --------------------------------------------------------------------------


def test_endpoints_authenticate_users(server: Server, app: str) -> None:
    visitor = Visitor(server, app)
    visitor.ok("signup", email="lee@example.com", password=PASSWORD)
    api = app_url(server, app, "/_/api")
    stranger = server.browser().client
    refused = stranger.get(f"{api}/whoami")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic realm=")
    wrong = stranger.get(f"{api}/whoami", headers=basic("lee@example.com", "nope"))
    assert wrong.status_code == 401
    ok = stranger.get(f"{api}/whoami", headers=basic("lee@example.com", PASSWORD))
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"email": "lee@example.com", "same": True}
    # the app's own browser is logged in already: its session counts on its origin
    assert visitor.client.get(f"{api}/whoami").json()["email"] == "lee@example.com"
    assert visitor.client.get(f"{api}/open").json() == {"email": "lee@example.com"}


def test_an_http_api_authenticates_its_users(server: Server, owner: Browser) -> None:
    slug = owner.create_widget("http", "Members API", visibility="public")["slug"]
    code = SERVER
    assert owner.save(slug, {"main.py": code}, 1).status_code == 201
    owner.put(f"/api/widgets/{slug}/users/settings", json={"enabled": True})
    client = server.browser().client
    assert client.get(f"/w/{slug}/whoami").status_code == 401
    # no browser session here: users are added by server code (a route would), then checked
    app_user = _add_user_through_a_route(server, owner, slug)
    ok = client.get(f"/w/{slug}/whoami", headers=basic(app_user, PASSWORD))
    assert ok.status_code == 200, ok.text
    assert ok.json()["email"] == app_user


def _add_user_through_a_route(server: Server, owner: Browser, slug: str) -> str:
    code = (
        SERVER
        + "\n\n@anvil.server.route('/join', methods=['POST'])\n"
        + "def join(**params):\n"
        + "    body = anvil.server.request.body_json\n"
        + "    return anvil.users.signup_with_email(body['email'], body['password'])['email']\n"
    )
    version = owner.widget(slug)["head_version"]
    files = owner.get(f"/api/widgets/{slug}/versions/{version}").json()["files"]
    assert owner.save(slug, {**files, "main.py": code}, version).status_code == 201
    joined = server.browser().client.post(
        f"/w/{slug}/join", json={"email": "mo@example.com", "password": PASSWORD}
    )
    assert joined.status_code == 200, joined.text
    email: str = joined.text  # a str is text/plain
    return email


# -- the owner's Data page -------------------------------------------------------------------


def test_the_owner_manages_users(server: Server, owner: Browser, app: str) -> None:
    visitors = {}
    for name in ("nia", "oz", "pat"):
        visitors[name] = Visitor(server, app)
        visitors[name].ok("signup", email=f"{name}@example.com", password=PASSWORD)
    url = f"/api/widgets/{app}/users"
    listed = owner.get(url).json()
    assert listed["enabled"] is True
    assert [user["email"] for user in listed["users"]] == [
        "nia@example.com",
        "oz@example.com",
        "pat@example.com",
    ]
    assert listed["total"] == 3
    assert all(user["last_login"] for user in listed["users"])
    [oz] = owner.get(url, params={"q": "OZ"}).json()["users"]
    # disabling logs them out at once, and keeps them out
    disabled = owner.patch(f"{url}/{oz['id']}", json={"enabled": False}).json()
    assert disabled["enabled"] is False
    assert visitors["oz"].call("me") is None
    assert visitors["oz"].refused("login", email="oz@example.com", password=PASSWORD)[0] == (
        "anvil.users.AccountIsNotEnabled"
    )
    assert owner.patch(f"{url}/{oz['id']}", json={"confirmed_email": True}).json()[
        "confirmed_email"
    ]
    # removing a user deletes the row and ends their sessions
    [pat] = owner.get(url, params={"q": "pat"}).json()["users"]
    assert owner.delete(f"{url}/{pat['id']}").status_code == 204
    assert visitors["pat"].call("me") is None
    assert owner.delete(f"{url}/{pat['id']}").status_code == 404
    assert owner.get(url).json()["total"] == 2


def test_others_cannot_manage_an_apps_users(server: Server, owner: Browser, app: str) -> None:
    Visitor(server, app).ok("signup", email="quin@example.com", password=PASSWORD)
    mallory = server.user("mallory")
    url = f"/api/widgets/{app}/users"
    assert mallory.get(url).status_code == 403
    assert mallory.put(f"{url}/settings", json={"enabled": False}).status_code == 403
    [quin] = owner.get(url).json()["users"]
    assert mallory.patch(f"{url}/{quin['id']}", json={"enabled": False}).status_code == 403
    assert owner.get(url).json()["users"][0]["enabled"] is True
