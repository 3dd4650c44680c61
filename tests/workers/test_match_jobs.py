"""Match lists computed by the worker code on the real database (and RQ on the real Redis)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from matching.core import geo
from matching.core.db import make_session_factory, session_scope
from matching.core.migrate import reset_schema_for_tests
from matching.core.settings import Settings
from matching.demo.seed import seed_demo
from matching.models import (
    CV,
    Jobseeker,
    Match,
    MatchRun,
    StoredEmbedding,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    utcnow,
)
from matching.models.enums import ApprovalStatus
from matching.ranking import scoring as ranking
from matching.ranking.storage import stale_subjects
from tests.factories.base import put_in_state
from workers import jobs, runtime
from workers.embedding_service import documents_for
from workers.queues import Job, QueueName, enqueue
from workers.worker import run_worker


@pytest.fixture(scope="module")
def seeded(engine: Engine, settings: Settings) -> Iterator[Engine]:
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        seed_demo(session, settings, seed=5, size=300)
    yield engine
    reset_schema_for_tests(engine)


@pytest.fixture
def rt(seeded: Engine, settings: Settings, tmp_path) -> Iterator[runtime.Runtime]:
    import workers.match_service as match_service

    fake = settings.with_overrides(encoder="fake", data_dir=tmp_path)
    rt = runtime.init(fake, seeded)
    match_service._service = None
    jobs.encode_all("jobseeker")
    yield rt
    with session_scope(make_session_factory(seeded)) as session:
        session.execute(delete(Match))
        session.execute(delete(MatchRun))
        session.execute(delete(StoredEmbedding))


def busiest_open_vacancy(engine: Engine) -> int:
    """An open ordinary vacancy in the municipality where most demo people live."""
    with Session(engine) as session:
        people = list(session.scalars(select(Jobseeker.postal_code)))
        best = max(sorted(set(people)), key=people.count)
        near = geo.codes_within(best, 15)
        return session.scalars(
            select(Vacancy.id)
            .where(
                Vacancy.status == VacancyStatus.OPEN,
                Vacancy.kind == VacancyKind.ORDINARY,
                Vacancy.postal_code.in_(near),
            )
            .order_by(Vacancy.id)
        ).first()


def vacancy_list(engine: Engine, vacancy_id: int) -> list[Match]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(Match)
                .where(Match.vacancy_id == vacancy_id, Match.rank.is_not(None))
                .order_by(Match.rank)
            )
        )


def test_vacancy_list_is_stored_explained_and_within_commute(rt: runtime.Runtime) -> None:
    vacancy_id = busiest_open_vacancy(rt.engine)
    result = jobs.match_vacancy(vacancy_id)
    assert result["status"] == "computed" and result["listed"] > 0
    rows = vacancy_list(rt.engine, vacancy_id)
    assert [m.rank for m in rows] == list(range(1, len(rows) + 1))
    assert len(rows) == result["listed"]
    with Session(rt.engine) as session:
        vacancy = session.get(Vacancy, vacancy_id)
        for m in rows:
            person = session.get(Jobseeker, m.jobseeker_id)
            assert m.explanation and m.components["signals"]
            assert m.model_version == "fake-trigram-v1"
            assert m.rules_version == ranking.rules_version()
            km = geo.distance_km(person.postal_code, vacancy.postal_code)
            assert km is None or km <= person.max_commute_km
        run = session.scalar(select(MatchRun).where(MatchRun.subject_id == vacancy_id))
        assert run.subject_kind == "vacancy" and run.listed == len(rows)
        assert run.considered >= run.listed + sum(run.excluded.values()) - run.excluded.get(
            "inactive", 0
        ) - run.excluded.get("distance", 0)
    scores = [m.score for m in rows if not m.promoted]
    assert scores == sorted(scores, reverse=True)


def test_recomputing_is_idempotent(rt: runtime.Runtime) -> None:
    vacancy_id = busiest_open_vacancy(rt.engine)
    jobs.match_vacancy(vacancy_id)
    first = [(m.jobseeker_id, m.rank, m.score) for m in vacancy_list(rt.engine, vacancy_id)]
    jobs.match_vacancy(vacancy_id)
    second = [(m.jobseeker_id, m.rank, m.score) for m in vacancy_list(rt.engine, vacancy_id)]
    assert first == second
    with Session(rt.engine) as session:
        rows = session.scalars(select(Match.id).where(Match.vacancy_id == vacancy_id)).all()
    assert len(rows) == len(first)  # replaced, not appended


def test_closed_vacancy_and_unapproved_place_get_empty_lists(rt: runtime.Runtime) -> None:
    vacancy_id = busiest_open_vacancy(rt.engine)
    jobs.match_vacancy(vacancy_id)
    assert vacancy_list(rt.engine, vacancy_id)
    with session_scope(rt.session_factory) as session:
        put_in_state(session, session.get(Vacancy, vacancy_id), VacancyStatus.CLOSED)
    try:
        assert jobs.match_vacancy(vacancy_id)["status"] == "not_open"
        assert vacancy_list(rt.engine, vacancy_id) == []
    finally:
        with session_scope(rt.session_factory) as session:
            put_in_state(session, session.get(Vacancy, vacancy_id), VacancyStatus.OPEN)
    with Session(rt.engine) as session:
        pending = session.scalars(
            select(Vacancy.id).where(Vacancy.approval_status == ApprovalStatus.PENDING)
        ).first()
    if pending is not None:
        assert jobs.match_vacancy(pending)["status"] == "not_open"


def test_person_list_holds_only_matchable_vacancies(rt: runtime.Runtime) -> None:
    jobs.encode_all("vacancy")
    with Session(rt.engine) as session:
        person_id = session.scalars(
            select(Jobseeker.id).where(Jobseeker.active.is_(True)).order_by(Jobseeker.id)
        ).first()
    result = jobs.match_jobseeker(person_id)
    assert result["status"] == "computed"
    with Session(rt.engine) as session:
        rows = session.scalars(
            select(Match)
            .where(Match.jobseeker_id == person_id, Match.person_rank.is_not(None))
            .order_by(Match.person_rank)
        ).all()
        assert [m.person_rank for m in rows] == list(range(1, len(rows) + 1))
        for m in rows:
            vacancy = session.get(Vacancy, m.vacancy_id)
            assert vacancy.status == VacancyStatus.OPEN
            assert vacancy.approval_status in (ApprovalStatus.NOT_REQUIRED, ApprovalStatus.APPROVED)
            assert m.explanation


def test_fairness_names_gender_and_age_do_not_change_the_ranking(rt: runtime.Runtime) -> None:
    """Rotate names (and with them gender) and birth dates among all people: same list."""
    vacancy_id = busiest_open_vacancy(rt.engine)
    jobs.match_vacancy(vacancy_id)
    before = [(m.jobseeker_id, m.score) for m in vacancy_list(rt.engine, vacancy_id)]
    assert len(before) >= 3
    with session_scope(rt.session_factory) as session:
        people = session.scalars(select(Jobseeker).order_by(Jobseeker.id)).all()
        identities = [(p.first_name, p.last_name, p.birth_date) for p in people]
        rotated = identities[1:] + identities[:1]
        for person, (first, last, born) in zip(people, rotated, strict=True):
            person.first_name, person.last_name, person.birth_date = first, last, born
        texts = documents_for(session, "jobseeker", [p.id for p in people[:50]])
        for person in people[:50]:
            if person.id in texts:
                assert person.last_name not in texts[person.id]
    try:
        assert jobs.encode_all("jobseeker")["encoded"] == 0  # no embedded text changed
        jobs.match_vacancy(vacancy_id)
        after = [(m.jobseeker_id, m.score) for m in vacancy_list(rt.engine, vacancy_id)]
        assert after == before
    finally:
        with session_scope(rt.session_factory) as session:
            people = session.scalars(select(Jobseeker).order_by(Jobseeker.id)).all()
            for person, (first, last, born) in zip(people, identities, strict=True):
                person.first_name, person.last_name, person.birth_date = first, last, born


def test_stale_lists_are_found_after_version_or_data_changes(
    rt: runtime.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    vacancy_id = busiest_open_vacancy(rt.engine)
    jobs.match_vacancy(vacancy_id)
    version = "fake-trigram-v1"
    with Session(rt.engine) as session:
        stale = stale_subjects(
            session, "vacancy", model_version=version, rules_version=ranking.rules_version()
        )
        assert vacancy_id not in stale and stale  # the others have no list yet
        assert vacancy_id in stale_subjects(
            session, "vacancy", model_version="other-model", rules_version=ranking.rules_version()
        )
    monkeypatch.setattr(ranking, "RANKING_VERSION", "rank-test")
    with Session(rt.engine) as session:
        assert vacancy_id in stale_subjects(
            session, "vacancy", model_version=version, rules_version=ranking.rules_version()
        )
    monkeypatch.undo()
    with session_scope(rt.session_factory) as session:
        session.execute(
            update(Vacancy)
            .where(Vacancy.id == vacancy_id)
            .values(description=Vacancy.description + " Opdateret.")
        )
    with Session(rt.engine) as session:
        assert vacancy_id in stale_subjects(
            session, "vacancy", model_version=version, rules_version=ranking.rules_version()
        )


def test_match_jobs_run_in_the_worker_once_per_id(rt: runtime.Runtime, redis_conn) -> None:
    vacancy_id = busiest_open_vacancy(rt.engine)
    job_id = f"match-vacancy-{vacancy_id}"
    first = enqueue(redis_conn, Job.MATCH_VACANCY, vacancy_id, job_id=job_id)
    second = enqueue(redis_conn, Job.MATCH_VACANCY, vacancy_id, job_id=job_id)
    assert first.id == second.id
    assert len(redis_conn.lrange(f"rq:queue:{QueueName.MATCH.value}", 0, -1)) == 1
    run_worker(rt.settings, redis_conn, [QueueName.MATCH], burst=True)
    first.refresh()
    assert first.get_status() == "finished", first.latest_result().exc_string
    assert first.return_value()["listed"] == len(vacancy_list(rt.engine, vacancy_id)) > 0


def test_nightly_job_enqueues_each_stale_list_once(rt: runtime.Runtime, redis_conn) -> None:
    jobs.encode_all("vacancy")
    job = enqueue(redis_conn, Job.RECOMPUTE_STALE_MATCHES)
    run_worker(rt.settings, redis_conn, [QueueName.MAINTENANCE], burst=True)
    job.refresh()
    assert job.get_status() == "finished", job.latest_result().exc_string
    counts = job.return_value()
    queued = redis_conn.llen(f"rq:queue:{QueueName.MATCH.value}")
    assert counts["vacancy"] > 0 and queued == counts["vacancy"] + counts["jobseeker"]
    again = enqueue(redis_conn, Job.RECOMPUTE_STALE_MATCHES)
    run_worker(rt.settings, redis_conn, [QueueName.MAINTENANCE], burst=True)
    again.refresh()
    assert redis_conn.llen(f"rq:queue:{QueueName.MATCH.value}") == queued  # nothing doubled
    with Session(rt.engine) as session:
        assert session.scalar(select(MatchRun.id)) is None  # only enqueued, not computed


def test_match_command_computes_and_prints_the_list(
    rt: runtime.Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from workers.cli import main

    for name, value in {
        "JOBBRO_ENV": "test",
        "JOBBRO_ENCODER": "fake",
        "JOBBRO_DATABASE_URL": rt.settings.database_url,
        "JOBBRO_DATA_DIR": str(rt.settings.data_dir),
        "JOBBRO_SECRET_KEY": rt.settings.secret_key,
    }.items():
        monkeypatch.setenv(name, value)
    vacancy_id = busiest_open_vacancy(rt.engine)
    assert main(["match", "vacancy", str(vacancy_id), "--json", "--top", "5"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert 0 < len(shown["matches"]) <= 5
    assert [m["rank"] for m in shown["matches"]] == list(range(1, len(shown["matches"]) + 1))
    assert all(m["explanation"] for m in shown["matches"])
    assert shown["listed"] >= len(shown["matches"])
    assert main(["match", "vacancy", "99999999"]) == 1
    assert "vacancy 99999999 does not exist" in capsys.readouterr().err
    assert main(["match", "vacancy", "abc"]) == 2


def test_second_pass_finds_local_people_beyond_the_semantic_neighbours(
    rt: runtime.Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.match_service as match_service

    vacancy_id = busiest_open_vacancy(rt.engine)
    full = jobs.match_vacancy(vacancy_id)["listed"]
    monkeypatch.setattr(match_service, "CANDIDATE_POOL", 10)
    narrow = jobs.match_vacancy(vacancy_id)
    assert narrow["listed"] > 10  # more than the first pass could ever return
    assert narrow["listed"] <= full


def test_cv_cache_rereads_a_changed_cv(rt: runtime.Runtime) -> None:
    from matching.models import CVSkill
    from matching.ranking.features import CVFeatureCache, load_people

    fingerprints = {"current": "a"}
    cache = CVFeatureCache(2, lambda _person_id: fingerprints["current"])
    with Session(rt.engine) as session:
        ids = list(session.scalars(select(Jobseeker.id).order_by(Jobseeker.id).limit(3)))
        people = load_people(session, ids)
        first = cache.get_many(session, [people[ids[0]]])
        cache.get_many(session, [people[ids[0]]])
        assert (cache.hits, cache.misses) == (1, 1)
        fingerprints["current"] = "b"  # the embedded text changed
        cache.get_many(session, [people[ids[0]]])
        assert cache.misses == 2
        cache.get_many(session, [people[ids[1]], people[ids[2]]])
        assert len(cache) == 2  # least recently used entry dropped
    cv_id = people[ids[0]].cv_id
    with session_scope(rt.session_factory) as session:
        session.add(CVSkill(cv_id=cv_id, position=99, name="kranførercertifikat"))
        session.execute(update(CV).where(CV.id == cv_id).values(summary=CV.summary + " "))
    with Session(rt.engine) as session:
        fresh = cache.get_many(session, [load_people(session, [ids[0]])[ids[0]]])
    assert "kranførercertifikat" in fresh[cv_id].skills
    assert "kranførercertifikat" not in first[cv_id].skills


def test_warm_occupation_index_fills_the_cache_once(rt: runtime.Runtime) -> None:
    from matching.ranking.taxonomy.importer import install_builtin_taxonomy

    assert jobs.warm_occupation_index() == {"occupations": 0, "encoded": 0}  # nothing imported
    with session_scope(rt.session_factory) as session:
        install_builtin_taxonomy(session)
    first = jobs.warm_occupation_index()
    assert first["occupations"] > 100 and first["encoded"] > first["occupations"]
    again = jobs.warm_occupation_index()
    assert again == {"occupations": first["occupations"], "encoded": 0}


def test_the_catch_up_finds_changed_lists_after_the_grace_but_leaves_versions_to_the_night(
    rt: runtime.Runtime, redis_conn
) -> None:
    vacancy_id = busiest_open_vacancy(rt.engine)
    jobs.match_vacancy(vacancy_id)
    version = "fake-trigram-v1"
    now = utcnow()

    def caught_up(model_version: str = version) -> list[int]:
        with Session(rt.engine) as session:
            return stale_subjects(
                session,
                "vacancy",
                model_version=model_version,
                rules_version=ranking.rules_version(),
                changed_only=True,
                changed_before=now - jobs.CATCH_UP_GRACE,
            )

    assert vacancy_id not in caught_up()
    assert vacancy_id not in caught_up("another-model")  # a version change waits for the night

    def changed(minutes_ago: int) -> None:
        with session_scope(rt.session_factory) as session:
            session.execute(
                update(MatchRun)
                .where(MatchRun.subject_kind == "vacancy", MatchRun.subject_id == vacancy_id)
                .values(computed_at=now - timedelta(minutes=30))
            )
            session.execute(
                update(Vacancy)
                .where(Vacancy.id == vacancy_id)
                .values(updated_at=now - timedelta(minutes=minutes_ago))
            )

    changed(minutes_ago=1)  # saved a minute ago: its own match job is still on its way
    assert vacancy_id not in caught_up()
    changed(minutes_ago=10)  # saved ten minutes ago and no list since: the job was lost
    assert vacancy_id in caught_up()

    job = enqueue(redis_conn, Job.CATCH_UP_CHANGED_LISTS)
    run_worker(rt.settings, redis_conn, [QueueName.MAINTENANCE], burst=True)
    job.refresh()
    assert job.get_status() == "finished", job.latest_result().exc_string
    queued = redis_conn.lrange(f"rq:queue:{QueueName.MATCH.value}", 0, -1)
    assert f"match-vacancy-{vacancy_id}".encode() in queued
    again = enqueue(redis_conn, Job.CATCH_UP_CHANGED_LISTS)
    run_worker(rt.settings, redis_conn, [QueueName.MAINTENANCE], burst=True)
    again.refresh()
    assert redis_conn.llen(f"rq:queue:{QueueName.MATCH.value}") == len(queued)  # not doubled
