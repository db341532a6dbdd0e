"""The page's URL hash: `get_url_hash()` and `set_url_hash()`, as in Anvil. A hash that
starts with "?" (`#?id=3&tab=info`) is a dict of its parameters; any other is its text."""

from . import _platform


def get_url_hash():
    """The URL's hash without "#", decoded; a dict for `#?key=value&...`."""
    dom = _platform.get()
    text = dom.location_hash()
    if text.startswith("#"):
        text = text[1:]
    if text.startswith("?"):
        found = {}
        for part in text[1:].split("&"):
            if not part:
                continue
            key, _, value = part.partition("=")
            found[dom.decode_uri(key.replace("+", " "))] = dom.decode_uri(value.replace("+", " "))
        return found
    return dom.decode_uri(text)


def set_url_hash(url_hash="", replace_current_url=False, set_in_history=True, redirect=True):
    """Set the URL's hash: text, or a dict (made `?key=value&...`). With
    replace_current_url (or set_in_history=False) the browser's history gains no entry."""
    dom = _platform.get()
    if isinstance(url_hash, dict):
        text = "?" + "&".join(
            f"{dom.encode_uri(str(key))}={dom.encode_uri(str(value))}"
            for key, value in url_hash.items()
        )
    else:
        text = "" if url_hash is None else str(url_hash)
    dom.set_location_hash(text, bool(replace_current_url or not set_in_history))


__all__ = ["get_url_hash", "set_url_hash"]
