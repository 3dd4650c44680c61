"""Computing and storing match lists: the vector index proposes,
:mod:`matching.ranking.scoring` decides.

A vacancy's list: its vector (encoded now if its text changed) searches the jobseeker index
for ``CANDIDATE_POOL`` semantic neighbours; a cheap query drops people outside their own
commute range or without a searchable CV; the nearest ``SCORED_CANDIDATES`` of the rest are
read in full and scored; the best ``list_size`` are stored. If the neighbours were too few
after filtering (a remote workplace), the search is repeated restricted to people living
within ``LOCAL_RADIUS_KM``. A person's list works the same way over open vacancies and
approved places.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.geo import codes_within, distance_km
from matching.models import CV, Jobseeker, StoredEmbedding
from matching.ranking.features import (
    CVFeatureCache,
    PersonRow,
    load_candidate_features,
    load_people,
    load_vacancy_features,
)
from matching.ranking.scoring import (
    RankedList,
    RankingConfig,
    SemanticCalibration,
    rank_candidates,
    rank_vacancies,
    rules_version,
)
from matching.ranking.storage import store_jobseeker_list, store_vacancy_list
from matching.vacancies.queries import is_matchable, matchable_vacancy_ids
from workers import runtime
from workers.embedding_service import encode_entities, vector_of

log = logging.getLogger(__name__)

CANDIDATE_POOL = 1_000  # semantic neighbours fetched from the index per vacancy
SCORED_CANDIDATES = 250  # of those, the nearest that pass the commute filter are scored
VACANCY_POOL = 500  # neighbours fetched per person
PERSON_LIST_SIZE = 50
LOCAL_RADIUS_KM = 60.0  # second pass for remote workplaces: people living this close
LOCAL_POOL = 1_000  # neighbours fetched among them
CV_CACHE_ENTRIES = 50_000  # CVs kept in memory between lists (~1–2 kB each)
CALIBRATION_SAMPLE = 2_000  # random (vacancy, person) pairs used to scale cosines
CALIBRATION_MIN_VECTORS = 20
CALIBRATION_LOW_PERCENTILE = 50.0
CALIBRATION_HIGH_PERCENTILE = 99.5
INDEX_SYNC_INTERVAL_SECONDS = 2.0


@dataclass
class ListResult:
    kind: str
    subject_id: int
    listed: int
    considered: int
    excluded: dict[str, int]
    duration_ms: int
    status: str = "computed"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "id": self.subject_id,
            "status": self.status,
            "listed": self.listed,
            "considered": self.considered,
            "excluded": self.excluded,
            "duration_ms": self.duration_ms,
        }


class MatchService:
    """Per-process matcher: holds the calibration and keeps the indexes fresh."""

    def __init__(self, rt: runtime.Runtime, config: RankingConfig | None = None) -> None:
        self.rt = rt
        self.config = config or RankingConfig(cross_industry_share=rt.settings.cross_industry_share)
        self._calibration: SemanticCalibration | None = None
        # CV content between lists; an entry is read again when the CV's embedded text (its
        # fingerprint in the jobseeker index) or its updated_at changes.
        self.cv_cache = CVFeatureCache(
            CV_CACHE_ENTRIES, lambda person_id: rt.index("jobseeker").index.fingerprint(person_id)
        )
        self._last_sync: dict[str, float] = {}

    # --- helpers ------------------------------------------------------------------------------

    @property
    def model_version(self) -> str:
        return self.rt.index("jobseeker").model_version

    def _fresh_index(self, kind: str):  # noqa: ANN202 - an IndexService
        service = self.rt.index(kind)
        now = time.monotonic()
        if now - self._last_sync.get(kind, 0.0) >= INDEX_SYNC_INTERVAL_SECONDS:
            service.sync()
            self._last_sync[kind] = now
        return service

    def calibration(self) -> SemanticCalibration:
        """Cosine scale from random (vacancy, person) pairs of this model's indexes.

        e5 cosines of unrelated texts sit around 0.75–0.80; scaling from the median to a high
        percentile of random pairs makes the semantic signal comparable across models.
        """
        if self._calibration is not None:
            return self._calibration
        vacancies = self.rt.index("vacancy").index
        people = self.rt.index("jobseeker").index
        if len(vacancies) < CALIBRATION_MIN_VECTORS or len(people) < CALIBRATION_MIN_VECTORS:
            return SemanticCalibration()  # too little data yet: defaults, not cached
        rng = np.random.default_rng(0)
        v_ids = rng.choice(vacancies.ids(), size=min(200, len(vacancies)), replace=False)
        p_ids = rng.choice(people.ids(), size=min(CALIBRATION_SAMPLE, len(people)), replace=False)
        v = np.stack([vacancies.get(int(i)) for i in v_ids])
        p = np.stack([people.get(int(i)) for i in p_ids])
        cosines = (v @ p.T).ravel()
        low = float(np.percentile(cosines, CALIBRATION_LOW_PERCENTILE))
        high = float(np.percentile(cosines, CALIBRATION_HIGH_PERCENTILE))
        self._calibration = SemanticCalibration(low=low, high=max(high, low + 1e-3))
        log.info("semantic calibration %.4f..%.4f", low, high)
        return self._calibration

    def _vector(self, kind: str, entity_id: int) -> np.ndarray | None:
        """The entity's current vector, encoding it first if its text changed."""
        rt = self.rt
        encoder = rt.encoder()
        with rt.session() as session:
            result = encode_entities(session, encoder, kind, [entity_id])
        rt.index(kind).apply(result)
        if entity_id in result.vectors:
            return result.vectors[entity_id]
        with rt.session() as session:
            row = session.scalar(
                select(StoredEmbedding).where(
                    StoredEmbedding.entity_kind == kind,
                    StoredEmbedding.entity_id == entity_id,
                    StoredEmbedding.model_version == encoder.model_version,
                )
            )
            return None if row is None else vector_of(row)

    # --- vacancy → candidates -----------------------------------------------------------------

    def compute_vacancy(self, vacancy_id: int, *, day: date | None = None) -> ListResult:
        """Compute and store one vacancy's candidate list. Idempotent."""
        started = time.perf_counter()
        day = day or date.today()
        rt = self.rt
        with rt.session() as session:
            matchable = is_matchable(session, vacancy_id)
        vector = self._vector("vacancy", vacancy_id) if matchable else None
        ranked: RankedList | None = None
        if vector is not None:
            index = self._fresh_index("jobseeker")
            calibration = self.calibration()
            with rt.session() as session:
                vacancy = load_vacancy_features(session, [vacancy_id])[vacancy_id]
                dropped: Counter[str] = Counter()
                people: dict[int, PersonRow] = {}
                neighbours = index.search(vector, CANDIDATE_POOL)
                pairs = self._reachable(session, vacancy.postal_code, neighbours, dropped, people)
                if len(pairs) < self.config.list_size and len(index.index) > len(neighbours):
                    pairs = self._local_pass(
                        session, vacancy.postal_code, vector, index, pairs, dropped, people
                    )
                pairs = pairs[:SCORED_CANDIDATES]
                features = load_candidate_features(
                    session,
                    [i for i, _ in pairs],
                    day=day,
                    people=people,
                    cv_cache=self.cv_cache,
                )
                ranked = rank_candidates(
                    vacancy,
                    [(features[i], cos) for i, cos in pairs if i in features],
                    day=day,
                    calibration=calibration,
                    config=self.config,
                )
                ranked.considered += sum(dropped.values())
                ranked.excluded.update(dropped)
        status = "computed" if ranked is not None else ("no_vector" if matchable else "not_open")
        return self._store("vacancy", vacancy_id, ranked, started, status)

    def _store(
        self, kind: str, subject_id: int, ranked: RankedList | None, started: float, status: str
    ) -> ListResult:
        duration_ms = round((time.perf_counter() - started) * 1000)
        store = store_vacancy_list if kind == "vacancy" else store_jobseeker_list
        with self.rt.session() as session:
            store(
                session,
                subject_id,
                ranked,
                model_version=self.rt.encoder().model_version,
                rules_version=rules_version(),
                duration_ms=duration_ms,
            )
        return ListResult(
            kind,
            subject_id,
            len(ranked.matches) if ranked else 0,
            ranked.considered if ranked else 0,
            dict(ranked.excluded) if ranked else {},
            duration_ms,
            status,
        )

    @staticmethod
    def _reachable(
        session: Session,
        postal_code: str | None,
        neighbours: list[tuple[int, float]],
        dropped: Counter[str],
        people: dict[int, PersonRow],
    ) -> list[tuple[int, float]]:
        """Neighbours (nearest first) with a searchable CV living within their own commute;
        the others are counted in ``dropped`` by reason. The rows read land in ``people``."""
        rows = load_people(session, [i for i, _ in neighbours])
        people.update(rows)
        kept = []
        for entity_id, cosine in neighbours:
            row = rows.get(entity_id)
            if row is None or not row.listable:
                dropped["inactive"] += 1
                continue
            km = distance_km(row.postal_code, postal_code)
            if km is None or km <= row.max_commute_km:
                kept.append((entity_id, cosine))
            else:
                dropped["distance"] += 1
        return kept

    def _local_pass(self, session, postal_code, vector, index, pairs, dropped, people):  # noqa: ANN001, ANN202
        """Search again among people living near a workplace the first pass found few for."""
        if not postal_code:
            return pairs
        codes = codes_within(postal_code, LOCAL_RADIUS_KM)
        local = set(
            session.scalars(
                select(Jobseeker.id)
                .join(CV, CV.jobseeker_id == Jobseeker.id)
                .where(
                    Jobseeker.postal_code.in_(codes),
                    Jobseeker.active.is_(True),
                    CV.searchable.is_(True),
                )
            )
        )
        if not local:
            return pairs
        seen = {i for i, _ in pairs}
        neighbours = [
            p for p in index.search(vector, LOCAL_POOL, allowed_ids=local) if p[0] not in seen
        ]
        merged = pairs + self._reachable(session, postal_code, neighbours, dropped, people)
        return sorted(merged, key=lambda p: -p[1])

    # --- person → vacancies -------------------------------------------------------------------

    def compute_jobseeker(self, jobseeker_id: int, *, day: date | None = None) -> ListResult:
        """Compute and store one person's list of vacancies and places. Idempotent."""
        started = time.perf_counter()
        day = day or date.today()
        rt = self.rt
        vector = self._vector("jobseeker", jobseeker_id)
        ranked: RankedList | None = None
        if vector is not None:
            index = self._fresh_index("vacancy")
            calibration = self.calibration()
            with rt.session() as session:
                people = load_candidate_features(
                    session, [jobseeker_id], day=day, cv_cache=self.cv_cache
                )
                person = people.get(jobseeker_id)
                allowed = matchable_vacancy_ids(session)
                if person is not None and allowed:
                    neighbours = index.search(vector, VACANCY_POOL, allowed_ids=allowed)
                    vacancies = load_vacancy_features(session, [i for i, _ in neighbours])
                    config = RankingConfig(
                        weights=self.config.weights,
                        list_size=PERSON_LIST_SIZE,
                        cross_industry_share=self.config.cross_industry_share,
                        cross_industry_min_score=self.config.cross_industry_min_score,
                    )
                    ranked = rank_vacancies(
                        person,
                        [(vacancies[i], cos) for i, cos in neighbours if i in vacancies],
                        day=day,
                        calibration=calibration,
                        config=config,
                    )
        status = "computed" if ranked is not None else "no_vector"
        return self._store("jobseeker", jobseeker_id, ranked, started, status)


_service: MatchService | None = None


def get_service() -> MatchService:
    """This process's match service (one per worker; the model and indexes load once)."""
    global _service
    rt = runtime.get()
    if _service is None or _service.rt is not rt:
        _service = MatchService(rt)
    return _service
