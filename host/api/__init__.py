"""The JSON API, under /api. Every action is an endpoint described in /api/openapi.json."""

from __future__ import annotations

from .packages import PackageController
from .secrets import SecretController

ROUTES = [SecretController, PackageController]
"""Controllers the app mounts with `*api.ROUTES`."""
