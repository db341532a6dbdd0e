"""Personal access tokens: how programs (the command line, scripts, CI) use the JSON API
without a browser. See ARCHITECTURE.md ("Two ways to prove who you are") and README's
"API tokens".

- A token is `wbt_` and 43 random letters and digits (256 bits), made by the server and
  shown once, when it is created in the account's Settings page; only its sha256 is stored,
  with its owner, a name, a scope, an expiry (at most a year) and when it was last used.
- It is sent as `Authorization: Bearer <token>`. Such a request needs no cookie and no CSRF
  token, and is never authenticated by a cookie it also carries.
- Its scope is `read`, `run` or `write`: `read` reads what its owner may read; `run` also
  starts and stops runs; `write` also changes things, runs included (see `scopes.py`).
  Every operation of the JSON API needs one of them, or a browser session (signing in and
  out, the site's settings, and tokens themselves: a token cannot mint tokens), and says
  which in the OpenAPI document.
- Tokens work only on the JSON API (`/api/...`): a request carrying one anywhere else (the
  IDE's pages, widgets' own HTTP APIs at `/w/`, GUI apps on their own origins) is refused,
  so a token never reaches a widget's code.

    scopes.py    the scopes, which one each route needs, and its line in the OpenAPI document
    records.py   the database functions: create, list, revoke, authenticate, touch, prune
    auth.py      the middleware that reads the bearer token, and the guard that checks its
                 scope against the route's
    schemas.py   the API's message shapes
    api.py       the JSON API: list, create, revoke (a browser session only)
"""
