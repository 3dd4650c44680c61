"""Virksomhedspraktik: who may take a place, for how long, and not at the latest employer
(LAB §§ 57-61). Sources: S9; LAB § 61, in force 1/1/2020 (domain.md §2).
"""

from __future__ import annotations

from datetime import date

from matching.core.dates import add_months, age_on
from matching.models.enums import TargetGroup, VacancyKind
from matching.rules.places.facts import (
    GROUP_PLURAL_DA,
    HIGHER_EDUCATION,
    LAB_IN_FORCE,
    PersonFacts,
    PlaceFacts,
    Rule,
    Verdict,
    dated_rule,
    same_employer,
)

PRAKTIK = frozenset({VacancyKind.VIRKSOMHEDSPRAKTIK})


# Groups domain.md lists at 4 weeks (verified) and at 13 weeks (LAB § 61, stk. 1, nr. 2).
_PRAKTIK_4_WEEKS = frozenset(
    {
        TargetGroup.DAGPENGE,
        TargetGroup.KONTANTHJAELP_JOBPARAT,
        TargetGroup.UDDANNELSESHJAELP_UDDANNELSESPARAT,
    }
)


_PRAKTIK_13_WEEKS = frozenset(
    {
        TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT,
        TargetGroup.UDDANNELSESHJAELP_AKTIVITETSPARAT,
        TargetGroup.SYGEDAGPENGE,
        TargetGroup.RESSOURCEFORLOEB,
        TargetGroup.JOBAFKLARING,
        TargetGroup.LEDIGHEDSYDELSE,
    }
)


# BEK 2636/2021 § 61, stk. 2 bars the latest employer outright only for the job-ready groups;
# the others may (stk. 3-4) take praktik there after a concrete assessment, in a new function.
# Integration and selvforsørgende are kept in the strict set because their mapping to the
# executive order's group numbers is NV.
_LATEST_EMPLOYER_BARRED = frozenset(
    {*_PRAKTIK_4_WEEKS, TargetGroup.INTEGRATION, TargetGroup.SELVFORSOERGENDE}
)


def _praktik_limit(
    person: PersonFacts, group: TargetGroup, start: date
) -> tuple[int, str, tuple[str, ...]]:
    """(max weeks, Danish "for whom" phrase, advisory notes) for the person's target group."""
    candidates: list[tuple[int, str, tuple[str, ...]]] = []
    if group in _PRAKTIK_13_WEEKS:
        candidates.append((13, GROUP_PLURAL_DA[group], ()))
    elif group in _PRAKTIK_4_WEEKS:
        candidates.append((4, GROUP_PLURAL_DA[group], ()))
    else:
        # Integration and selvforsørgende are not listed in domain.md: the cautious 4 weeks.
        candidates.append(
            (
                4,
                GROUP_PLURAL_DA[group],
                (
                    f"Praktikgrænsen for {GROUP_PLURAL_DA[group]} er ikke bekræftet; "
                    "4 uger bruges for en sikkerheds skyld",
                ),
            )
        )
    if group is TargetGroup.KONTANTHJAELP_JOBPARAT and not person.has_work_experience:
        candidates.append((13, "jobparate uden arbejdserfaring", ()))
    if (
        group is TargetGroup.DAGPENGE
        and person.education_level in HIGHER_EDUCATION
        and not person.has_work_experience
    ):
        # Dimittend approximated as ≥ KVU and no work experience in the CV. NV: STAR (12/5/2021)
        # describes the 8 weeks as a trial for dimittender; domain.md has it from 2020.
        candidates.append(
            (
                8,
                "dagpenge-dimittender",
                (
                    "8 uger for dimittender kræver, at praktikken bruger kompetencer "
                    "fra uddannelsen",
                ),
            )
        )
    if (
        group in _PRAKTIK_4_WEEKS
        and person.unemployment_start is not None
        and age_on(person.birth_date, start) >= 50
        and start > add_months(person.unemployment_start, 12)
    ):
        candidates.append(
            (
                8,
                "ledige over 50 med mere end 12 måneders ledighed",
                ("8 uger for ledige over 50 er ikke bekræftet i loven – tjek med jobcentret",),
            )
        )
    return max(candidates, key=lambda candidate: candidate[0])


def _praktik_target_group(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    if person.target_group is None:
        return Verdict(False, "Målgruppe ukendt: registrér målgruppen før virksomhedspraktik")
    return Verdict(True, f"Målgruppe: {person.target_group.label_da}")


def _praktik_duration(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict | None:
    if person.target_group is None:
        return None  # reported by the target-group rule
    weeks, whom, notes = _praktik_limit(person, person.target_group, start)
    limit = f"højst {weeks} uger for {whom} (LAB § 61)"
    if place.duration_weeks is not None and place.duration_weeks > weeks:
        if weeks == 13:
            notes = (
                *notes,
                "Kan forlænges op til 26 uger efter konkret vurdering (LAB § 61, stk. 2)",
            )
        return Verdict(
            False, f"Praktikken varer {place.duration_weeks} uger – {limit}", notes, weeks
        )
    return Verdict(True, f"Højst {weeks} ugers praktik for {whom} (LAB § 61)", notes, weeks)


def _praktik_latest_employer(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict | None:
    if person.latest_employer is None:
        if not person.has_work_experience:
            return None  # no previous employer to compare with
        return Verdict(
            True,
            "Seneste arbejdsgiver er ikke angivet i CV",
            ("Tjek at praktikken ikke er hos personens seneste arbejdsgiver",),
        )
    if not same_employer(person.latest_employer, place.employer_name):
        return Verdict(True, "Ikke hos seneste arbejdsgiver")
    if person.target_group in _LATEST_EMPLOYER_BARRED or person.target_group is None:
        return Verdict(False, f"Ikke praktik hos seneste arbejdsgiver ({person.latest_employer})")
    return Verdict(
        True,
        "Seneste arbejdsgiver: kræver konkret vurdering",
        (
            "Praktik hos seneste arbejdsgiver kræver en ny arbejdsfunktion og en konkret "
            "vurdering (BEK 2636/2021 § 61)",
        ),
    )


RULES: tuple[Rule, ...] = (
    dated_rule(
        "praktik-maalgruppe-2020",
        PRAKTIK,
        LAB_IN_FORCE,
        None,
        "S9; LAB § 57; in force 1/1/2020",
        "Målgruppen skal være kendt",
        _praktik_target_group,
    ),
    dated_rule(
        "praktik-varighed-2020",
        PRAKTIK,
        LAB_IN_FORCE,
        None,
        # The 8 weeks for 50+ with > 12 months and the 4 weeks for integration/selvforsørgende
        # are not in the law text seen (NV); so is the start date of the dimittend 8 weeks.
        "S9; LAB § 61; in force 1/1/2020; NV: 50+ 8 weeks, dimittend from-date, "
        "integration/selvforsørgende 4 weeks",
        "Højeste varighed efter målgruppe",
        _praktik_duration,
    ),
    dated_rule(
        "praktik-seneste-arbejdsgiver-2020",
        PRAKTIK,
        LAB_IN_FORCE,
        None,
        # BEK 2636/2021 is in force from 1/1/2022; the 2020-21 executive order (BEK 1180/2019)
        # is assumed to carry the same rule (NV).
        "S9; BEK 2636/2021 § 61 stk. 2-4; in force 1/1/2020 (2020-21 BEK NV)",
        "Ikke praktik hos seneste arbejdsgiver",
        _praktik_latest_employer,
    ),
)
