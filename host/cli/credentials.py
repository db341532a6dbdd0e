"""The command line's logins: one API token per server, in the user's config folder.

    $XDG_CONFIG_HOME/widgetbox/credentials.toml      (~/.config/widgetbox/ without it)

    default = "https://widgets.example.com"

    [servers."https://widgets.example.com"]
    username = "alice"
    token = "wbt_..."
    token_name = "cli on laptop"
    expires_at = "2027-03-01T10:00:00Z"

The folder is made with mode 0700 and the file written with mode 0600 (a new file renamed
into place, so it is never readable by others, not even for a moment). Nothing here prints
a token; commands name a login by its server and username.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

FILE_NAME = "credentials.toml"


class CredentialsError(Exception):
    """The credentials file cannot be read, or a server's address is not one."""


@dataclass(frozen=True)
class Login:
    server: str
    """The server's origin, as `server_url` gives it (`https://widgets.example.com`)."""
    username: str
    token: str
    token_name: str = ""
    """The token's name on the server (Settings lists it), when `login` made it."""
    expires_at: str = ""


@dataclass
class Logins:
    default: str | None = None
    """The server used when a command names none and is not run in a cloned folder: the
    one logged in to last."""
    servers: dict[str, Login] = field(default_factory=dict)


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/widgetbox`, or `~/.config/widgetbox`."""
    base = os.environ.get("XDG_CONFIG_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "widgetbox"


def path() -> Path:
    return config_dir() / FILE_NAME


def server_url(text: str) -> str:
    """A server's address as its origin: `http(s)://host[:port]`, lower-case, without a
    path. Without a scheme, `http://` for this machine and `https://` for any other."""
    text = text.strip()
    if "://" not in text:
        host = text.split("/", 1)[0].split(":", 1)[0].lower()
        local = host in ("localhost", "::1", "[::1]") or host.startswith("127.")
        text = ("http://" if local else "https://") + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CredentialsError(f"{text!r} is not a server's address (http://HOST[:PORT])")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise CredentialsError(f"{text!r}: give the server's address alone (http://HOST[:PORT])")
    if parts.path not in ("", "/"):
        raise CredentialsError(
            f"{text!r}: Widgetbox is served at the root of its address; give "
            f"{parts.scheme}://{parts.netloc} alone"
        )
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def load() -> Logins:
    """The logins in the file (none when there is no file)."""
    file = path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Logins()
    except OSError as e:
        raise CredentialsError(f"cannot read {file}: {e.strerror or e}") from None
    try:
        data = tomllib.loads(text)
        servers = {
            url: Login(
                server=url,
                username=str(entry.get("username", "")),
                token=str(entry["token"]),
                token_name=str(entry.get("token_name", "")),
                expires_at=str(entry.get("expires_at", "")),
            )
            for url, entry in dict(data.get("servers", {})).items()
        }
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
        raise CredentialsError(
            f"{file} is damaged ({type(e).__name__}); remove it and log in again"
        ) from None
    default = data.get("default")
    return Logins(default if isinstance(default, str) else None, servers)


def readable_by_others(file: Path | None = None) -> bool:
    """Whether the credentials file's mode lets anyone but its owner read it."""
    try:
        mode = (file or path()).stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def _quoted(value: str) -> str:
    # a JSON string without ASCII escapes is a TOML basic string
    return json.dumps(value, ensure_ascii=False)


def text_of(logins: Logins) -> str:
    lines = [
        "# Widgetbox command line: an API token per server (`widgetbox login`). Keep this",
        "# file private; `widgetbox logout URL` forgets a token (revoke it in Settings).",
    ]
    if logins.default:
        lines.append(f"default = {_quoted(logins.default)}")
    for url, login in sorted(logins.servers.items()):
        lines += ["", f"[servers.{_quoted(url)}]"]
        lines.append(f"username = {_quoted(login.username)}")
        lines.append(f"token = {_quoted(login.token)}")
        if login.token_name:
            lines.append(f"token_name = {_quoted(login.token_name)}")
        if login.expires_at:
            lines.append(f"expires_at = {_quoted(login.expires_at)}")
    return "\n".join(lines) + "\n"


def save(logins: Logins) -> Path:
    """Write the file (mode 0600, in a folder of mode 0700); returns its path."""
    file = path()
    file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = file.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)  # left by a process of the same id that crashed
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as f:
            f.write(text_of(logins))
        os.replace(temporary, file)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return file
