"""The Users service of a widget (Anvil's `anvil.users`): sign-up, log-in with an email and a
password, "Remember me", email confirmation and password resets, with the widget's users as
rows of a `users` table in its own Data Tables, apart from Widgetbox's own accounts. See
ARCHITECTURE.md ("GUI widgets": the Users service) for what guest code can and cannot do.

    settings.py  the `users:` section of the widget's `services.yaml`
    passwords.py Argon2id on the host, a bounded number at once
    table.py     the `users` table through the Data Tables operations (owner access)
    limiter.py   failed log-ins and reset emails per address
    emails.py    the confirmation and reset emails, and their signed links
    service.py   `UsersService`: the operations, with Anvil's exceptions and messages
    handler.py   the bridge handler `users` (server code)
    app_routes.py  the app origin's `/_/users` (browser code), `/_/email-confirm` and
                 `/_/reset-password` (the emailed links)
    api.py       the owner's JSON API: the settings, and the users on the Data page
"""

from collections.abc import Mapping

from widgetbox.host.app_users.handler import OP, UsersHandler, register
from widgetbox.host.app_users.service import UsersError, UsersService
from widgetbox.host.app_users.settings import (
    SERVICES_FILE,
    SettingsError,
    UsersSettings,
    users_settings,
)
from widgetbox.host.tables import guard


def guard_for(files: Mapping[str, str]) -> guard.Guard:
    """What a run's Data Tables may not touch: the password hashes, while the Users service
    is on (or its settings cannot be read)."""
    try:
        on = users_settings(files) is not None
    except SettingsError:
        on = True
    return guard.USERS_PASSWORD if on else guard.NONE


__all__ = [
    "OP",
    "SERVICES_FILE",
    "SettingsError",
    "UsersError",
    "UsersHandler",
    "UsersService",
    "UsersSettings",
    "guard_for",
    "register",
    "users_settings",
]
