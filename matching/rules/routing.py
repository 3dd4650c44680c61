"""Who is responsible for a jobseeker on a day (a-kasse or jobcentre), as dated rule data.

Every rule is a row of :data:`RULES` with a validity window ``[valid_from, valid_to)``, the rule
set it belongs to ("national", or a municipal variant chosen per municipality by dated
:class:`~matching.models.MunicipalityRouting` rows) and a source key from domain.md §1. A rule
either gives the jobcentre the kontaktforløb from the first day or gives an insured dagpenge
recipient's own a-kasse a first period (months or weeks, optionally from an age), after which
the jobcentre takes over.

Which rule governs a person is decided by their cohort: the sources describe the 2024 rule and
the 2027 trial as rules for people who *become* unemployed from those dates (S22, S20), so a
change of law never moves someone back and forth mid-spell. The municipal rule set applies when
the municipality's MunicipalityRouting row covers both the day and the start of the person's
unemployment; inside the rule set, the rule in force on that start governs (the national one
when the set has none then). When a municipal arrangement ends (its row, or its rule's
``valid_to``), the national rules for the same cohort take over. Exclusions apply before any
a-kasse period: not insured, not on dagpenge (special efforts such as sygedagpenge or
jobafklaring), the person chose the jobcentre, or too young for the rule.

:func:`decide` is pure domain logic (no database).
:func:`matching.people.responsibility.resolve_organisation` maps its answer to the concrete
organisation: the person's a-kasse, or the jobcentre of their municipality.
:data:`RULES_VERSION` changes whenever the table changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from matching.core.dates import add_months, age_on, format_date
from matching.models import (
    OrgKind,
    TargetGroup,
)
from matching.rules import tables
from matching.rules.tables import ValidOn, iso

# Bump when the decision logic changes without any change of the table (the hash only sees it).
RULES_REVISION = 1


NATIONAL = "national"


PARTNERSHIP_2009 = "partnership_2009"


TRIAL_2027 = "trial_2027"


# The right to choose the jobcentre instead of the a-kasse. domain.md states it for the
# 2027-29 trial (S20: free choice of a-kasse, kommune or anden aktør); that it holds under the
# other rules with an a-kasse period is NV.
CHOICE_SOURCE = "domain.md §1; S20 (free choice in the 2027-29 trial); NV for other periods"


@dataclass(frozen=True)
class AKassePeriod:
    """The first part of an unemployment spell that the person's own a-kasse is responsible for.

    Counted from the first day of unemployment: ``months`` calendar months (a day missing in
    the last month becomes its last day, see :func:`~matching.core.dates.add_months`) or
    ``weeks`` weeks. The jobcentre takes over on :meth:`end`.
    """

    months: int | None = None
    weeks: int | None = None

    def end(self, start: date) -> date:
        """The first day the a-kasse is no longer responsible."""
        if self.months is not None:
            return add_months(start, self.months)
        assert self.weeks is not None
        return start + timedelta(weeks=self.weeks)

    @property
    def label_da(self) -> str:
        return f"måned 1-{self.months}" if self.months is not None else f"uge 1-{self.weeks}"

    @property
    def after_da(self) -> str:
        return f"{self.months} måneder" if self.months is not None else f"{self.weeks} uger"

    @property
    def key(self) -> str:
        return f"{self.months}m" if self.months is not None else f"{self.weeks}w"


@dataclass(frozen=True)
class RoutingRule(ValidOn):
    """One dated routing rule. ``a_kasse_period`` None: the jobcentre from the first day."""

    rule_id: str
    rule_set: str
    valid_from: date
    valid_to: date | None  # exclusive
    source: str
    short_da: str  # the rule's name in reasons, e.g. "regler fra 1.1.2024"
    description_da: str
    a_kasse_period: AKassePeriod | None = None
    min_age: int | None = None  # a-kasse period only from this age at the start of unemployment


RULES: tuple[RoutingRule, ...] = (
    # National --------------------------------------------------------------------------------
    RoutingRule(
        "national-2009",
        NATIONAL,
        date(2009, 1, 1),  # start of the project records (domain.md §1)
        date(2015, 1, 1),
        "domain.md §1: 2009-14 national rules NV; jobcentre assumed",
        "regler 2009-2014",
        "Jobcenteret har kontaktforløbet fra første ledighedsdag",
    ),
    RoutingRule(
        "national-2015",
        NATIONAL,
        date(2015, 1, 1),
        date(2020, 1, 1),
        "S3, S13: beskæftigelsesreformen 2015; the a-kasse holds the CV- and rådighedssamtaler "
        "only, the jobcentre the kontaktforløb; in force 1/1/2015",
        "regler 2015-2019",
        "Jobcenteret har kontaktforløbet fra første ledighedsdag",
    ),
    RoutingRule(
        "national-2020",
        NATIONAL,
        date(2020, 1, 1),
        date(2024, 1, 1),
        "S3, S4: LAB (lov 548 af 7/5/2019); 6 jobcenter samtaler in months 1-6; in force 1/1/2020",
        "LAB 2020-2023",
        "Jobcenteret har kontaktforløbet fra første ledighedsdag",
    ),
    RoutingRule(
        "national-2024",
        NATIONAL,
        date(2024, 1, 1),
        None,
        # 1/7/2026 (S20) changes the number of samtaler, not who holds them.
        "S1, S2: lov 727 af 13/6/2023 (L 129), in force 1/1/2024, for people unemployed from "
        "that day (S22); NV: 3 calendar months stand in for the month end after 410 paid "
        "dagpenge hours",
        "regler fra 1.1.2024",
        "A-kassen har sine dagpengemedlemmer i måned 1-3, derefter jobcenteret",
        AKassePeriod(months=3),
    ),
    # Municipal variants ----------------------------------------------------------------------
    RoutingRule(
        "partnership-2009",
        PARTNERSHIP_2009,
        date(2009, 1, 1),
        date(2015, 1, 1),
        "domain.md §1: project documents, local LO a-kasse contracts (anden aktør), weeks 1-26, "
        "ages 30+; NV: dates, age taken at the start of unemployment, every a-kasse a partner",
        "partnerskab 2009-2014",
        "A-kassen har sine dagpengemedlemmer på 30 år og derover i uge 1-26, derefter jobcenteret",
        AKassePeriod(weeks=26),
        min_age=30,
    ),
    RoutingRule(
        "trial-2027",
        TRIAL_2027,
        date(2027, 1, 1),
        date(2030, 1, 1),
        "S20: bm.dk 3/12/2025, forsøg 2027-29 for new dagpenge recipients, months 1-4; days NV",
        "forsøg 2027-2029",
        "A-kassen har sine dagpengemedlemmer i måned 1-4, derefter jobcenteret",
        AKassePeriod(months=4),
    ),
)


RULE_SETS: frozenset[str] = frozenset(rule.rule_set for rule in RULES)


RULES_BY_ID: dict[str, RoutingRule] = {rule.rule_id: rule for rule in RULES}


def validate_rules(rules: Sequence[RoutingRule]) -> None:
    """Raise ValueError if the table is inconsistent (duplicate ids, empty or overlapping
    windows inside a rule set, a-kasse periods without a length, no national rule set)."""
    tables.check_rows(rules)
    for rule in rules:
        period = rule.a_kasse_period
        if period is not None and (period.months is None) == (period.weeks is None):
            raise ValueError(f"rule {rule.rule_id!r}: give the a-kasse period in months or weeks")
        if rule.min_age is not None and period is None:
            raise ValueError(f"rule {rule.rule_id!r}: an age limit needs an a-kasse period")
    if not any(rule.rule_set == NATIONAL for rule in rules):
        raise ValueError("the national rule set is missing")
    for rule_set in {rule.rule_set for rule in rules}:
        ordered = sorted((r for r in rules if r.rule_set == rule_set), key=lambda r: r.valid_from)
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            if earlier.valid_to is None or earlier.valid_to > later.valid_from:
                raise ValueError(f"rules {earlier.rule_id!r} and {later.rule_id!r} overlap")


def compute_rules_version(
    rules: Iterable[RoutingRule] | None = None, revision: int | None = None
) -> str:
    """A short stable version of the routing table (ids, sets, dates, periods, age limits)."""
    return tables.table_version(
        RULES_REVISION if revision is None else revision,
        (
            f"{r.rule_id}|{r.rule_set}|{iso(r.valid_from)}|{iso(r.valid_to)}|"
            f"{r.a_kasse_period.key if r.a_kasse_period else ''}|{r.min_age or ''}"
            for r in (RULES if rules is None else rules)
        ),
    )


validate_rules(RULES)


RULES_VERSION: str = compute_rules_version()


@dataclass(frozen=True)
class RoutingFacts:
    """What the routing rules need to know about a person on a day."""

    birth_date: date
    insured: bool  # member of an a-kasse
    target_group: TargetGroup | None  # målgruppe on the day
    unemployment_start: date | None
    chose_jobcentre: bool = False


@dataclass(frozen=True)
class Decision:
    """Who is responsible: ``kind`` is A_KASSE or JOBCENTRE, or None when the rules cannot
    tell (``reason_da`` says why; nothing should change then).

    ``ground`` is a stable code for why (tests, audit); ``reason_da`` is the Danish text stored
    on the responsibility period (at most 200 characters).
    """

    kind: OrgKind | None
    rule_id: str
    ground: str
    reason_da: str
    source: str


def rule_in_force(rule_set: str, day: date) -> RoutingRule | None:
    """The rule of ``rule_set`` in force on ``day``; the national one when the set has none."""
    for wanted in (rule_set, NATIONAL):
        for rule in RULES:
            if rule.rule_set == wanted and rule.valid_on(day):
                return rule
    return None


def governing_rule(rule_set: str, unemployment_start: date | None, day: date) -> RoutingRule | None:
    """The rule in force when the unemployment began (the person's cohort), else on ``day``."""
    if unemployment_start is not None:
        rule = rule_in_force(rule_set, unemployment_start)
        if rule is not None:
            return rule
    return rule_in_force(rule_set, day)


def decide(facts: RoutingFacts, day: date, rule_set: str = NATIONAL) -> Decision:
    """Which kind of organisation is responsible for the person on ``day`` under ``rule_set``.

    Order: unknown rule set or no rule → undecided; a municipal rule that has ended → the
    national rules; not insured or not on dagpenge → the jobcentre; a rule without an a-kasse
    period → the jobcentre; the person chose the jobcentre → the jobcentre; no (or a future)
    start of unemployment → undecided; younger than the rule's age limit at the start of
    unemployment → the jobcentre; inside the a-kasse period → the a-kasse; after it → the
    jobcentre.
    """
    if rule_set not in RULE_SETS:
        return Decision(
            None, "ukendt-regelsaet", "unknown_rule_set", f"Ukendt regelsæt »{rule_set}«", ""
        )
    rule = governing_rule(rule_set, facts.unemployment_start, day)
    if rule is None:
        return Decision(
            None, "ingen-regel", "no_rule", f"Ingen ansvarsregel i kraft den {format_date(day)}", ""
        )
    if rule.rule_set != NATIONAL and rule.valid_to is not None and day >= rule.valid_to:
        # The partnership contracts or the trial ran out: the national rules take over.
        return decide(facts, day, NATIONAL)

    def jobcentre(ground: str, reason: str, source: str = rule.source) -> Decision:
        return Decision(OrgKind.JOBCENTRE, rule.rule_id, ground, reason, source)

    if not facts.insured:
        return jobcentre("not_insured", "Ikke medlem af en a-kasse: bopælskommunens jobcenter")
    if facts.target_group is not TargetGroup.DAGPENGE:
        group = facts.target_group.label_da if facts.target_group else "Målgruppe ukendt"
        return jobcentre("not_dagpenge", f"{group}: bopælskommunens jobcenter")
    period = rule.a_kasse_period
    if period is None:
        return jobcentre(
            "jobcentre_rule",
            f"Dagpenge: jobcenteret har kontaktforløbet fra første dag ({rule.short_da})",
        )
    if facts.chose_jobcentre:
        return jobcentre(
            "chose_jobcentre", "Personen har valgt jobcenteret frem for a-kassen", CHOICE_SOURCE
        )
    start = facts.unemployment_start
    if start is None:
        return Decision(None, rule.rule_id, "no_start", "Ledighedsdato mangler", rule.source)
    if day < start:
        return Decision(
            None,
            rule.rule_id,
            "not_started",
            f"Ledigheden begynder {format_date(start)}",
            rule.source,
        )
    if rule.min_age is not None and age_on(facts.birth_date, start) < rule.min_age:
        return jobcentre(
            "under_min_age",
            f"Under {rule.min_age} år ved ledighedens start: jobcenteret ({rule.short_da})",
        )
    if day < period.end(start):
        return Decision(
            OrgKind.A_KASSE,
            rule.rule_id,
            "a_kasse_period",
            f"Dagpenge, {period.label_da}: a-kassen har kontaktforløbet ({rule.short_da})",
            rule.source,
        )
    return jobcentre(
        "after_period",
        f"Dagpenge efter {period.after_da}: jobcenteret har kontaktforløbet ({rule.short_da})",
    )


def describe_rule(rule_id: str) -> str:
    """A Danish label for a stored rule id (ids no longer in the table are shown as they are)."""
    rule = RULES_BY_ID.get(rule_id)
    return f"{rule.description_da} ({rule.short_da})" if rule else rule_id
