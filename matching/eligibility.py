"""Eligibility of a person for a company place, as dated rule data.

Company places are virksomhedspraktik, løntilskud (private and public), voksenlærling and IGU
(domain.md §2). Every rule is a row of :data:`RULES` with a validity window
``[valid_from, valid_to)`` and a source key from domain.md (S9, S10, S12 …). The rows in force
are chosen by the *start date* of the place, and the person's age and unemployment are measured
on that date too, so a match can be recomputed for any date and a change of law is a new row,
not a code branch. Where the legal basis or the exact date is not verified, the source string
says "NV" and a comment explains the date chosen.

Hard rules exclude (``RuleOutcome.ok`` is False); advisory rules pass and add Danish notes for
the counsellor. :data:`RULES_VERSION` changes whenever the table changes, so stored matches can
be recomputed. Pure domain logic: no database access.
"""

from __future__ import annotations

import calendar
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from matching.models.enums import EducationLevel, TargetGroup, VacancyKind

# Bump when a check's logic changes without any change of rule ids or dates (the hash below
# only sees the table), so that stored matches are recomputed.
RULES_REVISION = 1

# --------------------------------------------------------------------------------------------
# Facts and results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonFacts:
    """What the rules need to know about a jobseeker (taken from the CV and the case)."""

    birth_date: date
    target_group: TargetGroup | None  # målgruppe on the day evaluated
    unemployment_start: date | None  # start of the current unemployment/support period
    education_level: EducationLevel | None
    single_provider: bool = False  # enlig forsørger
    residence_years: int | None = None  # completed years of residence in Denmark (IGU)
    has_work_experience: bool = True
    latest_employer: str | None = None  # employer name of the most recent CV experience
    # Employer names of experiences current or ended this calendar year.
    recent_employers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PlaceFacts:
    """What the rules need to know about a company place."""

    kind: VacancyKind
    employer_name: str
    duration_weeks: int | None = None
    start_date: date | None = None  # None: the evaluation day
    weekly_hours: float | None = None


@dataclass(frozen=True)
class RuleOutcome:
    """The result of applying one rule to one person and place.

    ``notes`` are advisory Danish texts raised by the rule (they never exclude); ``max_weeks`` is
    the longest allowed duration the rule sets for this person, if any.
    """

    rule_id: str
    ok: bool  # False = the hard rule excludes the person
    message_da: str  # short Danish text for a counsellor
    source: str  # e.g. "S9; LAB § 61; in force 1/1/2020"
    notes: tuple[str, ...] = ()
    max_weeks: int | None = None


@dataclass(frozen=True)
class Eligibility:
    """Whether a person may take a place, with every applied rule and the advisory notes."""

    eligible: bool
    outcomes: tuple[RuleOutcome, ...]  # every rule that was applied, passed or failed
    notes: tuple[str, ...]  # Danish advisory notes that do not exclude
    max_weeks: int | None  # longest allowed duration for this person and kind, if a rule sets one

    @property
    def reasons(self) -> tuple[str, ...]:
        """Danish messages of the failed outcomes (why the person is excluded)."""
        return tuple(outcome.message_da for outcome in self.outcomes if not outcome.ok)


Check = Callable[[PersonFacts, PlaceFacts, date], RuleOutcome | None]


@dataclass(frozen=True)
class Rule:
    """One dated rule row. ``check`` gets the place's start date; it returns None when the rule
    does not apply to the person (e.g. an advisory rule with nothing to say)."""

    rule_id: str
    kinds: frozenset[VacancyKind]
    valid_from: date
    valid_to: date | None  # exclusive
    source: str
    description_da: str
    check: Check

    def in_force(self, day: date) -> bool:
        """True if ``day`` lies in ``[valid_from, valid_to)``."""
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


# --------------------------------------------------------------------------------------------
# Date helpers
# --------------------------------------------------------------------------------------------


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


def _fmt(day: date) -> str:
    """Danish short date, e.g. 1.3.2019."""
    return f"{day.day}.{day.month}.{day.year}"


# --------------------------------------------------------------------------------------------
# Employer names
# --------------------------------------------------------------------------------------------

# Danish company-form suffixes, after dots are removed and spaces around "/" are closed.
# "as" covers "A/S" typed without the slash; "is", "ks", "ps" are left alone because they are
# also ordinary words (a firm called "Hansens Is" sells ice cream).
_COMPANY_SUFFIX = re.compile(r"(?:^|[\s,&\-])(?:a/s|i/s|k/s|p/s|aps|ivs|as)\s*$")


def normalise_employer(name: str) -> str:
    """Employer name for comparison: case-folded, company suffix (A/S, ApS, I/S, K/S, P/S,
    IVS) and punctuation removed, whitespace collapsed.

    "Novo Nordisk A/S", "NOVO NORDISK AS" and "novo nordisk." all give "novo nordisk".
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"\s*/\s*", "/", text.replace(".", ""))
    while True:
        match = _COMPANY_SUFFIX.search(text)
        # Keep a name that is nothing but a suffix rather than reduce it to "".
        if match is None or not text[: match.start()].strip(" ,&-"):
            break
        text = text[: match.start()]
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def same_employer(a: str | None, b: str | None) -> bool:
    """True if two employer names denote the same firm after :func:`normalise_employer`."""
    if not a or not b:
        return False
    left, right = normalise_employer(a), normalise_employer(b)
    return bool(left) and left == right


# --------------------------------------------------------------------------------------------
# Rule construction
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    ok: bool
    message_da: str
    notes: tuple[str, ...] = ()
    max_weeks: int | None = None


Decide = Callable[[PersonFacts, PlaceFacts, date], _Verdict | None]


def _rule(
    rule_id: str,
    kinds: Iterable[VacancyKind],
    valid_from: date,
    valid_to: date | None,
    source: str,
    description_da: str,
    decide: Decide,
) -> Rule:
    """A Rule whose check stamps the rule's id and source on the verdict of ``decide``."""

    def check(person: PersonFacts, place: PlaceFacts, start: date) -> RuleOutcome | None:
        verdict = decide(person, place, start)
        if verdict is None:
            return None
        return RuleOutcome(
            rule_id, verdict.ok, verdict.message_da, source, verdict.notes, verdict.max_weeks
        )

    check.__name__ = f"check_{rule_id.replace('-', '_')}"
    return Rule(rule_id, frozenset(kinds), valid_from, valid_to, source, description_da, check)


_HIGHER_EDUCATION = frozenset({EducationLevel.KVU, EducationLevel.MVU, EducationLevel.LVU})
# Skilled (faglært) is approximated by the level: vocational or higher. Gymnasial is not a
# vocational qualification, so upper-secondary only counts as unskilled (ufaglært).
_SKILLED = frozenset({EducationLevel.ERHVERVSFAGLIG, *_HIGHER_EDUCATION})

_GROUP_PLURAL_DA: dict[TargetGroup, str] = {
    TargetGroup.DAGPENGE: "dagpengemodtagere",
    TargetGroup.KONTANTHJAELP_JOBPARAT: "jobparate kontanthjælpsmodtagere",
    TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT: "aktivitetsparate kontanthjælpsmodtagere",
    TargetGroup.UDDANNELSESHJAELP_UDDANNELSESPARAT: "uddannelsesparate",
    TargetGroup.UDDANNELSESHJAELP_AKTIVITETSPARAT: "aktivitetsparate uddannelseshjælpsmodtagere",
    TargetGroup.SYGEDAGPENGE: "sygedagpengemodtagere",
    TargetGroup.RESSOURCEFORLOEB: "personer i ressourceforløb",
    TargetGroup.JOBAFKLARING: "personer i jobafklaringsforløb",
    TargetGroup.LEDIGHEDSYDELSE: "modtagere af ledighedsydelse",
    TargetGroup.INTEGRATION: "flygtninge og familiesammenførte",
    TargetGroup.SELVFORSOERGENDE: "selvforsørgende",
}

_KIND_DA: dict[VacancyKind, str] = {
    VacancyKind.VIRKSOMHEDSPRAKTIK: "virksomhedspraktik",
    VacancyKind.LOENTILSKUD_PRIVATE: "privat løntilskud",
    VacancyKind.LOENTILSKUD_PUBLIC: "offentligt løntilskud",
    VacancyKind.VOKSENLAERLING: "voksenlærlinge",
    VacancyKind.IGU: "IGU",
}


def _months_da(months: int) -> str:
    return f"{months} md." if months == 1 else f"{months} mdr."


# --------------------------------------------------------------------------------------------
# Virksomhedspraktik (S9; LAB § 61, in force 1/1/2020)
# --------------------------------------------------------------------------------------------

PRAKTIK = frozenset({VacancyKind.VIRKSOMHEDSPRAKTIK})
_LAB_FROM = date(2020, 1, 1)  # lov 548 af 7/5/2019 (LAB) in force

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
        candidates.append((13, _GROUP_PLURAL_DA[group], ()))
    elif group in _PRAKTIK_4_WEEKS:
        candidates.append((4, _GROUP_PLURAL_DA[group], ()))
    else:
        # Integration and selvforsørgende are not listed in domain.md: the cautious 4 weeks.
        candidates.append(
            (
                4,
                _GROUP_PLURAL_DA[group],
                (
                    f"Praktikgrænsen for {_GROUP_PLURAL_DA[group]} er ikke bekræftet; "
                    "4 uger bruges for en sikkerheds skyld",
                ),
            )
        )
    if group is TargetGroup.KONTANTHJAELP_JOBPARAT and not person.has_work_experience:
        candidates.append((13, "jobparate uden arbejdserfaring", ()))
    if (
        group is TargetGroup.DAGPENGE
        and person.education_level in _HIGHER_EDUCATION
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


def _praktik_target_group(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    if person.target_group is None:
        return _Verdict(False, "Målgruppe ukendt: registrér målgruppen før virksomhedspraktik")
    return _Verdict(True, f"Målgruppe: {person.target_group.label_da}")


def _praktik_duration(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict | None:
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
        return _Verdict(
            False, f"Praktikken varer {place.duration_weeks} uger – {limit}", notes, weeks
        )
    return _Verdict(True, f"Højst {weeks} ugers praktik for {whom} (LAB § 61)", notes, weeks)


def _praktik_latest_employer(
    person: PersonFacts, place: PlaceFacts, start: date
) -> _Verdict | None:
    if person.latest_employer is None:
        if not person.has_work_experience:
            return None  # no previous employer to compare with
        return _Verdict(
            True,
            "Seneste arbejdsgiver er ikke angivet i CV",
            ("Tjek at praktikken ikke er hos personens seneste arbejdsgiver",),
        )
    if not same_employer(person.latest_employer, place.employer_name):
        return _Verdict(True, "Ikke hos seneste arbejdsgiver")
    if person.target_group in _LATEST_EMPLOYER_BARRED or person.target_group is None:
        return _Verdict(False, f"Ikke praktik hos seneste arbejdsgiver ({person.latest_employer})")
    return _Verdict(
        True,
        "Seneste arbejdsgiver: kræver konkret vurdering",
        (
            "Praktik hos seneste arbejdsgiver kræver en ny arbejdsfunktion og en konkret "
            "vurdering (BEK 2636/2021 § 61)",
        ),
    )


# --------------------------------------------------------------------------------------------
# Løntilskud (S12 LAB § 69; S13 2015 reform)
# --------------------------------------------------------------------------------------------

LOENTILSKUD = frozenset({VacancyKind.LOENTILSKUD_PRIVATE, VacancyKind.LOENTILSKUD_PUBLIC})
_REFORM_2015 = date(2015, 1, 1)
# The project's records start in 2009 (domain.md §1, "2009–14"). The pre-2015 public limit is
# only stated as "previously 6 months" (S13), so the earlier version starts there. NV.
_RECORDS_FROM = date(2009, 1, 1)

_WEEKS_4_MONTHS = 17  # 4 months ≈ 17.4 weeks: whole weeks within the limit
_WEEKS_6_MONTHS = 26


def _loentilskud_not_modelled(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    return _Verdict(
        True,
        "Adgangsregler for løntilskud før 1.1.2015 er ikke modelleret",
        ("Løntilskud før 2015: tjek adgangsbetingelserne manuelt",),
    )


def _loentilskud_access(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    # Exemptions first: they make the unemployment start irrelevant (LAB § 69).
    age = age_on(person.birth_date, start)
    if age >= 50:
        return _Verdict(True, f"Løntilskud fra første dag: fyldt 50 år (er {age})")
    if person.single_provider:
        return _Verdict(True, "Løntilskud fra første dag: enlig forsørger")
    if person.education_level is EducationLevel.GRUNDSKOLE:
        return _Verdict(
            True, "Løntilskud fra første dag: ingen gymnasial eller erhvervsfaglig uddannelse"
        )
    if person.unemployment_start is None:
        return _Verdict(
            False, "Ledighedsstart ukendt: kan ikke se 6 måneders ledighed før løntilskud"
        )
    months = completed_months(person.unemployment_start, start)
    earliest = add_months(person.unemployment_start, 6)
    if start >= earliest:
        return _Verdict(True, f"6 måneders ledighed opfyldt (ledig i {_months_da(months)})")
    return _Verdict(
        False,
        f"Mangler 6 måneders ledighed før løntilskud (ledig i {_months_da(months)}, "
        f"tidligst {_fmt(earliest)})",
    )


def _duration_verdict(place: PlaceFacts, weeks: int, what: str) -> _Verdict:
    limit = f"højst {weeks} uger ({what})"
    if place.duration_weeks is not None and place.duration_weeks > weeks:
        return _Verdict(
            False, f"Løntilskuddet varer {place.duration_weeks} uger – {limit}", (), weeks
        )
    return _Verdict(True, limit[0].upper() + limit[1:], (), weeks)


def _private_duration(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    return _duration_verdict(place, _WEEKS_6_MONTHS, "6 måneder i privat løntilskud")


def _public_duration_before_2015(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    return _duration_verdict(place, _WEEKS_6_MONTHS, "6 måneder i offentligt løntilskud")


def _public_duration(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    group = person.target_group
    if group is TargetGroup.DAGPENGE:
        return _duration_verdict(
            place, _WEEKS_4_MONTHS, "4 måneder i offentligt løntilskud for dagpengemodtagere"
        )
    if group is None:
        # Without a target group the shorter dagpenge limit is the safe one.
        verdict = _duration_verdict(
            place, _WEEKS_4_MONTHS, "4 måneder i offentligt løntilskud, målgruppe ukendt"
        )
        return _Verdict(
            verdict.ok,
            verdict.message_da,
            ("Målgruppe ukendt: 4 måneders grænsen for dagpengemodtagere er brugt",),
            verdict.max_weeks,
        )
    # 6 months for the other groups is NV (domain.md gives only the dagpenge limit).
    return _duration_verdict(place, _WEEKS_6_MONTHS, "6 måneder i offentligt løntilskud")


# --------------------------------------------------------------------------------------------
# Voksenlærling (S14)
# --------------------------------------------------------------------------------------------

VOKSENLAERLING = frozenset({VacancyKind.VOKSENLAERLING})
_APPLY_NOTE = "søg senest 1 måned efter start"


def _voksenlaerling_age(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    age = age_on(person.birth_date, start)
    if age < 25:
        return _Verdict(
            False, f"For ung: voksenlærlinge skal være fyldt 25 år ved start (er {age})"
        )
    return _Verdict(True, f"Fyldt 25 år ved start (er {age})")


def _subsidy(rate: int, why: str) -> _Verdict:
    return _Verdict(
        True,
        f"Voksenlærlingetilskud {rate} kr./t",
        (f"Voksenlærlingetilskud {rate} kr./t ({why}) – {_APPLY_NOTE}",),
    )


def _unknown_education() -> _Verdict:
    return _Verdict(
        True,
        "Tilskudssats ukendt",
        ("Uddannelsesniveau ukendt: voksenlærlingetilskuddet kan ikke fastlægges",),
    )


def _ledig_months(person: PersonFacts, start: date) -> int | None:
    """Completed months of unemployment at start; None if not registered unemployed."""
    if person.unemployment_start is None or person.unemployment_start > start:
        return None
    return completed_months(person.unemployment_start, start)


def _subsidy_2015(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    if person.education_level is None:
        return _unknown_education()
    months = _ledig_months(person, start) or 0
    if person.education_level in _SKILLED:
        if months >= 12:
            return _subsidy(40, f"faglært, ledig i {_months_da(months)}")
        return _subsidy(30, "faglært under 12 måneders ledighed")
    if months >= 2:
        return _subsidy(40, f"ufaglært, ledig i {_months_da(months)}")
    return _subsidy(30, "ufaglært under 2 måneders ledighed")


def _subsidy_2024(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    if person.education_level is None:
        return _unknown_education()
    months = _ledig_months(person, start)
    if person.education_level not in _SKILLED:
        if months is not None:
            return _subsidy(45, "ufaglært ledig, fra første dag")
        return _subsidy(30, "ufaglært i beskæftigelse, kun positivlisten, højst 2 år")
    if months is not None and months >= 6:
        return _subsidy(45, f"faglært, ledig i {_months_da(months)}")
    ledig = "i beskæftigelse" if months is None else f"ledig i {_months_da(months)}"
    return _Verdict(
        True,
        "Intet voksenlærlingetilskud",
        (
            f"Intet voksenlærlingetilskud: faglærte skal have 6 måneders ledighed ({ledig}), "
            "medmindre uddannelsen er forældet",
        ),
    )


# --------------------------------------------------------------------------------------------
# IGU (S15)
# --------------------------------------------------------------------------------------------

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


def _igu_target_group(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    if person.target_group is TargetGroup.INTEGRATION:
        return _Verdict(True, "Målgruppe: flygtning eller familiesammenført")
    if person.target_group is None:
        return _Verdict(False, "Målgruppe ukendt: IGU kræver flygtning eller familiesammenført")
    return _Verdict(
        False,
        f"IGU kræver flygtning eller familiesammenført (målgruppe: {person.target_group.label_da})",
    )


def _igu_age(upper_exclusive: int) -> Decide:
    # IGU-loven § 3: "fyldt 18 år og under 40 år" when the IGU starts (uim.dk); L 82 changed
    # 40 to 50. domain.md writes the ranges as 18-40 and 18-50.
    def decide(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
        age = age_on(person.birth_date, start)
        if age < 18:
            return _Verdict(False, f"For ung til IGU: skal være fyldt 18 år ved start (er {age})")
        if age >= upper_exclusive:
            return _Verdict(
                False,
                f"For gammel til IGU: skal være under {upper_exclusive} år ved start (er {age})",
            )
        return _Verdict(True, f"Alder {age} år: inden for IGU (18 til under {upper_exclusive})")

    return decide


def _igu_residence(limit: int, inclusive: bool) -> Decide:
    # residence_years counts completed years, so "under 5 years" is residence_years < 5 and
    # "up to 20 years" is residence_years <= 20 (20 years and some months is flagged).
    wording = f"højst {limit} års" if inclusive else f"under {limit} års"

    def decide(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
        years = person.residence_years
        if years is None:
            return _Verdict(False, f"Opholdstid ukendt: IGU kræver {wording} ophold i Danmark")
        within = years <= limit if inclusive else years < limit
        if not within:
            return _Verdict(False, f"IGU kræver {wording} ophold i Danmark (har {years} år)")
        notes: tuple[str, ...] = ()
        if inclusive and years == limit:
            notes = (
                f"Opholdstid tæt på grænsen: tjek at den ikke overstiger {limit} år ved start",
            )
        return _Verdict(True, f"Opholdstid {years} år: inden for IGU ({wording} ophold)", notes)

    return decide


def _igu_hours(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    hours = place.weekly_hours
    if hours is None:
        return _Verdict(
            True,
            "Ugentlig arbejdstid ikke angivet",
            (f"Tjek at IGU-praktikken er mindst {_IGU_MIN_HOURS} timer om ugen",),
        )
    shown = f"{hours:g}".replace(".", ",")
    if hours < _IGU_MIN_HOURS:
        return _Verdict(
            False, f"IGU-praktik skal være mindst {_IGU_MIN_HOURS} timer/uge (pladsen har {shown})"
        )
    return _Verdict(True, f"{shown} timer/uge: mindst {_IGU_MIN_HOURS} timer")


def _igu_recent_employment(person: PersonFacts, place: PlaceFacts, start: date) -> _Verdict:
    # The CV gives years only, so "employed there in the last 3 months" cannot be decided:
    # a match in this year's employers is a note for the counsellor, never an exclusion.
    if any(same_employer(name, place.employer_name) for name in person.recent_employers):
        return _Verdict(
            True,
            "Ansat hos arbejdsgiveren i år ifølge CV",
            (
                f"Tjek ansættelse hos {place.employer_name} inden for 3 måneder før start: "
                "ordinært ansatte kan ikke overgå til IGU hos samme arbejdsgiver",
            ),
        )
    return _Verdict(True, "Ingen ansættelse hos arbejdsgiveren i år ifølge CV")


# --------------------------------------------------------------------------------------------
# The rule table
# --------------------------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    # Virksomhedspraktik ----------------------------------------------------------------------
    _rule(
        "praktik-maalgruppe-2020",
        PRAKTIK,
        _LAB_FROM,
        None,
        "S9; LAB § 57; in force 1/1/2020",
        "Målgruppen skal være kendt",
        _praktik_target_group,
    ),
    _rule(
        "praktik-varighed-2020",
        PRAKTIK,
        _LAB_FROM,
        None,
        # The 8 weeks for 50+ with > 12 months and the 4 weeks for integration/selvforsørgende
        # are not in the law text seen (NV); so is the start date of the dimittend 8 weeks.
        "S9; LAB § 61; in force 1/1/2020; NV: 50+ 8 weeks, dimittend from-date, "
        "integration/selvforsørgende 4 weeks",
        "Højeste varighed efter målgruppe",
        _praktik_duration,
    ),
    _rule(
        "praktik-seneste-arbejdsgiver-2020",
        PRAKTIK,
        _LAB_FROM,
        None,
        # BEK 2636/2021 is in force from 1/1/2022; the 2020-21 executive order (BEK 1180/2019)
        # is assumed to carry the same rule (NV).
        "S9; BEK 2636/2021 § 61 stk. 2-4; in force 1/1/2020 (2020-21 BEK NV)",
        "Ikke praktik hos seneste arbejdsgiver",
        _praktik_latest_employer,
    ),
    # Løntilskud ------------------------------------------------------------------------------
    _rule(
        "loentilskud-adgang-2009",
        {VacancyKind.LOENTILSKUD_PUBLIC},
        _RECORDS_FROM,
        _REFORM_2015,
        "S13; pre-2015 access rules not modelled; from-date NV (start of project records)",
        "Adgangsregler før 2015 ikke modelleret",
        _loentilskud_not_modelled,
    ),
    _rule(
        "loentilskud-adgang-2015",
        LOENTILSKUD,
        _REFORM_2015,
        _LAB_FROM,
        # The 6 months with these exemptions are verified for LAB § 69 (2020); that the 2015
        # reform already had the same requirement under the previous act is NV.
        "S12, S13; beskæftigelsesreformen 2015; NV: same 6-month rule as LAB § 69",
        "6 måneders ledighed før løntilskud (undtagen 50+, enlig forsørger, ingen uddannelse)",
        _loentilskud_access,
    ),
    _rule(
        "loentilskud-adgang-2020",
        LOENTILSKUD,
        _LAB_FROM,
        None,
        "S12; LAB § 69; in force 1/1/2020",
        "6 måneders ledighed før løntilskud (undtagen 50+, enlig forsørger, ingen uddannelse)",
        _loentilskud_access,
    ),
    _rule(
        "loentilskud-privat-varighed-2015",
        {VacancyKind.LOENTILSKUD_PRIVATE},
        _REFORM_2015,
        None,
        "S12, S13; private ≤ 6 months; in force 1/1/2015",
        "Privat løntilskud højst 6 måneder",
        _private_duration,
    ),
    _rule(
        "loentilskud-offentlig-varighed-2009",
        {VacancyKind.LOENTILSKUD_PUBLIC},
        _RECORDS_FROM,
        _REFORM_2015,
        "S13; public ≤ 6 months before 1/1/2015; from-date NV (start of project records)",
        "Offentligt løntilskud højst 6 måneder",
        _public_duration_before_2015,
    ),
    _rule(
        "loentilskud-offentlig-varighed-2015",
        {VacancyKind.LOENTILSKUD_PUBLIC},
        # S13 applies the 4 months to offers *granted* from 1/1/2015; the start date is used
        # here as the nearest fact a place has.
        _REFORM_2015,
        None,
        "S12, S13; public ≤ 4 months for dagpenge; in force 1/1/2015; NV: 6 months for others",
        "Offentligt løntilskud højst 4 måneder for dagpengemodtagere, ellers 6",
        _public_duration,
    ),
    # Voksenlærling ---------------------------------------------------------------------------
    _rule(
        "voksenlaerling-alder-2015",
        VOKSENLAERLING,
        # Agreements made from 1/1/2015 follow the 2015 reform (cabiweb, S14); the 25-year
        # age limit is older, but no earlier version is modelled.
        _REFORM_2015,
        None,
        "S14; fyldt 25 år ved uddannelsesaftalens start; in force 1/1/2015",
        "Fyldt 25 år ved start",
        _voksenlaerling_age,
    ),
    _rule(
        "voksenlaerling-tilskud-2015",
        VOKSENLAERLING,
        _REFORM_2015,
        date(2024, 1, 1),
        # NV: sources mention adjustments from 1/3/2017 and a 2021-22 trial within this span.
        "S14; 40/30 kr./t; 2015-2023; NV: changes 2017-2023 not modelled",
        "Tilskudssats 2015-2023",
        _subsidy_2015,
    ),
    _rule(
        "voksenlaerling-tilskud-2024",
        VOKSENLAERLING,
        # domain.md gives the year only; 1 January is the usual in-force day (NV).
        date(2024, 1, 1),
        None,
        "S14; 45 kr./t; from 1/1/2024 (day NV)",
        "Tilskudssats fra 2024",
        _subsidy_2024,
    ),
    # IGU -------------------------------------------------------------------------------------
    _rule(
        "igu-maalgruppe-2016",
        IGU,
        _IGU_FROM,
        _IGU_END,
        "S15; IGU-lov § 3 (lov 623/2016); trial 1/7/2016; end 31/12/2027 NV",
        "Flygtning eller familiesammenført",
        _igu_target_group,
    ),
    _rule(
        "igu-alder-2016",
        IGU,
        _IGU_FROM,
        _IGU_2024,
        "S15; IGU-lov § 3: fyldt 18 og under 40 år; in force 1/7/2016",
        "18 til under 40 år ved start",
        _igu_age(40),
    ),
    _rule(
        "igu-alder-2024",
        IGU,
        _IGU_2024,
        _IGU_END,
        "S15; trepartsaftale 9/2023, L 82: under 50 år; from 1/1/2024 NV",
        "18 til under 50 år ved start",
        _igu_age(50),
    ),
    _rule(
        "igu-ophold-2016",
        IGU,
        _IGU_FROM,
        _IGU_10_YEARS,
        "S15; IGU-lov § 3: under 5 års ophold; in force 1/7/2016",
        "Under 5 års ophold",
        _igu_residence(5, inclusive=False),
    ),
    _rule(
        "igu-ophold-2021",
        IGU,
        _IGU_10_YEARS,
        _IGU_2024,
        "S15; L 202 (2020-21): under 10 års ophold; in force 1/5/2021 (NV in domain.md)",
        "Under 10 års ophold",
        _igu_residence(10, inclusive=False),
    ),
    _rule(
        "igu-ophold-2024",
        IGU,
        _IGU_2024,
        _IGU_END,
        "S15; trepartsaftale 9/2023, L 82: op til 20 års ophold; from 1/1/2024 NV",
        "Højst 20 års ophold",
        _igu_residence(20, inclusive=True),
    ),
    _rule(
        "igu-timer-2016",
        IGU,
        _IGU_FROM,
        _IGU_END,
        "S15; praktik mindst 25 timer/uge",
        "Mindst 25 timer om ugen",
        _igu_hours,
    ),
    _rule(
        "igu-tidligere-ansat-2016",
        IGU,
        _IGU_FROM,
        _IGU_END,
        "S15; ikke ordinært ansat hos arbejdsgiveren de seneste 3 måneder (advisory)",
        "Tjek ansættelse hos arbejdsgiveren inden for 3 måneder",
        _igu_recent_employment,
    ),
)


# --------------------------------------------------------------------------------------------
# Rimelighedskrav (S10)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffCountBasis:
    """How ordinary staff are counted for the rimelighedskrav in a period."""

    valid_from: date
    valid_to: date | None  # exclusive
    unit: str  # "heads" or "fte"
    source: str

    def in_force(self, day: date) -> bool:
        """True if ``day`` lies in ``[valid_from, valid_to)``."""
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


RIMELIGHEDSKRAV_BASES: tuple[StaffCountBasis, ...] = (
    # "Before 2020" (domain.md): no lower bound is known, so the head count reaches back.
    StaffCountBasis(date.min, _LAB_FROM, "heads", "S10; BEK 1297/2017 § 92; before 1/1/2020"),
    StaffCountBasis(
        _LAB_FROM,
        None,
        "fte",
        "S10; BEK 2636/2021 § 65; FTEs from 1/1/2020 (2020-21 BEK NV)",
    ),
)


def staff_count_basis(day: date) -> StaffCountBasis:
    """The counting unit for ordinary staff on ``day``: heads before 2020, FTEs from 2020."""
    for basis in RIMELIGHEDSKRAV_BASES:
        if basis.in_force(day):
            return basis
    raise ValueError(f"no rimelighedskrav basis in force on {day.isoformat()}")


def rimelighedskrav_capacity(ordinary_staff: float, day: date) -> int:
    """Max. concurrent praktik + løntilskud + nytte places for a P-nr with ``ordinary_staff``.

    One place per 5 ordinary staff for the first 50 (always at least one), plus one per 10
    staff beyond 50 (BEK 2636/2021 § 65; BEK 1297/2017 § 92)::

        staff ≤ 50:  max(1, ⌊staff / 5⌋)
        staff > 50:  10 + ⌊(staff − 50) / 10⌋      so 50 → 10, 51 → 10, 59 → 10, 60 → 11, 61 → 11

    Only complete groups of 5 (or 10) count. ``ordinary_staff`` is a head count before 2020
    and FTEs from 2020 (see :func:`staff_count_basis`); the arithmetic is the same.
    Raises ValueError for negative or non-finite staff.
    """
    if not math.isfinite(ordinary_staff) or ordinary_staff < 0:
        raise ValueError(f"ordinary staff must be a finite number ≥ 0, not {ordinary_staff!r}")
    staff_count_basis(day)  # every date has a basis; this documents the dependency on ``day``
    # FTEs are sums of fractions: round away float noise such as 49.99999999 before flooring.
    staff = round(ordinary_staff, 6)
    first = max(1, math.floor(min(staff, 50) / 5))
    beyond = math.floor((staff - 50) / 10) if staff > 50 else 0
    return first + beyond


@dataclass(frozen=True)
class Rimelighedskrav:
    """The rimelighedskrav for one company place, as shown to employers and approvers."""

    ordinary_staff: float
    unit: str  # heads | fte
    capacity: int
    current: int  # subsidised places already at the P-nr
    source: str

    @property
    def fulfilled(self) -> bool:
        """True if one more place fits: the current places plus this one ≤ capacity."""
        return self.current + 1 <= self.capacity

    @property
    def summary_da(self) -> str:
        unit = "årsværk" if self.unit == "fte" else "ansatte"
        staff = f"{self.ordinary_staff:g}".replace(".", ",")
        verdict = "opfyldt" if self.fulfilled else "ikke opfyldt"
        return (
            f"{staff} ordinære {unit} giver plads til {self.capacity} virksomhedsrettede "
            f"tilbud; der er {self.current} i forvejen, så med denne plads er kravet {verdict}."
        )


def rimelighedskrav_for(
    ordinary_staff: float | None, current: int | None, day: date
) -> Rimelighedskrav | None:
    """The rimelighedskrav computed for a place (None while the staff count is unknown)."""
    if ordinary_staff is None:
        return None
    basis = staff_count_basis(day)
    return Rimelighedskrav(
        ordinary_staff=float(ordinary_staff),
        unit=basis.unit,
        capacity=rimelighedskrav_capacity(float(ordinary_staff), day),
        current=current or 0,
        source=basis.source,
    )


# --------------------------------------------------------------------------------------------
# Table checks and version
# --------------------------------------------------------------------------------------------


def validate_rules(rules: Sequence[Rule]) -> None:
    """Raise ValueError if the table is inconsistent (duplicate ids, empty windows, …)."""
    seen: set[str] = set()
    for rule in rules:
        if rule.rule_id in seen:
            raise ValueError(f"duplicate rule id {rule.rule_id!r}")
        seen.add(rule.rule_id)
        if rule.valid_to is not None and rule.valid_to <= rule.valid_from:
            raise ValueError(f"rule {rule.rule_id!r} ends before it starts")
        if not rule.kinds or VacancyKind.ORDINARY in rule.kinds:
            raise ValueError(f"rule {rule.rule_id!r} must name company-place kinds only")
        if not rule.source.strip():
            raise ValueError(f"rule {rule.rule_id!r} has no source")


def compute_rules_version(
    rules: Iterable[Rule] | None = None,
    revision: int | None = None,
    bases: Iterable[StaffCountBasis] | None = None,
) -> str:
    """A short stable version of the rule table: ids, kinds and validity dates of every rule
    and rimelighedskrav basis, plus :data:`RULES_REVISION`. Order of the rows does not matter.

    Defaults read the module's current table, so a patched table gives its own version.
    """
    rules = RULES if rules is None else rules
    revision = RULES_REVISION if revision is None else revision
    bases = RIMELIGHEDSKRAV_BASES if bases is None else bases

    def when(day: date | None) -> str:
        return "" if day is None else day.isoformat()

    rows = sorted(
        f"rule|{rule.rule_id}|{','.join(sorted(rule.kinds))}|{when(rule.valid_from)}|"
        f"{when(rule.valid_to)}"
        for rule in rules
    )
    rows += sorted(
        f"basis|{basis.unit}|{when(basis.valid_from)}|{when(basis.valid_to)}" for basis in bases
    )
    digest = hashlib.sha256("\n".join([f"revision|{revision}", *rows]).encode()).hexdigest()
    return f"r{revision}-{digest[:12]}"


validate_rules(RULES)
RULES_VERSION: str = compute_rules_version()


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def rules_in_force(kind: VacancyKind, day: date) -> list[Rule]:
    """The rules of ``kind`` in force on ``day``, in table order (none for ordinary jobs)."""
    return [rule for rule in RULES if kind in rule.kinds and rule.in_force(day)]


def evaluate(person: PersonFacts, place: PlaceFacts, day: date) -> Eligibility:
    """Apply the rules in force at the place's start (``start_date``, else ``day``).

    Ordinary vacancies have no rules: eligible, no outcomes. A company place whose start date
    has no rule of its kind in force is not eligible (the rules for that date are unknown).
    The person is eligible when every applied rule passes; ``max_weeks`` is the tightest
    limit any rule set.
    """
    if not place.kind.is_company_place:
        return Eligibility(True, (), (), None)
    start = place.start_date or day
    rules = rules_in_force(place.kind, start)
    if not rules:
        missing = RuleOutcome(
            "ingen-regler",
            False,
            f"Ingen regler for {_KIND_DA[place.kind]} i kraft den {_fmt(start)}",
            f"rule table {RULES_VERSION}: no version in force",
        )
        return Eligibility(False, (missing,), (), None)
    outcomes = tuple(
        outcome for rule in rules if (outcome := rule.check(person, place, start)) is not None
    )
    notes = tuple(dict.fromkeys(note for outcome in outcomes for note in outcome.notes))
    limits = [outcome.max_weeks for outcome in outcomes if outcome.max_weeks is not None]
    return Eligibility(
        eligible=all(outcome.ok for outcome in outcomes),
        outcomes=outcomes,
        notes=notes,
        max_weeks=min(limits) if limits else None,
    )


# Stand-ins for "anyone" when a place is checked on its own: every target group, with and
# without work experience and higher education, aged 30 and a year unemployed at the start,
# a year in Denmark. Between them they reach every limit the rules set for some person.
_PLACE_CHECK_AGE_YEARS = 30
_PLACE_CHECK_UNEMPLOYED_MONTHS = 12


def _anyone(start: date) -> list[PersonFacts]:
    return [
        PersonFacts(
            birth_date=add_months(start, -12 * _PLACE_CHECK_AGE_YEARS),
            target_group=group,
            unemployment_start=add_months(start, -_PLACE_CHECK_UNEMPLOYED_MONTHS),
            education_level=education,
            has_work_experience=experienced,
            residence_years=1,
        )
        for group in TargetGroup
        for education in (EducationLevel.GRUNDSKOLE, EducationLevel.KVU)
        for experienced in (True, False)
    ]


def place_refusals(place: PlaceFacts, day: date) -> tuple[RuleOutcome, ...]:
    """The rule outcomes that refuse the place for *every* person: what the place itself breaks
    (a duration no target group may have, too few IGU hours, a start date without rules).

    Employers are told at once instead of learning from an empty candidate list. Of each
    refusing rule the most permissive outcome is returned (the largest ``max_weeks``), so a
    14-week virksomhedspraktik is refused with the 13-week limit's reason.
    """
    refused: dict[str, RuleOutcome] | None = None
    for person in _anyone(place.start_date or day):
        failed = {o.rule_id: o for o in evaluate(person, place, day).outcomes if not o.ok}
        if refused is None:
            refused = failed
            continue
        refused = {
            rule_id: max(outcome, failed[rule_id], key=lambda o: o.max_weeks or 0)
            for rule_id, outcome in refused.items()
            if rule_id in failed
        }
    return tuple((refused or {}).values())
