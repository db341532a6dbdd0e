"""Template filters: times, durations, fuel (as an estimate of CPU time), counts and statuses
as people read them. The page scripts format live values the same way
(client/src/lib/format.js), with the same statuses (runtime/statuses.json)."""

from __future__ import annotations

from widgetbox.runtime import RUN_STATUSES

STATUS_LABELS = {name: status.label for name, status in RUN_STATUSES.items()}
"""From the run-status vocabulary (`widgetbox.runtime.RUN_STATUSES`), which the page scripts
bundle too."""
TRIGGER_LABELS = {
    "manual": "Run button",
    "schedule": "Schedule",
    "http": "HTTP request",
    "call": "Server call",
    "task": "Background task",
}
KIND_LABELS = {"script": "Script", "scheduled": "Scheduled task", "http": "HTTP API", "gui": "App"}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def status_tone(status: str) -> str:
    """The badge colour: ok, bad, busy, warn or idle."""
    known = RUN_STATUSES.get(status)
    return known.tone if known else "idle"


def stamp(iso: str | None) -> str:
    """ "2026-11-24 20:15 UTC" from a stored ISO time (pages' scripts show it in local time
    and relative to now)."""
    if not iso:
        return ""
    return iso[:16].replace("T", " ") + " UTC"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def fuel(units: int | None) -> str:
    """Fuel in millions or billions of units ("52.1 M")."""
    if units is None:
        return ""
    if units >= 1_000_000_000:
        return f"{units / 1e9:.2f} G"
    if units >= 1_000_000:
        return f"{units / 1e6:.1f} M"
    return f"{units:,}"


def cpu(ms: float | None) -> str:
    """An estimate of CPU time from fuel (`runs/fuel.py`): "≈ 12 ms CPU", "< 1 ms CPU"."""
    if ms is None:
        return ""
    return "< 1 ms CPU" if ms < 1 else f"≈ {duration(ms / 1000)} CPU"


def plural(count: int, word: str, words: str | None = None) -> str:
    """ "1 package", "3 packages" (`words`: a plural that is not `word` + "s")."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def size(count: int | None) -> str:
    if count is None:
        return ""
    if count >= 1 << 20:
        return f"{count / (1 << 20):.1f} MiB"
    if count >= 1 << 10:
        return f"{count / (1 << 10):.0f} KiB"
    return f"{count} B"


FILTERS = {
    "status_label": status_label,
    "status_tone": status_tone,
    "stamp": stamp,
    "duration": duration,
    "fuel": fuel,
    "cpu": cpu,
    "plural": plural,
    "size": size,
    "trigger_label": lambda trigger: TRIGGER_LABELS.get(trigger, trigger),
    "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
}
