"""The JSON API, under /api. Every action is an endpoint described in /api/openapi.json."""
