"""Danish dates, in one place: today in Denmark, reading a date as people type it, writing it
as Danish users read it, month arithmetic, ages, validity periods and stored timestamps as UTC.

Every form, page, e-mail, rule message and export uses these, so a date looks the same
everywhere (``14.03.2027``) and every date field accepts the same input with the same hint.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime
from typing import overload
from zoneinfo import ZoneInfo

DANISH_TZ = ZoneInfo("Europe/Copenhagen")
DATE_HINT = "Skriv datoen som dd.mm.åååå, fx 14.03.2027."
MONTHS_DA = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
_ISO_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DANISH_RE = re.compile(r"(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})")


def today_dk() -> date:
    """Today's date in Denmark: responsibility and target group periods are Danish dates."""
    return datetime.now(DANISH_TZ).date()


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """A stored timestamp as UTC: SQLite hands back naive datetimes, and every timestamp
    Jobbro stores is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def parse_date(text: str | None) -> date | None:
    """A date as typed: Danish (``14.03.2027``, ``14-03-2027``, ``14/3/2027``) or ISO
    (``2027-03-14``, what ``<input type=date>`` sends). None when it is neither or no such day
    exists; the caller shows :data:`DATE_HINT`."""
    text = (text or "").strip()
    iso = _ISO_RE.fullmatch(text)
    danish = _DANISH_RE.fullmatch(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if danish:
            return date(int(danish[3]), int(danish[2]), int(danish[1]))
    except ValueError:
        return None
    return None


def format_date(day: date | datetime | None) -> str:
    """``14.03.2027``; a datetime in Danish time with the clock, ``14.03.2027 kl. 09:05``;
    ``–`` for no date."""
    if day is None:
        return "–"
    if isinstance(day, datetime):
        if day.tzinfo is not None:
            day = day.astimezone(DANISH_TZ)
        return day.strftime("%d.%m.%Y kl. %H:%M")
    return day.strftime("%d.%m.%Y")


def format_long_date(day: date) -> str:
    """``14. marts 2027``: for headings and printed lists."""
    return f"{day.day}. {MONTHS_DA[day.month - 1]} {day.year}"


def valid_on(day: date, valid_from: date, valid_to: date | None) -> bool:
    """Whether ``day`` lies in the period ``[valid_from, valid_to)`` (open-ended without
    ``valid_to``). Stored periods use the same rule in SQL (``models.base.Dated.valid_on``)."""
    return valid_from <= day and (valid_to is None or day < valid_to)


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
