"""The per-address limits of `host/web/limits.py`: counted in fixed one-minute windows, one
number per address, so a request's cost does not grow with those that came before."""

from __future__ import annotations

import pytest

from widgetbox.host.web import limits
from widgetbox.host.web.limits import PerMinute


def test_each_address_has_its_own_count_until_the_next_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [60 * 16_667 + 20.0]  # 20 s into a minute
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    limit = PerMinute(2)
    for _ in range(2):
        assert limit.used("a") < limit.limit
        limit.count("a")
    assert limit.used("a") == 2
    assert limit.used("b") == 0  # another address
    refused = limit.refusal("a")
    assert refused.status_code == 429
    assert refused.headers is not None
    assert refused.headers["Retry-After"] == "40"  # the window ends at the next minute
    assert refused.headers["RateLimit-Remaining"] == "0"
    now[0] += 40  # the next window: counts start again
    assert limit.used("a") == 0


def test_a_flood_is_one_number_per_address() -> None:
    """What a request costs cannot grow with those before it: each address keeps one count,
    not a record of every request (as Litestar's limiter did)."""
    limit = PerMinute(10**9)
    for _ in range(100_000):
        limit.count("flood")
    limit.count("other")
    assert limit._counts_now() == {"flood": 100_000, "other": 1}


def test_one_count_for_every_router_given_the_limit_and_its_limit_changes_live(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Litestar copies middleware's arguments per router: the limit survives that as one
    object, so two routers count together and a new limit (an admin's) applies at once."""
    from litestar import Litestar, Router, get
    from litestar.testing import TestClient

    @get("/one", sync_to_thread=False)
    def one() -> str:
        return "one"

    @get("/two", sync_to_thread=False)
    def two() -> str:
        return "two"

    monkeypatch.setattr(limits.time, "time", lambda: 60 * 16_667 + 20.0)  # one window
    limit = PerMinute(5)
    app = Litestar(
        [
            Router("/", route_handlers=[one], middleware=[limit.middleware]),
            Router("/", route_handlers=[two], middleware=[limit.middleware]),
        ]
    )
    with TestClient(app) as client:
        assert client.get("/one").headers["ratelimit-remaining"] == "4"
        assert client.get("/two").headers["ratelimit-remaining"] == "3"
        assert limit.used("testclient") == 2
        limit.limit = 9
        assert client.get("/one").headers["ratelimit-limit"] == "9"
