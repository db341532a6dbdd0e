"""Media in the browser, as Anvil has them: `BlobMedia` (bytes with a content type and a
name), `URLMedia` (what a URL serves), files the visitor chose in a FileLoader (their bytes
stay in the page until asked for), and `download(media)`.

A Media object passed to `anvil.server.call` travels as `{"$wb": "media", "v":
{"content_type", "name", "data": base64}}`, the codec's tagged form for media the server
code receives (wasm-python/anvil/_serialize.py's `_wb_encode` hook).
"""

from . import _platform


class Media:
    """A piece of data with a content type (and perhaps a name)."""

    content_type = "application/octet-stream"
    name = None

    def get_bytes(self):
        raise NotImplementedError

    def get_content_type(self):
        return self.content_type

    def get_name(self):
        return self.name

    def get_length(self):
        return len(self.get_bytes())

    @property
    def length(self):
        return self.get_length()

    def get_url(self, is_download=True):
        """A URL the page can show or download it from."""
        raise NotImplementedError

    @property
    def url(self):
        return self.get_url()

    def _wb_encode(self):
        return {
            "$wb": "media",
            "v": {"content_type": self.content_type, "name": self.name, "data": self._base64()},
        }

    def _base64(self):
        import binascii

        return binascii.b2a_base64(self.get_bytes()).decode("ascii").strip()

    def __repr__(self):
        return f"<anvil.{type(self).__name__} {self.content_type} {self.name or ''}>".replace(
            " >", ">"
        )


class BlobMedia(Media):
    """`BlobMedia(content_type, content, name=None)`: bytes (or text, as UTF-8) of a type."""

    def __init__(self, content_type, content, name=None):
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, (bytes, bytearray)):
            raise TypeError(f"BlobMedia's content is bytes, not {type(content).__name__}")
        self.content_type = content_type or "application/octet-stream"
        self.name = name
        self._bytes = bytes(content)
        self._js = None
        self._url = None

    @classmethod
    def _from_page(cls, content_type, js_bytes, name, length):
        """A file the visitor chose: its bytes stay in the page until asked for."""
        media = cls.__new__(cls)
        media.content_type = content_type or "application/octet-stream"
        media.name = name
        media._bytes = None
        media._js = js_bytes
        media._length = length
        media._url = None
        return media

    def get_bytes(self):
        if self._bytes is None:
            self._bytes = _platform.get().bytes_of(self._js)
        return self._bytes

    def get_length(self):
        if self._bytes is None:
            return self._length
        return len(self._bytes)

    def _base64(self):
        if self._bytes is None:
            return _platform.get().base64_of(self._js)
        return Media._base64(self)

    def get_url(self, is_download=True):
        if self._url is None:
            dom = _platform.get()
            self._url = dom.object_url(self._js if self._bytes is None else self._bytes,
                                       self.content_type)  # fmt: skip
        return self._url


class URLMedia(Media):
    """`URLMedia(url)`: what the URL serves (its bytes are fetched when asked for; the
    page may fetch from the app's own origin only)."""

    def __init__(self, url):
        self._address = url
        self.name = url.rstrip("/").rsplit("/", 1)[-1] or None
        self._bytes = None

    def get_bytes(self):
        if self._bytes is None:
            status, data, content_type = _platform.get().fetch_bytes(self._address)
            if status != 200:
                raise RuntimeError(f"could not fetch {self._address} (HTTP {status})")
            self._bytes = data
            self.content_type = content_type or self.content_type
        return self._bytes

    def get_url(self, is_download=True):
        return self._address


def download(media):
    """Offer `media` to the visitor as a download."""
    if not isinstance(media, Media):
        raise TypeError(f"download() needs a Media object, not {type(media).__name__}")
    dom = _platform.get()
    link = dom.create("a")
    dom.set_attr(link, "href", media.get_url())
    dom.set_attr(link, "download", media.name or "download")
    dom.append(dom.overlay(), link)
    dom.call(link, "click")
    dom.detach(link)


__all__ = ["BlobMedia", "Media", "URLMedia", "download"]


def _from_call(payload):
    """A Media in a server call's answer (the codec's `media` tag): bytes, base64."""
    import binascii

    from ._serialize import SerializationError

    if not isinstance(payload, dict) or not isinstance(payload.get("data"), str):
        raise SerializationError("a media value needs its data")
    try:
        content = binascii.a2b_base64(payload["data"])
    except (binascii.Error, ValueError):
        raise SerializationError("a media value's data is not base64") from None
    return BlobMedia(payload.get("content_type"), content, name=payload.get("name"))


def _register():
    from . import _serialize

    _serialize.register("media", _from_call)


_register()
