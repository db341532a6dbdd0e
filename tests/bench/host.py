"""The host over real HTTP: reading and listing widgets at concurrency 16 against a plain
Litestar route served the same way, and saving versions with 16 concurrent writers."""

from __future__ import annotations

import json

from ._http import Session, free_port, run_load, server, uvicorn_command, widgetbox_server
from ._report import Figure, median, percentile

CONCURRENCY = 16


def _figures(name: str, load, baseline=None, target: str = "") -> list[Figure]:  # type: ignore[no-untyped-def]
    ms = [s * 1000 for s in load.latencies]
    return [
        Figure(
            f"{name}: requests/s",
            load.rate,
            "req/s",
            "plain Litestar hello req/s" if baseline else "",
            baseline.rate if baseline else None,
            target,
            note=f"errors: {load.errors}",
        ),
        Figure(f"{name}: p50", median(ms), "ms"),
        Figure(f"{name}: p99", percentile(ms, 99), "ms"),
    ]


def run(quick: bool = False) -> list[Figure]:
    seconds = 3.0 if quick else 10.0
    figures: list[Figure] = []
    with widgetbox_server({"WIDGETBOX_LOGIN_ATTEMPTS_PER_MINUTE": "10000"}) as base:
        session = Session(base)
        session.call(
            "POST", "/api/auth/signup", {"username": "bench", "password": "benchmark password"}
        )
        slugs = []
        for i in range(CONCURRENCY):
            widget = session.call("POST", "/api/widgets", {"kind": "http", "title": f"bench {i}"})
            slugs.append(widget["slug"])  # type: ignore[index]
        for i in range(40):
            session.call("POST", "/api/widgets", {"kind": "script", "title": f"filler {i}"})
        headers = session.headers()
        read = run_load(
            base,
            lambda slot: ("GET", f"/api/widgets/{slugs[slot]}", headers, b""),
            CONCURRENCY,
            seconds,
        )
        listing = run_load(
            base,
            lambda slot: ("GET", "/api/widgets?limit=50", headers, b""),
            CONCURRENCY,
            seconds,
        )
        versions = dict.fromkeys(slugs, 1)

        def save(slot: int) -> tuple[str, str, dict[str, str], bytes]:
            slug = slugs[slot]
            body = json.dumps(
                {
                    "base_version": versions[slug],
                    "files": {"main.py": f"x = {versions[slug]}\n"},
                }
            )
            versions[slug] += 1
            return ("POST", f"/api/widgets/{slug}/versions", headers, body.encode())

        writes = run_load(base, save, CONCURRENCY, seconds)
    hello_port = free_port()
    with server(
        uvicorn_command("tests.bench._plain_hello:app", hello_port), hello_port
    ) as hello_base:
        hello = run_load(hello_base, lambda slot: ("GET", "/hello", {}, b""), CONCURRENCY, seconds)
    figures += _figures("plain Litestar hello (baseline)", hello)
    figures += _figures("read a widget, concurrency 16", read, hello)
    figures += _figures("list 50 widgets, concurrency 16", listing, hello)
    figures.append(
        Figure(
            "save a version, 16 concurrent writers: writes/s",
            writes.rate,
            "writes/s",
            note=f"errors: {writes.errors} of {len(writes.latencies)}; statuses {writes.statuses}",
            target="no errors",
            met=writes.errors == 0,
        )
    )
    ms = [s * 1000 for s in writes.latencies]
    figures += [
        Figure("save a version: p50", median(ms), "ms"),
        Figure("save a version: p99", percentile(ms, 99), "ms"),
    ]
    return figures
