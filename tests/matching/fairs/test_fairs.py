"""Job fairs: the fair form, who may organise, scoping from the attacker's side, invitations
with their e-mails, answers, vacancies, invitation marks and what the organiser sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from matching.core import permissions
from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import OutOfScope, PermissionDenied, ValidationError
from matching.fairs import overviews, participants, planning, shortlists
from matching.models import (
    CV,
    AuditAction,
    AuditEntry,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Jobseeker,
    Match,
    Membership,
    Notification,
    Organisation,
    OrgKind,
    Role,
    ShortlistEntry,
    TargetGroup,
    TargetGroupPeriod,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)

ODENSE = 461
NYBORG = 450
AARHUS = 751
BASE = "https://jobbro.test"
TODAY = today_dk()
FAIR_DAY = TODAY + timedelta(days=30)

_seq = iter(range(1, 100_000))


def _org(session: Session, kind: OrgKind, name: str, **values: object) -> Organisation:
    org = Organisation(kind=kind, name=name, **values)
    session.add(org)
    session.flush()
    return org


def _user(session: Session, org: Organisation, role: Role, email: str) -> User:
    user = User(email=email, name=email.split("@")[0], password_hash="x")
    user.memberships = [Membership(organisation=org, role=role)]
    session.add(user)
    session.flush()
    return user


def _vacancy(
    session: Session,
    employer: Organisation,
    title: str,
    status: VacancyStatus = VacancyStatus.OPEN,
) -> Vacancy:
    vacancy = Vacancy(
        kind=VacancyKind.ORDINARY,
        status=status,
        employer_id=employer.id,
        title=title,
        description="Vi søger en kollega.",
        postal_code="5000",
    )
    session.add(vacancy)
    session.flush()
    return vacancy


def _person(
    session: Session,
    *,
    consent: bool = False,
    municipality: int = ODENSE,
    headline: str | None = "Erfaren lagermedarbejder",
    postal_code: str = "5000",
) -> Jobseeker:
    n = next(_seq)
    person = Jobseeker(
        pseudonym=f"F-{n:05d}",
        first_name=f"Fornavn{n}",
        last_name="Hemmeligsen",
        birth_date=date(1980, 2, 3),
        postal_code=postal_code,
        municipality_code=municipality,
        consent_share_with_employers=consent,
        cpr_lookup=f"{n:064d}",
    )
    if headline is not None:
        person.cv = CV(headline=headline)
    session.add(person)
    session.flush()
    session.add(
        TargetGroupPeriod(
            jobseeker_id=person.id,
            target_group=TargetGroup.DAGPENGE,
            valid_from=TODAY - timedelta(days=100),
        )
    )
    return person


def _match(
    session: Session,
    vacancy: Vacancy,
    person: Jobseeker,
    rank: int,
    *,
    cross: bool = False,
    chips: list[str] | None = None,
) -> Match:
    match = Match(
        vacancy_id=vacancy.id,
        jobseeker_id=person.id,
        score=1 - rank / 100,
        rank=rank,
        cross_industry=cross,
        explanation=chips or [],
        model_version="test",
        rules_version="test",
    )
    session.add(match)
    session.flush()
    return match


def _actor(org: Organisation, role: Role) -> Actor:
    return Actor(user_id=None, organisation_id=org.id, role=role.value)


@dataclass
class World:
    session: Session
    organiser_org: Organisation
    other_org: Organisation
    jobcentre: Organisation
    lager: Organisation
    kantine: Organisation
    unverified: Organisation
    fair: JobFair
    organiser: Actor
    other_organiser: Actor
    lager_user: Actor
    kantine_user: Actor
    counsellor: Actor
    truck: Vacancy
    lagerjob: Vacancy
    paused: Vacancy
    kantinejob: Vacancy
    people: dict[str, Jobseeker] = field(default_factory=dict)

    def invite(self, employer: Organisation) -> JobFairEmployer:
        return participants.invite_employer(
            self.session, self.organiser, self.fair.id, employer.id, base_url=BASE
        )

    def accept(self, employer_actor: Actor) -> JobFairEmployer:
        return participants.respond(self.session, employer_actor, self.fair.id, True)


@pytest.fixture
def world(session: Session) -> World:
    organiser_org = _org(
        session,
        OrgKind.JOB_FAIR_ORGANISER,
        "Jobmesse Fyn",
        municipality_code=ODENSE,
        email="info@messe.dk",
    )
    other_org = _org(session, OrgKind.JOB_FAIR_ORGANISER, "Messe Jylland")
    jobcentre = _org(session, OrgKind.JOBCENTRE, "Jobcenter Odense", municipality_code=ODENSE)
    lager = _org(session, OrgKind.EMPLOYER, "Fynsk Lager A/S", cvr="12345678", email="job@l.dk")
    kantine = _org(session, OrgKind.EMPLOYER, "Kantine ApS", cvr="87654321")
    unverified = _org(session, OrgKind.EMPLOYER, "Lager Falsk ApS", cvr="11112222")
    unverified.verified_at = None
    _user(session, lager, Role.EMPLOYER, "ejer@lager.dk")
    _user(session, lager, Role.EMPLOYER, "hr@lager.dk")
    _user(session, lager, Role.ADMIN, "admin@lager.dk")  # not an employer user: no mail
    organiser = _actor(organiser_org, Role.ORGANISER)
    fair = planning.create_fair(
        session,
        organiser,
        planning.FairInput(
            name="Jobmesse Odense",
            held_on=FAIR_DAY,
            place="Odense Congress Center",
            target_groups=[TargetGroup.DAGPENGE.value],
            municipality_codes=[ODENSE],
        ),
    )
    return World(
        session=session,
        organiser_org=organiser_org,
        other_org=other_org,
        jobcentre=jobcentre,
        lager=lager,
        kantine=kantine,
        unverified=unverified,
        fair=fair,
        organiser=organiser,
        other_organiser=_actor(other_org, Role.ORGANISER),
        lager_user=_actor(lager, Role.EMPLOYER),
        kantine_user=_actor(kantine, Role.EMPLOYER),
        counsellor=_actor(jobcentre, Role.COUNSELLOR),
        truck=_vacancy(session, lager, "Truckfører"),
        lagerjob=_vacancy(session, lager, "Lagermedarbejder"),
        paused=_vacancy(session, lager, "Pakker", VacancyStatus.PAUSED),
        kantinejob=_vacancy(session, kantine, "Kok"),
    )


def _audit(session: Session, object_type: str, action: AuditAction | None = None) -> list:
    query = select(AuditEntry).where(AuditEntry.object_type == object_type)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query.order_by(AuditEntry.id)))


def _notifications(session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.recipient)))


# --- the fair's fields ------------------------------------------------------------------------


def fields_of(fair: JobFair) -> dict[str, object]:
    """The fair's stored values, as a form would send them back typed."""
    return {name: getattr(fair, name) for name in planning.FIELDS}


def test_the_rules_name_every_problem_at_once_in_danish(world: World) -> None:
    unreadable = {"held_on": "Skriv datoen som dd.mm.åååå, fx 14.03.2027."}
    with pytest.raises(ValidationError) as err:
        planning.create_fair(
            world.session,
            world.organiser,
            planning.FairInput(
                name="",
                held_on=None,
                place=" ",
                target_groups=["pensionist"],
                municipality_codes=[9999],
                description="x" * 5001,
                unreadable=unreadable,
            ),
        )
    assert err.value.errors == {
        "name": "Skriv messens navn.",
        "held_on": "Skriv datoen som dd.mm.åååå, fx 14.03.2027.",  # not "Skriv datoen for …"
        "place": "Skriv hvor messen holdes.",
        "target_groups": "Vælg målgrupperne på listen.",
        "municipality_codes": "Vælg kendte kommuner (kommunekoder).",
        "description": "Beskrivelsen må højst være 5.000 tegn (du har skrevet 5001).",
    }


def test_name_must_be_one_short_line_and_the_date_not_in_the_past(world: World) -> None:
    create = partial(planning.create_fair, world.session, world.organiser)
    with pytest.raises(ValidationError) as err:
        create(
            planning.FairInput(
                name="Messe\nmed linjeskift", held_on=date(2027, 1, 1), place="p" * 201
            ),
            today=date(2027, 1, 2),
        )
    assert err.value.errors == {
        "name": "Navnet skal stå på én linje.",
        "held_on": "Datoen kan ikke ligge før i dag.",
        "place": "Stedet må højst være 200 tegn (du har skrevet 201).",
    }
    with pytest.raises(ValidationError) as err:
        create(planning.FairInput(name="n" * 201, held_on=None, place="Hal"))
    assert err.value.errors["name"].startswith("Navnet må højst være 200 tegn")
    assert err.value.errors["held_on"] == "Skriv datoen for messen."


def test_editing_keeps_an_unchanged_past_date_but_refuses_a_new_one(world: World) -> None:
    s = world.session
    world.fair.held_on = TODAY - timedelta(days=3)  # the fair has been held
    s.flush()
    fields = {**fields_of(world.fair), "name": "Jobmesse Odense (afholdt)"}
    planning.update_fair(s, world.organiser, world.fair.id, planning.FairInput(**fields))
    assert world.fair.name == "Jobmesse Odense (afholdt)"
    moved = {**fields, "held_on": TODAY - timedelta(days=10)}
    with pytest.raises(ValidationError) as err:
        planning.update_fair(s, world.organiser, world.fair.id, planning.FairInput(**moved))
    assert err.value.errors == {"held_on": "Datoen kan ikke ligge før i dag."}


# --- who may organise -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (OrgKind.JOB_FAIR_ORGANISER, Role.ORGANISER),
        (OrgKind.JOB_FAIR_ORGANISER, Role.ADMIN),
        (OrgKind.JOBCENTRE, Role.ORGANISER),
        (OrgKind.A_KASSE, Role.ADMIN),
    ],
)
def test_organisers_create_fairs_audited(session: Session, kind: OrgKind, role: Role) -> None:
    org = _org(session, kind, "Arrangør")
    fair = planning.create_fair(
        session, _actor(org, role), planning.FairInput(name="Messe", held_on=FAIR_DAY, place="Hal")
    )
    assert fair.organiser_id == org.id
    (entry,) = _audit(session, "job_fair", AuditAction.CREATE)
    assert entry.object_id == str(fair.id) and entry.actor_organisation_id == org.id
    assert entry.details["held_on"] == FAIR_DAY.isoformat()


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (OrgKind.EMPLOYER, Role.EMPLOYER),
        (OrgKind.EMPLOYER, Role.ADMIN),
        (OrgKind.JOBCENTRE, Role.COUNSELLOR),
        (OrgKind.JOBCENTRE, Role.APPROVER),
        (OrgKind.A_KASSE, Role.COUNSELLOR),
    ],
)
def test_others_may_not_create_or_list_fairs(session: Session, kind: OrgKind, role: Role) -> None:
    org = _org(session, kind, "Uvedkommende")
    actor = _actor(org, role)
    with pytest.raises(PermissionDenied):
        planning.create_fair(
            session, actor, planning.FairInput(name="Messe", held_on=FAIR_DAY, place="Hal")
        )
    assert not permissions.may_organise_fairs(session, actor)
    if role is not Role.EMPLOYER:  # an employer's list is its invitations
        with pytest.raises(PermissionDenied):
            planning.fairs_for(session, actor)
    assert session.scalar(select(func.count()).select_from(JobFair)) == 0


def test_fair_changes_are_audited_with_the_changed_fields(world: World) -> None:
    fields = {**fields_of(world.fair), "municipality_codes": [ODENSE, NYBORG]}
    planning.update_fair(
        world.session, world.organiser, world.fair.id, planning.FairInput(**fields)
    )
    (entry,) = _audit(world.session, "job_fair", AuditAction.UPDATE)
    assert entry.details["changed"] == ["municipality_codes"]
    assert entry.details["municipality_codes"] == [[ODENSE], [ODENSE, NYBORG]]
    # Saving again without changes writes nothing.
    planning.update_fair(
        world.session, world.organiser, world.fair.id, planning.FairInput(**fields)
    )
    assert len(_audit(world.session, "job_fair", AuditAction.UPDATE)) == 1


# --- scope ----------------------------------------------------------------------------------


def test_another_organisation_cannot_see_or_change_the_fair(world: World) -> None:
    s, f, intruder = world.session, world.fair.id, world.other_organiser
    fields = fields_of(world.fair)
    calls = [
        lambda: planning.get_fair(s, intruder, f),
        lambda: overviews.fair_overview(s, intruder, f),
        lambda: planning.update_fair(
            s, intruder, f, planning.FairInput(**{**fields, "name": "Kapret"})
        ),
        lambda: participants.invite_employer(s, intruder, f, world.lager.id),
        lambda: participants.employer_candidates(s, intruder, f, "Lager"),
        lambda: participants.attach_vacancy(s, intruder, f, world.truck.id),
        lambda: overviews.shortlist_view(s, intruder, f, world.truck.id),
        lambda: shortlists.mark_invited(s, intruder, f, world.truck.id, 1, True),
    ]
    for call in calls:
        with pytest.raises(OutOfScope) as err:
            call()
        assert err.value.exists  # the portal logs it; the user sees "not found" either way
    assert world.fair.name == "Jobmesse Odense"
    assert s.scalar(select(func.count()).select_from(JobFairEmployer)) == 0
    assert planning.fairs_for(s, intruder).items == []
    with pytest.raises(OutOfScope) as err:
        planning.get_fair(s, world.organiser, 987_654)
    assert not err.value.exists


def test_employers_see_only_fairs_they_are_invited_to(world: World) -> None:
    s = world.session
    with pytest.raises(OutOfScope):
        planning.get_fair(s, world.lager_user, world.fair.id)
    assert planning.fairs_for(s, world.lager_user).items == []
    world.invite(world.lager)
    assert planning.get_fair(s, world.lager_user, world.fair.id) is world.fair
    (summary,) = planning.fairs_for(s, world.lager_user).items
    assert summary.invitation is not None and summary.invitation.status == "invited"
    assert planning.unanswered_invitations(s, world.lager_user) == 1
    # Another company and a counsellor still cannot see it; nor can they answer.
    for outsider in (world.kantine_user, world.counsellor):
        with pytest.raises(OutOfScope):
            planning.get_fair(s, outsider, world.fair.id)
        with pytest.raises(OutOfScope):
            participants.respond(s, outsider, world.fair.id, True)


def test_the_organisers_list_comes_upcoming_first_with_counts(world: World) -> None:
    s, o = world.session, world.organiser
    planning.create_fair(
        s, o, planning.FairInput(name="Snart", held_on=TODAY + timedelta(days=2), place="Hal")
    )
    held = planning.create_fair(
        s, o, planning.FairInput(name="Afholdt", held_on=TODAY + timedelta(days=1), place="Hal")
    )
    held.held_on = TODAY - timedelta(days=20)
    older = planning.create_fair(
        s, o, planning.FairInput(name="Gammel", held_on=TODAY + timedelta(days=1), place="Hal")
    )
    older.held_on = TODAY - timedelta(days=200)
    planning.create_fair(
        s, world.other_organiser, planning.FairInput(name="Fremmed", held_on=FAIR_DAY, place="Hal")
    )
    world.invite(world.lager)
    world.invite(world.kantine)
    participants.respond(s, world.kantine_user, world.fair.id, False)
    participants.attach_vacancy(s, o, world.fair.id, world.truck.id)
    people = [_person(s) for _ in range(3)]
    for rank, person in enumerate(people, start=1):
        _match(s, world.truck, person, rank)
    shortlists.build_shortlist(s, o, world.fair.id, world.truck.id)

    page = planning.fairs_for(s, o)
    assert [x.fair.name for x in page.items] == ["Snart", "Jobmesse Odense", "Afholdt", "Gammel"]
    main = page.items[1]
    assert (main.employers, main.accepted, main.vacancies, main.people) == (1, 0, 1, 3)
    upcoming = planning.fairs_for(s, o, upcoming_only=True)
    assert [x.fair.name for x in upcoming.items] == ["Snart", "Jobmesse Odense"]
    paged = planning.fairs_for(s, o, per_page=3, page=2)
    assert paged.total == 4 and [x.fair.name for x in paged.items] == ["Gammel"]


# --- invitations ----------------------------------------------------------------------------


def test_inviting_queues_one_mail_per_employer_user_once(world: World) -> None:
    s = world.session
    row = world.invite(world.lager)
    assert row.status == "invited" and row.responded_at is None
    mails = _notifications(s)
    assert [m.recipient for m in mails] == ["ejer@lager.dk", "hr@lager.dk"]
    for mail in mails:
        assert mail.kind == "fair_invitation"
        assert mail.subject == "Invitation til jobmessen Jobmesse Odense"
        assert f"{BASE}/jobmesser/{world.fair.id}" in mail.body
        assert "Jobmesse Fyn inviterer Fynsk Lager A/S" in mail.body
    (entry,) = _audit(s, "job_fair_employer", AuditAction.CREATE)
    assert entry.details == {
        "job_fair_id": world.fair.id,
        "employer_id": world.lager.id,
        "emails": 2,
    }

    with pytest.raises(ValidationError) as err:
        world.invite(world.lager)
    assert err.value.errors == {"employer_id": "Fynsk Lager A/S er allerede inviteret (inviteret)."}
    # Withdrawn and invited again: the same people are not mailed twice.
    participants.remove_employer(s, world.organiser, world.fair.id, world.lager.id)
    world.invite(world.lager)
    assert len(_notifications(s)) == 2


def test_a_company_without_employer_users_gets_the_mail_at_its_address(world: World) -> None:
    world.kantine.email = "kontakt@kantine.dk"
    world.invite(world.kantine)
    assert [m.recipient for m in _notifications(world.session)] == ["kontakt@kantine.dk"]


def test_only_verified_employers_are_invited(world: World) -> None:
    for org in (world.unverified, world.jobcentre, world.other_org):
        with pytest.raises(ValidationError) as err:
            world.invite(org)
        assert "Kun bekræftede virksomheder kan inviteres." in err.value.errors["employer_id"]
    with pytest.raises(ValidationError):
        participants.invite_employer(world.session, world.organiser, world.fair.id, 987_654)
    assert _notifications(world.session) == []


def test_a_held_fair_takes_no_invitations_or_answers(world: World) -> None:
    world.invite(world.lager)
    world.fair.held_on = TODAY - timedelta(days=1)
    world.session.flush()
    with pytest.raises(ValidationError):
        world.invite(world.kantine)
    with pytest.raises(ValidationError):
        world.accept(world.lager_user)


def test_employer_search_by_name_or_cvr_finds_verified_employers_only(world: World) -> None:
    s, o, f = world.session, world.organiser, world.fair.id
    world.invite(world.lager)
    found = participants.employer_candidates(s, o, f, "lager")
    assert [(c.organisation.name, c.status_label) for c in found] == [
        ("Fynsk Lager A/S", "Inviteret")
    ]  # "Lager Falsk ApS" is not verified
    assert [c.organisation.name for c in participants.employer_candidates(s, o, f, "8765")] == [
        "Kantine ApS"
    ]
    assert participants.employer_candidates(s, o, f, "   ") == []
    assert participants.employer_candidates(s, o, f, "Jobcenter") == []  # not an employer
    for n in range(25):
        _org(s, OrgKind.EMPLOYER, f"Lagerhotel {n:02d}")
    assert (
        len(participants.employer_candidates(s, o, f, "Lager"))
        == participants.EMPLOYER_SEARCH_LIMIT
    )


def test_answers_are_audited_and_can_change_until_the_fair(world: World) -> None:
    s = world.session
    world.invite(world.lager)
    row = world.accept(world.lager_user)
    assert row.status == "accepted" and row.responded_at is not None
    row = participants.respond(s, world.lager_user, world.fair.id, False)
    assert row.status == "declined"
    entries = _audit(s, "job_fair_employer", AuditAction.UPDATE)
    assert [e.details["status"] for e in entries] == [
        ["invited", "accepted"],
        ["accepted", "declined"],
    ]
    assert all(e.actor_organisation_id == world.lager.id for e in entries)
    with pytest.raises(OutOfScope):  # an organiser does not answer for the company
        participants.respond(s, world.organiser, world.fair.id, True)


def test_declining_takes_the_companys_vacancies_and_lists_off_the_fair(world: World) -> None:
    s, o, f = world.session, world.organiser, world.fair.id
    world.invite(world.lager)
    world.accept(world.lager_user)
    participants.attach_vacancy(s, world.lager_user, f, world.truck.id)
    person = _person(s)
    _match(s, world.truck, person, 1)
    shortlists.build_shortlist(s, o, f, world.truck.id)
    shortlists.lock(s, o, f, world.truck.id)  # the company's answer is not blocked by a lock

    participants.respond(s, world.lager_user, f, False)
    assert s.scalar(select(func.count()).select_from(JobFairVacancy)) == 0
    assert s.scalar(select(func.count()).select_from(ShortlistEntry)) == 0
    (detached,) = _audit(s, "job_fair_vacancy", AuditAction.DELETE)
    assert detached.details["shortlist_entries"] == 1
    assert detached.details["reason"] == "employer declined"
    answer = _audit(s, "job_fair_employer", AuditAction.UPDATE)[-1]
    assert answer.details["detached_vacancy_ids"] == [world.truck.id]


# --- vacancies ------------------------------------------------------------------------------


def test_the_organiser_attaches_open_vacancies_of_invited_employers(world: World) -> None:
    s, o, f = world.session, world.organiser, world.fair.id
    with pytest.raises(ValidationError) as err:
        participants.attach_vacancy(s, o, f, world.truck.id)  # not invited yet
    assert "ikke inviteret" in err.value.errors["vacancy_id"]
    world.invite(world.lager)
    assert [v.title for v in participants.attachable_vacancies(s, o, f)] == [
        "Lagermedarbejder",
        "Truckfører",
    ]  # the paused one is not matchable
    attached = participants.attach_vacancy(s, o, f, world.truck.id)
    assert attached.vacancy_id == world.truck.id
    (entry,) = _audit(s, "job_fair_vacancy", AuditAction.CREATE)
    assert entry.details == {"job_fair_id": f, "vacancy_id": world.truck.id, "by": "organiser"}
    with pytest.raises(ValidationError) as err:
        participants.attach_vacancy(s, o, f, world.truck.id)
    assert err.value.errors == {"vacancy_id": "»Truckfører« er allerede tilmeldt messen."}
    with pytest.raises(ValidationError) as err:
        participants.attach_vacancy(s, o, f, world.paused.id)
    assert err.value.errors == {"vacancy_id": participants.NOT_MATCHABLE_MESSAGE}
    world.lager.verified_at = None  # a company the jobcentre no longer vouches for
    s.flush()
    with pytest.raises(ValidationError):
        participants.attach_vacancy(s, o, f, world.lagerjob.id)


def test_an_employer_registers_its_own_vacancies_after_accepting(world: World) -> None:
    s, f = world.session, world.fair.id
    world.invite(world.lager)
    with pytest.raises(ValidationError) as err:
        participants.attach_vacancy(s, world.lager_user, f, world.truck.id)
    assert err.value.errors == {
        "vacancy_id": "Svar ja til invitationen, før I tilmelder stillinger."
    }
    world.accept(world.lager_user)
    assert [v.title for v in participants.attachable_vacancies(s, world.lager_user, f)] == [
        "Lagermedarbejder",
        "Truckfører",
    ]
    participants.attach_vacancy(s, world.lager_user, f, world.truck.id)
    (entry,) = _audit(s, "job_fair_vacancy", AuditAction.CREATE)
    assert entry.details["by"] == "employer"
    overview = overviews.fair_overview(s, world.lager_user, f)
    assert [r.vacancy.title for r in overview.vacancies] == ["Truckfører"]
    assert overview.employers == [] and overview.several == []  # nothing of other companies


def test_an_employer_cannot_attach_another_companys_vacancy(world: World) -> None:
    s, f = world.session, world.fair.id
    world.invite(world.lager)
    world.invite(world.kantine)
    world.accept(world.lager_user)
    with pytest.raises(OutOfScope) as err:
        participants.attach_vacancy(s, world.lager_user, f, world.kantinejob.id)
    assert err.value.object_type == "vacancy"
    participants.attach_vacancy(s, world.organiser, f, world.kantinejob.id)
    with pytest.raises(OutOfScope):
        participants.detach_vacancy(s, world.lager_user, f, world.kantinejob.id)
    assert s.scalar(select(func.count()).select_from(JobFairVacancy)) == 1


def test_no_vacancies_for_a_fair_the_employer_declined_or_was_never_invited_to(
    world: World,
) -> None:
    s, f = world.session, world.fair.id
    with pytest.raises(OutOfScope):
        participants.attach_vacancy(s, world.kantine_user, f, world.kantinejob.id)
    world.invite(world.kantine)
    participants.respond(s, world.kantine_user, f, False)
    with pytest.raises(ValidationError) as err:
        participants.attach_vacancy(s, world.kantine_user, f, world.kantinejob.id)
    assert err.value.errors["vacancy_id"].startswith("I har takket nej til messen.")
    with pytest.raises(ValidationError):  # nor may the organiser put it there
        participants.attach_vacancy(s, world.organiser, f, world.kantinejob.id)


def test_a_locked_list_keeps_its_vacancy_on_the_fair(world: World) -> None:
    s, o, f = world.session, world.organiser, world.fair.id
    world.invite(world.lager)
    world.accept(world.lager_user)
    participants.attach_vacancy(s, o, f, world.truck.id)
    shortlists.lock(s, o, f, world.truck.id)
    with pytest.raises(ValidationError) as err:
        participants.detach_vacancy(s, o, f, world.truck.id)
    assert err.value.errors["vacancy_id"].startswith("Kandidatlisten er låst.")
    with pytest.raises(ValidationError) as err:
        participants.detach_vacancy(s, world.lager_user, f, world.truck.id)
    assert "Kontakt arrangøren" in err.value.errors["vacancy_id"]
    shortlists.unlock(s, o, f, world.truck.id)
    participants.detach_vacancy(s, world.lager_user, f, world.truck.id)
    assert s.scalar(select(func.count()).select_from(JobFairVacancy)) == 0


def test_an_employer_is_removed_only_without_vacancies_on_the_fair(world: World) -> None:
    s, o, f = world.session, world.organiser, world.fair.id
    world.invite(world.lager)
    participants.attach_vacancy(s, o, f, world.truck.id)
    with pytest.raises(ValidationError) as err:
        participants.remove_employer(s, o, f, world.lager.id)
    assert err.value.errors["employer_id"] == (
        "Virksomheden har 1 stilling på messen. Fjern stillingerne fra messen først."
    )
    participants.detach_vacancy(s, o, f, world.truck.id)
    participants.remove_employer(s, o, f, world.lager.id)
    assert s.scalar(select(func.count()).select_from(JobFairEmployer)) == 0
    (entry,) = _audit(s, "job_fair_employer", AuditAction.DELETE)
    assert entry.details["employer_id"] == world.lager.id
    with pytest.raises(ValidationError):
        participants.remove_employer(s, o, f, world.lager.id)


# --- shortlists as the organiser sees them --------------------------------------------------


@pytest.fixture
def listed(world: World) -> World:
    """Fynsk Lager's two vacancies on the fair, each with a built shortlist."""
    s, o, f = world.session, world.organiser, world.fair.id
    world.invite(world.lager)
    world.accept(world.lager_user)
    participants.attach_vacancy(s, o, f, world.truck.id)
    participants.attach_vacancy(s, o, f, world.lagerjob.id)
    chips = [
        "Samme faggruppe (ISCO 8344)",
        "Dagpengemodtager",  # the target group: for counsellors, never for employers
        "3 km fra bopæl",
    ]
    world.people = {
        "secret": _person(s, consent=False),
        "open": _person(s, consent=True, headline="Truckfører med certifikat"),
        "third": _person(s, postal_code="5200"),
        "far": _person(s, municipality=AARHUS),
        "fourth": _person(s),
        "fifth": _person(s),
    }
    p = world.people
    for rank, name in enumerate(("secret", "open", "far", "third", "fourth", "fifth"), start=1):
        _match(s, world.truck, p[name], rank, cross=name == "open", chips=chips)
    _match(s, world.lagerjob, p["open"], 1)
    _match(s, world.lagerjob, p["fourth"], 2)
    shortlists.build_shortlist(s, o, f, world.truck.id, size=3)
    shortlists.build_shortlist(s, o, f, world.lagerjob.id)
    return world


def test_the_shortlist_shows_pseudonymous_rows_and_names_only_with_consent(listed: World) -> None:
    s, p = listed.session, listed.people
    view = overviews.shortlist_view(s, listed.organiser, listed.fair.id, listed.truck.id)
    rows = {r.jobseeker_id: r for r in view.rows}
    assert list(rows) == [p["secret"].id, p["open"].id, p["third"].id]  # Aarhus is out of scope
    secret, opened, third = rows.values()
    assert secret.name is None and secret.label == f"Kandidat {secret.invitation_code}"
    assert opened.name == f"{p['open'].first_name} Hemmeligsen"
    assert (secret.rank, secret.source_label, secret.score) == (1, "matchet", 99)
    assert secret.district == "Odense C" and third.district == "Odense V"
    assert secret.occupation == "Erfaren lagermedarbejder"
    assert secret.reasons == ("Samme faggruppe (ISCO 8344)", "3 km fra bopæl")
    assert opened.cross_industry and not secret.cross_industry
    assert opened.lists == 2 and secret.lists == 1  # "open" is on both of the fair's lists
    assert not view.locked and view.matchable and view.removed == []
    with pytest.raises(ValueError, match="consent"):
        overviews.CandidateRow(1, "5000", None, None, consented=False, name="Navn")


def test_the_shortlist_never_reads_cpr_or_birth_date(listed: World) -> None:
    s = listed.session
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement.lower())

    s.expunge_all()
    connection = s.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        overviews.shortlist_view(s, listed.organiser, listed.fair.id, listed.truck.id)
        overviews.more_candidates(s, listed.organiser, listed.fair.id, listed.truck.id)
        overviews.other_list_candidates(s, listed.organiser, listed.fair.id, listed.lagerjob.id)
        overviews.fair_overview(s, listed.organiser, listed.fair.id)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert statements
    assert not any("birth_date" in q or "cpr_" in q for q in statements)


def test_more_candidates_are_the_next_in_scope_not_removed(listed: World) -> None:
    s, o, f, p = listed.session, listed.organiser, listed.fair.id, listed.people
    more = overviews.more_candidates(s, o, f, listed.truck.id)
    assert [r.jobseeker_id for r in more] == [p["fourth"].id, p["fifth"].id]
    assert more[0].invitation_code is None and more[0].rank == 5
    assert more[0].lists == 1  # "fourth" is on the other list
    shortlists.remove_person(s, o, f, listed.truck.id, p["third"].id)
    assert [
        r.jobseeker_id for r in overviews.more_candidates(s, o, f, listed.truck.id, limit=1)
    ] == [p["fourth"].id]  # the removed person is not offered again here
    view = overviews.shortlist_view(s, o, f, listed.truck.id)
    assert [r.jobseeker_id for r in view.removed] == [p["third"].id]


def test_adding_from_another_list_needs_a_reason(listed: World) -> None:
    s, o, f, p = listed.session, listed.organiser, listed.fair.id, listed.people
    others = overviews.other_list_candidates(s, o, f, listed.lagerjob.id)
    assert [r.jobseeker_id for r in others] == [p["secret"].id, p["third"].id]
    assert others[0].other_codes and others[0].label.startswith("Kandidat ")
    with pytest.raises(ValidationError) as err:
        overviews.add_from_other_list(s, o, f, listed.lagerjob.id, p["secret"].id, "  ")
    assert err.value.errors == {"reason": "Skriv hvorfor personen skal på denne liste."}
    with pytest.raises(ValidationError) as err:
        overviews.add_from_other_list(s, o, f, listed.lagerjob.id, p["fifth"].id, "Passer godt")
    assert err.value.errors == {"jobseeker_id": "Personen er ikke på en anden af messens lister."}
    entry = overviews.add_from_other_list(
        s, o, f, listed.lagerjob.id, p["secret"].id, "Har truckcertifikat"
    )
    assert entry.source == "manual" and entry.note == "Har truckcertifikat"
    assert shortlists.people_on_several_shortlists(s, o, f)[p["secret"].id] == 2


def test_invitation_marks_are_the_organisers_and_audited(listed: World) -> None:
    s, o, f, p = listed.session, listed.organiser, listed.fair.id, listed.people
    shortlists.lock(s, o, f, listed.truck.id)  # lock, export, then mark: allowed when locked
    entry = shortlists.mark_invited(s, o, f, listed.truck.id, p["secret"].id, True)
    assert entry.invited
    shortlists.mark_invited(s, o, f, listed.truck.id, p["secret"].id, True)  # no change, no entry
    updates = [
        e for e in _audit(s, shortlists.OBJECT_TYPE, AuditAction.UPDATE) if "invited" in e.details
    ]
    assert len(updates) == 1
    assert updates[0].jobseeker_id == p["secret"].id
    assert updates[0].details["invited"] == [False, True]
    with pytest.raises(ValidationError):
        shortlists.mark_invited(s, o, f, listed.truck.id, p["fifth"].id, True)  # not on the list
    with pytest.raises(PermissionDenied):
        shortlists.mark_invited(s, listed.lager_user, f, listed.truck.id, p["open"].id, True)
    with pytest.raises(OutOfScope):
        shortlists.mark_invited(s, listed.other_organiser, f, listed.truck.id, p["open"].id, True)
    assert overviews.shortlist_view(s, o, f, listed.truck.id).invited == 1


def test_the_fair_overview_lists_people_on_several_lists(listed: World) -> None:
    s, o, f, p = listed.session, listed.organiser, listed.fair.id, listed.people
    overview = overviews.fair_overview(s, o, f)
    assert [e.employer.name for e in overview.employers] == ["Fynsk Lager A/S"]
    assert [(r.vacancy.title, r.shortlisted) for r in overview.vacancies] == [
        ("Lagermedarbejder", 2),
        ("Truckfører", 3),
    ]
    (person,) = overview.several
    assert person.jobseeker_id == p["open"].id and person.name is not None
    assert [title for _, title, _ in person.entries] == ["Lagermedarbejder", "Truckfører"]
    assert overview.municipalities == ["Odense"] and overview.target_groups == ["Dagpengemodtager"]
