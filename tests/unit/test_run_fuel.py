"""What a limit charges a run (`runs/fuel.py`): its fuel count, else its wall time's worth,
the same rule in Python (`charged`, for check runs' sandboxes) and in SQL (`CHARGED_SQL`,
for the run records a course's limits sum)."""

from __future__ import annotations

import sqlite3

import pytest

from widgetbox.host.runs.fuel import CHARGED_SQL, FUEL_PER_CPU_SECOND, charged

pytestmark = pytest.mark.unit

ROWS = [(1_234, 9.0), (None, 0.5), (None, None), (0, 3.0)]
"""(fuel, wall_time): counted; stopped mid-computation; not finished yet; counted as none."""


def test_a_count_wins_and_a_missing_one_is_charged_its_wall_time() -> None:
    assert [charged(fuel, wall) for fuel, wall in ROWS] == [
        1_234,
        FUEL_PER_CPU_SECOND // 2,
        0,
        0,
    ]


def test_the_query_charges_as_python_does() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE runs (fuel INTEGER, wall_time REAL)")
    db.executemany("INSERT INTO runs VALUES (?, ?)", ROWS)
    found = [row[0] for row in db.execute(f"SELECT {CHARGED_SQL.format(table='runs')} FROM runs")]
    assert found == [charged(fuel, wall) for fuel, wall in ROWS]
