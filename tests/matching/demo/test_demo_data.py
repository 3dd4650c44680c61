"""The deterministic demo-data generator (pure) and the seeder (database)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core.dates import add_months, age_on
from matching.core.errors import ValidationError
from matching.core.security import cpr_birth_date, cpr_lookup_hash, decrypt_cpr, verify_password
from matching.core.settings import Settings
from matching.demo import vocab
from matching.demo.generator import generate
from matching.demo.organisations import DEMO_LOGINS
from matching.demo.records import DemoData
from matching.demo.seed import seed_demo
from matching.models import (
    CV,
    AuditAction,
    AuditEntry,
    Jobseeker,
    Membership,
    Organisation,
    OrgKind,
    PNumber,
    TargetGroup,
    User,
    Vacancy,
    VacancyKind,
)

TODAY = date(2025, 6, 2)
DANISH_LETTERS = re.compile("[æøåÆØÅ]")
PLACEHOLDER = re.compile(r"\{[a-zA-Z_0-9]+\}")
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


@pytest.fixture(scope="module")
def default_data() -> DemoData:
    """One generate-only run at the default size, shared by the tests of this module."""
    return generate(1, today=TODAY)


@pytest.fixture
def no_shared_data(settings: Settings) -> Settings:
    return replace(settings, shared_data_dir=None)


# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------


def test_vocabulary_facts_are_well_formed() -> None:
    assert len(vocab.OCCUPATIONS) >= 120
    assert set(vocab.ISCO_MAJOR_GROUPS) == set("0123456789")
    for occ in vocab.OCCUPATIONS:
        assert re.fullmatch(r"\d{4}", occ.isco_code), occ
        assert occ.isco_code[0] in vocab.ISCO_MAJOR_GROUPS, occ
        assert occ.industry in vocab.INDUSTRIES, occ
        assert occ.skill_level in vocab.SKILL_LEVELS, occ
        assert 2 <= len(occ.alt_titles_da) <= 5, occ
        assert 5 <= len(occ.skills) <= 8, occ
    assert len({occ.industry for occ in vocab.OCCUPATIONS}) >= 14
    assert len(vocab.INDUSTRIES) >= 14
    assert all(re.fullmatch("[A-U]", section) for section, _ in vocab.INDUSTRIES.values())
    # A few facts checked by hand against ISCO-08.
    codes = {occ.title_da: occ.isco_code for occ in vocab.OCCUPATIONS}
    assert codes["social- og sundhedshjælper"] == "5322"
    assert codes["social- og sundhedsassistent"] == "5321"
    assert codes["kok"] == "5120" and codes["køkkenchef"] == "3434"
    assert codes["pædagog"] == "2342" and codes["folkeskolelærer"] == "2341"
    assert codes["lastbilchauffør"] == "8332" and codes["buschauffør"] == "8331"
    municipalities = {m.code: m for m in vocab.MUNICIPALITIES}
    assert {101, 461, 751, 851} <= set(municipalities)
    assert ("5000", "Odense C") in municipalities[461].postal_codes
    assert ("2100", "København Ø") in municipalities[101].postal_codes
    for muni in vocab.MUNICIPALITIES:
        assert all(re.fullmatch(r"\d{4}", pc) for pc, _ in muni.postal_codes)


# ---------------------------------------------------------------------------------------------
# Generator (pure)
# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_data_and_other_seed_differs() -> None:
    first = generate(7, 150, today=TODAY)
    second = generate(7, 150, today=TODAY)
    assert first == second
    other = generate(8, 150, today=TODAY)
    assert other.jobseekers != first.jobseekers
    assert [j.cpr for j in other.jobseekers] != [j.cpr for j in first.jobseekers]
    assert [v.title for v in other.vacancies] != [v.title for v in first.vacancies]
    # Dates are relative to `today`, which defaults to the current date.
    assert generate(7, 5).today == date.today()
    assert all(j.unemployment_start < TODAY for j in first.jobseekers)


def test_default_size_meets_the_minimum_counts(default_data: DemoData) -> None:
    data = default_data
    assert len(data.jobseekers) >= 2000
    assert len(data.vacancies) >= 500
    kinds = Counter(org.kind for org in data.organisations)
    employers = [o for o in data.organisations if o.kind is OrgKind.EMPLOYER]
    assert len(employers) >= 60
    assert kinds[OrgKind.A_KASSE] >= 4 and kinds[OrgKind.JOB_FAIR_ORGANISER] == 1
    jobcentres = [o for o in data.organisations if o.kind is OrgKind.JOBCENTRE]
    assert sorted(o.municipality_code for o in jobcentres) == sorted(
        m.code for m in vocab.MUNICIPALITIES
    )
    assert len({e.industry_key for e in employers}) >= 12
    assert len({e.municipality_code for e in employers}) >= 3

    cvrs = [o.cvr for o in data.organisations if o.cvr is not None]
    assert len(cvrs) == len(set(cvrs)) and all(re.fullmatch(r"\d{8}", c) for c in cvrs)
    assert all(e.cvr for e in employers)
    pnrs = [p.pnr for e in employers for p in e.p_numbers]
    assert len(pnrs) == len(set(pnrs)) and all(re.fullmatch(r"\d{10}", p) for p in pnrs)
    assert all(1 <= len(e.p_numbers) <= 3 for e in employers)
    postal_codes = {pc for m in vocab.MUNICIPALITIES for pc, _ in m.postal_codes}
    assert all(p.postal_code in postal_codes and p.address for e in employers for p in e.p_numbers)

    ages = [age_on(j.birth_date, data.today) for j in data.jobseekers]
    assert min(ages) >= 18 and max(ages) <= 67
    assert min(ages) < 25 and max(ages) > 60  # the whole range is used
    assert len({j.cpr for j in data.jobseekers}) == len(data.jobseekers)
    assert len({j.pseudonym for j in data.jobseekers}) == len(data.jobseekers)
    assert Counter(j.skill_level for j in data.jobseekers).keys() == set(vocab.SKILL_LEVELS)


def test_jobseekers_follow_the_danish_rules(default_data: DemoData) -> None:
    data = default_data
    today = data.today
    groups = Counter(j.current_target_group for j in data.jobseekers)
    assert groups.most_common(1)[0][0] is TargetGroup.DAGPENGE
    for group in (
        TargetGroup.KONTANTHJAELP_JOBPARAT,
        TargetGroup.KONTANTHJAELP_AKTIVITETSPARAT,
        TargetGroup.SYGEDAGPENGE,
        TargetGroup.INTEGRATION,
    ):
        assert groups[group] > 0, group
    a_kasser = {o.key for o in data.organisations if o.kind is OrgKind.A_KASSE}
    jobcentre_of = {
        o.municipality_code: o.key for o in data.organisations if o.kind is OrgKind.JOBCENTRE
    }
    for person in data.jobseekers:
        weeks = (today - person.unemployment_start).days / 7
        assert 1 <= weeks <= 104
        assert 10 <= person.max_commute_km <= 60
        assert person.postal_code in {pc for pc, _ in _muni(person.municipality_code).postal_codes}
        group = person.current_target_group
        if group is TargetGroup.DAGPENGE:
            assert person.a_kasse_key in a_kasser
        periods = person.responsibilities
        assert periods[0].valid_from == person.unemployment_start
        assert periods[-1].valid_to is None
        current = periods[-1].org_key
        if group is TargetGroup.DAGPENGE and not person.chose_jobcentre:
            # 2024+ rule: the a-kasse owns months 1-3, the jobcentre takes over after that.
            handover = add_months(person.unemployment_start, 3)
            assert periods[0].org_key == person.a_kasse_key
            expected = (
                person.a_kasse_key if today < handover else jobcentre_of[person.municipality_code]
            )
            assert current == expected
        else:
            assert current == jobcentre_of[person.municipality_code]
        if group is TargetGroup.INTEGRATION:
            assert person.residence_years is not None and person.residence_years <= 10
    share_switch = sum(j.willing_to_switch_industry for j in data.jobseekers) / len(data.jobseekers)
    assert 0.6 < share_switch < 0.95


def test_cvs_are_complete_and_consistent(default_data: DemoData) -> None:
    data = default_data
    by_isco = {o.isco_code for o in vocab.OCCUPATIONS}
    switchers = 0
    for person in data.jobseekers:
        cv = person.cv
        assert cv.headline and len(cv.headline) <= 200
        assert 2 <= len(SENTENCE_END.findall(cv.summary)) <= 4, cv.summary
        assert not PLACEHOLDER.search(cv.summary + cv.headline), cv.summary
        assert 1 <= len(cv.experiences) <= 4
        for exp in cv.experiences:
            assert exp.isco_code in by_isco
            assert exp.end_year is None or exp.start_year <= exp.end_year <= data.today.year
            assert not PLACEHOLDER.search(exp.description)
        assert 4 <= len(cv.skills) <= 10
        assert len({s.lower() for s in cv.skills}) == len(cv.skills)
        assert any(lang.level == "Modersmål" for lang in cv.languages)
        assert len({lang.language for lang in cv.languages}) == len(cv.languages)
        assert 1 <= len(cv.desired_occupations) <= 3
        assert cv.desired_occupations[0].isco_code == person.main_isco_code
        if len({d.industry_key for d in cv.desired_occupations}) > 1:
            switchers += 1
        assert cv.educations
        if person.skill_level == "akademiker":
            assert person.education_level.value == "lvu"
    assert switchers / len(data.jobseekers) > 0.3  # brancheskift is common
    english = sum(j.cv.language == "en" for j in data.jobseekers) / len(data.jobseekers)
    assert 0.05 <= english <= 0.2
    danish_mother_tongue = sum(
        any(lang.language == "Dansk" and lang.level == "Modersmål" for lang in j.cv.languages)
        for j in data.jobseekers
    )
    assert 0.6 < danish_mother_tongue / len(data.jobseekers) < 0.9


def test_cpr_numbers_match_the_birth_dates(default_data: DemoData) -> None:
    for person in default_data.jobseekers:
        assert re.fullmatch(r"\d{10}", person.cpr)
        assert cpr_birth_date(person.cpr) == person.birth_date


def test_vacancies_and_company_places(default_data: DemoData) -> None:
    data = default_data
    orgs = {o.key: o for o in data.organisations}
    kinds = Counter(v.kind for v in data.vacancies)
    ordinary_share = kinds[VacancyKind.ORDINARY] / len(data.vacancies)
    assert 0.6 < ordinary_share < 0.8
    assert set(kinds) == set(VacancyKind)
    limits = {
        VacancyKind.VIRKSOMHEDSPRAKTIK: 13,
        VacancyKind.LOENTILSKUD_PRIVATE: 26,
        VacancyKind.LOENTILSKUD_PUBLIC: 17,
        VacancyKind.VOKSENLAERLING: 156,
        VacancyKind.IGU: 104,
    }
    danish_ads = [v for v in data.vacancies if v.language == "da"]
    for v in data.vacancies:
        employer = orgs[v.employer_key]
        assert employer.kind is OrgKind.EMPLOYER
        unit = next(p for p in employer.p_numbers if p.pnr == v.pnr)
        assert v.postal_code == unit.postal_code
        assert len(v.title) <= 100 and len(v.description) <= 5000
        assert not PLACEHOLDER.search(v.title + v.description + v.requirements), v.description
        assert 3 <= len(SENTENCE_END.findall(v.description)) <= 6, v.description
        assert 0 < v.weekly_hours <= 80 and v.positions >= 1
        if v.kind is VacancyKind.ORDINARY:
            assert v.duration_weeks is None and v.approval_status.value == "not_required"
        else:
            assert v.approval_status.value != "not_required"
            assert 1 <= v.duration_weeks <= limits[v.kind]
            assert v.ordinary_staff_fte and v.purpose and v.employee_rep_name
            assert orgs[v.owner_key].kind is OrgKind.JOBCENTRE
        if v.kind is VacancyKind.LOENTILSKUD_PUBLIC:
            assert employer.is_public
        if v.kind is VacancyKind.LOENTILSKUD_PRIVATE:
            assert not employer.is_public
        if v.status.value == "open":
            assert v.deadline is not None and v.deadline >= data.today
    places = [v for v in data.vacancies if v.kind is not VacancyKind.ORDINARY]
    approved = Counter(v.approval_status.value for v in places)
    assert approved["approved"] > len(places) / 2 and approved["pending"] > 0
    statuses = Counter(v.status.value for v in data.vacancies)
    assert statuses["open"] > len(data.vacancies) / 2
    assert {"draft", "paused", "filled", "closed"} <= set(statuses)
    # Danish text sanity: most Danish ads contain æ, ø or å; some ads are in English.
    with_letters = sum(bool(DANISH_LETTERS.search(v.description)) for v in danish_ads)
    assert with_letters / len(danish_ads) > 0.6
    assert 0.03 <= (len(data.vacancies) - len(danish_ads)) / len(data.vacancies) <= 0.2


def test_demo_logins_exist_with_sensible_passwords(default_data: DemoData) -> None:
    users = {u.email: u for u in default_data.users}
    orgs = {o.key: o for o in default_data.organisations}
    assert default_data.logins == DEMO_LOGINS
    for email, password, description in DEMO_LOGINS:
        assert len(password) >= 10 and description
        assert users[email].password == password
    # Every organisation has an admin; every role fits the organisation's kind.
    admins = {
        key for u in default_data.users for key, role in u.memberships if role.value == "admin"
    }
    assert admins == set(orgs)
    from matching.models import ROLES_BY_ORG_KIND

    for user in default_data.users:
        for key, role in user.memberships:
            assert role in ROLES_BY_ORG_KIND[orgs[key].kind], (user.email, role)


def test_shared_data_enriches_titles_and_skills(shared_data: Path) -> None:
    plain = generate(3, 300, today=TODAY)
    rich = generate(3, 300, today=TODAY, shared_data_dir=shared_data)
    assert rich == generate(3, 300, today=TODAY, shared_data_dir=shared_data)
    assert all(v.esco_uri is None for v in plain.vacancies)
    with_uri = [v for v in rich.vacancies if v.esco_uri]
    assert len(with_uri) >= 20
    assert all(v.esco_uri.startswith("http://data.europa.eu/esco/occupation/") for v in with_uri)
    own_skills = {s for occ in vocab.OCCUPATIONS for s in occ.skills} | set(vocab.SOFT_SKILLS_DA)
    phrases = set()
    for path in (shared_data / "kompetencer_da").glob("*.tsv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            phrases.add(" ".join(line.partition("\t")[0].split()))
    extra = {s for j in rich.jobseekers for s in j.cv.skills} - own_skills
    assert len(extra) >= 20 and extra <= phrases
    assert {s for j in plain.jobseekers for s in j.cv.skills} <= own_skills


# ---------------------------------------------------------------------------------------------
# Seeder (database)
# ---------------------------------------------------------------------------------------------


def _muni(code: int) -> vocab.Municipality:
    return next(m for m in vocab.MUNICIPALITIES if m.code == code)


def _count(session: Session, model: type) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_seed_small_size_and_read_back(session: Session, no_shared_data: Settings) -> None:
    report = seed_demo(session, no_shared_data, seed=5, size=200, today=TODAY)
    data = generate(5, 200, today=TODAY)
    assert report.counts["jobseekers"] == _count(session, Jobseeker) == 200
    assert report.counts["cvs"] == _count(session, CV) == 200
    assert report.counts["vacancies"] == _count(session, Vacancy) == len(data.vacancies) >= 500
    assert _count(session, Organisation) == len(data.organisations)
    assert _count(session, PNumber) == sum(len(o.p_numbers) for o in data.organisations)
    assert _count(session, User) == len(data.users)
    assert _count(session, Membership) == sum(len(u.memberships) for u in data.users)
    assert report.counts["cv_skills"] == sum(len(j.cv.skills) for j in data.jobseekers)
    assert report.logins == DEMO_LOGINS

    # A dagpenge member in month 1-3 is the a-kasse's; the responsible org is persisted.
    recent = next(
        j
        for j in data.jobseekers
        if j.current_target_group is TargetGroup.DAGPENGE
        and not j.chose_jobcentre
        and add_months(j.unemployment_start, 3) > TODAY
    )
    stored = session.execute(select(Jobseeker).filter_by(pseudonym=recent.pseudonym)).scalar_one()
    period = stored.responsible_on(TODAY)
    assert period is not None and period.organisation.kind is OrgKind.A_KASSE
    assert stored.a_kasse is not None and stored.a_kasse.id == period.organisation_id
    assert stored.target_group_on(TODAY) is TargetGroup.DAGPENGE
    assert [s.name for s in stored.cv.skills] == list(recent.cv.skills)

    place = session.execute(
        select(Vacancy).where(Vacancy.kind != VacancyKind.ORDINARY).limit(1)
    ).scalar_one()
    assert place.p_number is not None and place.p_number.organisation_id == place.employer_id


def test_cpr_round_trip_through_the_database(session: Session, no_shared_data: Settings) -> None:
    seed_demo(session, no_shared_data, seed=2, size=60, today=TODAY)
    people = session.execute(select(Jobseeker)).scalars().all()
    assert len(people) == 60
    key = no_shared_data.cpr_key
    for person in people:
        assert person.cpr_encrypted
        cpr = decrypt_cpr(key, person.cpr_encrypted)
        assert cpr.encode() not in person.cpr_encrypted  # encrypted, not plain
        assert cpr_birth_date(cpr) == person.birth_date
        assert person.cpr_lookup == cpr_lookup_hash(key, cpr)


def test_demo_logins_verify_against_stored_hashes(
    session: Session, no_shared_data: Settings
) -> None:
    seed_demo(session, no_shared_data, seed=1, size=20, today=TODAY)
    for email, password, _description in DEMO_LOGINS:
        user = session.execute(select(User).filter_by(email=email)).scalar_one()
        assert verify_password(user.password_hash, password), email
        assert not verify_password(user.password_hash, password + "x")
        assert user.memberships
    # Passwords are hashed once per distinct password, not once per user.
    assert _count(session, User) > 100
    distinct = session.execute(select(func.count(func.distinct(User.password_hash)))).scalar_one()
    assert distinct == len({p for _, p, _ in DEMO_LOGINS})


def test_refuses_to_seed_twice_and_replace_keeps_audit_rows(
    session: Session, no_shared_data: Settings
) -> None:
    seed_demo(session, no_shared_data, seed=1, size=30, today=TODAY)
    organisations = _count(session, Organisation)
    with pytest.raises(ValidationError, match="allerede organisationer"):
        seed_demo(session, no_shared_data, seed=1, size=30, today=TODAY)
    assert _count(session, Organisation) == organisations

    report = seed_demo(session, no_shared_data, seed=2, size=40, today=TODAY, replace=True)
    assert report.replaced and report.deleted["jobseekers"] == 30
    assert _count(session, Jobseeker) == 40
    assert _count(session, Organisation) == report.counts["organisations"]

    session.add(
        AuditEntry(action=AuditAction.CREATE, object_type="demo", purpose="test", details={})
    )
    session.flush()
    with pytest.raises(ValidationError, match="audit_log"):
        seed_demo(session, no_shared_data, seed=3, size=30, today=TODAY, replace=True)
    assert _count(session, AuditEntry) == 1
    assert _count(session, Jobseeker) == 40


def test_jobmesse_fyn_has_an_upcoming_fair_with_open_vacancies(default_data: DemoData) -> None:
    data = default_data
    (fair,) = data.fairs
    orgs = {o.key: o for o in data.organisations}
    assert orgs[fair.organiser_key].kind is OrgKind.JOB_FAIR_ORGANISER
    assert fair.held_on > data.today and fair.municipality_codes == (461,)
    statuses = [status for _, status, _ in fair.employers]
    assert statuses == ["accepted", "accepted", "accepted", "invited", "declined"]
    assert fair.employers[0][0] == "emp-fynsk-lager-logistik"
    assert all(orgs[key].kind is OrgKind.EMPLOYER for key, _, _ in fair.employers)
    accepted = {key for key, status, _ in fair.employers if status == "accepted"}
    attached = [data.vacancies[i] for i in fair.vacancy_indexes]
    assert len(attached) >= 3
    assert all(v.employer_key in accepted and v.status.value == "open" for v in attached)
    assert generate(1, today=TODAY).fairs == data.fairs  # deterministic


def test_the_demo_fair_is_seeded(session: Session, no_shared_data: Settings) -> None:
    from matching.models import JobFair, JobFairEmployer, JobFairVacancy

    report = seed_demo(session, no_shared_data, seed=4, size=30, today=TODAY)
    fair = session.execute(select(JobFair)).scalar_one()
    assert fair.organiser.name == "Jobmesse Fyn" and fair.held_on > TODAY
    assert fair.target_groups == ["dagpenge", "kontanthjaelp_jobparat"]
    assert report.counts["job_fair_employers"] == _count(session, JobFairEmployer) == 5
    vacancies = session.execute(select(JobFairVacancy)).scalars().all()
    assert vacancies and report.counts["job_fair_vacancies"] == len(vacancies)
