"""Periods as CVs write them, Danish and English: "jan. 2019 – nu", "januar 2019 - d.d.",
"2015-2018", "03/2020 - present", "2019 – current", "Mar 2017 – Feb 2019", "siden 2019",
and a year alone ("2018"). Only years are kept: the CV stores start and end years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matching.core.dates import today_dk

MIN_YEAR = 1940

_MONTHS = (
    r"jan(?:uar|uary)?|feb(?:ruar|ruary)?|mar(?:ts|ch)?|apr(?:il)?|maj|may|jun[ei]?|jul[iy]?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|o[ck]t(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_YEAR = r"(?:19|20)\d{2}"
# A point in time: "jan. 2019", "januar 2019", "03/2020", "3.2020", "2020-03", "1. marts 2019",
# "2019".
_POINT = (
    rf"(?:(?:\d{{1,2}}\.?\s*)?(?:{_MONTHS})\.?,?\s*{_YEAR}"
    rf"|\d{{1,2}}\s*[./]\s*{_YEAR}"
    rf"|\d{{1,2}}[./-]\d{{1,2}}[./-]{_YEAR}"
    rf"|{_YEAR}(?:\s*[-/.]\s*(?:0?[1-9]|1[0-2])(?![\d]))?)"
)
_NOW = (
    r"nu|d\.\s?d\.?|dd|dags\s+dato|i\s+dag|p\.\s?t\.?|nuværende|igangværende|fortsat|endnu"
    r"|present|current(?:ly)?|now|today|ongoing|date"
)
_DASH = r"\s*(?:-{1,2}|–|—|‒|til|to|until|→|>)\s*"
_RANGE = re.compile(
    rf"(?<![\w/.-])(?P<start>{_POINT}){_DASH}(?:(?P<end>{_POINT})|(?P<now>{_NOW}))(?![\w/-])",
    re.IGNORECASE,
)
_SINCE = re.compile(
    rf"(?<![\w])(?:siden|since|fra|from)\s+(?P<start>{_POINT})(?![\w/-])", re.IGNORECASE
)
_OPEN = re.compile(rf"(?<![\w/.-])(?P<start>{_POINT})\s*(?:-|–|—)\s*$", re.IGNORECASE)
_SINGLE = re.compile(rf"(?<![\w/.,-])(?P<start>{_POINT})(?![\w/,-]|\.\d)", re.IGNORECASE)
_YEAR_IN = re.compile(_YEAR)
# A year closing a long line after a comma or in brackets: "…, UCL Erhvervsakademi, 2025".
_TRAILING_YEAR = re.compile(rf"(?:,\s*|\(\s*)(?P<start>{_YEAR})\s*\)?\s*$")


@dataclass(frozen=True)
class Period:
    """Years of a period; ``end`` None and ``ongoing`` True: until now; ``single``: one year
    written alone ("2018"). ``span`` is where it stands in the text."""

    start: int | None
    end: int | None
    ongoing: bool
    single: bool
    span: tuple[int, int]


def _year(text: str | None) -> int | None:
    if not text:
        return None
    found = _YEAR_IN.search(text)
    if not found:
        return None
    year = int(found.group())
    return year if MIN_YEAR <= year <= today_dk().year + 1 else None


def find_period(text: str, *, allow_single: bool = True) -> Period | None:
    """The first period in ``text``; a year alone only when ``allow_single`` (a postal code
    like "2000 Frederiksberg" is a year too, so callers allow it on short lines only)."""
    match = _RANGE.search(text)
    if match:
        start, end = _year(match["start"]), _year(match["end"])
        if start is not None and (match["now"] or end is not None):
            if end is not None and end < start:
                start, end = end, start
            return Period(start, end, bool(match["now"]), False, match.span())
    match = _SINCE.search(text) or _OPEN.search(text)
    if match:
        start = _year(match["start"])
        if start is not None:
            return Period(start, None, True, False, match.span())
    trailing = _TRAILING_YEAR.search(text)
    if trailing and not allow_single:
        start = _year(trailing["start"])
        if start is not None:
            return Period(start, start, False, True, trailing.span())
    if allow_single:
        for match in _SINGLE.finditer(text):
            start = _year(match["start"])
            if start is not None:
                return Period(start, start, False, True, match.span())
    return None


def without(text: str, period: Period) -> str:
    """``text`` with the period cut out, and the brackets and separators it leaves behind."""
    a, b = period.span
    rest = text[:a] + " " + text[b:]
    rest = re.sub(r"\(\s*\)|\[\s*\]", " ", rest)
    rest = re.sub(r"(?i)\b(?:periode|period)\s*:?", " ", rest)
    rest = re.sub(r"\s+([,;])", r"\1", rest)
    rest = re.sub(r"[ ]{2,}", " ", rest)
    rest = rest.strip(" ,;:|-–—·•")
    while rest.endswith(")") and rest.count(")") > rest.count("("):
        rest = rest[:-1].rstrip(" ,;:|-–—")
    while rest.startswith("(") and rest.count("(") > rest.count(")"):
        rest = rest[1:].lstrip(" ,;:|-–—")
    return rest.strip(" ,;:|-–—·•")
