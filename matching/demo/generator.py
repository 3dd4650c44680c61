"""Deterministic demo data: Danish organisations, users, jobseekers with CVs, and vacancies.

Pure Python, no database: :func:`generate` returns plain frozen records that
:mod:`matching.demo.seed` persists. The same ``(seed, size, today, shared data presence)``
always gives identical data: every random choice comes from one ``random.Random(seed)``,
collections are iterated in a fixed order, and every date is relative to ``today``.

The generator is one class assembled from a mixin per part (:mod:`~matching.demo.organisations`,
:mod:`~matching.demo.people`, :mod:`~matching.demo.vacancies`) over
:class:`~matching.demo.common.GeneratorBase`; the fair (:mod:`~matching.demo.fairs`) draws
nothing. All parts draw from the one random stream in the order :func:`generate` calls them:
reordering those calls, or the draws inside a part, changes the data of every later record.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from matching.demo.enrichment import load_enrichment
from matching.demo.fairs import build_fair
from matching.demo.organisations import DEMO_LOGINS, OrganisationMixin
from matching.demo.people import PeopleMixin
from matching.demo.records import DemoData
from matching.demo.vacancies import VacancyMixin

MIN_VACANCIES = 500


class _Generator(OrganisationMixin, PeopleMixin, VacancyMixin):
    """All parts of the generator over one :class:`~matching.demo.common.GeneratorBase`."""


def generate(
    seed: int,
    size: int = 2000,
    *,
    shared_data_dir: Path | None = None,
    today: date | None = None,
) -> DemoData:
    """Generate the demo data set.

    ``size`` is the number of jobseekers; vacancies and company places number
    ``max(500, size // 4)``; employers ``max(60, size // 25)``. All dates are relative to
    ``today`` (default: the current date), so a fixed ``today`` makes the output identical for
    the same ``seed`` and ``size``. With ``shared_data_dir`` (the reference data folder) CVs also
    get real Danish skill phrases from ``kompetencer_da/*.tsv`` and vacancies ESCO Danish titles
    from ``esco/occupations_da_en.tsv``. Jobmesse Fyn gets one upcoming fair
    (:func:`build_fair`).
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    today = today or date.today()
    gen = _Generator(seed, size, today, load_enrichment(shared_data_dir))
    gen.build_public_bodies()
    employers = gen.build_employers()
    jobseekers = [gen.jobseeker(i) for i in range(size)]
    public = [e for e in employers if e.is_public]
    vacancies = [gen.vacancy(employers, public) for _ in range(max(MIN_VACANCIES, size // 4))]
    return DemoData(
        seed=seed,
        size=size,
        today=today,
        organisations=gen.orgs,
        users=gen.users,
        jobseekers=jobseekers,
        vacancies=vacancies,
        fairs=[build_fair(gen.orgs, vacancies, today)],
        logins=list(DEMO_LOGINS),
    )
