"""The release tier: what `just dist` builds, used as an operator would: the wheel installed
into a fresh virtual environment outside the checkout, and the single-file executable run
with a minimal environment, each served over real HTTP (the shared steps: `_smoke.py`)."""
