"""Anvil's `anvil` module as widget server code sees it inside Widgetbox's sandbox.

Server code usually imports the submodules it needs (`import anvil.server`); this module
offers the Media classes that requests and responses use.
"""

__all__ = ["BlobMedia", "Media"]


class Media:
    """Binary data with a content type and an optional name (Anvil's Media interface)."""

    content_type = "application/octet-stream"
    name: str | None = None

    def get_bytes(self) -> bytes:
        raise NotImplementedError

    @property
    def length(self) -> int:
        return len(self.get_bytes())


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
