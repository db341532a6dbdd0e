"""Data Tables through the production server (`widgetbox serve`), each figure against a
baseline measured in the same run:

- an HTTP API route that does one `get` by an indexed column, against the same route without
  it (p50 over real HTTP, one request at a time, the two routes alternating so both see the
  same machine; the difference is the cost of the table, and the guest says where it goes:
  the table's name comes with the run, so the `get` is the run's one host call);
- 1,000 `add_row` in one transaction from a script (timed inside the guest), against plain
  sqlite3 in this process inserting the same rows into the same shape of file (the ratio is
  the cost of the door: the bridge, the checks, the catalogue);
- the first page of a `search` with a `like` filter and `order_by` over 100,000 rows (timed
  inside the guest), against the same query in plain sqlite3 here.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from ._http import Session, widgetbox_server
from ._report import Figure, median, percentile

SCHEMA = """\
tables:
  people:
    columns:
      - {name: name, type: string}
      - {name: n, type: number}
      - {name: text, type: string}
"""

API = """\
import anvil.server


@anvil.server.route("/plain")
def plain(**params):
    return "p500"


@anvil.server.route("/get")
def get(**params):
    from anvil.tables import app_tables
    return app_tables.people.get(name="p500")["name"]


@anvil.server.route("/parts")
def parts(**params):
    import time
    started = time.perf_counter()
    from anvil.tables import app_tables
    imported = time.perf_counter()
    people = app_tables.people
    described = time.perf_counter()
    people.get(name="p500")
    done = time.perf_counter()
    return [imported - started, described - imported, done - described]


@anvil.server.route("/seed", methods=["POST"])
def seed(**params):
    from anvil.tables import app_tables
    rows = [{"name": f"p{i}", "n": i, "text": f"row {i}"} for i in range(1000)]
    app_tables.people.add_rows(rows)
    return len(app_tables.people.search())
"""

INSERT_SCRIPT = """\
import time
import anvil.tables
from anvil.tables import app_tables

people = app_tables.people
people.delete_all_rows()
started = time.perf_counter()
with anvil.tables.Transaction():
    for i in range(1000):
        people.add_row(name=f"p{i}", n=i, text=f"row {i} of the bench")
inserted = time.perf_counter() - started
started = time.perf_counter()
for i in range(1000):  # the door alone: the cheapest operation there is
    anvil.tables._transport.call({"op": "describe"})
print(inserted, time.perf_counter() - started)
"""

WORDS = ["apple", "brown", "cedar", "delta", "ember", "fjord", "gamma", "harbor"]
SEED_SCRIPT = (
    f"WORDS = {WORDS!r}\n"
    + """\
import anvil.tables
from anvil.tables import app_tables

people = app_tables.people
people.delete_all_rows()
for start in range(0, 100_000, 1000):
    people.add_rows([
        {"name": f"{WORDS[i % 8]} {WORDS[i * 7 % 8]} {i}", "n": (i * 7919) % 100_003, "text": None}
        for i in range(start, start + 1000)
    ])
print(len(people.search()))
"""
)

SEARCH_SCRIPT = """\
import json, time
import anvil.tables.query as q
from anvil.tables import app_tables, order_by

people = app_tables.people
times = {"like": [], "prefix": []}
for _ in range(REPEAT):
    for label, pattern in (("like", "%brown harbor%"), ("prefix", "cedar%")):
        started = time.perf_counter()
        found = people.search(order_by("n", ascending=False), name=q.like(pattern))
        times[label].append(time.perf_counter() - started)
first = [r["n"] for r in found]
print(json.dumps({"times": times, "first": len(first)}))
"""


def _alternating(base: str, paths: list[str], rounds: int) -> dict[str, list[float]]:
    """Each path requested in turn, one request at a time on one keep-alive connection,
    `rounds` times (the order flips every round): seconds per answer, by path. Both routes
    see the same machine at the same moments, so the difference is theirs."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    found: dict[str, list[float]] = {path: [] for path in paths}
    try:
        for number in range(rounds):
            for path in paths if number % 2 == 0 else reversed(paths):
                started = time.perf_counter()
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                found[path].append(time.perf_counter() - started)
                if response.status != 200:
                    raise RuntimeError(f"{path} answered {response.status}")
    finally:
        connection.close()
    return found


def _run_script(session: Session, slug: str) -> str:
    """Run the widget's script; its stdout once it finished OK."""
    run = session.call("POST", f"/api/widgets/{slug}/runs", {})
    run_id = run["id"]  # type: ignore[index]
    deadline = time.monotonic() + 300
    while True:
        detail: Any = session.call("GET", f"/api/runs/{run_id}")
        if detail["status"] not in ("queued", "running"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} did not finish")
        time.sleep(0.05)
    if detail["status"] != "ok":
        raise RuntimeError(f"the bench script failed: {detail.get('message')} {detail['stderr']}")
    stdout: str = detail["stdout"]
    return stdout


def _widget(session: Session, kind: str, title: str, files: dict[str, str]) -> str:
    widget = session.call(
        "POST", "/api/widgets", {"kind": kind, "title": title, "visibility": "public"}
    )
    slug: str = widget["slug"]  # type: ignore[index]
    session.call("POST", f"/api/widgets/{slug}/versions", {"base_version": 1, "files": files})
    return slug


def _plain_file(folder: Path) -> sqlite3.Connection:
    """A file shaped as a widget's tables file (WAL, synchronous=FULL, an index per column)."""
    conn = sqlite3.connect(folder / "plain.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, c1 TEXT, c2, c3 TEXT)")
    for column in ("c1", "c2", "c3"):
        conn.execute(f"CREATE INDEX i_{column} ON t ({column})")
    return conn


def _plain_inserts(conn: sqlite3.Connection) -> float:
    """1,000 single-row inserts in one transaction, as plain host code writes them."""
    conn.execute("DELETE FROM t")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    for i in range(1000):
        conn.execute(
            "INSERT INTO t (c1, c2, c3) VALUES (?, ?, ?)", (f"p{i}", i, f"row {i} of the bench")
        )
    conn.execute("COMMIT")
    return time.perf_counter() - started


def _plain_search(conn: sqlite3.Connection, pattern: str) -> float:
    started = time.perf_counter()
    conn.execute(
        "SELECT id, c1, c2, c3 FROM t WHERE c1 LIKE ? ORDER BY c2 DESC, id LIMIT 101", (pattern,)
    ).fetchall()
    return time.perf_counter() - started


def _fill_plain(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM t")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO t (c1, c2, c3) VALUES (?, ?, NULL)",
        ((f"{WORDS[i % 8]} {WORDS[i * 7 % 8]} {i}", (i * 7919) % 100_003) for i in range(100_000)),
    )
    conn.execute("COMMIT")


def run(quick: bool = False) -> list[Figure]:
    inserts = 3 if quick else 7
    repeat = 5 if quick else 25
    rounds = 60 if quick else 300
    figures: list[Figure] = []
    settings = {
        "WIDGETBOX_LOGIN_ATTEMPTS_PER_MINUTE": "10000",
        "WIDGETBOX_HTTP_REQUESTS_PER_MINUTE": "10000000",
        "WIDGETBOX_POOL_SIZE": "4",
    }
    with widgetbox_server(settings) as base:
        session = Session(base)
        session.call(
            "POST", "/api/auth/signup", {"username": "bench", "password": "benchmark password"}
        )

        # (a) one get by an indexed column in an HTTP API route
        api = _widget(session, "http", "bench tables api", {"main.py": API, "tables.yaml": SCHEMA})
        session.call("POST", f"/w/{api}/seed", {})
        plain_path, get_path = f"/w/{api}/plain", f"/w/{api}/get"
        _alternating(base, [plain_path, get_path], 20)  # warm up: bytecode cached, pool full
        timed = _alternating(base, [plain_path, get_path], rounds)
        plain_ms = [s * 1000 for s in timed[plain_path]]
        got_ms = [s * 1000 for s in timed[get_path]]
        difference = median(got_ms) - median(plain_ms)
        parts = [session.call("GET", f"/w/{api}/parts") for _ in range(rounds // 10)]
        import_ms, table_ms, get_ms = (
            median([float(p[i]) * 1000 for p in parts])  # type: ignore[index]
            for i in range(3)
        )
        figures += [
            Figure(
                "HTTP API route without tables: p50",
                median(plain_ms),
                "ms",
                note=f"p99 {percentile(plain_ms, 99):.2f} ms; one request at a time, "
                f"{rounds} each, alternating with the next route",
            ),
            Figure(
                "the same route with one get by an indexed column: p50",
                median(got_ms),
                "ms",
                "the same route without it",
                median(plain_ms),
                note=f"p99 {percentile(got_ms, 99):.2f} ms; a table of 1,000 rows",
            ),
            Figure(
                "one get by an indexed column: p50 added",
                difference,
                "ms",
                target="<= 1 ms",
                met=difference <= 1.0,
                note=f"in the guest (p50): import anvil.tables {import_ms:.2f} ms, the first "
                f"app_tables.people {table_ms:.2f} ms (its name came with the run), the get "
                f"{get_ms:.2f} ms",
            ),
        ]

        # (b) 1,000 add_row in one transaction from a script
        script = _widget(
            session,
            "script",
            "bench tables insert",
            {"main.py": INSERT_SCRIPT, "tables.yaml": SCHEMA},
        )
        timed_runs = [_run_script(session, script).split() for _ in range(inserts)]
        guest = [float(inserted) for inserted, _door in timed_runs]
        door = [float(door) for _inserted, door in timed_runs]

        # (c) a like search with order_by over 100,000 rows, first page
        searching = _widget(
            session,
            "script",
            "bench tables search",
            {"main.py": SEED_SCRIPT, "tables.yaml": SCHEMA},
        )
        assert _run_script(session, searching).strip() == "100000"
        widget = session.call("GET", f"/api/widgets/{searching}")
        session.call(
            "POST",
            f"/api/widgets/{searching}/versions",
            {
                "base_version": widget["head_version"],  # type: ignore[index]
                "files": {
                    "main.py": SEARCH_SCRIPT.replace("REPEAT", str(repeat)),
                    "tables.yaml": SCHEMA,
                },
            },
        )
        measured = json.loads(_run_script(session, searching))
    with tempfile.TemporaryDirectory(prefix="widgetbox-bench-tables-") as folder:
        conn = _plain_file(Path(folder))
        try:
            host = [_plain_inserts(conn) for _ in range(inserts)]
            _fill_plain(conn)
            plain_like = [_plain_search(conn, "%brown harbor%") for _ in range(repeat)]
            plain_prefix = [_plain_search(conn, "cedar%") for _ in range(repeat)]
        finally:
            conn.close()
    guest_s, host_s, door_s = median(guest), median(host), median(door)
    figures += [
        Figure(
            "1,000 add_row in one transaction (script): rows/s",
            1000 / guest_s,
            "rows/s",
            "plain sqlite3 from the host, the same rows",
            1000 / host_s,
            note=f"{guest_s * 1000:.0f} ms in the guest against {host_s * 1000:.1f} ms plain: "
            f"the door costs {guest_s / host_s:.1f}x (median of {inserts})",
        ),
        Figure(
            "1,000 add_row in one transaction: time",
            guest_s * 1000,
            "ms",
            "plain sqlite3 from the host",
            host_s * 1000,
            target="< 1000 ms",
            met=guest_s < 1.0,
        ),
        Figure(
            "1,000 describe round trips from the same script",
            door_s * 1000,
            "ms",
            "1,000 add_row in one transaction",
            guest_s * 1000,
            note="the door alone (the host answers describe in about 10 us): most of what an "
            "add_row costs is the bridge crossing",
        ),
    ]
    for label, plain_times, what in (
        ("like", plain_like, "like('%brown harbor%')"),
        ("prefix", plain_prefix, "like('cedar%')"),
    ):
        ms = [s * 1000 for s in measured["times"][label]]
        figures.append(
            Figure(
                f"search {what}, order_by, 100,000 rows: first page p50",
                median(ms),
                "ms",
                "the same query in plain sqlite3",
                median([s * 1000 for s in plain_times]),
                target="< 50 ms",
                met=median(ms) < 50,
                note=f"p99 {percentile(ms, 99):.1f} ms over {repeat} searches",
            )
        )
    return figures
