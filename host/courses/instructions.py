"""Assignments' instructions: Markdown rendered safely for every student's page.

markdown-it-py (CommonMark) with raw HTML off: any `<script>`, `<img onerror=...>` or other
tag a teacher types is shown as text, never as markup; links and images keep only the
schemes its `validateLink` allows (no `javascript:`, `vbscript:`, `file:` or `data:` other
than images), and links get `rel="nofollow noopener noreferrer"`. The pages' CSP allows no
inline script anyway; this keeps the markup itself harmless too.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

MAX_INSTRUCTIONS = 20_000


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])

    def link_open(renderer: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
        return str(renderer.renderToken(tokens, idx, options, env))

    md.add_render_rule("link_open", link_open)
    return md


_MD = _parser()


def render(text: str) -> Markup:
    """The instructions as HTML, safe to place in a page as it is."""
    return Markup(_MD.render(text[:MAX_INSTRUCTIONS]))  # noqa: S704 - escaped by markdown-it
