"""What every page shares: rendering with the viewer, the HTML error page, and the way to
the log-in form for visitors who need to sign in first."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Redirect, Template

from widgetbox.host.accounts.users import User
from widgetbox.host.errors import LoginRequired, Moved
from widgetbox.host.web.dependencies import current_viewer
from widgetbox.host.web.errors import answer, domain_error, handle, moved
from widgetbox.host.web.guards import SECURITY_HEADERS

PAGE_CSP = SECURITY_HEADERS["content-security-policy"]
assert "style-src 'self';" in PAGE_CSP, "the pages' style nonce extends style-src 'self'"


def page(
    template: str,
    viewer: User | None,
    script: str = "pages/common.js",
    *,
    status: int = 200,
    data: dict[str, Any] | None = None,
    style_nonce: bool = False,
    **context: Any,
) -> Template:
    """`template` with the viewer, the page's script (an entry of client/src/pages) and the
    data its script reads (embedded as JSON, never as inline code: the CSP forbids it).

    `style_nonce`: the page's script adds `<style>` elements (CodeMirror does), so the page
    gets the usual CSP plus a fresh nonce for styles, handed to the script in its data."""
    data = dict(data or {})
    headers = {"cache-control": "no-store"}
    if style_nonce:
        nonce = secrets.token_urlsafe(18)
        data["style_nonce"] = nonce
        headers["content-security-policy"] = PAGE_CSP.replace(
            "style-src 'self'", f"style-src 'self' 'nonce-{nonce}'"
        )
    return Template(
        template,
        context={"user": viewer, "script": script, "data": data, **context},
        status_code=status,
        headers=headers,
    )


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def to_login(request: Request[Any, Any, Any]) -> Redirect:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/?next={quote(path, safe='/')}", status_code=303)


def require_viewer(viewer: User | None) -> User:
    """The signed-in viewer; anyone else is sent to the log-in form (and back afterwards)."""
    if viewer is None:
        raise LoginFirst
    return viewer


async def remember_viewer(request: Request[Any, Any, State]) -> None:
    """A `before_request` hook: the viewer is known to the error page too (for its header)."""
    request.state.page_viewer = await current_viewer(request, request.app.state)


class LoginFirst(HTTPException):
    status_code = 401
    detail = "Log in to see this page."


TITLES = {400: "That did not work", 403: "Not yours", 404: "Not found", 409: "Conflict"}


def error_page(request: Request[Any, Any, State], exc: Exception) -> Response[Any]:
    """Errors on pages as a page (the JSON API keeps its JSON error shape)."""
    error = domain_error(exc)
    if isinstance(exc, LoginFirst) or isinstance(error, LoginRequired):
        return to_login(request)
    if isinstance(error, Moved):  # a widget's former address
        return moved(request, error)
    if error is not None:
        status, message = answer(error).status, error.message
    elif isinstance(exc, NotFoundException):
        status, message = 404, "There is nothing here."
    elif isinstance(exc, HTTPException) and exc.status_code < 500:
        status, message = exc.status_code, str(exc.detail)
    else:  # the app's handler logs it with an incident id and answers without internals
        return handle(request, exc)
    return page(
        "error.html",
        getattr(request.state, "page_viewer", None),
        status=status,
        title=TITLES.get(status, "Something is not right"),
        message=message,
    )
