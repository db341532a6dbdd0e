"""Workers on other machines, as far as the network goes: each worker in a network
namespace of its own joined to this one by a veth pair on a private bridge, with
nats-server listening on this side's address only. A second machine adds capacity with one
command, and losing one (kill -9) loses only the runs it had started."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests import _nats
from widgetbox.runtime import Call, Code, Runtime, Script, Status
from widgetbox.runtime.remote import WORKER_LOST

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        not (_nats.available() and _nats.can_make_machines()),
        reason="needs nats-server, root and iproute2 (network namespaces)",
    ),
]

SLOW = Call(
    Code.single(
        "import time\nimport anvil.server\n@anvil.server.callable\n"
        "def slow(s):\n    time.sleep(s)\n    return 'slept'\n"
    ),
    "slow",
    [0.5],
)


@pytest.fixture(scope="module")
def network(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[_nats.Cluster, list[_nats.Machine]]]:
    with (
        _nats.machines(2) as (gateway, machines),
        _nats.cluster(tmp_path_factory.mktemp("nats"), ["m1", "m2"], address=gateway) as found,
    ):
        yield found, machines


def test_a_second_machine_adds_capacity_and_losing_one_loses_only_its_runs(
    network: tuple[_nats.Cluster, list[_nats.Machine]],
) -> None:
    cluster, (first, second) = network
    cluster.start_worker("m1", processes=1, capacity=1, prefix=first.prefix)
    # the host keeps no process for requests: every request runs on a machine
    with Runtime(pool_size=0, processes=0, nats=cluster.url()) as host:
        remote = host.remote
        assert remote is not None
        _nats.wait_for(remote.available, timeout=30)

        def burst() -> float:
            start = time.monotonic()
            with ThreadPoolExecutor(8) as pool:  # more than the workers take at once
                results = list(pool.map(lambda _: host.run(SLOW), range(8)))
            assert all(r.status is Status.OK for r in results), results
            return time.monotonic() - start

        # 8 half-second calls, 2 at a time (a worker takes twice its capacity when the
        # host has no process of its own; the rest wait at the host for room): about 2 s
        alone = burst()
        cluster.start_worker("m2", processes=1, capacity=1, prefix=second.prefix)
        _nats.wait_for(lambda: sum(w.healthy for w in remote.status()) == 2, timeout=30)
        together = burst()  # 4 at a time: about 1 s
        assert together < alone * 0.8, (alone, together)
        assert all(w.served > 0 for w in remote.status())

        # a machine dies under a mixed load: only what it had started is lost
        script = Code.single("import time\ntime.sleep(1.5)\nprint('done')")
        with ThreadPoolExecutor(8) as pool:
            calls = [pool.submit(host.run, Call(SLOW.code, "slow", [2.0])) for _ in range(4)]
            scripts = [pool.submit(host.run, Script(script)) for _ in range(4)]
            time.sleep(1.0)
            cluster.kill_worker("m1")
            results = [f.result(120) for f in calls + scripts]
        lost = [r for r in results if r.status is Status.KILLED]
        assert lost
        assert all(r.message.startswith(WORKER_LOST.split("{")[0]) for r in lost)
        assert all(r.status in (Status.OK, Status.KILLED) for r in results)
        # at most the one script m1 had started is lost; the queued ones ran on m2
        assert sum(r.status is Status.OK for r in results[4:]) >= 3
        assert host.run(SLOW).status is Status.OK
