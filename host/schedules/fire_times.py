"""When a schedule rule fires: its next fire times, and when a scheduler that was down
should fire it (`missed`). Pure logic; every "now" is an argument. What a `Rule` is, and
how one is checked, is `rules.py`'s.

Times in and out are aware datetimes in UTC; local wall time only matters inside.

- **Minute and hour intervals** count real elapsed time from the start (00:00) of the
  anchor's local day: they fire at that instant plus every multiple of N minutes or hours.
  So every 15 minutes fires at :00, :15, :30 and :45 local time, every 2 hours at even local
  hours, and across a DST change they keep firing every N real minutes: no gap, no double
  fire. The phase is fixed in real time, so when the clocks move by an hour the wall-clock
  times move with them: every 2 hours, anchored in winter, fires at odd local hours in
  summer (every 15 or 30 minutes is unaffected by whole-hour changes).
- **Day and week intervals** fire at the local wall-clock time `at` (default 00:00) on every
  Nth local date counting from the anchor's local date; week intervals on every Nth
  `weekday` (default: the anchor's local weekday) counting from the first such day on or
  after the anchor's local date. When `at` does not exist that day (spring forward) the rule
  fires at the first valid moment after the gap, the instant the clocks jump (02:30 on
  Paris's spring-forward day fires at 03:00 CEST); when it happens twice (fall back) the
  rule fires once, at the first occurrence. Real spacing is thus 23 or 25 hours across a
  change.
- **Cron** expressions (the standard 5 fields) follow cronsim in the rule's time zone, which
  keeps Debian cron's DST rules: a specific time in the skipped hour fires at the first
  minute after the jump, a specific time in the repeated hour fires once (the first), and
  expressions with `*` in the minute or hour field follow real time (they fire in both
  passes of a repeated hour and not in the missing one).

The anchor fixes the phase of a rule; only its local date (in the rule's zone) matters. The
grid extends both ways from it, so asking about times before the anchor works the same.

After downtime, `missed` runs a missed schedule once, not once per missed slot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from cronsim import CronSim

if TYPE_CHECKING:
    from widgetbox.host.schedules.rules import Rule

_START_OF_DAY = time(0, 0)


def next_times(rule: Rule, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` fire times strictly after `after`, as aware UTC datetimes, sorted
    and unique. Fewer only when the rule stops firing: a cron expression with no match in
    50 years, or the end of the calendar (year 9999)."""
    if after.utcoffset() is None:
        raise ValueError("next_times needs an aware datetime")
    if count < 0:
        raise ValueError("count must not be negative")
    after = after.astimezone(UTC)
    found: list[datetime] = []
    if count == 0:
        return found
    for moment in _fires(rule, after):
        if moment <= after or (found and moment <= found[-1]):
            continue
        found.append(moment)
        if len(found) == count:
            break
    return found


def missed(rule: Rule, last_due: datetime, now: datetime) -> datetime:
    """When a scheduler that was down should fire next: `now` if at least one fire time
    fell in (last_due, now], else the next fire time after `now`. A missed schedule runs
    once, not once per missed slot. Raises ValueError if the rule never fires again (only
    at the end of the calendar)."""
    due = next_times(rule, last_due, 1)
    if due and due[0] <= now:
        return now.astimezone(UTC)
    upcoming = next_times(rule, now, 1)
    if not upcoming:
        raise ValueError(f"the schedule {rule.describe()!r} never fires after {now}")
    return upcoming[0]


def _fires(rule: Rule, after: datetime) -> Iterator[datetime]:
    """Fire times in UTC, increasing, from at or a little before `after`; duplicates and
    times not after `after` are filtered by the caller."""
    zone = rule.zone
    try:
        if rule.kind == "cron":
            for moment in CronSim(rule.cron, after.astimezone(zone)):
                yield moment.astimezone(UTC)
        elif rule.unit in ("minutes", "hours"):
            step = rule.length  # real time: a minute or an hour never changes length
            assert step is not None
            origin = _resolve(datetime.combine(_local_date(rule), _START_OF_DAY), zone)
            k = (after - origin) // step + 1
            while True:
                yield origin + k * step
                k += 1
        else:
            days = rule.every * (7 if rule.unit == "weeks" else 1)
            first = _first_date(rule)
            # A fire of date D happens on D or (after a gap that crosses midnight) the day
            # after, so starting two days before `after`'s local date misses nothing.
            start = after.astimezone(zone).date() - timedelta(days=2)
            k = -((first - start).days // days)
            at = rule.at or _START_OF_DAY
            while True:
                yield _resolve(datetime.combine(first + timedelta(days=k * days), at), zone)
                k += 1
    except OverflowError:  # past the year 9999
        return


def _local_date(rule: Rule) -> date:
    return rule.anchor.astimezone(rule.zone).date()


def _first_date(rule: Rule) -> date:
    """The local date day and week intervals count from."""
    first = _local_date(rule)
    if rule.weekday is not None:
        first += timedelta(days=(rule.weekday - first.weekday()) % 7)
    return first


def _resolve(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of naive local time `wall` in `zone`: the first occurrence when the
    time happens twice, and the end of the gap (the instant the clocks jump) when it does
    not exist."""
    moment = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) == wall:
        return moment
    # In a gap, fold=0 reads `wall` with the offset before the jump (an instant after it)
    # and fold=1 with the offset after (an instant before it): the jump lies between.
    before = int(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    after = int(moment.timestamp())
    jumped = moment.astimezone(zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == jumped:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)
