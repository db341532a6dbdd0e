"""What every route shares, whatever its domain: the translation of domain errors into
answers, the handlers' dependencies, the browser protections, and the IDE's page frame.
The only package that imports HTTP status codes or Litestar's exceptions: domain code raises
host/errors.py's errors (tests/unit/test_import_rules.py keeps it so).

    errors.py        every error to one answer: the JSON API's, the error page, a widget
                     API's, a GUI call's; a 500 shows only an incident id
    dependencies.py  what handlers ask for by name: `viewer`, the widget they may read,
                     review or own, on an app's origin the app its visitor may open
                     (`app_guard`), and the app's services, typed
    guards.py        CSRF, the same-origin check, security headers, the server key
    limits.py        rate limits per client address; `FailureLimit`
    openapi.py       the error responses every API operation documents
    pages.py         the IDE's pages: the router every domain's `PAGES` are mounted on
                     (errors shown as a page), the Jinja set-up
    rendering.py     what every page shares: rendering with the viewer, the error page,
                     the way to the log-in form
    assets.py        the built scripts and styles, served at /static/ from memory
    format.py        template filters: times, durations, fuel, counts, statuses
"""
