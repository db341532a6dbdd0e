"""Runs: every run of widget code, from admission to its record.

admission.py    two lanes (batch, interactive), per-user limits, refusals (`Busy`)
fair.py         the batch lane's waiting runs, round-robin by user
runner.py       `Runner`: every run through admission into the sandbox and its record;
                `start` for the batch lane, one waiting path for callers
records.py      run history, numbered per widget; output retention; runs left behind
                by a stopped server
request_log.py  the logs of HTTP requests and server calls, written in batches
live.py         live run events (status, output) for browsers
states.py       `anvil.server.task_state` of batch runs in progress
fuel.py         fuel as an estimate of CPU time
api.py          the runs JSON API: start, watch, cancel, history, logs
pages.py        a widget's runs and logs in the IDE
schemas.py      the runs API's message shapes
"""
