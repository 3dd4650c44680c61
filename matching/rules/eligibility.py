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

from collections.abc import Iterable, Sequence
from datetime import date

from matching.core.dates import add_months, format_date
from matching.models.enums import EducationLevel, TargetGroup, VacancyKind
from matching.rules import tables
from matching.rules.places import igu, loentilskud, virksomhedspraktik, voksenlaerling
from matching.rules.places.facts import (
    KIND_DA,
    Eligibility,
    PersonFacts,
    PlaceFacts,
    Rule,
    RuleOutcome,
)
from matching.rules.rimelighedskrav import RIMELIGHEDSKRAV_BASES, StaffCountBasis
from matching.rules.tables import iso

# Bump when a check's logic changes without any change of rule ids or dates (the hash below
# only sees the table), so that stored matches are recomputed.
RULES_REVISION = 1


RULES: tuple[Rule, ...] = (
    *virksomhedspraktik.RULES,
    *loentilskud.RULES,
    *voksenlaerling.RULES,
    *igu.RULES,
)


def validate_rules(rules: Sequence[Rule]) -> None:
    """Raise ValueError if the table is inconsistent (duplicate ids, empty windows, …)."""
    tables.check_rows(rules)
    for rule in rules:
        if not rule.kinds or VacancyKind.ORDINARY in rule.kinds:
            raise ValueError(f"rule {rule.rule_id!r} must name company-place kinds only")


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
    bases = RIMELIGHEDSKRAV_BASES if bases is None else bases
    return tables.table_version(
        RULES_REVISION if revision is None else revision,
        (
            f"rule|{rule.rule_id}|{','.join(sorted(rule.kinds))}|{iso(rule.valid_from)}|"
            f"{iso(rule.valid_to)}"
            for rule in rules
        ),
        (f"basis|{basis.unit}|{iso(basis.valid_from)}|{iso(basis.valid_to)}" for basis in bases),
    )


validate_rules(RULES)


RULES_VERSION: str = compute_rules_version()


def rules_in_force(kind: VacancyKind, day: date) -> list[Rule]:
    """The rules of ``kind`` in force on ``day``, in table order (none for ordinary jobs)."""
    return [rule for rule in RULES if kind in rule.kinds and rule.valid_on(day)]


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
            f"Ingen regler for {KIND_DA[place.kind]} i kraft den {format_date(start)}",
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
