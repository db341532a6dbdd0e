"""`python -m widgetbox.host.cli`: the `widgetbox` command."""

from widgetbox.host.cli import main

main()
