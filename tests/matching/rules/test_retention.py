"""The retention rules: dated rows with sources, periods counted in calendar months, and the
boundaries (due on the day the period ends, not the day before)."""

from __future__ import annotations

from datetime import date

import pytest

from matching.rules.retention import (
    GDPR_IN_FORCE,
    RETENTION_RULES,
    Period,
    RetentionAction,
    RetentionSubject,
    ends_on,
    is_due,
    period_for,
    rule_for,
)

LEFT = RetentionSubject.LEFT_REGISTER
TODAY = date(2026, 6, 1)


def test_every_subject_has_one_rule_with_a_source_and_a_reason_from_the_gdpr() -> None:
    for subject in RetentionSubject:
        rule = rule_for(subject, TODAY)
        assert rule.valid_from == GDPR_IN_FORCE
        assert rule.source.strip() and rule.why.strip()
    assert {r.subject for r in RETENTION_RULES} == set(RetentionSubject)


def test_no_rule_is_in_force_before_the_gdpr_applied() -> None:
    with pytest.raises(ValueError, match="no retention rule"):
        rule_for(LEFT, date(2018, 5, 24))
    assert rule_for(LEFT, GDPR_IN_FORCE).rule_id == "left-register-anonymise"


def test_the_defaults() -> None:
    assert period_for(LEFT, TODAY) == Period(months=12)
    assert period_for(RetentionSubject.CV_DRAFT, TODAY) == Period(days=7)
    assert period_for(RetentionSubject.IMPORT_FILE, TODAY) == Period()
    assert period_for(RetentionSubject.AUDIT_LOG, TODAY) == Period(years=5)
    assert rule_for(RetentionSubject.AUDIT_LOG, TODAY).action is RetentionAction.KEEP


def test_a_person_is_due_on_the_day_the_period_ends_and_not_the_day_before() -> None:
    left_on = date(2025, 3, 15)
    assert ends_on(LEFT, left_on, TODAY) == date(2026, 3, 15)
    assert not is_due(LEFT, left_on, date(2026, 3, 14))
    assert is_due(LEFT, left_on, date(2026, 3, 15))
    assert is_due(LEFT, left_on, date(2026, 3, 16))


def test_a_month_end_is_clamped() -> None:
    # 31 January + 1 month is 28 February (29 in a leap year).
    assert Period(months=1).ends_on(date(2025, 1, 31)) == date(2025, 2, 28)
    assert Period(months=1).ends_on(date(2024, 1, 31)) == date(2024, 2, 29)
    assert Period(months=12).ends_on(date(2024, 2, 29)) == date(2025, 2, 28)


def test_the_sql_preselection_never_misses_a_due_person() -> None:
    period = Period(months=1)
    for today in (date(2025, 2, 28), date(2025, 3, 1), date(2025, 3, 31), date(2024, 2, 29)):
        bound = period.starts_before(today)
        for offset in range(-70, 0):
            start = date.fromordinal(today.toordinal() + offset)
            if period.ends_on(start) <= today:
                assert start <= bound, (today, start)


def test_an_override_replaces_the_default_but_not_the_dates_of_the_rule() -> None:
    overrides = {LEFT: Period(months=6)}
    left_on = date(2025, 9, 1)
    assert not is_due(LEFT, left_on, date(2026, 2, 28), overrides)
    assert is_due(LEFT, left_on, date(2026, 3, 1), overrides)
    assert not is_due(LEFT, left_on, date(2026, 3, 1))  # the default: 12 months
    with pytest.raises(ValueError):
        period_for(LEFT, date(2017, 1, 1), overrides)


def test_periods_are_never_negative_and_read_in_danish() -> None:
    with pytest.raises(ValueError):
        Period(days=-1)
    assert Period(months=12).label_da == "12 måneder"
    assert Period(years=1, days=1).label_da == "1 år og 1 dag"
    assert Period().label_da == "straks"
