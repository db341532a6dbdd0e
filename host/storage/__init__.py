"""Where Widgetbox keeps its data: the one SQLite database in the data folder, and what
copies it, locks it and reports on it. (Each widget's Data Tables file is tables/'s.)

    database.py     `Database`: one way to read (reader threads) and one way to write (one
                    writer thread, `BEGIN IMMEDIATE`); `revision`
    migrations.py   the schema, as sqlite-utils migrations applied at start-up
    times.py        moments as stored: timezone-aware UTC, ISO 8601 text
    backups.py      online backup in one read transaction, and a checked restore
    aside.py        what a forced restore replaces, moved aside and back on failure
    data_lock.py    the data folder's `flock`: shared by a server, exclusive for a restore
    full_disk.py    how a full disk shows itself, and background writers' warnings
    usage.py        how much room the data takes (the admin page, the metrics)
"""
