"""Running Widgetbox for others: what its admins do (the `widgetbox admin` commands, the
admin's page in the IDE, and their JSON API under /api/admin/).

users.py    accounts as an admin sees them: found and listed, made, disabled and enabled,
            made and unmade admins (never the last one), set-password links
usage.py    what each account uses: its widgets, its runs today, its storage
limits.py   the site-wide limits an admin changes while the server runs, stored in the
            database, applied at once (`SiteLimits`)
health.py   the server's state: sandbox processes, pools, the run queue, disk, database
api.py      the JSON API (admins only, a browser session only)
pages.py    the admin's page
schemas.py  the API's message shapes
"""
