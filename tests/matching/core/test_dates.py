"""The one Danish date parser and formatter: every form, page, e-mail and rule message uses it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.core.dates import (
    DATE_HINT,
    format_date,
    format_long_date,
    parse_date,
    valid_on,
)


@pytest.mark.parametrize(
    "text",
    [
        "14.03.2027",
        "14-03-2027",
        "14/3/2027",
        "14.3.2027",
        " 14.03.2027 ",
        "2027-03-14",
        "2027-3-14",
    ],
)
def test_danish_and_iso_input_read_as_the_same_day(text: str) -> None:
    assert parse_date(text) == date(2027, 3, 14)


@pytest.mark.parametrize(
    "text",
    ["", None, "i morgen", "31.02.2027", "2027-13-01", "14.03.27", "14 03 2027", "14.03.2027x"],
)
def test_anything_else_is_no_date(text: str | None) -> None:
    assert parse_date(text) is None


def test_the_hint_shows_the_format_the_formatter_writes() -> None:
    assert DATE_HINT == "Skriv datoen som dd.mm.åååå, fx 14.03.2027."
    assert parse_date("14.03.2027") == date(2027, 3, 14)
    assert format_date(date(2027, 3, 14)) == "14.03.2027"


def test_formats() -> None:
    assert format_date(date(2019, 3, 1)) == "01.03.2019"
    assert format_date(None) == "–"
    # A moment is shown in Danish time: 23:30 UTC on 31 March is 1 April in Copenhagen (CEST).
    assert format_date(datetime(2026, 3, 31, 23, 30, tzinfo=UTC)) == "01.04.2026 kl. 01:30"
    assert format_long_date(date(2026, 3, 14)) == "14. marts 2026"
    assert format_long_date(date(2026, 12, 1)) == "1. december 2026"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_what_is_written_reads_back(day: date) -> None:
    assert parse_date(format_date(day)) == day
    assert parse_date(day.isoformat()) == day


def test_validity_period_includes_its_first_day_and_excludes_its_last() -> None:
    start, end = date(2024, 1, 1), date(2024, 7, 1)
    assert not valid_on(date(2023, 12, 31), start, end)
    assert valid_on(start, start, end)
    assert valid_on(date(2024, 6, 30), start, end)
    assert not valid_on(end, start, end)
    assert valid_on(date(2999, 1, 1), start, None)
