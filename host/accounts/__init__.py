"""Widgetbox's own accounts (never a widget's users: those are app_users/): who may sign in,
and how they prove it in a browser. API tokens are tokens/; what admins do to accounts is
admin/.

    users.py           accounts and their Argon2id passwords, the first one the admin,
                       whether anyone may sign up
    sessions.py        who is signed in: the session cookie, only its token's sha256 stored,
                       a short cache (`SessionCache`)
    password_links.py  one-time set-password links for accounts made for someone else
    api.py             the session, sign-up, log-in, log-out (JSON)
    pages.py           the account's Settings page (its API tokens)
    schemas.py         the accounts API's message shapes
"""
