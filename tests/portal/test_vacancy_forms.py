"""Employers' vacancy forms, lifecycle buttons and the live occupation suggestions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from rq.job import Job as RQJob
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.settings import Settings
from matching.models import (
    ApprovalStatus,
    AuditAction,
    Occupation,
    OrgKind,
    PNumber,
    Referral,
    ReferralState,
    Role,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from portal.match_queue import MATCH_LATER_MESSAGE
from tests.factories import PASSWORD
from tests.factories.vacancies import PLACE, TINY_TAXONOMY, VALID, WAREHOUSE
from tests.support.portal import csrf_token, html, make_app
from workers.queues import Job

TODAY = today_dk()


@pytest.fixture
def employer(make, login):  # noqa: ANN001, ANN201
    org = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    user = make.user((org, Role.EMPLOYER), name="Erik Arbejdsgiver")
    login(user)
    return org


@pytest.fixture
def taxonomy(session: Session) -> None:
    from matching.ranking.taxonomy.importer import import_taxonomy

    import_taxonomy(session, TINY_TAXONOMY)
    session.commit()


def only_vacancy(session: Session) -> Vacancy:
    return session.scalars(select(Vacancy)).one()


# --- creating and editing ---------------------------------------------------------------------


def test_employer_chooses_a_kind_then_creates_and_publishes(
    client: FlaskClient, session: Session, employer, audit_rows
) -> None:
    listing = html(client.get("/stillinger/"))
    assert 'href="/stillinger/ny"' in listing and "Opret stilling" in listing
    chooser = html(client.get("/stillinger/ny"))
    assert "<legend" in chooser and "Virksomhedspraktik" in chooser
    missing = client.get("/stillinger/ny?type=")
    assert missing.status_code == 400 and "Vælg hvad du vil oprette." in html(missing)
    form = html(client.get("/stillinger/ny?type=ordinary"))
    assert 'name="title"' in form and "Find stillingsbetegnelse" in form

    response = client.post("/stillinger/ny?type=ordinary", data={**VALID, "handling": "publish"})
    vacancy = only_vacancy(session)
    assert response.headers["Location"] == f"/stillinger/{vacancy.id}"
    assert vacancy.status is VacancyStatus.OPEN and vacancy.published_at is not None
    assert vacancy.positions == 2 and vacancy.working_time.value == "nat"
    assert vacancy.description == VALID["description"]
    assert [
        (e.action, e.details.get("event"))
        for e in audit_rows()
        if e.object_type == "vacancy" and e.action in (AuditAction.CREATE, AuditAction.UPDATE)
    ] == [(AuditAction.CREATE, None), (AuditAction.UPDATE, "publish")]
    detail = html(client.get(f"/stillinger/{vacancy.id}"))
    assert "Stillingen er offentliggjort." in detail
    assert "Sæt på pause" in detail and "Luk" in detail and "Offentliggør" not in detail


def test_errors_are_shown_by_the_fields_and_nothing_typed_is_lost(
    client: FlaskClient, session: Session, employer
) -> None:
    typed = {
        **VALID,
        "title": "x" * 101,
        "description": "Min lange beskrivelse <b>med tegn</b>",
        "postal_code": "0001",
        "weekly_hours": "90",
        "start_date": (TODAY - timedelta(days=1)).isoformat(),
        "contact_email": "job@",
        "handling": "save",
    }
    response = client.post("/stillinger/ny?type=ordinary", data=typed)
    page = html(response)
    assert response.status_code == 400
    assert session.scalar(select(Vacancy.id)) is None
    assert 'id="error-summary"' in page and "Der er et problem" in page
    for field, message in [
        ("title", "Titlen må højst være 100 tegn (du har skrevet 101)."),
        ("postal_code", "Postnummeret 0001 findes ikke i Danmark."),
        ("weekly_hours", "Timer pr. uge skal være mellem 1 og 80."),
        ("start_date", "Tiltrædelsesdatoen må ikke ligge før i dag."),
        ("contact_email", "Skriv en gyldig e-mail, fx navn@virksomhed.dk."),
    ]:
        assert f'<a href="#{field}">{message}</a>' in page
        assert re.search(rf'aria-invalid="true"[^>]*id="{field}"', page)
    assert 'value="' + "x" * 101 + '"' in page
    assert "Min lange beskrivelse &lt;b&gt;med tegn&lt;/b&gt;" in page
    assert 'value="0001"' in page and 'value="90"' in page and 'value="job@"' in page
    assert '<option selected value="nat">' in page


def test_unreadable_numbers_get_their_own_message(client: FlaskClient, employer) -> None:
    response = client.post(
        "/stillinger/ny?type=ordinary",
        data={**VALID, "weekly_hours": "fuldtid", "positions": "to", "deadline": "i morgen"},
    )
    page = html(response)
    assert response.status_code == 400
    assert "Skriv antal timer som et tal, fx 37." in page
    assert "Skriv antal stillinger som et helt tal." in page
    assert "Skriv datoen som dd.mm.åååå" in page
    assert 'value="fuldtid"' in page and 'value="i morgen"' in page


def test_company_place_is_submitted_with_the_rimelighedskrav_verdict(
    client: FlaskClient, session: Session, employer
) -> None:
    form = html(client.get("/stillinger/ny?type=virksomhedspraktik"))
    assert "Oplysninger til jobcentret" in form and "Gem og send til godkendelse" in form
    too_long = client.post(
        "/stillinger/ny?type=virksomhedspraktik",
        data={**PLACE, "duration_weeks": "14", "handling": "publish"},
    )
    assert too_long.status_code == 400
    assert "Praktikken varer 14 uger – højst 13 uger for" in html(too_long)
    assert "Vælg højst 13 uger." in html(too_long)
    no_statement = client.post(
        "/stillinger/ny?type=virksomhedspraktik",
        data={**PLACE, "employee_rep_statement": "nej", "handling": "publish"},
    )
    assert no_statement.status_code == 400 and "tillidsrepræsentanten" in html(no_statement)
    assert re.search(r'<input checked[^>]*value="nej"', html(no_statement))

    crowded = {**PLACE, "ordinary_staff_fte": "4", "current_subsidised_count": "1"}
    response = client.post(
        "/stillinger/ny?type=virksomhedspraktik", data={**crowded, "handling": "publish"}
    )
    place = only_vacancy(session)
    assert response.status_code == 302
    assert place.status is VacancyStatus.PENDING_APPROVAL
    assert place.approval_status is ApprovalStatus.PENDING
    page = html(client.get(f"/stillinger/{place.id}"))
    assert "Pladsen er sendt til godkendelse hos jobcentret." in page
    assert "kravet ikke opfyldt" in page and "Jobcentret ser en advarsel om det." in page
    assert "Pladsen afventer jobcentrets godkendelse." in page


def test_igu_needs_25_hours(client: FlaskClient, employer) -> None:
    response = client.post(
        "/stillinger/ny?type=igu", data={**PLACE, "weekly_hours": "20", "duration_weeks": "104"}
    )
    assert response.status_code == 400
    assert "IGU-praktik skal være mindst 25 timer/uge (pladsen har 20)." in html(response)


def test_edit_keeps_values_and_an_approved_place_goes_back_for_approval(
    client: FlaskClient, session: Session, make, employer
) -> None:
    place = make.vacancy(employer, kind=VacancyKind.VIRKSOMHEDSPRAKTIK, title="Praktik")
    for name, value in [
        ("ordinary_staff_fte", 12.5),
        ("current_subsidised_count", 0),
        ("employee_rep_statement", True),
        ("duration_weeks", 4),
        ("purpose", PLACE["purpose"]),
        ("start_date", TODAY + timedelta(days=30)),
    ]:
        setattr(place, name, value)
    session.commit()
    form = html(client.get(f"/stillinger/{place.id}/rediger"))
    assert 'value="12,5"' in form and PLACE["purpose"] in form
    assert "skal pladsen godkendes igen" in form

    data = {**PLACE, "kind": "virksomhedspraktik", "title": "Praktik på lager", "handling": "save"}
    data["start_date"] = place.start_date.isoformat()
    client.post(f"/stillinger/{place.id}/rediger", data=data)
    session.refresh(place)
    assert place.title == "Praktik på lager" and place.status is VacancyStatus.OPEN

    response = client.post(f"/stillinger/{place.id}/rediger", data={**data, "duration_weeks": "8"})
    assert response.status_code == 302
    session.refresh(place)
    assert place.status is VacancyStatus.PENDING_APPROVAL and place.duration_weeks == 8
    assert "skal godkendes igen" in html(client.get(f"/stillinger/{place.id}"))


def test_chosen_occupation_is_stored_from_the_taxonomy(
    client: FlaskClient, session: Session, employer, taxonomy
) -> None:
    client.post("/stillinger/ny?type=ordinary", data={**VALID, "esco_uri": WAREHOUSE})
    vacancy = only_vacancy(session)
    assert vacancy.esco_uri == WAREHOUSE and vacancy.isco_code == "9333"
    response = client.post(
        f"/stillinger/{vacancy.id}/rediger", data={**VALID, "esco_uri": "http://evil/1"}
    )
    assert response.status_code == 400 and "Den valgte stillingsbetegnelse findes ikke" in html(
        response
    )


def test_suggestions_without_javascript(client: FlaskClient, employer, taxonomy) -> None:
    response = client.post(
        "/stillinger/ny?type=ordinary",
        data={**VALID, "title": "lagermand", "handling": "suggest"},
    )
    page = html(response)
    assert response.status_code == 200
    fieldset = page[
        page.index('<fieldset id="esco_uri"') : page.index(
            "</fieldset>", page.index('<fieldset id="esco_uri"')
        )
    ]
    assert "<legend" in fieldset and "lagerarbejder (ISCO 9333)" in fieldset
    assert f'value="{WAREHOUSE}"' in fieldset and "Ingen af disse" in fieldset
    assert 'aria-live="polite"' in page and "forslag til stillingsbetegnelse" in page
    assert 'value="lagermand"' in page and VALID["description"].split("\n")[0] in page
    empty = client.post(
        "/stillinger/ny?type=ordinary", data={**VALID, "title": "", "handling": "suggest"}
    )
    assert empty.status_code == 400 and "Skriv en titel for at få forslag." in html(empty)


def test_p_number_of_another_employer_is_refused(
    client: FlaskClient, session: Session, make, employer
) -> None:
    other = make.organisation(OrgKind.EMPLOYER)
    mine = PNumber(organisation_id=employer.id, pnr="1000000001", name="Lager Odense")
    theirs = PNumber(organisation_id=other.id, pnr="1000000002", name="Konkurrentens lager")
    session.add_all([mine, theirs])
    session.commit()
    form = html(client.get("/stillinger/ny?type=ordinary"))
    assert "1000000001 – Lager Odense" in form and "Konkurrentens" not in form
    response = client.post(
        "/stillinger/ny?type=ordinary", data={**VALID, "p_number_id": str(theirs.id)}
    )
    assert response.status_code == 400
    assert "Vælg et af virksomhedens egne P-numre." in html(response)
    assert session.scalar(select(Vacancy.id)) is None


# --- lifecycle --------------------------------------------------------------------------------


def post_status(client: FlaskClient, vacancy: Vacancy, event_name: str, **extra: str):  # noqa: ANN201
    return client.post(f"/stillinger/{vacancy.id}/status", data={"event": event_name, **extra})


def test_lifecycle_buttons_follow_the_table(
    client: FlaskClient, session: Session, make, employer
) -> None:
    vacancy = make.vacancy(employer, status=VacancyStatus.DRAFT)
    vacancy.deadline = TODAY + timedelta(days=5)
    session.commit()
    assert "Offentliggør" in html(client.get(f"/stillinger/{vacancy.id}"))
    assert post_status(client, vacancy, "publish").status_code == 302
    assert post_status(client, vacancy, "pause").status_code == 302
    assert "Genoptag" in html(client.get(f"/stillinger/{vacancy.id}"))
    assert post_status(client, vacancy, "resume").status_code == 302

    confirm = post_status(client, vacancy, "close")
    assert confirm.status_code == 200 and "Vil du lukke" in html(confirm)
    session.refresh(vacancy)
    assert vacancy.status is VacancyStatus.OPEN  # not before the confirmation
    assert post_status(client, vacancy, "close", confirm="ja").status_code == 302
    session.refresh(vacancy)
    assert vacancy.status is VacancyStatus.CLOSED and vacancy.closed_at is not None

    refused = post_status(client, vacancy, "pause")
    assert refused.status_code == 400
    assert "»Sæt på pause« er ikke mulig, mens stillingen har status »Lukket«." in html(refused)
    assert post_status(client, vacancy, "explode").status_code == 400

    vacancy.deadline = TODAY - timedelta(days=1)
    session.commit()
    late = post_status(client, vacancy, "reopen")
    assert late.status_code == 400 and "Flyt ansøgningsfristen" in html(late)
    vacancy.deadline = TODAY + timedelta(days=3)
    session.commit()
    assert post_status(client, vacancy, "reopen").status_code == 302
    assert post_status(client, vacancy, "fill").status_code == 302
    session.refresh(vacancy)
    assert vacancy.status is VacancyStatus.FILLED


def test_employer_list_counts_referred_candidates_in_one_query(
    client: FlaskClient, session: Session, engine, make, employer, akasse_counsellor
) -> None:
    org, counsellor = akasse_counsellor

    def add_vacancies(n: int) -> list[Vacancy]:
        made = [make.vacancy(employer, title=f"Stilling {i}") for i in range(n)]
        for vacancy in made:
            for state in (ReferralState.SENT, ReferralState.INTERVIEW, ReferralState.PROPOSED):
                person = make.jobseeker(org)
                session.add(
                    Referral(
                        vacancy_id=vacancy.id,
                        jobseeker_id=person.id,
                        organisation_id=org.id,
                        created_by_id=counsellor.id,
                        state=state,
                    )
                )
        session.commit()
        return made

    def statements() -> int:
        seen: list[str] = []

        def count(*args) -> None:  # noqa: ANN002
            seen.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            page = html(client.get("/stillinger/"))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert "Henviste" in page and "Åben" in page
        assert re.search(r">2<span class=\"sr-only\"> henviste til Stilling 0", page)
        return len(seen)

    add_vacancies(2)
    few = statements()
    add_vacancies(4)
    assert statements() == few


# --- scoping ----------------------------------------------------------------------------------


def test_another_employer_gets_404_everywhere_and_it_is_audited(
    client: FlaskClient, session: Session, make, login, audit_rows
) -> None:
    owner = make.organisation(OrgKind.EMPLOYER, "Ejer ApS")
    vacancy = make.vacancy(owner, status=VacancyStatus.OPEN, title="Ejers stilling")
    intruder = make.organisation(OrgKind.EMPLOYER, "Indtrænger ApS")
    login(make.user((intruder, Role.EMPLOYER)))
    assert client.get(f"/stillinger/{vacancy.id}/rediger").status_code == 404
    assert client.post(f"/stillinger/{vacancy.id}/rediger", data=VALID).status_code == 404
    assert post_status(client, vacancy, "pause").status_code == 404
    assert client.get("/stillinger/999999/rediger").status_code == 404
    session.refresh(vacancy)
    assert vacancy.title == "Ejers stilling" and vacancy.status is VacancyStatus.OPEN
    denied = [e for e in audit_rows(AuditAction.ACCESS_DENIED) if e.object_type == "vacancy"]
    assert [e.object_id for e in denied] == [str(vacancy.id)] * 3 + ["999999"]
    assert [e.details["exists"] for e in denied] == [True, True, True, False]


def test_counsellor_cannot_create_edit_or_change_status(
    client: FlaskClient, make, login, akasse_counsellor
) -> None:
    _org, counsellor = akasse_counsellor
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER))
    login(counsellor)
    assert client.get("/stillinger/ny?type=ordinary").status_code == 403
    assert client.get(f"/stillinger/{vacancy.id}/rediger").status_code == 403
    assert client.post(f"/stillinger/{vacancy.id}/rediger", data=VALID).status_code == 403
    assert post_status(client, vacancy, "close", confirm="ja").status_code == 403
    page = html(client.get(f"/stillinger/{vacancy.id}"))
    assert "Rediger" not in page and "/status" not in page


def test_csrf_is_enforced_on_the_new_forms(
    csrf_client: FlaskClient, session: Session, make
) -> None:
    org = make.organisation(OrgKind.EMPLOYER)
    user = make.user((org, Role.EMPLOYER))
    token = csrf_token(html(csrf_client.get("/login")))
    csrf_client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )

    rejected = csrf_client.post("/stillinger/ny?type=ordinary", data=VALID)
    assert rejected.status_code == 400 and "sikkerhedsfelt" in html(rejected)
    assert session.scalar(select(Vacancy.id)) is None
    token = csrf_token(html(csrf_client.get("/stillinger/ny?type=ordinary")))
    accepted = csrf_client.post("/stillinger/ny?type=ordinary", data={**VALID, "csrf_token": token})
    assert accepted.status_code == 302
    vacancy = only_vacancy(session)
    assert post_status(csrf_client, vacancy, "publish").status_code == 400
    token = csrf_token(html(csrf_client.get(f"/stillinger/{vacancy.id}")))
    assert post_status(csrf_client, vacancy, "publish", csrf_token=token).status_code == 302


# --- the match job ----------------------------------------------------------------------------


def client_with_redis(settings: Settings, session: Session, url: str, login_user) -> FlaskClient:  # noqa: ANN001
    client = make_app(settings.with_overrides(redis_url=url), session, csrf=False).test_client()
    response = client.post("/login", data={"email": login_user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_save_publish_and_reopen_enqueue_the_match_job(
    settings: Settings, session: Session, make, redis_url: str, redis_conn
) -> None:
    org = make.organisation(OrgKind.EMPLOYER)
    client = client_with_redis(settings, session, redis_url, make.user((org, Role.EMPLOYER)))
    client.post("/stillinger/ny?type=ordinary", data={**VALID, "handling": "save"})
    vacancy = only_vacancy(session)
    job = RQJob.fetch(f"match-vacancy-{vacancy.id}", connection=redis_conn)
    assert job.func_name == Job.MATCH_VACANCY.path and job.args == (vacancy.id,)
    assert job.origin == "match"
    job.delete()
    post_status(client, vacancy, "publish")
    assert RQJob.fetch(f"match-vacancy-{vacancy.id}", connection=redis_conn).args == (vacancy.id,)
    page = html(client.get(f"/stillinger/{vacancy.id}"))
    assert MATCH_LATER_MESSAGE not in page


def test_unreachable_redis_still_saves_and_says_the_list_follows_later(
    settings: Settings, session: Session, make
) -> None:
    org = make.organisation(OrgKind.EMPLOYER)
    closed_port = "redis://127.0.0.1:1/0"
    client = client_with_redis(settings, session, closed_port, make.user((org, Role.EMPLOYER)))
    response = client.post("/stillinger/ny?type=ordinary", data={**VALID, "handling": "publish"})
    vacancy = only_vacancy(session)
    assert response.status_code == 302 and vacancy.status is VacancyStatus.OPEN
    page = html(client.get(f"/stillinger/{vacancy.id}"))
    assert MATCH_LATER_MESSAGE in page and "Stillingen er offentliggjort." in page


# --- live suggestions -------------------------------------------------------------------------


def test_suggestions_endpoint_returns_the_occupation(
    client: FlaskClient, employer, taxonomy
) -> None:
    response = client.get("/stillinger/erhverv-forslag?titel=lagermand")
    assert response.status_code == 200 and response.mimetype == "application/json"
    suggestions = response.get_json()
    assert 1 <= len(suggestions) <= 8
    assert suggestions[0]["uri"] == WAREHOUSE and suggestions[0]["isco_code"] == "9333"
    assert suggestions[0]["label"] == "lagerarbejder" and suggestions[0]["score"] > 0
    assert set(suggestions[0]) == {"uri", "isco_code", "label", "score"}
    top = client.get("/stillinger/erhverv-forslag?titel=Sygeplejerske (m/k)").get_json()[0]
    assert top["uri"] == "http://example.org/occupation/nurse"


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "Skriv en titel for at få forslag."),
        ("   ", "Skriv en titel for at få forslag."),
        ("x" * 101, "Titlen må højst være 100 tegn."),
        ("1234", "Stillingsbetegnelsen skal indeholde mindst ét bogstav."),
    ],
)
def test_suggestions_endpoint_refuses_bad_titles(
    client: FlaskClient, employer, taxonomy, title: str, message: str
) -> None:
    response = client.get("/stillinger/erhverv-forslag", query_string={"titel": title})
    assert response.status_code == 400 and response.get_json() == {"error": message}


def test_suggestions_need_login_and_follow_taxonomy_changes(
    client: FlaskClient, session: Session, make, login, taxonomy
) -> None:
    assert client.get("/stillinger/erhverv-forslag?titel=kok").status_code == 302
    login(make.user((make.organisation(OrgKind.A_KASSE), Role.COUNSELLOR)))
    before = [s["uri"] for s in client.get("/stillinger/erhverv-forslag?titel=ismager").get_json()]
    assert "http://example.org/occupation/ice-cream-maker" not in before
    session.add(
        Occupation(
            uri="http://example.org/occupation/ice-cream-maker",
            concept_type="Occupation",
            isco_code="7512",
            preferred_label_en="ice cream maker",
            preferred_label_da="ismager",
        )
    )
    session.commit()
    after = client.get("/stillinger/erhverv-forslag?titel=ismager").get_json()
    assert after[0]["uri"] == "http://example.org/occupation/ice-cream-maker"


def test_no_taxonomy_means_no_suggestions(client: FlaskClient, employer) -> None:
    assert client.get("/stillinger/erhverv-forslag?titel=kok").get_json() == []
