"""Widgets in and out: as plain folders, and as Anvil apps (their git layout). See
ARCHITECTURE.md ("Import and export") and README.md ("Importing and exporting").

    trees.py          files as bytes, read from a folder, a zip or a git commit's listing
                      and written to a folder or a zip, within bounds (hostile input:
                      paths, links, sizes, counts); binary files kept in a widget as
                      `data:` URLs
    git_clone.py      a git URL's latest commit as a tree: the URL and its addresses vetted
                      by the outbound policy, a shallow clone by `git` pinned to them, in a
                      strict environment, bounded in time and size
    folders.py        a widget as a plain folder: its files and `.widgetbox.toml` (kind,
                      title, visibility, slug), read back with every problem at once
    report.py         what an import found, line by line (error, warning, info), each with
                      its file and place; `ImportRefused`
    anvil_yaml.py     Anvil's `anvil.yaml`: read, written as Anvil writes it, its services
                      (Data Tables, Users) in Widgetbox's terms and back
    time_specs.py     Anvil's scheduled tasks' `time_spec` and schedule rules, both ways
    code_scan.py      what an app's Python registers and calls (server functions,
                      endpoints, tasks, services), read from its syntax tree
    server_entry.py   the entry an imported app gets: it loads `server_code/` as Anvil does
    anvil_import.py   an Anvil app's tree into a widget (kind, title, files, schedule) and
                      its report; pure
    anvil_export.py   a widget into an Anvil app's tree, `anvil.yaml` from its settings
    records.py        creating the imported widget (and its schedule) in one write; what an
                      export reads
    api.py, pages.py  the JSON API (import a zip or a git URL, export a zip) and the IDE's
                      import page

Import the module you need: the package itself imports nothing, so that a command reading a
folder (`host/cli/`) does not load the import and export code with the web app behind it.
"""
