"""The JSON API, under /api. Every action is an endpoint described in /api/openapi.json."""

from __future__ import annotations

from .secrets import SecretController

ROUTES = [SecretController]
"""Controllers the app mounts with `*api.ROUTES`."""
