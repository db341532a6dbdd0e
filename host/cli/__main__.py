"""`python -m widgetbox.host.cli`: the `widgetbox` command. Also the entry of the single-file
executable (release/widgetbox.spec), which is started again as its own sandbox processes and
pip: `run_child_module` runs those and returns False for a command."""

from widgetbox.runtime import run_child_module

if not run_child_module():
    from widgetbox.host.cli import main

    main()
