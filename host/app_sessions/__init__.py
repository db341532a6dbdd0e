"""GUI apps' sessions, cookies and call context: `anvil.server.session`, `get_session_id()`,
`anvil.server.cookies`, `anvil.server.context`, `get_app_origin()`, `get_api_origin()` for
widget server code, kept by the host on the app's own origin (never in Widgetbox's cookies).
See ARCHITECTURE.md ("GUI widgets": sessions).

    records.py   sessions in the database (`app_sessions`): only the sha256 of the cookie's
                 token is stored
    signing.py   values a browser carries and cannot forge (HMAC, a key per purpose, bound
                 to the widget)
    cookies.py   the cookie jars `local` and `shared`
    visit.py     `AppSessions` (one per server: opens visits, names the cookies) and
                 `Visit` (one run's or request's view of the browser: session, cookies,
                 the answer's `Set-Cookie`s)
    handler.py   the bridge handler `session`
    app_routes.py  the app origin's `/_/session/reset` and `/_/api/...` (HTTP endpoints
                 of a GUI widget's server code)
"""

from widgetbox.host.app_sessions.handler import OP, SessionHandler, register
from widgetbox.host.app_sessions.visit import AppSessions, SessionExpired, Visit, context_of

__all__ = [
    "OP",
    "AppSessions",
    "SessionExpired",
    "SessionHandler",
    "Visit",
    "context_of",
    "register",
]
