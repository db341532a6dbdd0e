"""Rate limits, per client address: log-in and sign-up attempts, and calls to widgets' HTTP
APIs (GUI apps' server calls have their own, in `gui/apps.py`)."""

from __future__ import annotations

from litestar.middleware.rate_limit import RateLimitConfig

from widgetbox.host.config import Config


def rate_limit(config: Config) -> RateLimitConfig:
    return RateLimitConfig(
        rate_limit=("minute", config.security.login_attempts_per_minute),
        set_rate_limit_headers=True,
        store="rate_limits",
    )


def widget_rate_limit(config: Config) -> RateLimitConfig:
    """Widgets' HTTP APIs, per client address."""
    return RateLimitConfig(
        rate_limit=("minute", config.http.http_requests_per_minute),
        set_rate_limit_headers=True,
        store="widget_rate_limits",
    )
