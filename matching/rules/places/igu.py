"""IGU (integrationsgrunduddannelse): target group, age, residence, hours and recent
employment, for the trial periods since 2016 (source S15 in domain.md §2).
"""

from __future__ import annotations

from datetime import date

from matching.core.dates import age_on
from matching.models.enums import TargetGroup, VacancyKind
from matching.rules.places.facts import (
    Decide,
    PersonFacts,
    PlaceFacts,
    Rule,
    Verdict,
    dated_rule,
    same_employer,
)

IGU = frozenset({VacancyKind.IGU})


_IGU_FROM = date(2016, 7, 1)  # lov 623 af 8/6/2016, trial start


# L 202 (2020-21) raised the residence limit from 5 to 10 years "i kraft den 1. maj 2021"
# (ft.dk bill text; domain.md marks the date NV).
_IGU_10_YEARS = date(2021, 5, 1)


# L 82 (2023-24) widened the target group (under 50, up to 20 years) and extended the trial;
# the previous scheme ran to 31/12/2023, so the new terms are taken to apply from 1/1/2024.
# The in-force date of L 82 itself is NV.
_IGU_2024 = date(2024, 1, 1)


# L 82 moves the last date in IGU-loven § 3, stk. 2 from 31/12/2023 to 31/12/2027, so no new
# IGU can start from 1/1/2028. Whether the date bounds the start or the agreement is NV.
_IGU_END = date(2028, 1, 1)


_IGU_MIN_HOURS = 25


def _igu_target_group(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    if person.target_group is TargetGroup.INTEGRATION:
        return Verdict(True, "Målgruppe: flygtning eller familiesammenført")
    if person.target_group is None:
        return Verdict(False, "Målgruppe ukendt: IGU kræver flygtning eller familiesammenført")
    return Verdict(
        False,
        f"IGU kræver flygtning eller familiesammenført (målgruppe: {person.target_group.label_da})",
    )


def _igu_age(upper_exclusive: int) -> Decide:
    # IGU-loven § 3: "fyldt 18 år og under 40 år" when the IGU starts (uim.dk); L 82 changed
    # 40 to 50. domain.md writes the ranges as 18-40 and 18-50.
    def decide(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
        age = age_on(person.birth_date, start)
        if age < 18:
            return Verdict(False, f"For ung til IGU: skal være fyldt 18 år ved start (er {age})")
        if age >= upper_exclusive:
            return Verdict(
                False,
                f"For gammel til IGU: skal være under {upper_exclusive} år ved start (er {age})",
            )
        return Verdict(True, f"Alder {age} år: inden for IGU (18 til under {upper_exclusive})")

    return decide


def _igu_residence(limit: int, inclusive: bool) -> Decide:
    # residence_years counts completed years, so "under 5 years" is residence_years < 5 and
    # "up to 20 years" is residence_years <= 20 (20 years and some months is flagged).
    wording = f"højst {limit} års" if inclusive else f"under {limit} års"

    def decide(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
        years = person.residence_years
        if years is None:
            return Verdict(False, f"Opholdstid ukendt: IGU kræver {wording} ophold i Danmark")
        within = years <= limit if inclusive else years < limit
        if not within:
            return Verdict(False, f"IGU kræver {wording} ophold i Danmark (har {years} år)")
        notes: tuple[str, ...] = ()
        if inclusive and years == limit:
            notes = (
                f"Opholdstid tæt på grænsen: tjek at den ikke overstiger {limit} år ved start",
            )
        return Verdict(True, f"Opholdstid {years} år: inden for IGU ({wording} ophold)", notes)

    return decide


def _igu_hours(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    hours = place.weekly_hours
    if hours is None:
        return Verdict(
            True,
            "Ugentlig arbejdstid ikke angivet",
            (f"Tjek at IGU-praktikken er mindst {_IGU_MIN_HOURS} timer om ugen",),
        )
    shown = f"{hours:g}".replace(".", ",")
    if hours < _IGU_MIN_HOURS:
        return Verdict(
            False, f"IGU-praktik skal være mindst {_IGU_MIN_HOURS} timer/uge (pladsen har {shown})"
        )
    return Verdict(True, f"{shown} timer/uge: mindst {_IGU_MIN_HOURS} timer")


def _igu_recent_employment(person: PersonFacts, place: PlaceFacts, start: date) -> Verdict:
    # The CV gives years only, so "employed there in the last 3 months" cannot be decided:
    # a match in this year's employers is a note for the counsellor, never an exclusion.
    if any(same_employer(name, place.employer_name) for name in person.recent_employers):
        return Verdict(
            True,
            "Ansat hos arbejdsgiveren i år ifølge CV",
            (
                f"Tjek ansættelse hos {place.employer_name} inden for 3 måneder før start: "
                "ordinært ansatte kan ikke overgå til IGU hos samme arbejdsgiver",
            ),
        )
    return Verdict(True, "Ingen ansættelse hos arbejdsgiveren i år ifølge CV")


RULES: tuple[Rule, ...] = (
    dated_rule(
        "igu-maalgruppe-2016",
        IGU,
        _IGU_FROM,
        _IGU_END,
        "S15; IGU-lov § 3 (lov 623/2016); trial 1/7/2016; end 31/12/2027 NV",
        "Flygtning eller familiesammenført",
        _igu_target_group,
    ),
    dated_rule(
        "igu-alder-2016",
        IGU,
        _IGU_FROM,
        _IGU_2024,
        "S15; IGU-lov § 3: fyldt 18 og under 40 år; in force 1/7/2016",
        "18 til under 40 år ved start",
        _igu_age(40),
    ),
    dated_rule(
        "igu-alder-2024",
        IGU,
        _IGU_2024,
        _IGU_END,
        "S15; trepartsaftale 9/2023, L 82: under 50 år; from 1/1/2024 NV",
        "18 til under 50 år ved start",
        _igu_age(50),
    ),
    dated_rule(
        "igu-ophold-2016",
        IGU,
        _IGU_FROM,
        _IGU_10_YEARS,
        "S15; IGU-lov § 3: under 5 års ophold; in force 1/7/2016",
        "Under 5 års ophold",
        _igu_residence(5, inclusive=False),
    ),
    dated_rule(
        "igu-ophold-2021",
        IGU,
        _IGU_10_YEARS,
        _IGU_2024,
        "S15; L 202 (2020-21): under 10 års ophold; in force 1/5/2021 (NV in domain.md)",
        "Under 10 års ophold",
        _igu_residence(10, inclusive=False),
    ),
    dated_rule(
        "igu-ophold-2024",
        IGU,
        _IGU_2024,
        _IGU_END,
        "S15; trepartsaftale 9/2023, L 82: op til 20 års ophold; from 1/1/2024 NV",
        "Højst 20 års ophold",
        _igu_residence(20, inclusive=True),
    ),
    dated_rule(
        "igu-timer-2016",
        IGU,
        _IGU_FROM,
        _IGU_END,
        "S15; praktik mindst 25 timer/uge",
        "Mindst 25 timer om ugen",
        _igu_hours,
    ),
    dated_rule(
        "igu-tidligere-ansat-2016",
        IGU,
        _IGU_FROM,
        _IGU_END,
        "S15; ikke ordinært ansat hos arbejdsgiveren de seneste 3 måneder (advisory)",
        "Tjek ansættelse hos arbejdsgiveren inden for 3 måneder",
        _igu_recent_employment,
    ),
)
