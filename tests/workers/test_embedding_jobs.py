"""Encode jobs, stored embeddings and the worker's index, on the real database and Redis."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from embeddings.encoder import FakeEncoder
from matching.core.db import make_session_factory, session_scope
from matching.core.migrate import reset_schema_for_tests
from matching.core.settings import Settings
from matching.demo.seed import seed_demo
from matching.models import CV, Jobseeker, StoredEmbedding, Vacancy
from workers import jobs, runtime
from workers.queues import Job, QueueName, enqueue
from workers.worker import run_worker


class OtherModel(FakeEncoder):
    model_version = "fake-trigram-v2"


@pytest.fixture(scope="module")
def seeded(engine: Engine, settings: Settings) -> Iterator[Engine]:
    """Committed demo data (60 jobseekers, 500 vacancies); the schema is reset afterwards."""
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        seed_demo(session, settings, seed=3, size=60)
    yield engine
    reset_schema_for_tests(engine)


@pytest.fixture
def rt(seeded: Engine, settings: Settings, tmp_path) -> Iterator[runtime.Runtime]:
    fake = settings.with_overrides(encoder="fake", data_dir=tmp_path)
    yield runtime.init(fake, seeded)
    with session_scope(make_session_factory(seeded)) as session:
        session.execute(delete(StoredEmbedding))


def first_ids(engine: Engine, model: type, n: int) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(model.id).order_by(model.id).limit(n)))


def stored(engine: Engine, kind: str) -> dict[int, StoredEmbedding]:
    with Session(engine) as session:
        rows = session.scalars(select(StoredEmbedding).where(StoredEmbedding.entity_kind == kind))
        return {r.entity_id: r for r in rows}


def test_encode_once_then_skip_unchanged(rt: runtime.Runtime) -> None:
    jobseeker_id = first_ids(rt.engine, Jobseeker, 1)[0]
    first = jobs.encode_jobseeker(jobseeker_id)
    assert (first["encoded"], first["unchanged"]) == (1, 0)
    again = jobs.encode_jobseeker(jobseeker_id)
    assert (again["encoded"], again["unchanged"]) == (0, 1)
    row = stored(rt.engine, "jobseeker")[jobseeker_id]
    assert row.model_version == "fake-trigram-v1" and row.dimension == 384
    assert jobseeker_id in rt.index("jobseeker").index


def test_changed_cv_is_reencoded_and_searchable(rt: runtime.Runtime) -> None:
    jobseeker_id = first_ids(rt.engine, Jobseeker, 1)[0]
    jobs.encode_jobseeker(jobseeker_id)
    before = stored(rt.engine, "jobseeker")[jobseeker_id].text_sha256
    with session_scope(rt.session_factory) as session:
        cv = session.scalar(select(CV).where(CV.jobseeker_id == jobseeker_id))
        cv.summary = "Erfaren kranfører med certifikat til mobilkran og tårnkran."
    result = jobs.encode_jobseeker(jobseeker_id)
    assert result["encoded"] == 1
    after = stored(rt.engine, "jobseeker")[jobseeker_id]
    assert after.text_sha256 != before
    query = FakeEncoder().encode(["kranfører mobilkran tårnkran certifikat"], "query")
    hits = rt.index("jobseeker").search(query, 1)
    assert hits[0][0] == jobseeker_id


def test_names_do_not_change_the_vector(rt: runtime.Runtime) -> None:
    jobseeker_id = first_ids(rt.engine, Jobseeker, 1)[0]
    jobs.encode_jobseeker(jobseeker_id)
    before = stored(rt.engine, "jobseeker")[jobseeker_id].vector
    with session_scope(rt.session_factory) as session:
        person = session.get(Jobseeker, jobseeker_id)
        old_first = person.first_name
        person.first_name, person.last_name = "Zainab", "Abdullahi"
        person.cv.summary = person.cv.summary.replace(old_first, "Zainab")
    assert jobs.encode_jobseeker(jobseeker_id)["encoded"] == 0  # same scrubbed text
    assert stored(rt.engine, "jobseeker")[jobseeker_id].vector == before


def test_encode_all_is_idempotent_and_reports_progress(rt: runtime.Runtime, redis_conn) -> None:
    job = enqueue(redis_conn, Job.ENCODE_ALL, "vacancy")
    run_worker(rt.settings, redis_conn, [QueueName.ENCODE], burst=True)
    job.refresh()
    assert job.get_status() == "finished", job.latest_result().exc_string
    assert job.meta["progress"] == 100
    result = job.return_value()
    assert result["encoded"] == result["total"] >= 500
    # The worker process made the vectors searchable; a fresh service rebuilds from the DB.
    again = jobs.encode_all("vacancy")
    assert again["encoded"] == 0 and again["unchanged"] == result["total"]


def test_removed_entities_lose_their_vector(rt: runtime.Runtime) -> None:
    vacancy_id = first_ids(rt.engine, Vacancy, 1)[0]
    jobs.encode_vacancy(vacancy_id)
    assert vacancy_id in rt.index("vacancy").index
    missing_id = 10_000_000
    with session_scope(rt.session_factory) as session:
        session.add(
            StoredEmbedding(
                entity_kind="vacancy", entity_id=missing_id, model_version="fake-trigram-v1",
                text_sha256="x", dimension=384,
                vector=FakeEncoder().encode(["x"], "query")[0].tobytes(),
            )
        )  # fmt: skip
    assert jobs.encode_vacancy(missing_id)["removed"] == 1
    assert missing_id not in stored(rt.engine, "vacancy")
    assert missing_id not in rt.index("vacancy").index


def test_reconcile_repairs_an_index_that_disagrees(rt: runtime.Runtime) -> None:
    ids = first_ids(rt.engine, Vacancy, 20)
    for vacancy_id in ids:
        jobs.encode_vacancy(vacancy_id)
    service = rt.index("vacancy")
    service.save()
    # Behind the index's back: one row deleted, one vector changed.
    with session_scope(rt.session_factory) as session:
        session.execute(delete(StoredEmbedding).where(StoredEmbedding.entity_id == ids[0]))
        row = session.scalar(select(StoredEmbedding).where(StoredEmbedding.entity_id == ids[1]))
        row.text_sha256 = "changed-elsewhere"
    result = jobs.check_index("vacancy")
    assert (result["extra"], result["stale"], result["ok"]) == (1, 1, False)
    assert ids[0] not in service.index
    assert service.index.fingerprint(ids[1]) == "changed-elsewhere"
    assert jobs.check_index("vacancy")["ok"] is True


def test_model_version_change_rebuilds_instead_of_mixing(rt: runtime.Runtime) -> None:
    ids = first_ids(rt.engine, Vacancy, 5)
    for vacancy_id in ids:
        jobs.encode_vacancy(vacancy_id)
    rt.index("vacancy").save()
    # A new model: the saved index (v1) is not loaded; only v2 vectors are indexed.
    rt2 = runtime.init(rt.settings, rt.engine)
    rt2._encoder = OtherModel()
    assert jobs.encode_vacancy(ids[0])["model_version"] == "fake-trigram-v2"
    service = rt2.index("vacancy")
    assert service.model_version == "fake-trigram-v2"
    assert list(service.index.ids()) == [ids[0]]
    versions = {r.model_version for r in stored(rt.engine, "vacancy").values()}
    assert versions == {"fake-trigram-v1", "fake-trigram-v2"}
    np.testing.assert_allclose(np.linalg.norm(service.index.get(ids[0])), 1, atol=1e-5)
