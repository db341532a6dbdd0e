"""Widgets' secrets: named text values their owner stores and their server code reads with
`anvil.secrets.get_secret(name)`. See ARCHITECTURE.md ("Running widgets": Secrets).

- At rest every value is encrypted with AES-256-GCM under a key the server generates on
  first start and keeps in the data folder (`secrets.key`, 0600), never in the database; a
  copy of the database (a backup, an export) holds only ciphertext.
- Each value has its own random 96-bit nonce, and its associated data binds it to the
  widget's id and the secret's name: a ciphertext copied to another widget or another name
  does not decrypt.
- A value is never answered by the API, never copied by a fork, and never logged: these
  modules log names and widget ids only.

    box.py       `SecretBox`: the key file and AES-256-GCM (seal and open a value)
    records.py   the database functions (set, delete, list, get sealed) and the checks on
                 a secret's name and value
    handler.py   the bridge handler `secrets.get`; `register` offers it on a `Bridge` and
                 returns it
    api.py       the JSON API: names and times, never values (owner only)
"""

from widgetbox.host.secrets.box import (
    KEY_BYTES,
    KEY_FILE,
    SecretBox,
    SecretDecryptError,
    SecretKeyError,
    load_or_create_key,
)
from widgetbox.host.secrets.handler import OP, SecretsHandler, register
from widgetbox.host.secrets.records import (
    MAX_NAME,
    MAX_VALUE_BYTES,
    NAME,
    Sealed,
    SecretInfo,
    check_name,
    check_value,
    delete_secret,
    get_sealed,
    list_secrets,
    secret_info,
    set_secret,
)

__all__ = [
    "KEY_BYTES",
    "KEY_FILE",
    "MAX_NAME",
    "MAX_VALUE_BYTES",
    "NAME",
    "OP",
    "Sealed",
    "SecretBox",
    "SecretDecryptError",
    "SecretInfo",
    "SecretKeyError",
    "SecretsHandler",
    "check_name",
    "check_value",
    "delete_secret",
    "get_sealed",
    "list_secrets",
    "load_or_create_key",
    "register",
    "secret_info",
    "set_secret",
]
