"""The demo job fair: Jobmesse Fyn's upcoming fair in Odense.

Built from the generated organisations and vacancies alone (:func:`build_fair`), drawing nothing
from the random stream, so adding the fair left every other demo record as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from matching.demo import vocab
from matching.demo.common import at_hour
from matching.demo.records import FairRecord, OrgRecord, VacancyRecord
from matching.models.enums import ApprovalStatus, OrgKind, TargetGroup, VacancyStatus

DEMO_FAIR_DAYS_AHEAD = 21
DEMO_FAIR_EMPLOYERS = 5  # three accept, one has not answered, one declines
DEMO_FAIR_ACCEPTED = 3
DEMO_FAIR_VACANCIES_PER_EMPLOYER = 2


def _matchable(v: VacancyRecord) -> bool:
    return v.status is VacancyStatus.OPEN and v.approval_status in (
        ApprovalStatus.NOT_REQUIRED,
        ApprovalStatus.APPROVED,
    )


def build_fair(
    organisations: Sequence[OrgRecord], vacancies: Sequence[VacancyRecord], today: date
) -> FairRecord:
    """Jobmesse Fyn's upcoming fair in Odense: the two fixed demo employers and the next
    Odense employers (by key) that have open vacancies. Draws nothing from the random stream,
    so adding the fair leaves every other demo record as it was."""
    fair_name, fair_slug = vocab.JOB_FAIR_ORGANISER
    organiser = next(o for o in organisations if o.key == fair_slug)
    area = organiser.municipality_code or 461
    open_by_employer: dict[str, list[int]] = {}
    for index, v in enumerate(vacancies):
        if _matchable(v):
            open_by_employer.setdefault(v.employer_key, []).append(index)
    fixed = ["emp-fynsk-lager-logistik", "emp-odense-aeldrepleje"]
    others = sorted(
        o.key
        for o in organisations
        if o.kind is OrgKind.EMPLOYER
        and o.municipality_code == area
        and o.key not in fixed
        and open_by_employer.get(o.key)
    )
    chosen = [k for k in fixed if open_by_employer.get(k)] + others
    chosen = chosen[:DEMO_FAIR_EMPLOYERS]
    answered = at_hour(today - timedelta(days=2), 10)
    employers = []
    attached: list[int] = []
    for position, key in enumerate(chosen):
        if position < DEMO_FAIR_ACCEPTED:
            employers.append((key, "accepted", answered))
            attached += open_by_employer[key][:DEMO_FAIR_VACANCIES_PER_EMPLOYER]
        elif position == DEMO_FAIR_ACCEPTED:
            employers.append((key, "invited", None))
        else:
            employers.append((key, "declined", answered))
    return FairRecord(
        organiser_key=organiser.key,
        name=f"{fair_name}: job i lager, pleje og service",
        held_on=today + timedelta(days=DEMO_FAIR_DAYS_AHEAD),
        place="Odense Congress Center, Ørbækvej 350, 5220 Odense SØ",
        target_groups=(TargetGroup.DAGPENGE, TargetGroup.KONTANTHJAELP_JOBPARAT),
        municipality_codes=(area,),
        description=(
            "Mød virksomheder fra Odense, der søger nye kolleger nu. Kom til en kort samtale "
            "ved standene, og tag dit cv med. Dørene åbner kl. 10 og lukker kl. 14."
        ),
        employers=tuple(employers),
        vacancy_indexes=tuple(sorted(attached)),
    )
