"""The sandbox runtime: fresh-interpreter latency and throughput, the cost of the sandbox
against native CPython, warm start and memory per pooled interpreter."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from widgetbox.host.runs.fuel import FUEL_PER_CPU_MS
from widgetbox.runtime import (
    Code,
    HttpRequest,
    Route,
    Runtime,
    Script,
    Status,
    _artifacts,
    _engine,
    _snapshot,
)
from widgetbox.runtime._bridge import Bridge
from widgetbox.runtime._engine import Compiled
from widgetbox.runtime._guest import Guest, Sandbox
from widgetbox.runtime._image import MEMORY_IMPORT

from ._report import Figure, median, percentile

HELLO_SOURCE = """
import anvil.server

@anvil.server.route("/hello")
def hello(**q):
    return "hello"
"""
HELLO = Route(Code.single(HELLO_SOURCE), HttpRequest("GET", "/hello"))
NATIVE_HELLO = [sys.executable, "-I", "-S", "-c", "print('hello')"]
CPU_LOOP = textwrap.dedent(
    """
    import time
    t = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i % 7
    print(time.perf_counter() - t)
    """
)


def timed(fn: Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def rate(fn: Callable[[], object], concurrency: int, seconds: float) -> float:
    """Completed calls per second with `concurrency` threads calling `fn` back to back."""
    count, elapsed = calls(fn, concurrency, seconds)
    return count / elapsed


def calls(fn: Callable[[], object], concurrency: int, seconds: float) -> tuple[int, float]:
    """`concurrency` threads calling `fn` back to back for `seconds`: (calls completed,
    seconds elapsed)."""
    stop = time.monotonic() + seconds
    counts = [0] * concurrency

    def worker(slot: int) -> None:
        while time.monotonic() < stop:
            fn()
            counts[slot] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), time.perf_counter() - started


def hello_route(runtime: Runtime) -> None:
    result = runtime.run(HELLO)
    assert result.status is Status.OK, result.message
    assert result.response is not None
    assert result.response.body == b"hello"


def native_hello() -> None:
    subprocess.run(NATIVE_HELLO, capture_output=True, check=True)


def bare_linker(compiled: Compiled) -> wasmtime.Linker:
    """WASI and a `host.call` that refuses everything: no guards, no bridge."""
    linker = wasmtime.Linker(compiled.engine)
    linker.allow_shadowing = True
    linker.define_wasi()
    i32 = wasmtime.ValType.i32()
    linker.define_func("host", "call", wasmtime.FuncType([i32] * 4, [i32]), lambda *a: -1)
    return linker


def bare_instance(
    compiled: Compiled, linker: wasmtime.Linker, memory: wasmtime.InstancePre, store: wasmtime.Store
) -> wasmtime.InstanceExports:
    """An instance as the sandbox makes one: the memory module's, then the code's."""
    linker.define(store, *MEMORY_IMPORT, memory.instantiate(store).exports(store)["memory"])
    exports = linker.instantiate(store, compiled.module).exports(store)
    if not compiled.initialised and "_initialize" in exports:
        exports["_initialize"](store)  # type: ignore[operator]
    return exports


def bare_floor(count: int) -> list[float]:
    """Instantiate the interpreter (as the warm-up left it) and run one `print('hello')`
    turn: no bridge, no guards; the floor any sandboxed run pays."""
    compiled = _snapshot.compiled(_artifacts.locate())
    linker = bare_linker(compiled)
    memory = wasmtime.Linker(compiled.engine).instantiate_pre(compiled.memory)
    source = b"print('hello')"

    def once() -> None:
        store = wasmtime.Store(compiled.engine)
        wasi = wasmtime.WasiConfig()
        wasi.preopen_dir(str(compiled.interpreter.stdlib_dir), "/usr/local/lib", False)
        store.set_wasi(wasi)
        store.set_fuel(2**62)
        store.set_epoch_deadline(2**40)
        exports = bare_instance(compiled, linker, memory, store)
        address = exports["host_alloc"](store, len(source))
        exports["memory"].write(store, source, address)
        assert exports["turn"](store, address, len(source)) == 0
        store.close()

    return timed(once, count)


def cpu_seconds_in_guest(metered: bool) -> float:
    """The CPU loop's own time inside a bare guest, on a metered or unmetered engine."""
    compiled = _engine.compiled(_artifacts.locate(), metered=metered)
    linker = bare_linker(compiled)
    store = wasmtime.Store(compiled.engine)
    wasi = wasmtime.WasiConfig()
    wasi.preopen_dir(str(compiled.interpreter.stdlib_dir), "/usr/local/lib", False)
    printed: list[bytes] = []
    wasi.stdout_custom = printed.append
    store.set_wasi(wasi)
    if metered:
        store.set_fuel(2**62)
    store.set_epoch_deadline(2**40)
    memory = wasmtime.Linker(compiled.engine).instantiate_pre(compiled.memory)
    exports = bare_instance(compiled, linker, memory, store)
    source = CPU_LOOP.encode()
    address = exports["host_alloc"](store, len(source))
    exports["memory"].write(store, source, address)
    assert exports["turn"](store, address, len(source)) == 0
    store.close()
    return float(b"".join(printed))


MIXED_LOOP = textwrap.dedent(
    """
    import json, re
    counts, rows = {}, []
    for i in range(60_000):
        key = f"item-{i % 500}"
        counts[key] = counts.get(key, 0) + 1
        rows.append({"id": i, "name": key.upper(), "score": (i * 37) % 101 / 3})
    back = json.loads(json.dumps(rows[:5000]))
    found = len(re.findall(r"ITEM-4\\d", " ".join(row["name"] for row in rows[:20000])))
    rows.sort(key=lambda row: (row["score"], row["id"]))

    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    fib(22)
    """
)
"""What a widget's code does more often than arithmetic: strings, dicts, lists, JSON, a
regular expression, a sort and function calls."""


def fuel_per_cpu_ms(source: str) -> float:
    """Fuel a bare metered guest spends per millisecond of this thread's CPU time on
    `source`: the factor by which the IDE shows fuel as an estimate of CPU time
    (`host/runs/fuel.py`)."""
    compiled = _engine.compiled(_artifacts.locate(), metered=True)
    linker = bare_linker(compiled)
    store = wasmtime.Store(compiled.engine)
    wasi = wasmtime.WasiConfig()
    wasi.preopen_dir(str(compiled.interpreter.stdlib_dir), "/usr/local/lib", False)
    store.set_wasi(wasi)
    store.set_fuel(2**62)
    store.set_epoch_deadline(2**40)
    memory = wasmtime.Linker(compiled.engine).instantiate_pre(compiled.memory)
    exports = bare_instance(compiled, linker, memory, store)
    data = source.encode()
    address = exports["host_alloc"](store, len(data))
    exports["memory"].write(store, data, address)
    before, cpu = store.get_fuel(), time.thread_time()
    assert exports["turn"](store, address, len(data)) == 0
    cpu, used = time.thread_time() - cpu, before - store.get_fuel()
    store.close()
    return used / (cpu * 1000)


def cpu_seconds_native() -> float:
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CPU_LOOP], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


def parallel_cpu(runtime: Runtime) -> tuple[float, float]:
    """Wall time of one CPU-bound run alone, and of two at once."""
    job = Script(Code.single(CPU_LOOP))
    one = timed(lambda: runtime.run(job), 1)[0]
    started = time.perf_counter()
    threads = [threading.Thread(target=runtime.run, args=(job,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return one, time.perf_counter() - started


WARM_START = textwrap.dedent(
    """
    import time
    from widgetbox.runtime import Code, Runtime, Script
    with Runtime(pool_size=1) as runtime:
        assert runtime.run(Script(Code.single("print(1)"))).stdout == "1\\n"
        print(time.perf_counter())
    """
)


def warm_start() -> tuple[float, float]:
    """Seconds from starting a process to its first finished run, and for a bare
    `python -c pass`, both as the parent sees them."""

    def measure(args: list[str]) -> float:
        started = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        return time.perf_counter() - started

    start = median([measure([sys.executable, "-c", WARM_START]) for _ in range(3)])
    bare = median([measure([sys.executable, "-c", "pass"]) for _ in range(3)])
    return start, bare


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def memory_per_interpreter(count: int = 16) -> tuple[float, float]:
    """(resident bytes, linear-memory bytes) per started interpreter, measured in this
    process with guests started the way a sandbox process starts them."""
    with tempfile.TemporaryDirectory() as work:
        sandbox = Sandbox(_snapshot.compiled(_artifacts.locate()), Bridge(), Path(work))
        Guest(sandbox).close()  # anything lazily created is created now
        before = rss_bytes()
        guests = [Guest(sandbox) for _ in range(count)]
        after = rss_bytes()
        linear = median([guest.memory.data_len(guest.store) for guest in guests])
        sandbox.close_all()
    return (after - before) / count, linear


def run(quick: bool = False) -> list[Figure]:
    count = 60 if quick else 400
    seconds = 2.0 if quick else 6.0
    figures: list[Figure] = []
    native = timed(native_hello, 10 if quick else 40)
    native_p50 = median(native) * 1000
    floor_p50 = median(bare_floor(20 if quick else 100)) * 1000

    with Runtime(pool_size=4) as runtime:
        for _ in range(20):
            hello_route(runtime)

        pooled = []  # each run starts with the pool full: the latency of a warm pool
        for _ in range(count):
            runtime.wait_ready(10)
            started = time.perf_counter()
            hello_route(runtime)
            pooled.append((time.perf_counter() - started) * 1000)
        p50, p99 = median(pooled), percentile(pooled, 99)
        figures += [
            Figure(
                "hello route, pool warm: p50",
                p50,
                "ms",
                "native python3 -I -S -c p50",
                native_p50,
                "<= 0.2x",
                p50 <= 0.2 * native_p50,
            ),
            Figure("hello route, pool warm: p99", p99, "ms", target="<= 10 ms", met=p99 <= 10),
        ]
        for concurrency in (1, 2):
            runs = rate(lambda: hello_route(runtime), concurrency, seconds)
            native_runs = rate(native_hello, concurrency, seconds / 2)
            figures.append(
                Figure(
                    f"fresh runs/s with pool, concurrency {concurrency}",
                    runs,
                    "runs/s",
                    f"native subprocesses/s at concurrency {concurrency}",
                    native_runs,
                    ">= 3x" if concurrency == 2 else "",
                    runs >= 3 * native_runs if concurrency == 2 else None,
                )
            )
        alone, together = parallel_cpu(runtime)
        figures.append(
            Figure(
                "two CPU-bound runs at once vs one alone",
                together,
                "s",
                "one run alone",
                alone,
                "about 1x on 2 cores",
            )
        )
        resident, linear = memory_per_interpreter()
        figures += [
            Figure(
                "resident memory per pooled interpreter",
                resident / 2**20,
                "MiB",
                target="<= 64 MiB",
                met=resident <= 64 * 2**20,
            ),
            Figure(
                "linear memory per pooled interpreter",
                linear / 2**20,
                "MiB",
                note="virtual size of the guest's memory; pages are copy-on-write",
            ),
        ]

    with Runtime(pool_size=0) as runtime:
        hello_route(runtime)
        cold = [s * 1000 for s in timed(lambda: hello_route(runtime), count // 2)]
        figures += [
            Figure(
                "hello route, no pool: p50",
                median(cold),
                "ms",
                "bare instantiate + print turn p50",
                floor_p50,
            ),
            Figure("hello route, no pool: p99", percentile(cold, 99), "ms"),
        ]
        for concurrency in (1, 2):
            runs = rate(lambda: hello_route(runtime), concurrency, seconds)
            figures.append(
                Figure(f"fresh runs/s without pool, concurrency {concurrency}", runs, "runs/s")
            )
    figures.append(
        Figure(
            "bare instantiate + print turn p50",
            floor_p50,
            "ms",
            "native python3 -I -S -c p50",
            native_p50,
        )
    )
    figures.append(Figure("native python3 -I -S -c 'print(...)' p50", native_p50, "ms"))

    native_cpu = median([cpu_seconds_native() for _ in range(3)])
    metered = median([cpu_seconds_in_guest(True) for _ in range(3)])
    unmetered = median([cpu_seconds_in_guest(False) for _ in range(3)])
    figures += [
        Figure("CPU loop in sandbox, fuel metered", metered, "s", "native CPython", native_cpu),
        Figure("CPU loop in sandbox, no fuel", unmetered, "s", "native CPython", native_cpu),
        Figure("fuel metering overhead", metered, "s", "sandbox without fuel", unmetered),
    ]
    mixed = median([fuel_per_cpu_ms(MIXED_LOOP) for _ in range(3)]) / 1e6
    arithmetic = median([fuel_per_cpu_ms(CPU_LOOP) for _ in range(3)]) / 1e6
    figures += [
        Figure(
            "fuel per CPU millisecond, mixed loop",
            mixed,
            "M",
            "the CPU loop (arithmetic)",
            arithmetic,
            note=f"the IDE's estimate uses {FUEL_PER_CPU_MS / 1e6:g} M (host/runs/fuel.py)",
        ),
    ]
    start, bare = warm_start()
    figures.append(
        Figure(
            "process start to first run, warm cache",
            start,
            "s",
            "python -c pass",
            bare,
            "<= 2 s",
            start <= 2,
        )
    )
    return figures
