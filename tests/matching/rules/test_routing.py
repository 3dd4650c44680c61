"""The routing rules: who is responsible on a day, at every boundary of every rule set."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from matching.models import (
    Jobseeker,
    MunicipalityRouting,
    Organisation,
    OrgKind,
    TargetGroup,
    TargetGroupPeriod,
)
from matching.people import responsibility
from matching.rules import routing
from matching.rules.routing import (
    NATIONAL,
    PARTNERSHIP_2009,
    TRIAL_2027,
    RoutingFacts,
    RoutingRule,
    decide,
)

AK, JC = OrgKind.A_KASSE, OrgKind.JOBCENTRE
D = timedelta(days=1)
_numbers = itertools.count(1)


def facts(
    start: date | None,
    *,
    born: date = date(1980, 6, 15),
    insured: bool = True,
    group: TargetGroup | None = TargetGroup.DAGPENGE,
    chose: bool = False,
) -> RoutingFacts:
    return RoutingFacts(born, insured, group, start, chose)


def who(start: date | None, day: date, rule_set: str = NATIONAL, **kw) -> tuple:
    decision = decide(facts(start, **kw), day, rule_set)
    return decision.kind, decision.rule_id, decision.ground


# --- the table ----------------------------------------------------------------------------------


def test_the_table_is_valid_sourced_and_versioned() -> None:
    routing.validate_rules(routing.RULES)
    assert routing.RULES_VERSION.startswith(f"r{routing.RULES_REVISION}-")
    assert {NATIONAL, PARTNERSHIP_2009, TRIAL_2027} == routing.RULE_SETS
    assert all(rule.source.strip() for rule in routing.RULES)
    national = sorted(
        (r for r in routing.RULES if r.rule_set == NATIONAL), key=lambda r: r.valid_from
    )
    # The national rules follow each other without a gap from 2009, and the last is open.
    assert national[0].valid_from == date(2009, 1, 1) and national[-1].valid_to is None
    assert all(a.valid_to == b.valid_from for a, b in itertools.pairwise(national))


def test_a_changed_table_has_another_version() -> None:
    changed = [
        replace(r, a_kasse_period=routing.AKassePeriod(months=4))
        if r.rule_id == "national-2024"
        else r
        for r in routing.RULES
    ]
    assert routing.compute_rules_version(changed) != routing.RULES_VERSION
    assert routing.compute_rules_version(reversed(routing.RULES)) == routing.RULES_VERSION
    assert routing.compute_rules_version(revision=99) != routing.RULES_VERSION


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([*routing.RULES, routing.RULES[0]], "duplicate"),
        (
            [
                *routing.RULES,
                RoutingRule("x", NATIONAL, date(2030, 1, 1), None, "S1", "x", "x"),
            ],
            "overlap",
        ),
        ([RoutingRule("x", NATIONAL, date(2030, 1, 1), date(2029, 1, 1), "S1", "x", "x")], "ends"),
        ([RoutingRule("x", NATIONAL, date(2030, 1, 1), None, " ", "x", "x")], "no source"),
        ([RoutingRule("x", "trial", date(2030, 1, 1), None, "S1", "x", "x")], "national"),
        (
            [
                RoutingRule(
                    "x", NATIONAL, date(2030, 1, 1), None, "S1", "x", "x", routing.AKassePeriod()
                )
            ],
            "months or weeks",
        ),
    ],
)
def test_an_inconsistent_table_is_refused(rules: list[RoutingRule], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        routing.validate_rules(rules)


# --- national rule set: the rule of the person's cohort switches on valid_from ------------------


@pytest.mark.parametrize(
    ("start", "kind", "rule_id"),
    [
        (date(2009, 1, 1), JC, "national-2009"),
        (date(2014, 12, 31), JC, "national-2009"),
        (date(2015, 1, 1), JC, "national-2015"),
        (date(2019, 12, 31), JC, "national-2015"),
        (date(2020, 1, 1), JC, "national-2020"),
        (date(2023, 12, 31), JC, "national-2020"),
        (date(2024, 1, 1), AK, "national-2024"),
    ],
)
def test_national_rules_switch_at_their_valid_from(
    start: date, kind: OrgKind, rule_id: str
) -> None:
    decision = decide(facts(start), start + 10 * D)
    assert (decision.kind, decision.rule_id) == (kind, rule_id)
    assert decision.source == routing.RULES_BY_ID[rule_id].source
    if kind is JC:
        assert decision.ground == "jobcentre_rule"
        assert decision.reason_da.startswith("Dagpenge: jobcenteret har kontaktforløbet")


def test_people_unemployed_before_2024_are_not_moved_to_the_a_kasse_on_new_year() -> None:
    # Unemployed in December 2023 under LAB 2020: the 2024 rule is for new cohorts (S22).
    assert who(date(2023, 12, 1), date(2024, 1, 1)) == (JC, "national-2020", "jobcentre_rule")
    assert who(date(2023, 12, 1), date(2024, 1, 2)) == (JC, "national-2020", "jobcentre_rule")


def test_before_any_rule_nothing_is_decided() -> None:
    decision = decide(facts(date(2008, 6, 1)), date(2008, 12, 31))
    assert (decision.kind, decision.ground) == (None, "no_rule")
    assert "31.12.2008" in decision.reason_da
    # A spell that began before the records: the rule on the day decides.
    assert who(date(2008, 6, 1), date(2009, 1, 1)) == (JC, "national-2009", "jobcentre_rule")


@pytest.mark.parametrize(
    ("start", "handover"),
    [
        (date(2024, 1, 1), date(2024, 4, 1)),
        (date(2024, 1, 31), date(2024, 4, 30)),  # no 31 April: the month's last day
        (date(2024, 11, 30), date(2025, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),  # leap year
        (date(2025, 12, 31), date(2026, 3, 31)),
        (date(2025, 3, 15), date(2025, 6, 15)),
    ],
)
def test_the_a_kasse_has_months_1_to_3_counted_on_month_ends(start: date, handover: date) -> None:
    assert who(start, start) == (AK, "national-2024", "a_kasse_period")
    assert who(start, handover - D) == (AK, "national-2024", "a_kasse_period")
    assert who(start, handover) == (JC, "national-2024", "after_period")
    decision = decide(facts(start), handover)
    assert decision.reason_da == (
        "Dagpenge efter 3 måneder: jobcenteret har kontaktforløbet (regler fra 1.1.2024)"
    )
    assert decide(facts(start), start).reason_da == (
        "Dagpenge, måned 1-3: a-kassen har kontaktforløbet (regler fra 1.1.2024)"
    )


# --- exclusions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rule_set", [NATIONAL, TRIAL_2027])
def test_exclusions_send_the_person_to_the_jobcentre(rule_set: str) -> None:
    start, day = date(2027, 2, 1), date(2027, 2, 10)
    assert who(start, day, rule_set)[0] is AK
    assert who(start, day, rule_set, chose=True)[::2] == (JC, "chose_jobcentre")
    assert who(start, day, rule_set, insured=False)[::2] == (JC, "not_insured")
    assert who(start, day, rule_set, group=TargetGroup.SYGEDAGPENGE)[::2] == (JC, "not_dagpenge")
    assert who(start, day, rule_set, group=TargetGroup.JOBAFKLARING)[::2] == (JC, "not_dagpenge")
    assert who(start, day, rule_set, group=None)[::2] == (JC, "not_dagpenge")
    sick = decide(facts(start, group=TargetGroup.SYGEDAGPENGE), day, rule_set)
    assert sick.reason_da == "Sygedagpengemodtager: bopælskommunens jobcenter"
    chose = decide(facts(start, chose=True), day, rule_set)
    assert chose.reason_da == "Personen har valgt jobcenteret frem for a-kassen"
    assert chose.source == routing.CHOICE_SOURCE


def test_without_a_start_of_unemployment_nothing_is_decided() -> None:
    decision = decide(facts(None), date(2025, 5, 1))
    assert (decision.kind, decision.ground, decision.reason_da) == (
        None, "no_start", "Ledighedsdato mangler"
    )  # fmt: skip
    future = decide(facts(date(2025, 6, 1)), date(2025, 5, 31))
    assert (future.kind, future.ground) == (None, "not_started")
    # Not insured needs no date: the jobcentre either way.
    assert who(None, date(2025, 5, 1), insured=False)[::2] == (JC, "not_insured")


def test_an_unknown_rule_set_decides_nothing() -> None:
    decision = decide(facts(date(2025, 1, 1)), date(2025, 1, 2), "frikommune")
    assert (decision.kind, decision.ground) == (None, "unknown_rule_set")
    assert "frikommune" in decision.reason_da


# --- partnership 2009-2014: 26 weeks, 30 years and over ----------------------------------------


def test_partnership_rules_switch_at_valid_from_and_end_with_the_contracts() -> None:
    born = date(1970, 1, 1)
    # In 2008 there is no rule; from 1/1/2009 the partnership gives the a-kasse the first weeks.
    assert who(date(2009, 1, 1), date(2009, 1, 1), PARTNERSHIP_2009, born=born) == (
        AK, "partnership-2009", "a_kasse_period"
    )  # fmt: skip
    assert who(date(2008, 12, 31), date(2008, 12, 31), PARTNERSHIP_2009, born=born)[0] is None
    # The contracts end 31/12/2014: the national rules for the cohort (jobcentre) take over.
    start = date(2014, 11, 1)
    assert who(start, date(2014, 12, 31), PARTNERSHIP_2009, born=born)[:2] == (
        AK, "partnership-2009"
    )  # fmt: skip
    assert who(start, date(2015, 1, 1), PARTNERSHIP_2009, born=born) == (
        JC, "national-2009", "jobcentre_rule"
    )  # fmt: skip
    # A spell that begins under the 2015 rules is national whatever the municipality chose.
    assert who(date(2015, 1, 1), date(2015, 1, 5), PARTNERSHIP_2009, born=born)[:2] == (
        JC, "national-2015"
    )  # fmt: skip


def test_partnership_gives_the_a_kasse_26_weeks() -> None:
    start = date(2011, 3, 10)
    born = date(1975, 5, 5)
    assert who(start, start + timedelta(weeks=26) - D, PARTNERSHIP_2009, born=born)[::2] == (
        AK, "a_kasse_period"
    )  # fmt: skip
    after = decide(facts(start, born=born), start + timedelta(weeks=26), PARTNERSHIP_2009)
    assert (after.kind, after.ground) == (JC, "after_period")
    assert after.reason_da == (
        "Dagpenge efter 26 uger: jobcenteret har kontaktforløbet (partnerskab 2009-2014)"
    )


@pytest.mark.parametrize(
    ("born", "kind", "ground"),
    [
        (date(1981, 3, 10), AK, "a_kasse_period"),  # 30 on the first day of unemployment
        (date(1981, 3, 11), JC, "under_min_age"),  # 30 the day after: 29 at the start
        (date(1980, 2, 29), AK, "a_kasse_period"),  # leap-day birthday: 30 on 1 March 2010
    ],
)
def test_partnership_excludes_people_under_30_at_the_start(
    born: date, kind: OrgKind, ground: str
) -> None:
    start = date(2011, 3, 10) if born.month == 3 else date(2010, 3, 1)
    assert who(start, start + 30 * D, PARTNERSHIP_2009, born=born)[::2] == (kind, ground)
    # Turning 30 during the spell does not move the person: age is taken at the start.
    if kind is JC:
        decision = decide(facts(start, born=born), start + 60 * D, PARTNERSHIP_2009)
        assert decision.ground == "under_min_age"
        assert decision.reason_da.startswith("Under 30 år ved ledighedens start")


# --- trial 2027-2029: months 1-4 -----------------------------------------------------------------


def test_trial_rules_switch_at_valid_from() -> None:
    # Unemployed the day before the trial: the national 3 months; on its first day: 4 months.
    day = date(2027, 4, 15)
    assert who(date(2026, 12, 31), date(2027, 1, 1), TRIAL_2027)[:2] == (AK, "national-2024")
    assert who(date(2026, 12, 31), day, TRIAL_2027) == (JC, "national-2024", "after_period")
    assert who(date(2027, 1, 1), day, TRIAL_2027) == (AK, "trial-2027", "a_kasse_period")
    assert who(date(2027, 1, 1), date(2027, 5, 1), TRIAL_2027) == (
        JC, "trial-2027", "after_period"
    )  # fmt: skip
    # Outside the trial municipalities the same person has 3 months.
    assert who(date(2027, 1, 1), day) == (JC, "national-2024", "after_period")


def test_trial_months_end_on_month_ends_and_the_trial_ends_in_2030() -> None:
    start = date(2027, 10, 31)
    assert who(start, date(2028, 2, 28), TRIAL_2027)[0] is AK
    assert who(start, date(2028, 2, 29), TRIAL_2027)[::2] == (JC, "after_period")
    # Begun under the trial, still in month 2 when it ends: the national 3 months apply.
    late = date(2029, 11, 15)
    assert who(late, date(2029, 12, 31), TRIAL_2027)[:2] == (AK, "trial-2027")
    assert who(late, date(2030, 1, 1), TRIAL_2027)[:2] == (AK, "national-2024")
    assert who(late, date(2030, 2, 15), TRIAL_2027) == (JC, "national-2024", "after_period")
    # From 2030 new spells are national.
    assert who(date(2030, 1, 1), date(2030, 4, 15), TRIAL_2027)[:2] == (JC, "national-2024")


_rule_sets = st.sampled_from(sorted(routing.RULE_SETS))
_starts = st.dates(min_value=date(2008, 6, 1), max_value=date(2031, 12, 31))
_births = st.dates(min_value=date(1950, 1, 1), max_value=date(1995, 12, 31))


@given(rule_set=_rule_sets, start=_starts, born=_births, chose=st.booleans())
def test_no_one_goes_back_to_the_a_kasse_once_the_jobcentre_took_over(
    rule_set: str, start: date, born: date, chose: bool
) -> None:
    person = facts(start, born=born, chose=chose)
    kinds = [decide(person, start + n * D, rule_set).kind for n in range(0, 400, 3)]
    decided = [k for k in kinds if k is not None]
    # None only before any rule exists; afterwards at most one a-kasse → jobcentre switch.
    assert kinds[: len(kinds) - len(decided)] == [None] * (len(kinds) - len(decided))
    assert decided == sorted(decided, key=lambda k: k is JC)


# --- rule set per municipality (MunicipalityRouting) --------------------------------------------


def test_without_a_row_the_national_rules_apply(session: Session) -> None:
    assert responsibility.rule_set_for(session, 461, date(2027, 6, 1), date(2027, 5, 1)) == NATIONAL
    assert responsibility.rule_set_for(session, None, date(2027, 6, 1)) == NATIONAL


def test_a_rows_own_valid_from_and_valid_to_switch_the_rule_set(session: Session) -> None:
    session.add(
        MunicipalityRouting(
            municipality_code=461,
            rule_set=TRIAL_2027,
            valid_from=date(2027, 3, 1),
            valid_to=date(2028, 1, 1),
        )
    )
    session.flush()

    def rule_set(day: date, start: date | None = None, code: int | None = 461) -> str:
        return responsibility.rule_set_for(session, code, day, start)

    assert rule_set(date(2027, 2, 28)) == NATIONAL  # the day before valid_from
    assert rule_set(date(2027, 3, 1)) == TRIAL_2027  # on valid_from
    assert rule_set(date(2027, 12, 31)) == TRIAL_2027
    assert rule_set(date(2028, 1, 1)) == NATIONAL  # on valid_to (exclusive)
    assert rule_set(date(2027, 6, 1), code=101) == NATIONAL  # another municipality
    # A spell that began before the municipality joined stays national (new cohorts only).
    assert rule_set(date(2027, 6, 1), date(2027, 2, 28)) == NATIONAL
    assert rule_set(date(2027, 6, 1), date(2027, 3, 1)) == TRIAL_2027


def test_of_overlapping_rows_the_latest_start_wins(session: Session) -> None:
    session.add_all(
        [
            MunicipalityRouting(
                municipality_code=147, rule_set=PARTNERSHIP_2009, valid_from=date(2009, 1, 1)
            ),
            MunicipalityRouting(
                municipality_code=147, rule_set=TRIAL_2027, valid_from=date(2027, 1, 1)
            ),
        ]
    )
    session.flush()
    assert responsibility.rule_set_for(session, 147, date(2012, 1, 1)) == PARTNERSHIP_2009
    assert (
        responsibility.rule_set_for(session, 147, date(2027, 6, 1), date(2027, 2, 1)) == TRIAL_2027
    )
    assert responsibility.rule_set_for(session, 147, date(2027, 6, 1), date(2026, 2, 1)) == (
        PARTNERSHIP_2009
    )


# --- the concrete organisation -------------------------------------------------------------------


def _org(session: Session, kind: OrgKind, code: int | None = None, **kw) -> Organisation:
    org = Organisation(kind=kind, name=f"{kind.label_da} {next(_numbers)}", municipality_code=code)
    for key, value in kw.items():
        setattr(org, key, value)
    session.add(org)
    session.flush()
    return org


def _person(
    session: Session,
    *,
    a_kasse: Organisation | None,
    code: int | None,
    start: date,
    group: TargetGroup = TargetGroup.DAGPENGE,
) -> Jobseeker:
    n = next(_numbers)
    person = Jobseeker(
        pseudonym=f"R-{n:06d}",
        first_name="Test",
        last_name=f"Person{n}",
        birth_date=date(1980, 1, 1),
        postal_code="5000",
        municipality_code=code,
        a_kasse_id=a_kasse.id if a_kasse else None,
        unemployment_start=start,
        target_groups=[TargetGroupPeriod(target_group=group, valid_from=start)],
    )
    session.add(person)
    session.flush()
    return person


def test_resolve_names_the_a_kasse_or_the_municipalitys_jobcentre(session: Session) -> None:
    akasse = _org(session, AK)
    _org(session, JC, 461, active=False)  # a closed jobcentre is not chosen
    odense = _org(session, JC, 461)
    _org(session, JC, 461)  # a second one with the same code: the lowest id wins
    person = _person(session, a_kasse=akasse, code=461, start=date(2025, 1, 10))
    first = responsibility.resolve_organisation(session, person, date(2025, 1, 10))
    assert first.organisation is akasse and first.problem_da is None
    later = responsibility.resolve_organisation(session, person, date(2025, 4, 10))
    assert later.organisation is odense
    assert later.decision.rule_id == "national-2024"


def test_resolve_explains_when_there_is_no_organisation(session: Session) -> None:
    akasse = _org(session, AK)
    nowhere = _person(session, a_kasse=None, code=999, start=date(2025, 1, 10))
    result = responsibility.resolve_organisation(session, nowhere, date(2025, 2, 1))
    assert result.organisation is None
    assert result.problem_da == "Intet aktivt jobcenter for kommune 999"
    assert result.decision.kind is JC
    homeless = _person(session, a_kasse=None, code=None, start=date(2025, 1, 10))
    assert responsibility.resolve_organisation(session, homeless, date(2025, 2, 1)).problem_da == (
        "Bopælskommune mangler"
    )
    akasse.active = False
    member = _person(session, a_kasse=akasse, code=999, start=date(2025, 1, 10))
    assert responsibility.resolve_organisation(session, member, date(2025, 2, 1)).problem_da == (
        "Personens a-kasse findes ikke eller er lukket"
    )
    member.unemployment_start = None
    assert responsibility.resolve_organisation(session, member, date(2025, 2, 1)).problem_da == (
        "Ledighedsdato mangler"
    )


def test_resolve_uses_the_municipalitys_rule_set(session: Session) -> None:
    akasse = _org(session, AK)
    jobcentre = _org(session, JC, 461)
    session.add(
        MunicipalityRouting(municipality_code=461, rule_set=TRIAL_2027, valid_from=date(2027, 1, 1))
    )
    person = _person(session, a_kasse=akasse, code=461, start=date(2027, 1, 15))
    day = date(2027, 5, 1)  # month 4: the a-kasse in the trial, the jobcentre elsewhere
    trial = responsibility.resolve_organisation(session, person, day)
    assert (trial.organisation, trial.decision.rule_id) == (akasse, "trial-2027")
    person.municipality_code = 101
    _org(session, JC, 101)
    national = responsibility.resolve_organisation(session, person, day)
    assert national.organisation is not jobcentre and national.decision.rule_id == "national-2024"
    assert national.organisation is not None and national.organisation.kind is JC


def test_describe_rule_names_stored_ids() -> None:
    assert routing.describe_rule("national-2024") == (
        "A-kassen har sine dagpengemedlemmer i måned 1-3, derefter jobcenteret "
        "(regler fra 1.1.2024)"
    )
    assert routing.describe_rule("gammel-regel") == "gammel-regel"
