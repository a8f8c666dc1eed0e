"""Business calendar for Peru: working days are Monday to Friday except national public
holidays (the `holidays` package, country PE), counted in Lima's local date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LIMA = ZoneInfo("America/Lima")


@lru_cache(maxsize=64)
def _peru_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("PE", years=year, language="es")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _peru_holidays(day.year)


def holiday_name(day: date) -> str | None:
    return _peru_holidays(day.year).get(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start`, at the same Lima wall-clock time.

    Only working days advance the count: Wednesday 1 April 2026 plus one working day is
    Monday 6 April (Maundy Thursday, Good Friday and the weekend are skipped), and a
    Saturday plus one working day is the Monday after.
    """
    if start.tzinfo is None:
        raise ValueError("add_working_days needs an aware datetime")
    if days < 0:
        raise ValueError("days must be >= 0")
    local = start.astimezone(LIMA)
    current = local.date()
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return datetime.combine(current, local.time(), tzinfo=LIMA)
