"""The release tier: the wheel `just dist` builds, installed into a fresh virtual environment
outside the checkout and served over real HTTP, as an operator installs it."""
