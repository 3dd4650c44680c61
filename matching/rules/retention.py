"""How long Jobbro keeps personal data, as dated rule data (GDPR art. 5(1)(e), storage
limitation): what happens to what, how long after which day, and why.

Each rule names a *subject* (a person who left the register, an uploaded CV draft, the file of
a person import, the audit log), the *period* after the day it starts from, the *action* at its
end, and its source. The sources give no number of months for the copy of a person Jobbro
holds (the official case record is kept in the jobcentre's or a-kasse's case system), so the
periods below are configurable defaults for the deploying organisation (``JOBBRO_RETENTION_*``,
see docs/privacy.md), chosen as the reasons say.

Periods are counted in calendar months and years from the start day (:func:`core.dates.add_months`:
a day missing in the target month becomes its last day), then in days. A period *ends on*
``start + period``; the action is due from that day on (not the day before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from matching.core.dates import add_months
from matching.rules.tables import ValidOn, check_rows

GDPR_IN_FORCE = date(2018, 5, 25)  # the day the GDPR applies (art. 99(2))


class RetentionSubject(StrEnum):
    LEFT_REGISTER = "left_register"  # a person who left the register, from ``left_on``
    CV_DRAFT = "cv_draft"  # an uploaded CV document under review, from its upload
    IMPORT_FILE = "import_file"  # the uploaded file of a person import, from its end
    AUDIT_LOG = "audit_log"  # an audit entry, from when it was written


class RetentionAction(StrEnum):
    ANONYMISE = "anonymise"  # personal data removed; pseudonym and statistics kept
    DELETE = "delete"  # the row or file deleted
    KEEP = "keep"  # never deleted by Jobbro (append-only); the period is reported only


@dataclass(frozen=True)
class Period:
    """A length of time in calendar years, months and days (all ≥ 0)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if min(self.years, self.months, self.days) < 0:
            raise ValueError("a retention period cannot be negative")

    def ends_on(self, start: date) -> date:
        """The day the period that starts on ``start`` is over."""
        return add_months(start, self.years * 12 + self.months) + timedelta(days=self.days)

    def starts_before(self, end: date) -> date:
        """A day on or before the earliest start whose period is not over on ``end``, for a
        generous SQL pre-selection (the exact test is :meth:`ends_on`): month ends clamp, so
        a few days of slack."""
        back = add_months(end, -(self.years * 12 + self.months)) - timedelta(days=self.days)
        return back + timedelta(days=3)

    @property
    def label_da(self) -> str:
        parts = []
        for number, one, many in (
            (self.years, "år", "år"),
            (self.months, "måned", "måneder"),
            (self.days, "dag", "dage"),
        ):
            if number:
                parts.append(f"{number} {one if number == 1 else many}")
        return " og ".join(parts) if parts else "straks"


@dataclass(frozen=True)
class RetentionRule(ValidOn):
    rule_id: str
    subject: RetentionSubject
    period: Period
    action: RetentionAction
    valid_from: date
    valid_to: date | None  # exclusive
    source: str
    why: str


RETENTION_RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        "left-register-anonymise",
        RetentionSubject.LEFT_REGISTER,
        Period(months=12),
        RetentionAction.ANONYMISE,
        GDPR_IN_FORCE,
        None,
        "GDPR art. 5(1)(e) and 17(1)(a); configurable default (JOBBRO_RETENTION_LEFT_MONTHS)",
        "The case record (journal) stays in the jobcentre's or a-kasse's case system; Jobbro "
        "keeps its copy 12 months after the person left: many return within a year (seasonal "
        "and short jobs), when the CV and consents would otherwise be collected again, and "
        "questions about a referral or a complaint come within that time. The statistics use "
        "only what anonymisation keeps.",
    ),
    RetentionRule(
        "cv-draft-delete",
        RetentionSubject.CV_DRAFT,
        Period(days=7),
        RetentionAction.DELETE,
        GDPR_IN_FORCE,
        None,
        "GDPR art. 5(1)(c) and (e); configurable default (JOBBRO_RETENTION_CV_DRAFT_DAYS)",
        "An uploaded CV document is needed only while a counsellor reviews the draft read "
        "from it; what is accepted is stored as the CV, the document itself is not kept.",
    ),
    RetentionRule(
        "import-file-delete",
        RetentionSubject.IMPORT_FILE,
        Period(),
        RetentionAction.DELETE,
        GDPR_IN_FORCE,
        None,
        "GDPR art. 5(1)(c) and (e); configurable (JOBBRO_RETENTION_IMPORT_FILE_DAYS)",
        "A case system's export is needed only until its import has run; the people it "
        "held are then stored (or its errors listed by line, without the lines' data).",
    ),
    RetentionRule(
        "audit-log-keep",
        RetentionSubject.AUDIT_LOG,
        Period(years=5),
        RetentionAction.KEEP,
        GDPR_IN_FORCE,
        None,
        "EU AI Act art. 26(6) (at least six months); GDPR art. 15 and 5(2); forældelsesloven "
        "§ 3 (3 years); configurable default (JOBBRO_RETENTION_AUDIT_YEARS)",
        "Who saw a person's data must be answerable for as long as a complaint or claim about "
        "the case can be raised: the 12 months before anonymisation plus the general 3-year "
        "limitation period, rounded up. Jobbro never deletes audit entries (append-only); "
        "older entries are reported for the operator to archive.",
    ),
)
check_rows(RETENTION_RULES)


def rule_for(subject: RetentionSubject, day: date) -> RetentionRule:
    """The rule for ``subject`` in force on ``day``; ValueError if none is."""
    for rule in RETENTION_RULES:
        if rule.subject is subject and rule.valid_on(day):
            return rule
    raise ValueError(f"no retention rule for {subject.value} on {day.isoformat()}")


def period_for(
    subject: RetentionSubject, day: date, overrides: dict[RetentionSubject, Period] | None = None
) -> Period:
    """The period for ``subject`` on ``day``: the deploying organisation's override, else the
    rule's default."""
    if overrides and subject in overrides:
        rule_for(subject, day)  # an override does not apply before any rule does
        return overrides[subject]
    return rule_for(subject, day).period


def ends_on(
    subject: RetentionSubject,
    start: date,
    day: date,
    overrides: dict[RetentionSubject, Period] | None = None,
) -> date:
    """The day the period of ``subject`` that started on ``start`` ends, by the rule in force
    on ``day``."""
    return period_for(subject, day, overrides).ends_on(start)


def is_due(
    subject: RetentionSubject,
    start: date,
    today: date,
    overrides: dict[RetentionSubject, Period] | None = None,
) -> bool:
    """Whether the period that started on ``start`` is over on ``today`` (due from the day it
    ends on, by the rule in force today)."""
    return today >= ends_on(subject, start, today, overrides)
