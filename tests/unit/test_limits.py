from __future__ import annotations

import pytest

from widgetbox.runtime import Limits
from widgetbox.runtime._limits import MiB

pytestmark = pytest.mark.unit


def test_defaults_match_the_product_definition() -> None:
    script, request = Limits.script(), Limits.request()
    assert script.timeout == 300
    assert request.timeout == 30
    assert script.memory == 256 * MiB
    assert script.output == 2 * MiB
    assert (script.scratch_bytes, script.scratch_files) == (64 * MiB, 1000)
    assert script.host_calls == 200_000
    assert (script.host_request_bytes, script.host_response_bytes) == (1 * MiB, 8 * MiB)
    assert (request.stream_chunk_bytes, request.stream_bytes) == (256 * 1024, 32 * MiB)
    assert script.fuel is None


@pytest.mark.parametrize(
    "change",
    [
        {"timeout": 0},
        {"timeout": -1},
        {"memory": -1},
        {"fuel": 0},
        {"host_calls": -2},
        {"stream_bytes": -1},
        # a streamed response's piece crosses the bridge in one 1 MiB frame, base64-encoded
        {"stream_chunk_bytes": 768 * 1024 + 1},
    ],
)
def test_invalid_limits_are_refused(change: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="Limits"):
        Limits.script().with_(**change)


def test_with_changes_only_what_it_is_told() -> None:
    limits = Limits.request().with_(memory=64 * MiB)
    assert limits.memory == 64 * MiB
    assert limits.timeout == 30
