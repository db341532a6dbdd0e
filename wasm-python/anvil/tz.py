"""`anvil.tz`: time zones for aware datetimes, as Anvil offers them.

`datetime.now(anvil.tz.tzutc())`, `anvil.tz.tzoffset(hours=2)`, `anvil.tz.tzlocal()` (the
local zone: UTC on the server, the visitor's in a browser). Data Tables give back datetimes
aware, in UTC.
"""

import datetime
import time

__all__ = ["UTC", "tzlocal", "tzoffset", "tzutc"]


class tzoffset(datetime.tzinfo):
    """A fixed offset from UTC, given as exactly one of `seconds`, `minutes` or `hours`
    (none: UTC)."""

    def __init__(self, **kwargs):
        if len(kwargs) > 1 or not set(kwargs) <= {"seconds", "minutes", "hours"}:
            raise TypeError(
                "tzoffset takes exactly one of the keyword arguments seconds, minutes or hours"
            )
        self._offset = datetime.timedelta(**kwargs)

    def utcoffset(self, dt):
        return self._offset

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return None

    def __eq__(self, other):
        if not isinstance(other, tzoffset):
            return NotImplemented
        return self._offset == other._offset

    def __hash__(self):
        return hash(self._offset)

    def __repr__(self):
        hours = self._offset.total_seconds() / 3600
        return f"<anvil.tz.{type(self).__name__} ({hours} hour offset)>"


class tzlocal(tzoffset):
    """The local time zone's current offset (UTC in server code)."""

    def __init__(self):
        summer = time.daylight and time.localtime().tm_isdst
        seconds = -time.altzone if summer else -time.timezone
        tzoffset.__init__(self, seconds=seconds)


class tzutc(tzoffset):
    """UTC."""

    def __init__(self):
        tzoffset.__init__(self, seconds=0)

    def __repr__(self):
        return "<anvil.tz.tzutc>"


UTC = tzutc()
