"""Anvil's `anvil.yaml`: read as Anvil's editor writes it, and written back the same way.

    allow_embedding: false
    db_schema: {...}                    -> the widget's tables.yaml
    dependencies: [...]                 reported (Widgetbox has no app dependencies)
    name: My App                        -> the widget's title
    package_name: MyApp                 -> app.json
    runtime_options: {server_persist: true}  -> the widget's Keep the server running
    scheduled_tasks: [...]              -> a scheduled widget's schedule, or reported
    services:
    - source: /runtime/services/tables.yml      auto_create_missing_columns -> tables.yaml
    - source: /runtime/services/anvil/users.yml -> services.yaml (`users:`)
    - source: /runtime/services/anvil/email.yml (sent through the [email] settings)
    - source: /runtime/services/google.yml      reported (not available)
    startup: {module: Form1, type: form}        -> app.json (startup_form or startup_module)
    startup_form: null                          (older apps: startup_form: Form1)

Everything else (`metadata`, `runtime_options`, `allow_embedding`, the services' other
options...) is kept in the widget's own `anvil.yaml`, without the Data Tables schema (its one
home is `tables.yaml`) and without `secrets:` (values Anvil encrypted with its own keys).
Widgetbox does not read that file: export writes it back with the widget's settings put in
(anvil_export.py), so what the widget changed wins and the rest comes back as it was.

The text is written as Anvil's editor writes it (keys sorted, innermost maps and lists on one
line): an app Anvil wrote round-trips byte for byte.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from widgetbox.host.app_users.settings import MAX_REMEMBER_DAYS, UsersSettings
from widgetbox.host.gui import form_templates

ANVIL_FILE = "anvil.yaml"
MAX_BYTES = 1_000_000
DEPTH = 16
KEPT_HEADER = (
    "# Kept from the Anvil app for `widgetbox export`; Widgetbox does not read this file.\n"
    "# Its settings live in app.json (startup form, package), tables.yaml (Data Tables),\n"
    "# services.yaml (Users), the widget's title and its schedule, and win over these.\n"
)
NOT_KEPT = ("secrets",)
"""Keys never kept in the widget's `anvil.yaml`: Anvil's secrets, encrypted with keys only
Anvil has. (`db_schema` is not kept once it is the widget's `tables.yaml`.)"""

SERVICES = {
    "tables": "Data Tables",
    "users": "Users",
    "email": "Email",
    "secrets": "App Secrets",
    "google": "Google",
    "facebook": "Facebook",
    "microsoft": "Microsoft",
    "stripe": "Stripe",
    "saml": "SAML",
}
"""Anvil's services by the name of their file (`/runtime/services/anvil/users.yml`)."""
UNAVAILABLE = frozenset({"google", "facebook", "microsoft", "stripe", "saml"})
"""Their `anvil.*` modules import in Widgetbox, and using them raises ServiceNotAvailable."""
TABLES_SOURCE = "/runtime/services/tables.yml"
USERS_SOURCE = "/runtime/services/anvil/users.yml"
AUTO_CREATE = "auto_create_missing_columns"
AUTO_CREATE_DEFAULT = False
"""What Anvil does when the tables service does not say."""

USERS_UNAVAILABLE = {
    "use_google": "signing in with Google",
    "use_facebook": "signing in with Facebook",
    "use_microsoft": "signing in with Microsoft",
    "use_saml": "signing in with SAML",
    "use_token": "signing in with an emailed link",
    "require_mfa": "two-factor authentication",
}


class AnvilYamlError(ValueError):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(problem)
        self.where = where
        self.problem = problem


def load(text: str) -> dict[str, Any]:
    """The data of `anvil.yaml`; AnvilYamlError when it is not a map Widgetbox can read."""
    try:
        data = form_templates.load(ANVIL_FILE, text, MAX_BYTES, DEPTH)
    except form_templates.TemplateError as e:
        raise AnvilYamlError(e.where, e.problem) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnvilYamlError("", "expected a map of settings (name, services, startup...)")
    return data


def dump(data: dict[str, Any]) -> str:
    """`anvil.yaml` text as Anvil's editor writes it."""
    return yaml.safe_dump(data, default_flow_style=None, sort_keys=True, allow_unicode=True)


def kept_text(data: dict[str, Any]) -> str:
    """The widget's own `anvil.yaml`: `data` without what is never kept."""
    kept = {key: value for key, value in data.items() if key not in NOT_KEPT}
    return KEPT_HEADER + dump(kept)


def service_name(entry: Any) -> str:
    """A service entry's name (`users` for `/runtime/services/anvil/users.yml`), or ""."""
    if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
        return ""
    name: str = entry["source"].rsplit("/", 1)[-1]
    return name.removesuffix(".yml").removesuffix(".yaml")


def config(entry: dict[str, Any], key: str) -> dict[str, Any]:
    value = entry.get(key)
    return value if isinstance(value, dict) else {}


# -- startup -------------------------------------------------------------------------------


def startup(data: dict[str, Any]) -> tuple[str, str] | None:
    """("form" or "module", dotted name) from `startup` or the older `startup_form`."""
    found = data.get("startup")
    if isinstance(found, dict) and isinstance(found.get("module"), str):
        kind = found.get("type", "form")
        return ("module" if kind == "module" else "form", found["module"])
    if isinstance(data.get("startup_form"), str):
        return ("form", data["startup_form"])
    return None


# -- Data Tables ---------------------------------------------------------------------------


def auto_create(entry: dict[str, Any] | None) -> bool:
    """Whether the tables service creates missing columns (Anvil's default: no)."""
    if entry is None:
        return AUTO_CREATE_DEFAULT
    return bool(config(entry, "server_config").get(AUTO_CREATE, AUTO_CREATE_DEFAULT))


def tables_entry(entry: dict[str, Any] | None, auto: bool) -> dict[str, Any]:
    """The tables service's entry saying `auto`, changed only where it must be."""
    if entry is not None and auto_create(entry) == auto:
        return entry
    found = (
        copy.deepcopy(entry)
        if entry is not None
        else {"client_config": {}, "source": TABLES_SOURCE}
    )
    found["server_config"] = {**config(found, "server_config"), AUTO_CREATE: auto}
    return found


# -- the Users service ---------------------------------------------------------------------


def users_settings(entry: dict[str, Any]) -> tuple[UsersSettings, list[tuple[str, str]]]:
    """The Users service's settings from its entry, and (place, message) for what does not
    carry over."""
    client = config(entry, "client_config")
    server = config(entry, "server_config")
    notes: list[tuple[str, str]] = []
    defaults = UsersSettings()
    values: dict[str, Any] = {}
    for key in ("allow_signup", "enable_automatically", "confirm_email"):
        value = client.get(key, getattr(defaults, key))
        if isinstance(value, bool):
            values[key] = value
        else:
            notes.append((f"client_config.{key}", "not true or false: the default is used"))
    days = client.get("remember_me_days", defaults.remember_me_days)
    if client.get("allow_remember_me", True) is False:
        values["remember_me_days"] = 0
    elif isinstance(days, int) and not isinstance(days, bool) and 0 <= days <= MAX_REMEMBER_DAYS:
        values["remember_me_days"] = days
    else:
        notes.append(
            ("client_config.remember_me_days", f"not 0 to {MAX_REMEMBER_DAYS}: 30 is used")
        )
    for key, what in USERS_UNAVAILABLE.items():
        if client.get(key) is True:
            notes.append(
                (f"client_config.{key}", f"{what} is not available: only email and password")
            )
    if client.get("use_email") is False:
        notes.append(
            ("client_config.use_email", "Widgetbox signs users in with email and password")
        )
    if server.get("user_table", "users") not in ("users", None):
        notes.append(
            ("server_config.user_table", "Widgetbox keeps the users in a table named users")
        )
    if server.get("email_content"):
        notes.append(
            ("server_config.email_content", "custom email texts are not used: Widgetbox's are")
        )
    return UsersSettings(**values), notes


def _same_users(a: UsersSettings, b: UsersSettings) -> bool:
    keys = ("allow_signup", "enable_automatically", "confirm_email", "remember_me_days")
    return all(getattr(a, key) == getattr(b, key) for key in keys)


def users_entry(entry: dict[str, Any] | None, settings: UsersSettings) -> dict[str, Any]:
    """The Users service's entry saying `settings`, changed only where it must be."""
    if entry is not None and _same_users(users_settings(entry)[0], settings):
        return entry
    found = (
        copy.deepcopy(entry)
        if entry is not None
        else {"server_config": {"user_table": "users"}, "source": USERS_SOURCE}
    )
    client = dict(config(found, "client_config"))
    if entry is None:
        client["use_email"] = True
    client.update(
        allow_signup=settings.allow_signup,
        enable_automatically=settings.enable_automatically,
        confirm_email=settings.confirm_email,
        allow_remember_me=settings.remember_me_days > 0,
    )
    if settings.remember_me_days > 0:
        client["remember_me_days"] = settings.remember_me_days
    found["client_config"] = client
    return found
