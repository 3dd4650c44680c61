"""Handovers when the routing rules name another organisation: what moves, what stays, once."""

from __future__ import annotations

import itertools
import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.core.settings import Settings
from matching.models import (
    AuditAction,
    AuditEntry,
    Base,
    Handover,
    Jobseeker,
    Match,
    MatchReview,
    Membership,
    Notification,
    Organisation,
    OrgKind,
    Referral,
    ReferralState,
    ResponsibilityPeriod,
    Role,
    TargetGroup,
    TargetGroupPeriod,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.models.workflow import WorkflowEvent
from matching.people import handovers as handover
from matching.people.handovers import apply_routing, run_routing
from tests.support.cli import cli_env, run_jobbro
from tests.support.databases import private_schema, schema_engine

START = date(2025, 1, 10)  # first day of unemployment
HANDOVER_DAY = date(2025, 4, 10)  # the first day after months 1-3
REVIEWED = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
BASE_URL = "https://jobbro.example"
_numbers = itertools.count(1)


@dataclass
class World:
    akasse: Organisation
    jobcentre: Organisation
    employer: Organisation
    counsellor: User
    vacancies: list[Vacancy]


def build_world(session: Session) -> World:
    """An a-kasse and Jobcenter Odense (both with e-mail), an employer with three vacancies."""
    n = next(_numbers)
    akasse = Organisation(kind=OrgKind.A_KASSE, name=f"A-kasse Fyn {n}", email="ak@fyn.example")
    jobcentre = Organisation(
        kind=OrgKind.JOBCENTRE,
        name=f"Jobcenter Odense {n}",
        municipality_code=461,
        email="jc@odense.example",
    )
    employer = Organisation(kind=OrgKind.EMPLOYER, name=f"Fynsk Logistik {n} A/S")
    session.add_all([akasse, jobcentre, employer])
    session.flush()
    counsellor = User(email=f"r{n}@fyn.example", name="Rådgiver", password_hash="x")
    counsellor.memberships = [Membership(organisation_id=akasse.id, role=Role.COUNSELLOR)]
    vacancies = [
        Vacancy(
            kind=VacancyKind.ORDINARY,
            status=VacancyStatus.OPEN,
            employer_id=employer.id,
            title=title,
            description="Lager.",
            postal_code="5000",
        )
        for title in ("Lagermedarbejder", "Chauffør", "Truckfører")
    ]
    session.add_all([counsellor, *vacancies])
    session.flush()
    return World(akasse, jobcentre, employer, counsellor, vacancies)


def add_person(
    session: Session,
    world: World,
    *,
    responsible: Organisation | None = None,
    since: date = START,
    municipality_code: int | None = 461,
    insured: bool = True,
) -> Jobseeker:
    """A dagpenge recipient unemployed since START, with the a-kasse responsible since then."""
    n = next(_numbers)
    person = Jobseeker(
        pseudonym=f"H-{n:06d}",
        first_name="Hemmelig",
        last_name=f"Navnesen{n}",
        birth_date=date(1985, 5, 17),
        postal_code="5000",
        municipality_code=municipality_code,
        a_kasse_id=world.akasse.id if insured else None,
        unemployment_start=START,
        target_groups=[TargetGroupPeriod(target_group=TargetGroup.DAGPENGE, valid_from=START)],
    )
    if responsible is not None:
        person.responsibilities = [
            ResponsibilityPeriod(organisation=responsible, valid_from=since, reason="test")
        ]
    session.add(person)
    session.flush()
    return person


def add_referral(
    session: Session, world: World, person: Jobseeker, vacancy: Vacancy, state: ReferralState
) -> Referral:
    referral = Referral(
        vacancy_id=vacancy.id,
        jobseeker_id=person.id,
        organisation_id=world.akasse.id,
        state=state,
        respond_by=date(2025, 4, 17) if state is ReferralState.SENT else None,
    )
    session.add(referral)
    session.flush()
    return referral


def periods(person: Jobseeker) -> list[tuple[str, date, date | None]]:
    ordered = sorted(person.responsibilities, key=lambda p: p.valid_from)
    return [(p.organisation.name, p.valid_from, p.valid_to) for p in ordered]


def count(session: Session, model: type, *where) -> int:  # noqa: ANN001
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


@pytest.fixture
def person(session: Session, world: World) -> Jobseeker:
    return add_person(session, world, responsible=world.akasse)


# --- one handover ---------------------------------------------------------------------------------


def test_open_referrals_move_and_closed_ones_stay(
    session: Session, world: World, person: Jobseeker
) -> None:
    storage, driver, truck = world.vacancies
    sent = add_referral(session, world, person, storage, ReferralState.SENT)
    proposed = add_referral(session, world, person, driver, ReferralState.PROPOSED)
    hired = add_referral(session, world, person, truck, ReferralState.HIRED)
    session.add_all(
        [
            MatchReview(
                vacancy_id=driver.id, jobseeker_id=person.id, reviewer_id=world.counsellor.id,
                organisation_id=world.akasse.id, decision="accept", created_at=REVIEWED,
            ),
            MatchReview(
                vacancy_id=truck.id, jobseeker_id=person.id, reviewer_id=world.counsellor.id,
                organisation_id=world.akasse.id, decision="reject", reason="Intet truckcertifikat",
                created_at=REVIEWED,
            ),
            Match(
                vacancy_id=storage.id, jobseeker_id=person.id, score=0.8, rank=1, person_rank=1,
                model_version="m", rules_version="r",
            ),
        ]
    )  # fmt: skip
    session.flush()

    report = apply_routing(session, HANDOVER_DAY, base_url=BASE_URL)

    assert (report.checked, report.handed_over, report.unchanged) == (1, 1, 0)
    assert not report.unresolved
    akasse, jobcentre = world.akasse.name, world.jobcentre.name
    assert periods(person) == [
        (akasse, START, HANDOVER_DAY),
        (jobcentre, HANDOVER_DAY, None),
    ]
    assert person.responsibilities[-1].reason == (
        "Dagpenge efter 3 måneder: jobcenteret har kontaktforløbet (regler fra 1.1.2024)"
    )
    [done] = session.scalars(select(Handover)).all()
    assert (done.from_organisation_id, done.to_organisation_id) == (
        world.akasse.id, world.jobcentre.id
    )  # fmt: skip
    assert (done.effective_date, done.rule_id, done.open_referrals) == (
        HANDOVER_DAY, "national-2024", 2
    )  # fmt: skip
    assert done.idempotency_key == f"handover:{person.id}:2025-04-10:{world.jobcentre.id}"
    assert report.handover_ids == [done.id]

    # Open referrals move without changing state; the decided one stays where it was made.
    assert (sent.organisation_id, sent.state) == (world.jobcentre.id, ReferralState.SENT)
    assert (proposed.organisation_id, proposed.state) == (
        world.jobcentre.id, ReferralState.PROPOSED
    )  # fmt: skip
    assert hired.organisation_id == world.akasse.id and hired.events == []
    for moved in (sent, proposed):
        event = moved.events[-1]
        assert event.from_state == event.to_state == moved.state.value
        assert event.note == f"Overdraget til {jobcentre} (national-2024)"
        assert event.actor_id is None

    # The note lists what moved and what the a-kasse decided; nothing is dropped.
    assert done.note.splitlines() == [
        f"Overdraget fra {akasse} til {jobcentre} den 10.04.2025.",
        "Begrundelse: Dagpenge efter 3 måneder: jobcenteret har kontaktforløbet "
        "(regler fra 1.1.2024) [national-2024].",
        "Åbne henvisninger flyttet med (2):",
        f"- Lagermedarbejder hos {world.employer.name}: Henvist, svar senest 17.04.2025",
        f"- Chauffør hos {world.employer.name}: Foreslået",
        f"Vurderinger fra {akasse} (2):",
        "- Godkendt: Chauffør (03.03.2025)",
        "- Fravalgt: Truckfører (03.03.2025) – Intet truckcertifikat",
        "Matchforslagene følger personen (1 på personens liste).",
    ]
    assert count(session, Match, Match.jobseeker_id == person.id) == 1
    assert count(session, MatchReview, MatchReview.jobseeker_id == person.id) == 2


def test_the_handover_is_audited_and_announced_without_personal_data(
    session: Session, world: World, person: Jobseeker
) -> None:
    add_referral(session, world, person, world.vacancies[0], ReferralState.SENT)
    apply_routing(session, HANDOVER_DAY, base_url=BASE_URL)
    [done] = session.scalars(select(Handover)).all()
    [entry] = session.scalars(
        select(AuditEntry).where(AuditEntry.action == AuditAction.UPDATE)
    ).all()
    assert (entry.object_type, entry.object_id, entry.jobseeker_id) == (
        "jobseeker", str(person.id), person.id
    )  # fmt: skip
    assert entry.actor_id is None and entry.purpose == "ansvarsoverdragelse"
    assert entry.details["handover_id"] == done.id
    assert entry.details["rule_id"] == "national-2024"
    assert entry.details["ground"] == "after_period"
    assert len(entry.details["referral_ids"]) == 1

    [mail] = session.scalars(select(Notification)).all()
    assert mail.recipient == "jc@odense.example" and mail.kind == "jobseeker_handover"
    assert (mail.object_type, mail.object_id) == ("handover", str(done.id))
    assert person.pseudonym in mail.subject and person.pseudonym in mail.body
    assert f"{BASE_URL}/ledige/{person.id}" in mail.body
    assert "1 åben henvisning er flyttet med." in mail.body
    for secret in (person.first_name, person.last_name, world.akasse.name, "Lagermedarbejder"):
        assert secret not in mail.body and secret not in mail.subject


def test_no_mail_when_the_receiver_has_no_address(
    session: Session, world: World, person: Jobseeker
) -> None:
    world.jobcentre.email = None
    report = apply_routing(session, HANDOVER_DAY)
    assert report.handed_over == 1
    assert count(session, Notification) == 0


# --- once -----------------------------------------------------------------------------------------


def test_running_twice_hands_over_once(session: Session, world: World, person: Jobseeker) -> None:
    referral = add_referral(session, world, person, world.vacancies[0], ReferralState.SENT)
    first = apply_routing(session, HANDOVER_DAY, base_url=BASE_URL)
    session.commit()
    session.expire_all()
    second = apply_routing(session, HANDOVER_DAY, base_url=BASE_URL)
    assert (first.handed_over, second.handed_over, second.unchanged) == (1, 0, 1)
    assert count(session, Handover) == 1
    assert count(session, Notification) == 1
    assert count(session, ResponsibilityPeriod, ResponsibilityPeriod.jobseeker_id == person.id) == 2
    assert count(session, WorkflowEvent, WorkflowEvent.referral_id == referral.id) == 1
    # And the next days change nothing either.
    assert apply_routing(session, HANDOVER_DAY + timedelta(days=1)).unchanged == 1


def test_a_handover_already_recorded_elsewhere_changes_nothing(
    session: Session, world: World, person: Jobseeker
) -> None:
    """What a run sees when a concurrent run won the unique key first (same process here;
    across processes on PostgreSQL below)."""
    referral = add_referral(session, world, person, world.vacancies[0], ReferralState.SENT)
    key = f"handover:{person.id}:{HANDOVER_DAY.isoformat()}:{world.jobcentre.id}"
    session.add(
        Handover(
            jobseeker_id=person.id,
            from_organisation_id=world.akasse.id,
            to_organisation_id=world.jobcentre.id,
            effective_date=HANDOVER_DAY,
            rule_id="national-2024",
            idempotency_key=key,
        )
    )
    session.flush()
    report = apply_routing(session, HANDOVER_DAY, base_url=BASE_URL)
    assert (report.handed_over, report.done_elsewhere) == (0, 1)
    assert periods(person) == [(world.akasse.name, START, None)]
    assert referral.organisation_id == world.akasse.id and referral.events == []
    assert count(session, Notification) == 0
    assert count(session, AuditEntry) == 0


def test_the_day_before_nothing_changes(session: Session, world: World, person: Jobseeker) -> None:
    report = apply_routing(session, HANDOVER_DAY - timedelta(days=1))
    assert (report.checked, report.unchanged, report.handed_over) == (1, 1, 0)
    assert count(session, Handover) == 0


# --- edge cases -----------------------------------------------------------------------------------


def test_unresolved_people_are_left_alone_and_reported(session: Session, world: World) -> None:
    nowhere = add_person(session, world, responsible=world.akasse, municipality_code=999)
    report = apply_routing(session, HANDOVER_DAY)
    assert report.unresolved == {"Intet aktivt jobcenter for kommune 999": 1}
    assert report.to_dict()["unresolved"] == 1
    assert periods(nowhere) == [(world.akasse.name, START, None)]
    assert count(session, Handover) == 0


def test_a_person_without_responsibility_is_assigned(session: Session, world: World) -> None:
    person = add_person(session, world, responsible=None)
    report = apply_routing(session, START + timedelta(days=3), base_url=BASE_URL)
    assert (report.assigned, report.handed_over) == (1, 0)
    assert periods(person) == [(world.akasse.name, START + timedelta(days=3), None)]
    [done] = session.scalars(select(Handover)).all()
    assert done.from_organisation_id is None and done.to_organisation_id == world.akasse.id
    assert done.note.startswith(f"{world.akasse.name} har ansvaret fra 13.01.2025.")


def test_a_period_that_began_today_is_not_closed_today(session: Session, world: World) -> None:
    add_person(session, world, responsible=world.akasse, since=HANDOVER_DAY)
    report = apply_routing(session, HANDOVER_DAY)
    assert report.unresolved == {"Ansvaret er ændret i dag; vurderes igen ved næste kørsel": 1}
    assert count(session, Handover) == 0


def test_a_period_planned_later_keeps_its_place(session: Session, world: World) -> None:
    person = add_person(session, world, responsible=world.akasse)
    other = Organisation(kind=OrgKind.JOBCENTRE, name="Jobcenter Senere")
    person.responsibilities.append(
        ResponsibilityPeriod(organisation=other, valid_from=date(2025, 6, 1), reason="flytter")
    )
    session.flush()
    apply_routing(session, HANDOVER_DAY)
    assert periods(person) == [
        (world.akasse.name, START, HANDOVER_DAY),
        (world.jobcentre.name, HANDOVER_DAY, date(2025, 6, 1)),
        ("Jobcenter Senere", date(2025, 6, 1), None),
    ]


def test_inactive_people_and_other_ids_are_not_touched(session: Session, world: World) -> None:
    gone = add_person(session, world, responsible=world.akasse)
    gone.active = False
    chosen = add_person(session, world, responsible=world.akasse)
    other = add_person(session, world, responsible=world.akasse)
    report = apply_routing(session, HANDOVER_DAY, jobseeker_ids=[gone.id, chosen.id])
    assert (report.checked, report.handed_over) == (1, 1)
    assert gone.responsible_on(HANDOVER_DAY).organisation_id == world.akasse.id
    assert other.responsible_on(HANDOVER_DAY).organisation_id == world.akasse.id


def test_a_dry_run_counts_and_writes_nothing(session: Session, world: World) -> None:
    person = add_person(session, world, responsible=world.akasse)
    add_person(session, world, responsible=None)
    report = apply_routing(session, HANDOVER_DAY, dry_run=True)
    assert (report.handed_over, report.assigned, report.dry_run) == (1, 1, True)
    assert periods(person) == [(world.akasse.name, START, None)]
    assert count(session, Handover) == 0 and count(session, AuditEntry) == 0


# --- batches, the nightly job and the command line ------------------------------------------------


def _factory_on(session: Session) -> sessionmaker[Session]:
    """Sessions on the test's connection: their commits are savepoints of the test."""
    session.commit()
    return sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def test_run_routing_commits_batch_by_batch(session: Session, world: World) -> None:
    people = [add_person(session, world, responsible=world.akasse) for _ in range(5)]
    people[2].municipality_code = 999
    report = run_routing(_factory_on(session), HANDOVER_DAY, batch_size=2)
    assert (report.checked, report.handed_over, sum(report.unresolved.values())) == (5, 4, 1)
    assert len(report.handover_ids) == 4
    again = run_routing(_factory_on(session), HANDOVER_DAY, batch_size=2)
    assert (again.handed_over, again.unchanged) == (0, 4)
    assert count(session, Handover) == 4


def test_the_nightly_job_applies_todays_rules(
    session: Session, world: World, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import jobs, runtime
    from workers.queues import Job
    from workers.worker import NIGHTLY_JOBS

    assert (Job.APPLY_ROUTING, "15 1 * * *") in NIGHTLY_JOBS
    add_person(session, world, responsible=world.akasse)
    factory = _factory_on(session)
    fake = runtime.Runtime(settings.with_overrides(base_url=BASE_URL), session.bind, factory)
    monkeypatch.setattr(runtime, "_runtime", fake)
    result = jobs.apply_routing(day=HANDOVER_DAY)
    assert result["handed_over"] == 1 and result["day"] == "2025-04-10"
    assert result["rules_version"] == handover.RULES_VERSION
    [mail] = session.scalars(select(Notification)).all()
    assert f"{BASE_URL}/ledige/" in mail.body


def test_each_person_lands_whole_with_the_applications_engine(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the application's own SQLite engine (no explicit BEGIN, so a savepoint can be its
    own transaction), a failure half-way through a batch leaves no handover without its
    period change, and the next run finishes the rest."""
    from matching.core.db import make_engine, make_session_factory

    engine = make_engine(settings.with_overrides(database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        world = build_world(session)
        for _ in range(3):
            add_person(session, world, responsible=world.akasse)
        session.commit()
    calls = itertools.count(1)
    original = handover._notify_receiver

    def fail_on_second(*args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if next(calls) == 2:
            raise RuntimeError("mail queue down")
        original(*args, **kwargs)

    monkeypatch.setattr(handover, "_notify_receiver", fail_on_second)
    with pytest.raises(RuntimeError, match="mail queue down"):
        run_routing(factory, HANDOVER_DAY, batch_size=10)

    def consistent(session: Session) -> int:
        for done in session.scalars(select(Handover)):
            current = done.jobseeker.responsible_on(HANDOVER_DAY)
            assert current is not None and current.organisation_id == done.to_organisation_id
            assert count(session, Notification, Notification.object_id == str(done.id)) == 1
        return count(session, Handover)

    with factory() as session:
        assert consistent(session) <= 1
    report = run_routing(factory, HANDOVER_DAY, batch_size=10)
    with factory() as session:
        assert consistent(session) == 3
    assert report.handed_over + report.unchanged == 3
    engine.dispose()


def test_the_command_prints_counts_and_refuses_bad_dates(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    for bad in ("2026-13-01", "31.02.2026", "i morgen"):
        result = run_jobbro("routing", "apply", "--date", bad, env=env, timeout=120)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [
            f"jobbro: error: ugyldig dato »{bad}«: skriv datoen som dd.mm.åååå, fx 14.03.2027."
        ]
    assert run_jobbro("db", "upgrade", env=env, timeout=120).returncode == 0
    result = run_jobbro(
        "routing", "apply", "--date", "2025-04-10", "--dry-run", env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "Ansvar pr. 10.04.2025 (prøvekørsel, intet gemt):",
        "  vurderet:       0",
    ]


# --- concurrently, from two processes, on PostgreSQL ----------------------------------------------

PEOPLE = 12


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[tuple[Engine, str, str]]:
    """A private, committed PostgreSQL schema (the processes cannot share a test transaction)."""
    with private_schema(pg_url, "handover") as schema:
        engine = schema_engine(pg_url, schema)
        try:
            Base.metadata.create_all(engine)
            yield engine, schema, pg_url
        finally:
            engine.dispose()


def _apply_in_process(url: str, schema: str, role: str, start, done, results) -> None:  # noqa: ANN001
    """One routing run in its own process. ``first`` applies, waits until ``second`` has
    started, and commits a moment later: ``second`` has read the old state and must lose the
    unique key to ``first``. ``race`` processes just start together."""
    engine = schema_engine(url, schema)
    with Session(engine) as session:
        start.wait(timeout=60)
        if role == "second":
            done.wait(timeout=60)
        report = apply_routing(session, HANDOVER_DAY, base_url=BASE_URL)
        if role == "first":
            done.wait(timeout=60)
            time.sleep(1.0)
        session.commit()
    engine.dispose()
    results.put((role, report.to_dict()))


def _run_processes(url: str, schema: str, roles: tuple[str, str]) -> dict[str, dict]:
    context = multiprocessing.get_context("spawn")
    start, done = context.Barrier(2), context.Barrier(2)
    results = context.Queue()
    processes = [
        context.Process(target=_apply_in_process, args=(url, schema, role, start, done, results))
        for role in roles
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    reports.sort(key=lambda item: item[0])
    return {f"{role}{i}": report for i, (role, report) in enumerate(reports)}


def _seed(engine: Engine) -> tuple[list[int], list[int]]:
    with Session(engine) as session:
        world = build_world(session)
        people = [add_person(session, world, responsible=world.akasse) for _ in range(PEOPLE)]
        referrals = [
            add_referral(session, world, p, world.vacancies[0], ReferralState.SENT) for p in people
        ]
        session.commit()
        return [p.id for p in people], [r.id for r in referrals]


def _assert_handed_over_once(engine: Engine, referral_ids: list[int]) -> None:
    with Session(engine) as session:
        assert count(session, Handover) == PEOPLE
        assert count(session, Notification) == PEOPLE
        assert count(session, ResponsibilityPeriod) == 2 * PEOPLE
        assert count(session, ResponsibilityPeriod, ResponsibilityPeriod.valid_to.is_(None)) == (
            PEOPLE
        )
        assert count(session, AuditEntry) == PEOPLE
        events = session.scalars(
            select(WorkflowEvent.referral_id).where(WorkflowEvent.note.like("Overdraget til %"))
        ).all()
        assert sorted(events) == sorted(referral_ids)


def test_two_processes_overlapping_hand_over_once(pg_schema: tuple[Engine, str, str]) -> None:
    engine, schema, url = pg_schema
    _people, referral_ids = _seed(engine)
    reports = _run_processes(url, schema, ("first", "second"))
    first, second = reports["first0"], reports["second1"]
    assert (first["handed_over"], first["done_elsewhere"]) == (PEOPLE, 0)
    # The second run read the old state before the first committed, and lost every key.
    assert (second["handed_over"], second["done_elsewhere"]) == (0, PEOPLE)
    _assert_handed_over_once(engine, referral_ids)


def test_two_processes_racing_hand_over_once(pg_schema: tuple[Engine, str, str]) -> None:
    engine, schema, url = pg_schema
    _people, referral_ids = _seed(engine)
    reports = _run_processes(url, schema, ("race", "race"))
    totals = [reports["race0"], reports["race1"]]
    assert sum(r["handed_over"] for r in totals) == PEOPLE
    assert sum(r["handed_over"] + r["done_elsewhere"] + r["unchanged"] for r in totals) == (
        2 * PEOPLE
    )
    _assert_handed_over_once(engine, referral_ids)
