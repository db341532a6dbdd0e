"""Widgets' own HTTP APIs at `/w/{slug}/{path}` (not Widgetbox's JSON API, which each domain
serves from its `api.py`):

- `serve.py`: the routes; a request in a fresh interpreter through the runner's waiting path
- `bounds.py`: what a request may make the guest hash before its code runs
- `answers.py`: what a widget may answer (the header allow-list, valid HTTP)
"""
