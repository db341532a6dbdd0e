"""The package index, through its simple API: PEP 691 JSON when it answers in JSON, PEP 503
HTML otherwise (the request asks for JSON first). Only what resolution needs is kept: each
file's name, address, sha256, `Requires-Python`, whether it was yanked, whether its core
metadata is published separately (PEP 658/714) and its size (PEP 700).

Every download is counted against the install's budget and checked against its sha256
before it is used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit, urlunsplit

import httpx
from packaging.utils import canonicalize_name

from widgetbox.host.packages.errors import PackageError
from widgetbox.host.packages.limits import Budget

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
)
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
CHUNK = 64 * 1024
MAX_PAGE = 100 * 1000 * 1000
"""The largest project page or metadata file read into memory (PyPI's largest are tens of
MB)."""


@dataclass(frozen=True)
class Link:
    """One file of a project, as the index lists it."""

    filename: str
    url: str
    sha256: str | None
    requires_python: str | None = None
    yanked: bool = False
    metadata_sha256: str | None = None
    """The sha256 of its separately published core metadata (`URL.metadata`), if any."""
    size: int | None = None


class Index:
    """A simple-API index at `url` (e.g. https://pypi.org/simple), read with `client`."""

    def __init__(self, url: str, client: httpx.Client) -> None:
        self.url = url.rstrip("/") + "/"
        self.client = client
        self._pages: dict[str, list[Link] | None] = {}

    def project(self, name: str, budget: Budget) -> list[Link] | None:
        """The files of project `name`, or None when the index does not know it (cached)."""
        key = canonicalize_name(name)
        if key not in self._pages:
            self._pages[key] = self._fetch_project(key, budget)
        return self._pages[key]

    def _fetch_project(self, name: str, budget: Budget) -> list[Link] | None:
        url = urljoin(self.url, f"{name}/")
        data, content_type, final = self._get(url, budget, {"Accept": ACCEPT})
        if data is None:
            return None
        return links_of(data, content_type, final, name)

    def read(self, url: str, sha256: str, budget: Budget, what: str) -> bytes:
        """A small file (core metadata), checked against its sha256."""
        data, _, _ = self._get(url, budget, {})
        if data is None:
            raise PackageError(f"The package index has no {what} ({public(url)}).")
        verify(hashlib.sha256(data).hexdigest(), sha256, what)
        return data

    def download(
        self,
        link: Link,
        target: Path,
        budget: Budget,
        on_bytes: Callable[[int], None] | None = None,
    ) -> Path:
        """Stream `link` into `target`, counting bytes and checking the sha256 before the
        file is kept. `on_bytes(count)` hears of progress."""
        if link.sha256 is None:
            raise PackageError(
                f"The package index gives no sha256 for {link.filename}; Widgetbox installs "
                "only files it can verify."
            )
        digest = hashlib.sha256()
        partial = target.with_name(target.name + ".part")
        try:
            with self.client.stream("GET", link.url, timeout=budget.timeout()) as response:
                _check_status(response, link.filename)
                length = response.headers.get("content-length")
                if length and length.isdigit():
                    budget.expect(int(length))
                with partial.open("wb") as sink:
                    for chunk in response.iter_bytes(CHUNK):
                        budget.spend(len(chunk))
                        digest.update(chunk)
                        sink.write(chunk)
                        if on_bytes is not None:
                            on_bytes(len(chunk))
            verify(digest.hexdigest(), link.sha256, link.filename)
            partial.replace(target)
        except httpx.TimeoutException:
            budget.check()
            raise _unreachable(link.url, "it did not answer in time") from None
        except httpx.HTTPError as e:
            raise _unreachable(link.url, str(e) or type(e).__name__) from None
        finally:
            partial.unlink(missing_ok=True)
        return target

    def _get(
        self, url: str, budget: Budget, headers: dict[str, str]
    ) -> tuple[bytes | None, str, str]:
        """(body, content type, final URL) of a GET, or (None, "", url) on 404."""
        try:
            with self.client.stream(
                "GET", url, headers=headers, timeout=budget.timeout()
            ) as response:
                if response.status_code == 404:
                    return None, "", url
                _check_status(response, url)
                body = bytearray()
                for chunk in response.iter_bytes(CHUNK):
                    budget.spend(len(chunk))
                    body += chunk
                    if len(body) > MAX_PAGE:
                        raise PackageError(
                            f"The package index answered with more than {MAX_PAGE // 10**6} MB "
                            f"for {public(url)}; Widgetbox does not read that much."
                        )
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                return bytes(body), content_type.lower(), str(response.url)
        except httpx.TimeoutException:
            budget.check()
            raise _unreachable(url, "it did not answer in time") from None
        except httpx.HTTPError as e:
            raise _unreachable(url, str(e) or type(e).__name__) from None


def links_of(data: bytes, content_type: str, url: str, name: str) -> list[Link]:
    """The files the project page `data` of `name` (read from `url`) lists: PEP 691 JSON
    when `content_type` says so, PEP 503 HTML otherwise; PackageError for a page that
    cannot be read."""
    text = data.decode("utf-8", "replace")
    try:
        if content_type == JSON_TYPE:
            return _json_links(json.loads(text), url)
        return _html_links(text, url)
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        raise PackageError(
            f"The package index answered for {name} with a page Widgetbox cannot read "
            f"({str(e)[:200]})."
        ) from None


def verify(actual: str, expected: str, what: str) -> None:
    if actual != expected.lower():
        raise PackageError(
            f"{what} from the package index does not match its sha256 (expected {expected}, "
            f"got {actual}); it was not used. The index or a proxy served a different file."
        )


def public(url: str) -> str:
    """`url` without any user name or password in it (messages are shown to widget owners)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _check_status(response: httpx.Response, what: str) -> None:
    if response.status_code >= 400:
        raise PackageError(
            f"The package index answered {response.status_code} for {public(what)}; try again "
            "later."
        )


def _unreachable(url: str, why: str) -> PackageError:
    return PackageError(f"The package index could not be reached at {public(url)}: {why}.")


# -- PEP 691 (JSON) ------------------------------------------------------------------------


def _json_links(page: Any, base: str) -> list[Link]:
    """The files of a PEP 691 page; ValueError for a page of another shape (a file without
    a name and address as text), a field of the wrong type read as absent."""
    meta = page.get("meta", {}) if isinstance(page, dict) else None
    version = str(meta.get("api-version", "1.0"))[:20] if isinstance(meta, dict) else "?"
    if not version.startswith("1."):
        raise ValueError(f"unsupported simple API version {version}")
    files = page.get("files")
    if not isinstance(files, list):
        raise ValueError("its files are not a list")
    links = []
    for item in files:
        if not isinstance(item, dict):
            raise ValueError("a file is not an object")
        filename, url = item.get("filename"), item.get("url")
        if not isinstance(filename, str) or not isinstance(url, str):
            raise ValueError("a file's name or address is not text")
        metadata = item.get("core-metadata", item.get("dist-info-metadata", False))
        size = item.get("size")
        links.append(
            Link(
                filename=filename,
                url=urljoin(base, url),
                sha256=_text(item.get("hashes"), "sha256"),
                requires_python=_text(item, "requires-python") or None,
                yanked=bool(item.get("yanked", False)),
                metadata_sha256=_text(metadata, "sha256"),
                size=size if type(size) is int else None,
            )
        )
    return links


def _text(found: Any, key: str) -> str | None:
    """`found[key]` when `found` is an object and that is text, else None."""
    value = found.get(key) if isinstance(found, dict) else None
    return value if isinstance(value, str) else None


# -- PEP 503 (HTML) ------------------------------------------------------------------------


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[dict[str, str | None], str]] = []
        self._current: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._current, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            self.found.append((self._current, "".join(self._text).strip()))
            self._current = None


def _html_links(page: str, base: str) -> list[Link]:
    parser = _Anchors()
    parser.feed(page)
    links = []
    for attrs, text in parser.found:
        href = attrs.get("href")
        if not href:
            continue
        url, fragment = urldefrag(urljoin(base, href))
        algorithm, _, digest = fragment.partition("=")
        metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        meta_algorithm, _, meta_digest = (metadata or "").partition("=")
        links.append(
            Link(
                filename=unquote(url.rsplit("/", 1)[-1]) or text,
                url=url,
                sha256=digest if algorithm == "sha256" and digest else None,
                requires_python=attrs.get("data-requires-python") or None,
                yanked="data-yanked" in attrs,
                metadata_sha256=meta_digest if meta_algorithm == "sha256" else None,
            )
        )
    return links
