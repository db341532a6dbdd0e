"""runs: admission to the sandbox (`admission.py`, the batch lane round-robin by user in
`fair.py`), running and recording (`runner.py`, `records.py`), live output (`live.py`)."""
