"""What the place rules work on: the facts of a person and a place, a dated rule row, the
outcome of applying it, and the small helpers every kind of place shares.

A rule row is valid in ``[valid_from, valid_to)`` and chosen by the place's start date
(:mod:`matching.rules.eligibility`). Pure domain logic: no database access.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from matching.models.enums import EducationLevel, TargetGroup, VacancyKind
from matching.rules.tables import ValidOn

REFORM_2015 = date(2015, 1, 1)  # beskæftigelsesreformen (S13)

LAB_IN_FORCE = date(2020, 1, 1)  # lov 548 af 7/5/2019 (LAB) in force


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
class Rule(ValidOn):
    """One dated rule row. ``check`` gets the place's start date; it returns None when the rule
    does not apply to the person (e.g. an advisory rule with nothing to say)."""

    rule_id: str
    kinds: frozenset[VacancyKind]
    valid_from: date
    valid_to: date | None  # exclusive
    source: str
    description_da: str
    check: Check


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


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message_da: str
    notes: tuple[str, ...] = ()
    max_weeks: int | None = None


Decide = Callable[[PersonFacts, PlaceFacts, date], Verdict | None]


def dated_rule(
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


HIGHER_EDUCATION = frozenset({EducationLevel.KVU, EducationLevel.MVU, EducationLevel.LVU})


# Skilled (faglært) is approximated by the level: vocational or higher. Gymnasial is not a
# vocational qualification, so upper-secondary only counts as unskilled (ufaglært).
SKILLED = frozenset({EducationLevel.ERHVERVSFAGLIG, *HIGHER_EDUCATION})


GROUP_PLURAL_DA: dict[TargetGroup, str] = {
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


KIND_DA: dict[VacancyKind, str] = {
    VacancyKind.VIRKSOMHEDSPRAKTIK: "virksomhedspraktik",
    VacancyKind.LOENTILSKUD_PRIVATE: "privat løntilskud",
    VacancyKind.LOENTILSKUD_PUBLIC: "offentligt løntilskud",
    VacancyKind.VOKSENLAERLING: "voksenlærlinge",
    VacancyKind.IGU: "IGU",
}


def months_da(months: int) -> str:
    return f"{months} md." if months == 1 else f"{months} mdr."


def duration_verdict(place: PlaceFacts, weeks: int, what: str) -> Verdict:
    limit = f"højst {weeks} uger ({what})"
    if place.duration_weeks is not None and place.duration_weeks > weeks:
        return Verdict(
            False, f"Løntilskuddet varer {place.duration_weeks} uger – {limit}", (), weeks
        )
    return Verdict(True, limit[0].upper() + limit[1:], (), weeks)
