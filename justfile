# Widgetbox developer commands. `just --list` explains each recipe.

set shell := ["bash", "-euo", "pipefail", "-c"]

venv := ".venv"
python := venv / "bin/python"

# Run the tests and the linters (what CI runs, plus lint).
default: test lint

# Create .venv, install Widgetbox and its dev tools, fetch and compile the interpreter. Idempotent; fast when nothing changed.
setup:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -x {{python}} ]; then
        echo "setup: creating {{venv}}"
        python3 -m venv {{venv}}
    fi
    # Reinstall only when the project's dependency declaration changed.
    stamp={{venv}}/.widgetbox-installed
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "setup: installing Widgetbox and its dev tools into {{venv}}"
        {{python}} -m pip install --quiet --upgrade pip
        {{python}} -m pip install --quiet -e '.[dev]'
        echo "$want" > "$stamp"
    fi
    # Fetch, verify and compile the pinned interpreter (a no-op when the cache is warm).
    {{venv}}/bin/widgetbox prepare

# Set everything up and start Widgetbox.
serve *args: setup
    {{venv}}/bin/widgetbox serve {{args}}

# Set everything up and run the whole test suite; options pass through to pytest (e.g. `just test -m unit`).
test *options: setup
    {{python}} -m pytest {{options}}

# Run the benchmarks: prints a table and writes bench-results/*.json.
bench *options: setup
    {{python}} -m tests.bench {{options}}

# Lint (ruff), check formatting and type-check (mypy, strict).
lint: setup
    {{venv}}/bin/ruff check .
    {{venv}}/bin/ruff format --check .
    {{python}} tests/typecheck.py

# Format the code and apply ruff's safe fixes.
fmt: setup
    {{venv}}/bin/ruff check --fix .
    {{venv}}/bin/ruff format .
