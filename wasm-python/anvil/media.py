"""`anvil.media`: Media objects and files, for widget server code in Widgetbox's sandbox.

Files live in the run's scratch area (`/tmp`, also the working directory), within its quota
(64 MiB and 1,000 files by default): a write beyond it raises `OSError` (ENOSPC), as a full
disk would. The area is emptied when the run ends.

- `with anvil.media.TempFile(media) as path:` a new file in `/tmp` holding the media's bytes
  (an empty one without media), removed at the end of the block;
- `from_file(path, mime_type=None, name=None)`: a `BlobMedia` of a file's bytes, named after
  the file unless `name` is given; without `mime_type` the type is guessed from the file's
  name (`application/octet-stream` when unknown);
- `write_to_file(media, path)`: the media's bytes into a file;
- `open(media)`: the media's bytes as a `io.BytesIO`.
"""

import builtins
import contextlib
import io
import os
import tempfile

from anvil import BlobMedia

__all__ = ["TempFile", "from_file", "open", "write_to_file"]


class TempFile:
    """A temporary file holding `media`'s bytes, as a context manager giving its path."""

    def __init__(self, media=None):
        self._media = media
        self._path = None

    def __enter__(self):
        handle, path = tempfile.mkstemp(prefix="anvil-media-")
        self._path = path
        try:
            with builtins.open(handle, "wb") as file:
                if self._media is not None:
                    file.write(self._media.get_bytes())
        except BaseException:
            self._remove()
            raise
        return path

    def __exit__(self, exc_type, exc, traceback):
        self._remove()

    def _remove(self):
        if self._path is not None:
            with contextlib.suppress(FileNotFoundError):  # the code removed it itself
                os.unlink(self._path)
            self._path = None


def from_file(filename, mime_type=None, name=None):
    """A `BlobMedia` of the file's bytes."""
    with builtins.open(filename, "rb") as file:
        content = file.read()
    if mime_type is None:
        import mimetypes

        mime_type = mimetypes.guess_type(os.fspath(filename))[0] or "application/octet-stream"
    return BlobMedia(mime_type, content, name=name or os.path.basename(os.fspath(filename)))


def write_to_file(media, filename):
    """Write the media's bytes into the file (replacing what it held)."""
    with builtins.open(filename, "wb") as file:
        file.write(media.get_bytes())


def open(media):
    """The media's bytes as a binary file object in memory."""
    return io.BytesIO(media.get_bytes())
