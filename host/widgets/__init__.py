"""Widgets: their code as versions, who may read, review or own them, and how requests find
them quickly.

    records.py   widgets, versions, diffs, restores and forks, as functions of the
                 database; who may read, review or own a widget (`guarded`)
    changes.py   what a version changed: files and lines added and removed
    heads.py     the widgets requests run and their head code, kept in memory while the
                 database's `revision` stands
    starters.py  each kind's starting files, and the first account's examples
    app_info.py  what `anvil.app` says of a widget, to its client and server code
    api.py       the widgets JSON API
    pages.py     the dashboard, new, explore, and a widget's own pages (`widget_page`)
    schemas.py   the widgets API's message shapes
"""
