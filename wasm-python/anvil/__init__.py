"""Anvil's `anvil` module as widget server code sees it inside Widgetbox's sandbox.

Server code usually imports the submodules it needs (`import anvil.server`); this module
offers `app` (the app's id, branch, environment and theme assets: anvil/_app.py) and the
Media classes: `BlobMedia` (bytes in memory) and `URLMedia` (a URL's content,
fetched through `anvil.http.request` when first read, so the server's outbound policy
applies).
"""

__all__ = ["BlobMedia", "Media", "URLMedia", "app"]


class Media:
    """Binary data with a content type and an optional name (Anvil's Media interface)."""

    content_type = "application/octet-stream"
    name: str | None = None

    def get_bytes(self) -> bytes:
        raise NotImplementedError

    @property
    def length(self) -> int:
        return len(self.get_bytes())

    @property
    def url(self):
        """Where the content can be fetched from; None for Media made on the server."""
        return self.get_url()

    def get_content_type(self):
        return self.content_type

    def get_name(self):
        return self.name

    def get_length(self):
        return self.length

    def get_url(self, download=True):
        return None

    def _wb_encode(self):
        """Its form in server calls' answers (`anvil._serialize`): the bytes, base64."""
        import binascii

        data = binascii.b2a_base64(self.get_bytes(), newline=False).decode("ascii")
        return {
            "$wb": "media",
            "v": {"content_type": self.content_type, "name": self.name, "data": data},
        }


class BlobMedia(Media):
    """Media made from bytes in memory."""

    def __init__(
        self, content_type: str = "application/octet-stream", content: bytes = b"", name=None
    ):
        if isinstance(content, str):
            content = content.encode("utf-8")
        self.content_type = content_type
        self._content = bytes(content)
        self.name = name

    def get_bytes(self) -> bytes:
        return self._content

    def __repr__(self) -> str:
        return f"BlobMedia(content_type={self.content_type!r}, length={len(self._content)})"


class URLMedia(Media):
    """Media whose content is at a URL: fetched with `anvil.http.request` (through the
    server's outbound policy) the first time its bytes or content type are read, then kept.
    A status outside 200-299 raises `anvil.http.HttpError`, as the request would."""

    def __init__(self, url):
        if not isinstance(url, str):
            raise TypeError(f"URLMedia needs a URL string, not {type(url).__name__}")
        self._url = url
        self._fetched = None

    def _fetch(self):
        if self._fetched is None:
            from anvil.http import request

            self._fetched = request(self._url)
        return self._fetched

    @property
    def content_type(self):
        return self._fetch().content_type

    def get_bytes(self) -> bytes:
        return self._fetch().get_bytes()

    def get_url(self, download=True):
        return self._url

    def __repr__(self) -> str:
        return f"URLMedia({self._url!r})"


def _media_from_call(payload):
    """A Media that arrived in a server call's arguments (`anvil._serialize`'s `media`)."""
    import binascii

    from anvil._serialize import SerializationError

    if not isinstance(payload, dict) or not isinstance(payload.get("data"), str):
        raise SerializationError("a media value needs its data")
    name = payload.get("name")
    content_type = payload.get("content_type") or "application/octet-stream"
    if not isinstance(content_type, str) or not (name is None or isinstance(name, str)):
        raise SerializationError("a media value's content type and name are text")
    try:
        content = binascii.a2b_base64(payload["data"], strict_mode=True)
    except (binascii.Error, ValueError):
        raise SerializationError("a media value's data is not base64") from None
    return BlobMedia(content_type, content, name=name)


def _register_media():
    from anvil import _serialize

    _serialize.register("media", _media_from_call)


_register_media()

from anvil._app import app  # noqa: E402 - after Media, which it makes
