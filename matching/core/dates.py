"""Danish dates: today in Denmark, month arithmetic, ages."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

DANISH_TZ = ZoneInfo("Europe/Copenhagen")


def today_dk() -> date:
    """Today's date in Denmark: responsibility and target group periods are Danish dates."""
    return datetime.now(DANISH_TZ).date()


def age_on(birth_date: date, day: date) -> int:
    """Age in completed years on ``day``.

    A person born on 29 February has their birthday on 1 March in non-leap years (they are
    not a year older on 28 February). Raises ValueError for a day before the birth date.
    """
    if day < birth_date:
        raise ValueError(f"{day.isoformat()} is before the birth date {birth_date.isoformat()}")
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (or earlier, if negative).

    A day missing in the target month becomes that month's last day: 31 August + 6 months is
    28 February (29 in a leap year). This is how a period of months is counted forward from
    its first day, so "6 months on support" from 31 August is complete on 28/29 February.
    """
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return date(year, month_index + 1, min(day.day, last_day))


def completed_months(since: date, day: date) -> int:
    """Whole calendar months from ``since`` to ``day`` (0 if ``day`` is not after ``since``)."""
    if day <= since:
        return 0
    months = (day.year - since.year) * 12 + day.month - since.month
    if add_months(since, months) > day:
        months -= 1
    return months
