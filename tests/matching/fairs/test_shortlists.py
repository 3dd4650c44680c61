"""Job-fair shortlists: scope, rank order, brancheskift share, manual decisions, locks, access."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.errors import OutOfScope, PermissionDenied, ValidationError
from matching.fairs.shortlists import (
    add_person,
    build_shortlist,
    lock,
    people_on_several_shortlists,
    remove_person,
    unlock,
)
from matching.models import (
    AuditAction,
    AuditEntry,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    Organisation,
    OrgKind,
    ShortlistEntry,
    TargetGroup,
    TargetGroupPeriod,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from tests.factories.base import put_in_state

FAIR_DAY = date(2026, 3, 14)
AARHUS = 751
ODENSE = 461


@dataclass
class World:
    fair: JobFair
    organiser: Organisation
    vacancy: Vacancy
    other_vacancy: Vacancy
    people: dict[str, Jobseeker]
    actor: Actor
    session: Session

    def pid(self, name: str) -> int:
        return self.people[name].id


def _org(session: Session, kind: OrgKind, name: str) -> Organisation:
    org = Organisation(kind=kind, name=name)
    session.add(org)
    session.flush()
    return org


def _vacancy(session: Session, employer: Organisation, title: str) -> Vacancy:
    v = Vacancy(
        kind=VacancyKind.ORDINARY,
        status=VacancyStatus.OPEN,
        employer_id=employer.id,
        title=title,
        description="Vi søger en kollega.",
        postal_code="8000",
    )
    session.add(v)
    session.flush()
    return v


_seq = iter(range(1, 10_000))


def _person(
    session: Session,
    *,
    municipality: int | None = AARHUS,
    group: TargetGroup | None = TargetGroup.DAGPENGE,
    valid_from: date = date(2025, 1, 1),
    valid_to: date | None = None,
) -> Jobseeker:
    n = next(_seq)
    p = Jobseeker(
        pseudonym=f"S-{n:05d}",
        first_name=f"Person{n}",
        last_name="Testesen",
        birth_date=date(1990, 1, 1),
        postal_code="8000",
        municipality_code=municipality,
    )
    session.add(p)
    session.flush()
    if group is not None:
        session.add(
            TargetGroupPeriod(
                jobseeker_id=p.id, target_group=group, valid_from=valid_from, valid_to=valid_to
            )
        )
    return p


def _match(
    session: Session, vacancy: Vacancy, person: Jobseeker, rank: int | None, *, cross: bool = False
) -> Match:
    m = Match(
        vacancy_id=vacancy.id,
        jobseeker_id=person.id,
        score=1 - (rank or 99) / 100,
        rank=rank,
        cross_industry=cross,
        model_version="test",
        rules_version="test",
    )
    session.add(m)
    return m


@pytest.fixture
def world(session: Session) -> World:
    organiser = _org(session, OrgKind.JOB_FAIR_ORGANISER, "Jobcenter Aarhus Messer")
    employer = _org(session, OrgKind.EMPLOYER, "Kantine ApS")
    fair = JobFair(
        organiser_id=organiser.id,
        name="Jobmesse Aarhus",
        held_on=FAIR_DAY,
        place="Ceres Park",
        municipality_codes=[AARHUS],
        target_groups=[TargetGroup.DAGPENGE.value],
    )
    session.add(fair)
    session.flush()
    vacancy = _vacancy(session, employer, "Kok")
    other = _vacancy(session, employer, "Opvasker")
    session.add_all(
        [
            JobFairVacancy(job_fair_id=fair.id, vacancy_id=vacancy.id),
            JobFairVacancy(job_fair_id=fair.id, vacancy_id=other.id),
        ]
    )
    people = {
        "first": _person(session),
        "second": _person(session),
        "odense": _person(session, municipality=ODENSE),
        "no_municipality": _person(session, municipality=None),
        "kontanthjaelp": _person(session, group=TargetGroup.KONTANTHJAELP_JOBPARAT),
        "group_ended": _person(session, valid_to=FAIR_DAY),  # ends the day of the fair
        "group_later": _person(session, valid_from=date(2026, 3, 15)),
        "no_group": _person(session, group=None),
        "third": _person(session),
        "unranked": _person(session),
    }
    order = [
        "odense",
        "second",
        "no_municipality",
        "first",
        "kontanthjaelp",
        "group_ended",
        "group_later",
        "no_group",
        "third",
    ]
    # Ranks deliberately out of insertion order: "second" has rank 2, "first" rank 4, ...
    ranks = {"odense": 1, "second": 2, "no_municipality": 3, "first": 4, "kontanthjaelp": 5}
    ranks |= {"group_ended": 6, "group_later": 7, "no_group": 8, "third": 9}
    for name in order:
        _match(session, vacancy, people[name], ranks[name])
    _match(session, vacancy, people["unranked"], None)
    session.flush()
    actor = Actor(user_id=None, organisation_id=organiser.id, role="organiser")
    return World(fair, organiser, vacancy, other, people, actor, session)


def _listed(entries: list[ShortlistEntry]) -> list[int]:
    return [e.jobseeker_id for e in entries]


def _audit(session: Session, action: AuditAction) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.object_type == "shortlist_entry"
            )
        )
    )


# --- scope and order ------------------------------------------------------------------------


def test_only_people_in_the_fairs_municipalities_and_target_groups_on_its_day(
    world: World,
) -> None:
    entries = build_shortlist(world.session, world.actor, world.fair.id, world.vacancy.id)
    assert _listed(entries) == [world.pid("second"), world.pid("first"), world.pid("third")]
    assert [e.rank for e in entries] == [1, 2, 3]
    assert all(e.source == "match" and not e.removed for e in entries)


def test_a_fair_without_limits_takes_the_whole_ranked_list(world: World) -> None:
    world.fair.municipality_codes = []
    world.fair.target_groups = []
    world.session.flush()
    entries = build_shortlist(world.session, world.actor, world.fair.id, world.vacancy.id)
    assert len(entries) == 9  # every ranked match; the unranked one is not on the list
    assert world.pid("unranked") not in _listed(entries)
    assert _listed(entries)[:2] == [world.pid("odense"), world.pid("second")]


def test_size_cuts_the_list_in_rank_order(world: World) -> None:
    entries = build_shortlist(world.session, world.actor, world.fair.id, world.vacancy.id, size=2)
    assert _listed(entries) == [world.pid("second"), world.pid("first")]
    with pytest.raises(ValidationError) as err:
        build_shortlist(world.session, world.actor, world.fair.id, world.vacancy.id, size=0)
    assert "size" in err.value.errors


def test_every_new_entry_is_audited_with_the_person(world: World) -> None:
    entries = build_shortlist(world.session, world.actor, world.fair.id, world.vacancy.id)
    created = _audit(world.session, AuditAction.CREATE)
    assert sorted(a.jobseeker_id for a in created) == sorted(_listed(entries))
    assert {a.object_id for a in created} == {str(e.id) for e in entries}
    assert all(a.actor_organisation_id == world.organiser.id for a in created)


# --- brancheskift share ---------------------------------------------------------------------


def test_at_least_a_fifth_are_cross_industry_when_there_are_any(session: Session) -> None:
    organiser = _org(session, OrgKind.JOB_FAIR_ORGANISER, "Messe")
    employer = _org(session, OrgKind.EMPLOYER, "Lager A/S")
    fair = JobFair(organiser_id=organiser.id, name="Messe", held_on=FAIR_DAY, place="Hal")
    session.add(fair)
    vacancy = _vacancy(session, employer, "Lagerarbejder")
    session.add(JobFairVacancy(job_fair_id=fair.id, vacancy_id=vacancy.id))
    same = [_person(session) for _ in range(12)]
    cross = [_person(session) for _ in range(3)]
    for rank, p in enumerate(same, start=1):
        _match(session, vacancy, p, rank)
    for rank, p in enumerate(cross, start=13):
        _match(session, vacancy, p, rank, cross=True)
    session.flush()
    actor = Actor(user_id=None, organisation_id=organiser.id, role="organiser")

    entries = build_shortlist(session, actor, fair.id, vacancy.id, size=10)
    listed = _listed(entries)
    assert len(listed) == 10
    assert listed[-2:] == [cross[0].id, cross[1].id]  # 2 of 10: a fifth, in rank order
    assert listed[:8] == [p.id for p in same[:8]]  # the lowest-ranked others made room
    assert [e.rank for e in entries] == list(range(1, 11))


def test_no_cross_industry_candidates_means_plain_rank_order(world: World) -> None:
    entries = build_shortlist(world.session, world.actor, world.fair.id, world.vacancy.id, size=2)
    assert _listed(entries) == [world.pid("second"), world.pid("first")]


# --- manual decisions and locks -------------------------------------------------------------


def test_removed_people_stay_removed_on_rebuild(world: World) -> None:
    s, a, f, v = world.session, world.actor, world.fair.id, world.vacancy.id
    build_shortlist(s, a, f, v)
    entry = remove_person(s, a, f, v, world.pid("first"), reason="Har fået job")
    assert entry.removed
    rebuilt = build_shortlist(s, a, f, v)
    assert world.pid("first") not in _listed(rebuilt)
    row = s.scalar(select(ShortlistEntry).where(ShortlistEntry.id == entry.id))
    assert row is not None and row.removed  # kept, so the rebuild knows
    deleted = _audit(s, AuditAction.DELETE)
    assert [d.jobseeker_id for d in deleted] == [world.pid("first")]
    assert deleted[0].note == "Har fået job"


def test_manual_additions_survive_a_rebuild(world: World) -> None:
    s, a, f, v = world.session, world.actor, world.fair.id, world.vacancy.id
    build_shortlist(s, a, f, v, size=1)
    added = add_person(s, a, f, v, world.pid("third"))  # on the match list: no reason needed
    assert added.source == "manual"
    rebuilt = build_shortlist(s, a, f, v, size=1)
    assert _listed(rebuilt) == [world.pid("second"), world.pid("third")]


def test_adding_someone_off_the_match_list_needs_a_reason_and_another_list(
    world: World,
) -> None:
    s, a, f, v = world.session, world.actor, world.fair.id, world.vacancy.id
    off_list = world.pid("unranked")
    # Not on this vacancy's match list and on none of the fair's lists: not the organiser's to
    # add, reason or not.
    with pytest.raises(OutOfScope):
        add_person(s, a, f, v, off_list, reason="Mødte arbejdsgiveren sidste år")
    # Once on another of the fair's lists, the person can be added here, with a reason.
    _match(s, world.other_vacancy, world.people["unranked"], 1)
    s.flush()
    add_person(s, a, f, world.other_vacancy.id, off_list)
    with pytest.raises(ValidationError) as err:
        add_person(s, a, f, v, off_list)
    assert "reason" in err.value.errors
    with pytest.raises(ValidationError):
        add_person(s, a, f, v, off_list, reason="   ")
    entry = add_person(s, a, f, v, off_list, reason="Mødte arbejdsgiveren sidste år")
    assert entry.source == "manual" and entry.rank is None
    assert entry.note == "Mødte arbejdsgiveren sidste år"
    created = _audit(s, AuditAction.CREATE)
    assert created[-1].jobseeker_id == off_list
    assert created[-1].note == "Mødte arbejdsgiveren sidste år"


def test_adding_cannot_be_used_to_probe_who_is_in_the_fairs_target_groups(world: World) -> None:
    """On the match list but outside the fair's scope, or not a person at all: the same
    "not found", so trying ids tells nothing about anyone's municipality or benefits."""
    s, a, f, v = world.session, world.actor, world.fair.id, world.vacancy.id
    with pytest.raises(OutOfScope) as outside:
        add_person(s, a, f, v, world.pid("odense"), reason="Vil gerne")
    with pytest.raises(OutOfScope) as missing:
        add_person(s, a, f, v, 10**9, reason="Vil gerne")
    assert str(outside.value).replace(str(world.pid("odense")), "?") == str(missing.value).replace(
        str(10**9), "?"
    )


def test_a_locked_list_is_not_rebuilt_or_edited(world: World) -> None:
    s, a, f, v = world.session, world.actor, world.fair.id, world.vacancy.id
    before = _listed(build_shortlist(s, a, f, v, size=1))
    lock(s, a, f, v)
    _match(s, world.vacancy, _person(s), 0)  # a new top candidate appears
    s.flush()
    assert _listed(build_shortlist(s, a, f, v, size=5)) == before
    with pytest.raises(ValidationError):
        add_person(s, a, f, v, world.pid("third"))
    with pytest.raises(ValidationError):
        remove_person(s, a, f, v, before[0])
    unlock(s, a, f, v)
    assert len(build_shortlist(s, a, f, v, size=5)) == 4


def test_lock_is_audited(world: World) -> None:
    lock(world.session, world.actor, world.fair.id, world.vacancy.id)
    entry = world.session.scalar(
        select(AuditEntry).where(AuditEntry.object_type == "job_fair_vacancy")
    )
    assert entry is not None and entry.action is AuditAction.UPDATE
    assert entry.details["shortlist_locked"] is True


# --- invitation codes and overview ----------------------------------------------------------


def test_invitation_codes_are_unique_and_opaque(world: World) -> None:
    world.fair.municipality_codes = []
    world.fair.target_groups = []
    world.session.flush()
    a, f = world.actor, world.fair.id
    entries = build_shortlist(world.session, a, f, world.vacancy.id)
    for p in world.people.values():
        _match(world.session, world.other_vacancy, p, p.id)
    world.session.flush()
    entries += build_shortlist(world.session, a, f, world.other_vacancy.id)
    codes = [e.invitation_code for e in entries]
    assert len(codes) == len(set(codes)) == 19
    by_id = {p.id: p for p in world.people.values()}
    for entry in entries:
        code = entry.invitation_code
        assert re.fullmatch(r"[A-Za-z0-9_-]{12,16}", code)
        person = by_id[entry.jobseeker_id]
        assert person.pseudonym not in code and person.first_name not in code
        assert not code.isdigit()


def test_people_on_several_shortlists(world: World) -> None:
    s, a, f = world.session, world.actor, world.fair.id
    build_shortlist(s, a, f, world.vacancy.id)  # second, first, third
    for rank, name in enumerate(("first", "third"), start=1):
        _match(s, world.other_vacancy, world.people[name], rank)
    s.flush()
    build_shortlist(s, a, f, world.other_vacancy.id)
    assert people_on_several_shortlists(s, a, f) == {world.pid("first"): 2, world.pid("third"): 2}
    remove_person(s, a, f, world.other_vacancy.id, world.pid("third"))
    assert people_on_several_shortlists(s, a, f) == {world.pid("first"): 2}


# --- who may do this ------------------------------------------------------------------------


def test_organiser_admin_may_manage(world: World) -> None:
    admin = Actor(user_id=None, organisation_id=world.organiser.id, role="admin")
    assert build_shortlist(world.session, admin, world.fair.id, world.vacancy.id)


@pytest.mark.parametrize(
    "who", ["other_organiser", "employer", "counsellor", "counsellor_in_organiser_org", "none"]
)
def test_others_are_denied(world: World, who: str) -> None:
    s = world.session
    other = _org(s, OrgKind.JOB_FAIR_ORGANISER, "Anden messe")
    s.add(JobFair(organiser_id=other.id, name="Anden", held_on=FAIR_DAY, place="Hal"))
    employer = s.get(Organisation, world.vacancy.employer_id)
    assert employer is not None
    jobcentre = _org(s, OrgKind.JOBCENTRE, "Jobcenter")
    actors = {
        "other_organiser": Actor(user_id=None, organisation_id=other.id, role="organiser"),
        "employer": Actor(user_id=None, organisation_id=employer.id, role="employer"),
        "counsellor": Actor(user_id=None, organisation_id=jobcentre.id, role="counsellor"),
        "counsellor_in_organiser_org": Actor(
            user_id=None, organisation_id=world.organiser.id, role="counsellor"
        ),
        "none": Actor(user_id=None, organisation_id=None, role="organiser"),
    }
    actor = actors[who]
    f, v, p = world.fair.id, world.vacancy.id, world.pid("first")
    build_shortlist(s, world.actor, f, v)
    calls = [
        lambda: build_shortlist(s, actor, f, v),
        lambda: add_person(s, actor, f, v, world.pid("third"), reason="x"),
        lambda: remove_person(s, actor, f, v, p),
        lambda: lock(s, actor, f, v),
        lambda: unlock(s, actor, f, v),
        lambda: people_on_several_shortlists(s, actor, f),
    ]
    # Another organiser is told the fair is not found (as for a fair that does not exist);
    # a role that never handles fairs is refused outright.
    expected = OutOfScope if who == "other_organiser" else PermissionDenied
    for call in calls:
        with pytest.raises(expected):
            call()
    entry = s.scalar(select(ShortlistEntry).where(ShortlistEntry.jobseeker_id == p))
    assert entry is not None and not entry.removed
    assert not s.scalar(
        select(JobFairVacancy.shortlist_locked).where(JobFairVacancy.vacancy_id == v)
    )


def test_unknown_fair_or_vacancy_not_on_the_fair_is_not_found(world: World) -> None:
    s, a = world.session, world.actor
    with pytest.raises(OutOfScope):
        build_shortlist(s, a, 999_999, world.vacancy.id)
    employer = s.get(Organisation, world.vacancy.employer_id)
    assert employer is not None
    elsewhere = _vacancy(s, employer, "Tjener")
    with pytest.raises(OutOfScope) as err:
        build_shortlist(s, a, world.fair.id, elsewhere.id)
    assert err.value.exists
    with pytest.raises(OutOfScope):
        add_person(s, a, world.fair.id, 999_999, world.pid("first"))


def test_a_closed_vacancy_is_not_built(world: World) -> None:
    put_in_state(world.session, world.vacancy, VacancyStatus.FILLED)
    world.session.flush()
    with pytest.raises(ValidationError) as err:
        build_shortlist(world.session, world.actor, world.fair.id, world.vacancy.id)
    assert "vacancy_id" in err.value.errors


def test_people_who_fall_off_the_list_go_unless_already_invited(world: World) -> None:
    s, a, f, v = world.session, world.actor, world.fair.id, world.vacancy.id
    entries = build_shortlist(s, a, f, v)  # second, first, third
    entries[1].invited = True  # "first" already has an invitation
    for name in ("first", "third"):
        s.get(Jobseeker, world.pid(name)).municipality_code = ODENSE  # moved away
    s.flush()
    rebuilt = build_shortlist(s, a, f, v)
    assert _listed(rebuilt) == [world.pid("second"), world.pid("first")]
    assert [e.rank for e in rebuilt] == [1, None]
    deleted = _audit(s, AuditAction.DELETE)
    assert [d.jobseeker_id for d in deleted] == [world.pid("third")]
