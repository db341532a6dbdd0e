"""widgetbox.host: the web application around the sandbox, and the `widgetbox` command. A
list of domains, each a folder (`records.py` its rules on the database, `api.py` its JSON
API, `pages.py` its IDE pages, `app_routes.py` what a GUI app's page asks its own origin,
`schemas.py` its message shapes), and the plumbing they share. See ARCHITECTURE.md ("The
host": where routes live, and the exceptions).

    app.py, routes.py  the Litestar app, and every route mounted from one list
    services.py        what runs beside the handlers (database, runtime, runner, scheduler)
    config.py          the settings, each declared once
    errors.py          the domain errors, which web/errors.py answers once

    accounts/     Widgetbox's accounts and sessions      admin/      the admins' work
    tokens/       API tokens                             widgets/    widgets and versions
    runs/         the queue, runs, their records         tasks/      background tasks
    schedules/    scheduled runs                         endpoints/  widgets' HTTP APIs
    gui/          GUI widgets and their apps' origin     tables/     Data Tables
    app_sessions/ GUI apps' sessions and cookies         app_users/  the Users service
    outbound/     widgets' outbound HTTP                 secrets/    widgets' secrets
    email/        widgets' email                         packages/   widgets' packages
    courses/      classrooms                             transfer/   import and export
    health/       /healthz, /readyz, /metrics            doctor/     `widgetbox doctor`
    storage/      the database, backups                  web/        what every route shares
    cli/          the `widgetbox` command
"""
