"""Background tasks: Anvil's `@anvil.server.background_task`, `launch_background_task`,
`get_background_task`, `list_background_tasks`, `anvil.server.task_state` and the `Task`
object, for server code and (reading only) for browser code.

A background task is a run of the batch lane (`runs/runner.py`, `Runner.start` with a
`Launch`): queued under the owner's limits, run in its own fresh interpreter with the script
limits, streamed live and listed in the widget's run history. Every script and scheduled run
is one too, whose function is the module body. This domain is the Anvil face of those runs:

    views.py    a run's record (and its live `task_state`) as the view a `Task` reads
    handler.py  the bridge operations `tasks.launch`, `.get`, `.list`, `.kill`, `.state`;
                `register` offers them on a `Bridge`
    client.py   `/_/task` on a GUI app's origin: a `Task` server code handed the browser

The guest's side is `wasm-python/anvil/_tasks.py`, which the browser client bundles too.
"""

from widgetbox.host.tasks.handler import TasksHandler, register

__all__ = ["TasksHandler", "register"]
