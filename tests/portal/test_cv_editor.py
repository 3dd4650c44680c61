"""The CV editor, uploading a CV document and reviewing its draft field by field."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from rq.job import Job as RQJob
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core.settings import Settings
from matching.models import CV, AuditAction, CVDraft, MatchRun, OrgKind, Role, utcnow
from matching.people.documents import MAX_BYTES
from portal.cv_editor import TOO_LARGE_MESSAGE
from tests.factories import PASSWORD
from tests.factories.vacancies import TINY_TAXONOMY, WAREHOUSE
from tests.support.cv_documents import docx, zip_bomb_docx
from tests.support.portal import csrf_token, html, make_app
from workers.queues import Job


@pytest.fixture
def counsellor(make, login):  # noqa: ANN001, ANN201
    org = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    user = make.user((org, Role.COUNSELLOR), name="Rådgiver Rasmus")
    login(user)
    return org


@pytest.fixture
def taxonomy(session: Session) -> None:
    from matching.ranking.taxonomy.importer import import_taxonomy

    import_taxonomy(session, TINY_TAXONOMY)
    session.commit()


EDITOR = {
    "headline": "Lagermedarbejder med truckcertifikat",
    "summary": "Stabil.",
    "language": "da",
    "searchable": "y",
    "experiences-0-title": "Lagermedarbejder",
    "experiences-0-esco_uri": WAREHOUSE,
    "experiences-0-employer_name": "Fynsk Logistik",
    "experiences-0-start_year": "2015",
    "experiences-0-end_year": "2023",
    "experiences-1-title": "",  # an empty row is no row
    "educations-0-title": "Lager- og terminaluddannelsen",
    "educations-0-completed_year": "2014",
    "educations-0-level": "erhvervsfaglig",
    "skills": "Truck\nPlukning\n",
    "languages-0-language": "Engelsk",
    "languages-0-level": "Godt",
    "driving_licences": ["B", "C"],
    "desired_occupations-0-title": "Chauffør",
    "handling": "save",
}


def cv_of(session: Session, person) -> CV:  # noqa: ANN001
    session.expire_all()
    return session.scalars(select(CV).where(CV.jobseeker_id == person.id)).one()


def drafts_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CVDraft))


def docx_bytes() -> bytes:
    return docx(
        [
            "Mette Madsen",
            "Erfaren svejser",
            "# Erhvervserfaring",
            "2016 - 2024 Svejser, Odense Stål A/S",
            "# Uddannelse",
            "2015 Smed, Syddansk Erhvervsskole",
            "# Kompetencer",
            "MIG/MAG-svejsning",
            "Truckcertifikat",
            "# Sprog",
            "Dansk: modersmål",
        ]
    )


def post_file(client: FlaskClient, person, data: bytes, name: str):  # noqa: ANN001, ANN201
    return client.post(
        f"/ledige/{person.id}/cv/upload",
        data={"fil": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


# --- the editor -------------------------------------------------------------------------------


def test_editor_round_trip(
    client: FlaskClient, session: Session, make, counsellor, taxonomy, audit_rows
) -> None:
    person = make.jobseeker(counsellor)
    page = html(client.get(f"/ledige/{person.id}/cv"))
    assert 'name="experiences-1-title"' in page and 'name="experiences-2-title"' not in page
    response = client.post(f"/ledige/{person.id}/cv", data=EDITOR)
    assert response.status_code == 302, html(response)
    cv = cv_of(session, person)
    assert cv.headline == EDITOR["headline"]
    assert [(e.title, e.isco_code, e.esco_uri) for e in cv.experiences] == [
        ("Lagermedarbejder", "9333", WAREHOUSE)
    ]
    assert [e.level.value for e in cv.educations] == ["erhvervsfaglig"]
    assert [s.name for s in cv.skills] == ["Truck", "Plukning"]
    assert sorted(d.category for d in cv.driving_licences) == ["B", "C"]
    assert [(x.language, x.level) for x in cv.languages] == [("Engelsk", "Godt")]
    # Shown again as stored, with two empty rows under each list.
    page = html(client.get(f"/ledige/{person.id}/cv"))
    assert 'value="Fynsk Logistik"' in page and 'name="experiences-2-title"' in page
    chosen = re.search(r'<input checked[^>]*name="experiences-0-esco_uri"[^>]*>', page)
    assert chosen and f'value="{WAREHOUSE}"' in chosen.group(0), page[page.find("esco_uri") :][
        :1500
    ]
    # Remove the job, change nothing else.
    response = client.post(f"/ledige/{person.id}/cv", data={**EDITOR, "experiences-0-remove": "y"})
    assert response.status_code == 302
    assert cv_of(session, person).experiences == []
    updates = [e for e in audit_rows(AuditAction.UPDATE) if e.object_type == "cv"]
    assert updates[-1].details["sections"] == ["experiences"]


def test_validation_errors_keep_every_input(
    client: FlaskClient, session: Session, make, counsellor
) -> None:
    person = make.jobseeker(counsellor, with_cv=True)
    before = cv_of(session, person).headline
    data = {
        **EDITOR,
        "headline": "",
        "experiences-0-start_year": "tyve",
        "experiences-0-end_year": "2010",
        "summary": "Min profil bliver stående",
    }
    response = client.post(f"/ledige/{person.id}/cv", data=data)
    page = html(response)
    assert response.status_code == 400
    assert "Der er et problem" in page
    assert 'href="#headline"' in page and 'href="#experiences-0-start_year"' in page
    assert "Skriv året med fire cifre, fx 2019." in page
    assert "Skriv hvilket år" not in page  # "not a year" is not hidden by "write the year"
    assert 'value="tyve"' in page and "Min profil bliver stående" in page
    assert 'value="Fynsk Logistik"' in page and re.search(
        r"<textarea[^>]*skills[^>]*>\s*Truck\nPlukning<", page
    )
    assert cv_of(session, person).headline == before


def test_end_before_start_is_shown_on_the_row_as_typed(
    client: FlaskClient, session: Session, make, counsellor
) -> None:
    person = make.jobseeker(counsellor)
    data = {**EDITOR, "experiences-0-title": "", "experiences-0-start_year": ""}
    data |= {"experiences-1-title": "Truckfører", "experiences-1-start_year": "2020"}
    data |= {"experiences-1-end_year": "2019"}
    page = html(client.post(f"/ledige/{person.id}/cv", data=data))
    assert 'href="#experiences-1-end_year"' in page  # the second row of the form, not the first


def test_saving_enqueues_the_persons_match_list(
    settings: Settings, session: Session, make, redis_url: str, redis_conn
) -> None:
    org = make.organisation(OrgKind.JOBCENTRE)
    user = make.user((org, Role.COUNSELLOR))
    person = make.jobseeker(org)
    client = make_app(settings.with_overrides(redis_url=redis_url), session, csrf=False)
    client = client.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    data = {**EDITOR, "experiences-0-esco_uri": ""}
    assert client.post(f"/ledige/{person.id}/cv", data=data).status_code == 302
    job = RQJob.fetch(f"match-jobseeker-{person.id}", connection=redis_conn)
    assert job.func_name == Job.MATCH_JOBSEEKER.path and job.args == (person.id,)
    assert job.origin == "match"
    job.delete()
    # Nothing changed: nothing enqueued.
    assert client.post(f"/ledige/{person.id}/cv", data=data).status_code == 302
    assert redis_conn.exists(f"rq:job:match-jobseeker-{person.id}") == 0


def test_the_persons_page_tells_when_the_lists_were_computed(
    client: FlaskClient, session: Session, make, counsellor
) -> None:
    person = make.jobseeker(counsellor, with_cv=True)
    page = html(client.get(f"/ledige/{person.id}"))
    assert "Forslagene er ikke beregnet endnu." in page
    assert f'href="/ledige/{person.id}/cv"' in page and "Upload cv-dokument" in page
    session.add(
        MatchRun(
            subject_kind="jobseeker",
            subject_id=person.id,
            model_version="m",
            rules_version="r",
            computed_at=utcnow(),
        )
    )
    session.commit()
    assert "blev beregnet" in html(client.get(f"/ledige/{person.id}"))
    client.post(f"/ledige/{person.id}/cv", data={**EDITOR, "experiences-0-esco_uri": ""})
    assert "opdateres" in html(client.get(f"/ledige/{person.id}"))


# --- upload and review ------------------------------------------------------------------------


def test_docx_upload_review_and_accept(
    settings: Settings, session: Session, make, redis_url: str, redis_conn, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE)
    user = make.user((org, Role.COUNSELLOR))
    person = make.jobseeker(org, with_cv=True)
    client = make_app(settings.with_overrides(redis_url=redis_url), session, csrf=False)
    client = client.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = post_file(client, person, docx_bytes(), "mette.docx")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/ledige/{person.id}/cv/kladde"
    assert drafts_count(session) == 1
    page = html(client.get(f"/ledige/{person.id}/cv/kladde"))
    assert "Odense Stål" in page and "Gem valgte felter" in page
    assert 'name="experiences-0-use" value="ja" checked' in page
    assert 'id="headline-use" name="headline-use" value="ja">' in page  # the CV has one
    form = {
        "handling": "accept",
        "experiences-0-use": "ja",
        "experiences-0-title": "Svejser",
        "experiences-0-employer_name": "Odense Stål A/S",
        "experiences-0-start_year": "2016",
        "experiences-0-end_year": "2024",
        "skills-0-use": "ja",
        "skills-0": "MIG/MAG-svejsning",
    }
    response = client.post(f"/ledige/{person.id}/cv/kladde", data=form)
    assert response.status_code == 302, html(response)
    cv = cv_of(session, person)
    assert [e.title for e in cv.experiences] == ["Lagermedarbejder", "Svejser"]
    assert "MIG/MAG-svejsning" in [s.name for s in cv.skills]
    assert cv.headline == "Erfaren lagermedarbejder"  # not chosen
    assert drafts_count(session) == 0
    job = RQJob.fetch(f"match-jobseeker-{person.id}", connection=redis_conn)
    assert job.func_name == Job.MATCH_JOBSEEKER.path
    assert any(e.object_type == "cv_draft" for e in audit_rows(AuditAction.VIEW))


def test_review_errors_keep_the_draft_and_the_typing(
    client: FlaskClient, session: Session, make, counsellor
) -> None:
    person = make.jobseeker(counsellor)
    post_file(client, person, docx_bytes(), "cv.docx")
    form = {
        "handling": "accept",
        "experiences-0-use": "ja",
        "experiences-0-title": "Svejser",
        "experiences-0-start_year": "sidste år",
    }
    response = client.post(f"/ledige/{person.id}/cv/kladde", data=form)
    page = html(response)
    assert response.status_code == 400 and 'href="#experiences-0-start_year"' in page
    assert 'value="sidste år"' in page
    assert drafts_count(session) == 1
    nothing = client.post(f"/ledige/{person.id}/cv/kladde", data={"handling": "accept"})
    assert nothing.status_code == 400 and "Vælg mindst ét felt" in html(nothing)
    # No headline on a new CV: the domain's message is shown and nothing is saved.
    response = client.post(
        f"/ledige/{person.id}/cv/kladde",
        data={**form, "experiences-0-start_year": "2016"},
    )
    assert response.status_code == 400 and "overskrift" in html(response)
    assert session.scalar(select(CV).where(CV.jobseeker_id == person.id)) is None


def test_discard_deletes_the_draft(client: FlaskClient, session: Session, make, counsellor) -> None:
    person = make.jobseeker(counsellor)
    post_file(client, person, docx_bytes(), "cv.docx")
    response = client.post(f"/ledige/{person.id}/cv/kladde", data={"handling": "discard"})
    assert response.status_code == 302 and drafts_count(session) == 0
    assert client.get(f"/ledige/{person.id}/cv/kladde").status_code == 302  # nothing to review


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (zip_bomb_docx(), "cv.docx"),
        (b"MZ\x90\x00" + bytes(2000), "cv.pdf"),
        (b"\x89PNG\r\n\x1a\n" + bytes(500), "cv.png"),
        (b"", "cv.txt"),
    ],
)
def test_hostile_uploads_get_one_danish_error_and_store_nothing(
    client: FlaskClient, session: Session, make, counsellor, data: bytes, name: str
) -> None:
    person = make.jobseeker(counsellor)
    response = post_file(client, person, data, name)
    page = html(response)
    assert response.status_code == 400
    assert "Der er et problem" in page and 'aria-invalid="true"' in page
    assert drafts_count(session) == 0


def test_a_file_over_the_limit_is_refused_before_it_is_read(
    client: FlaskClient, session: Session, make, counsellor
) -> None:
    person = make.jobseeker(counsellor)
    response = post_file(client, person, b"a" * (MAX_BYTES + 100 * 1024), "cv.txt")
    assert response.status_code == 413 and TOO_LARGE_MESSAGE in html(response)
    response = post_file(client, person, b"a" * (MAX_BYTES + 1), "cv.txt")  # inside the envelope
    assert response.status_code == 413 and TOO_LARGE_MESSAGE in html(response)
    assert drafts_count(session) == 0


def test_no_file_chosen(client: FlaskClient, make, counsellor) -> None:
    person = make.jobseeker(counsellor)
    response = client.post(f"/ledige/{person.id}/cv/upload", data={})
    assert response.status_code == 400 and "Vælg den fil" in html(response)


# --- who may ----------------------------------------------------------------------------------


def test_another_organisations_person_is_not_found_and_audited(
    client: FlaskClient, session: Session, make, login, audit_rows
) -> None:
    owner = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
    person = make.jobseeker(owner, with_cv=True)
    intruder = make.organisation(OrgKind.A_KASSE, "Anden a-kasse")
    login(make.user((intruder, Role.COUNSELLOR)))
    assert client.get(f"/ledige/{person.id}/cv").status_code == 404
    assert client.post(f"/ledige/{person.id}/cv", data=EDITOR).status_code == 404
    assert client.get(f"/ledige/{person.id}/cv/upload").status_code == 404
    assert post_file(client, person, docx_bytes(), "cv.docx").status_code == 404
    assert client.get(f"/ledige/{person.id}/cv/kladde").status_code == 404
    assert cv_of(session, person).headline == "Erfaren lagermedarbejder"
    assert drafts_count(session) == 0
    denied = [e for e in audit_rows(AuditAction.ACCESS_DENIED) if e.object_type == "jobseeker"]
    assert [e.jobseeker_id for e in denied] == [person.id] * 5


def test_other_roles_are_forbidden(client: FlaskClient, make, login, audit_rows) -> None:
    org = make.organisation(OrgKind.JOBCENTRE)
    person = make.jobseeker(org)
    login(make.user((org, Role.APPROVER)))
    assert client.get(f"/ledige/{person.id}/cv").status_code == 403
    assert client.post(f"/ledige/{person.id}/cv/kladde", data={}).status_code == 403
    assert len(audit_rows(AuditAction.ACCESS_DENIED)) == 2


def test_csrf_protects_the_editor_and_the_upload(
    csrf_client: FlaskClient, session: Session, make
) -> None:
    org = make.organisation(OrgKind.JOBCENTRE)
    user = make.user((org, Role.COUNSELLOR))
    person = make.jobseeker(org)
    token = csrf_token(html(csrf_client.get("/login")))
    csrf_client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert csrf_client.post(f"/ledige/{person.id}/cv", data=EDITOR).status_code == 400
    assert post_file(csrf_client, person, docx_bytes(), "cv.docx").status_code == 400
    assert session.scalar(select(CV).where(CV.jobseeker_id == person.id)) is None
    assert drafts_count(session) == 0
    token = csrf_token(html(csrf_client.get(f"/ledige/{person.id}/cv")))
    data = {**EDITOR, "experiences-0-esco_uri": "", "csrf_token": token}
    assert csrf_client.post(f"/ledige/{person.id}/cv", data=data).status_code == 302
    token = csrf_token(html(csrf_client.get(f"/ledige/{person.id}/cv/upload")))
    response = csrf_client.post(
        f"/ledige/{person.id}/cv/upload",
        data={"fil": (io.BytesIO(docx_bytes()), "cv.docx"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and drafts_count(session) == 1
    # Too large: refused before the CSRF check reads the body.
    response = csrf_client.post(
        f"/ledige/{person.id}/cv/upload",
        data={"fil": (io.BytesIO(b"a" * (MAX_BYTES + 100 * 1024)), "cv.txt"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and TOO_LARGE_MESSAGE in html(response)
