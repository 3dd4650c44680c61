"""What every dated rule table shares: validity of a row on a day, the checks of its rows and its
version hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Protocol

from matching.core.dates import valid_on


class ValidOn:
    """Mixin for a rule row with ``valid_from`` and ``valid_to`` (open end: None)."""

    valid_from: date
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        """True if ``day`` lies in ``[valid_from, valid_to)``."""
        return valid_on(day, self.valid_from, self.valid_to)


class DatedRow(Protocol):
    rule_id: str
    valid_from: date
    valid_to: date | None
    source: str


def check_rows(rules: Iterable[DatedRow]) -> None:
    """Raise ValueError for a duplicate rule id, a window that ends before it starts, or a row
    without a source."""
    seen: set[str] = set()
    for rule in rules:
        if rule.rule_id in seen:
            raise ValueError(f"duplicate rule id {rule.rule_id!r}")
        seen.add(rule.rule_id)
        if rule.valid_to is not None and rule.valid_to <= rule.valid_from:
            raise ValueError(f"rule {rule.rule_id!r} ends before it starts")
        if not rule.source.strip():
            raise ValueError(f"rule {rule.rule_id!r} has no source")


def iso(day: date | None) -> str:
    """The day as it enters a version hash ("" for an open end)."""
    return "" if day is None else day.isoformat()


def table_version(revision: int, *tables: Iterable[str]) -> str:
    """A short stable version of rule tables from their revision and one line per row (sorted
    within each table, so the order of the rows does not matter)."""
    lines = [f"revision|{revision}", *(line for rows in tables for line in sorted(rows))]
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return f"r{revision}-{digest[:12]}"
