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
    # The browser client: its npm packages when package.json or the lock changed, its bundle
    # when anything that feeds esbuild changed (see `just client`), including the sources it
    # bundles from outside client/: the guest's `anvil` package (the value codec and the
    # `anvil.server` exceptions, see client/src/gui/python.js) and runtime/statuses.json.
    deps=$(cat client/package.json client/package-lock.json | sha256sum | cut -d' ' -f1)
    if [ "$(cat client/node_modules/.widgetbox-installed 2>/dev/null)" != "$deps" ]; then
        {{just_executable()}} client-packages
        echo "$deps" > client/node_modules/.widgetbox-installed
    fi
    sources=$( (echo "$deps"; find client/src client/build.mjs client/runtimes.mjs wasm-python/anvil runtime/statuses.json -type f -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1)
    if [ "$(cat client/build/.widgetbox-built 2>/dev/null)" != "$sources" ]; then
        {{just_executable()}} client-build
        echo "$sources" > client/build/.widgetbox-built
    fi

# Install the client's npm packages exactly as package-lock.json pins them.
client-packages:
    @command -v npm >/dev/null || { echo "client: npm is missing; install Node.js 18 or newer (e.g. apt-get install nodejs npm)" >&2; exit 1; }
    @echo "client: installing npm packages (npm ci)"
    cd client && npm ci --no-audit --no-fund --loglevel=error

# Bundle client/src into client/build with esbuild (minified, content-hashed, gzipped twins).
client-build:
    cd client && node build.mjs

# Rebuild the client now (and install its packages if they changed).
client:
    rm -f client/build/.widgetbox-built
    {{just_executable()}} setup

# Rebuild the client on every change while you work on it (a running server picks it up).
client-watch: setup
    cd client && node build.mjs --watch

# Build the release (the client first): an sdist and a wheel in dist/ (`pip install` it anywhere with Python 3.11+), and from the wheel the single-file executable dist/widgetbox-linux-x86_64 (needs no Python).
dist: client
    #!/usr/bin/env bash
    set -euo pipefail
    rm -rf dist
    # the sdist first, then the wheel from the unpacked sdist (so the sdist is known to be
    # complete); setuptools' long log is kept for when it fails
    log=$(mktemp)
    if ! {{python}} -m build --outdir dist . >"$log" 2>&1; then
        cat "$log" >&2; rm -f "$log"; exit 1
    fi
    rm -f "$log"
    # the single-file executable, with PyInstaller in a build environment of its own where
    # the wheel is installed (a few minutes)
    echo "dist: building the single-file executable from the wheel"
    {{python}} release/build_executable.py dist/widgetbox-*.whl dist >/dev/null
    for file in dist/*; do
        echo "dist: $file ($(du -h "$file" | cut -f1))"
    done

# Install the Debian packages the tests drive when any is missing: Chromium (browser tests), nats-server (workers on other machines), caddy (the deploy example is validated).
test-packages:
    #!/usr/bin/env bash
    set -euo pipefail
    missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing+=(nats-server)
    command -v caddy >/dev/null || missing+=(caddy)
    [ ${#missing[@]} -eq 0 ] && exit 0
    echo "test-packages: installing Debian's ${missing[*]} for the tests"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null

# Set everything up and start Widgetbox.
serve *args: setup
    {{venv}}/bin/widgetbox serve {{args}}

# Set everything up and run the whole test suite; options pass through to pytest (e.g. `just test -m unit`).
test *options: setup test-packages
    {{python}} -m pytest {{options}}

# Run the benchmarks: prints a table and writes bench-results/*.json.
bench *options: setup test-packages
    {{python}} -m tests.bench {{options}}

# Run the reliability scenarios in full (load, overload, crashes, full disks; about an hour): prints figures, writes soak-results/*.json. `just soak --short sustained` runs one scenario's CI version.
soak *options: setup
    {{python}} -m tests.soak {{options}}

# Fuzz the host's doors (the bridge's frame parsing, result reports, the wire to sandbox processes, every host handler, end to end; the GUI's server-call door; packages' requirements, metadata and index pages) for six minutes; prints a seed to replay with `--seed`. `just fuzz --minutes 1 door` runs one target.
fuzz *options: setup
    {{python}} -m tests.fuzz {{options}}

# Lint and check formatting (ruff; Biome for the client's JavaScript, client/biome.json) and type-check (mypy, strict).
lint: setup
    {{venv}}/bin/ruff check .
    {{venv}}/bin/ruff format --check .
    {{python}} tests/typecheck.py
    cd client && node_modules/.bin/biome ci --error-on-warnings

# Format the code and apply the linters' safe fixes (ruff; Biome for the client's JavaScript).
fmt: setup
    {{venv}}/bin/ruff check --fix .
    {{venv}}/bin/ruff format .
    cd client && node_modules/.bin/biome check --write
