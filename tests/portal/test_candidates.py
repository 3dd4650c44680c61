"""The counsellor's candidate list for a vacancy: stored matches, scoped and audited."""

from __future__ import annotations

from flask.testing import FlaskClient

from matching.models import AuditAction, Match, MatchRun, OrgKind, Role, VacancyStatus
from matching.referrals.decisions import refer_candidate
from tests.factories.base import put_in_state


def store_list(session, vacancy, people, *, excluded=None) -> None:  # noqa: ANN001
    """A computed list as the worker stores it (rank order = order of ``people``)."""
    for rank, person in enumerate(people, start=1):
        session.add(
            Match(
                vacancy_id=vacancy.id,
                jobseeker_id=person.id,
                score=round(0.9 - rank / 100, 4),
                rank=rank,
                components={"signals": {"semantic": 0.8}},
                explanation=["Samme faggruppe (ISCO 9333)", f"{rank} km fra bopæl"],
                cross_industry=rank == 2,
                distance_km=float(rank),
                model_version="test",
                rules_version="test",
            )
        )
    session.add(
        MatchRun(
            subject_kind="vacancy",
            subject_id=vacancy.id,
            model_version="test",
            rules_version="test",
            considered=len(people) + 5,
            listed=len(people),
            excluded=excluded or {"distance": 5},
        )
    )
    session.commit()


def test_counsellor_sees_own_candidates_ranked_with_explanations(
    client: FlaskClient, login, make, session, akasse_counsellor, audit_rows
) -> None:
    org, counsellor = akasse_counsellor
    other = make.organisation(OrgKind.A_KASSE, "A-kasse Anden")
    employer = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    vacancy = make.vacancy(employer, title="Lagermedarbejder")
    mine_1 = make.jobseeker(org, first_name="Mette", last_name="Først")
    theirs = make.jobseeker(other, first_name="Ole", last_name="Andensted")
    mine_2 = make.jobseeker(org, first_name="Said", last_name="Tredje")
    store_list(session, vacancy, [mine_1, theirs, mine_2])
    login(counsellor)

    page = client.get(f"/stillinger/{vacancy.id}/kandidater").get_data(as_text=True)
    assert page.index("Mette Først") < page.index("Said Tredje")
    assert "Andensted" not in page  # another organisation's person
    assert "1 på listen hører til andre organisationer" in page
    assert "Samme faggruppe (ISCO 9333)" in page and "3 km fra bopæl" in page
    assert "5 for langt fra bopæl" in page
    assert 'lang="da"' in page
    [view] = [e for e in audit_rows(AuditAction.VIEW) if e.object_type == "candidate_list"]
    assert view.object_id == str(vacancy.id) and view.actor_id == counsellor.id
    assert view.details["jobseeker_ids"] == [mine_1.id, mine_2.id]


def test_list_not_computed_yet_says_so(client: FlaskClient, login, make, akasse_counsellor) -> None:
    _org, counsellor = akasse_counsellor
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER), title="Kok")
    login(counsellor)
    page = client.get(f"/stillinger/{vacancy.id}/kandidater").get_data(as_text=True)
    assert "Kandidatlisten er ikke beregnet endnu" in page


def test_candidate_list_pages(client: FlaskClient, login, make, session, akasse_counsellor) -> None:
    org, counsellor = akasse_counsellor
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER))
    people = [make.jobseeker(org, last_name=f"Person{i:02d}") for i in range(30)]
    store_list(session, vacancy, people)
    login(counsellor)
    first = client.get(f"/stillinger/{vacancy.id}/kandidater").get_data(as_text=True)
    second = client.get(f"/stillinger/{vacancy.id}/kandidater?side=2").get_data(as_text=True)
    assert "Viser 1–25 af 30 kandidater" in first and "Person24" in first
    assert "Person25" not in first and "Person25" in second
    assert f"/stillinger/{vacancy.id}/kandidater?side=2" in first


def test_candidate_list_is_closed_to_other_roles_and_hidden_vacancies(
    client: FlaskClient, login, make, session, akasse_counsellor, audit_rows
) -> None:
    org, counsellor = akasse_counsellor
    employer_org = make.organisation(OrgKind.EMPLOYER)
    employer = make.user((employer_org, Role.EMPLOYER))
    vacancy = make.vacancy(employer_org)
    draft = make.vacancy(employer_org, status=VacancyStatus.DRAFT)
    store_list(session, vacancy, [make.jobseeker(org, last_name="Fortrolig")])
    login(employer)
    response = client.get(f"/stillinger/{vacancy.id}/kandidater")
    assert response.status_code == 403
    assert "Fortrolig" not in response.get_data(as_text=True)
    client.post("/logout")
    login(counsellor)
    assert client.get(f"/stillinger/{draft.id}/kandidater").status_code == 404
    assert client.get("/stillinger/999999/kandidater").status_code == 404
    denied = [e for e in audit_rows(AuditAction.ACCESS_DENIED) if e.object_type == "vacancy"]
    assert {e.object_id for e in denied} >= {str(draft.id), "999999"}


def test_review_and_refer_from_the_list(
    client: FlaskClient, login, make, session, akasse_counsellor, audit_rows
) -> None:
    from matching.models import MatchReview, Referral, ReferralState

    org, counsellor = akasse_counsellor
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER))
    listed = make.jobseeker(org, last_name="Listet")
    unlisted = make.jobseeker(org, last_name="Ikkelistet")
    store_list(session, vacancy, [listed])
    login(counsellor)
    base = f"/stillinger/{vacancy.id}/kandidater"

    # Rejecting needs a reason: 400, a Danish message, and the typed text is kept.
    response = client.post(f"{base}/{listed.id}/vurdering", data={"decision": "reject"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Skriv hvorfor kandidaten fravælges." in page
    response = client.post(f"{base}/{listed.id}/vurdering", data={"reason": "Mangler kørekort C"})
    assert response.status_code == 400
    assert "Vælg godkend eller fravælg." in response.get_data(as_text=True)
    assert "Mangler kørekort C" in response.get_data(as_text=True)
    assert session.query(MatchReview).count() == 0

    assert (
        client.post(
            f"{base}/{listed.id}/vurdering", data={"decision": "reject", "reason": "Ingen bil"}
        ).status_code
        == 302
    )
    [review] = session.query(MatchReview).all()
    assert (review.decision, review.reason, review.reviewer_id) == (
        "reject",
        "Ingen bil",
        counsellor.id,
    )

    # Referring someone the matcher did not list is an override and needs a reason.
    response = client.post(f"{base}/{unlisted.id}/henvis", data={"note": ""})
    assert response.status_code == 400
    assert "Skriv hvorfor du foreslår en person, som ikke er på listen." in response.get_data(
        as_text=True
    )
    assert (
        client.post(
            f"{base}/{unlisted.id}/henvis", data={"note": "Kender branchen godt"}
        ).status_code
        == 302
    )
    referral = session.query(Referral).one()
    assert referral.state is ReferralState.SENT and referral.jobseeker_id == unlisted.id
    assert [e.to_state for e in referral.events] == ["sent"]
    override = session.query(MatchReview).filter_by(jobseeker_id=unlisted.id).one()
    assert override.decision == "override" and override.reason == "Kender branchen godt"
    # A second open referral of the same person is refused.
    again = client.post(f"{base}/{unlisted.id}/henvis", data={"note": "igen"})
    assert again.status_code == 400
    assert "allerede henvist" in again.get_data(as_text=True)
    assert session.query(Referral).count() == 1
    assert [e for e in audit_rows(AuditAction.CREATE) if e.object_type == "referral"]


def test_review_and_refer_are_scoped_and_need_csrf(
    client: FlaskClient, csrf_client: FlaskClient, login, make, session, akasse_counsellor
) -> None:
    from matching.models import MatchReview, Referral

    org, counsellor = akasse_counsellor
    other = make.organisation(OrgKind.A_KASSE, "A-kasse B")
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER))
    stranger = make.jobseeker(other, last_name="Fremmed")
    mine = make.jobseeker(org, last_name="Egen")
    store_list(session, vacancy, [mine, stranger])
    login(counsellor)
    base = f"/stillinger/{vacancy.id}/kandidater"
    assert client.post(f"{base}/{stranger.id}/henvis", data={"note": "x"}).status_code == 404
    assert (
        client.post(f"{base}/{stranger.id}/vurdering", data={"decision": "accept"}).status_code
        == 404
    )
    assert session.query(Referral).count() == 0 and session.query(MatchReview).count() == 0

    # Without a CSRF token (a forged cross-site post) nothing happens.
    csrf_client.post("/login", data={"email": counsellor.email, "password": "x"})
    forged = csrf_client.post(f"{base}/{mine.id}/henvis", data={"note": ""})
    assert forged.status_code == 400
    assert session.query(Referral).count() == 0


def test_jobseeker_page_shows_their_vacancy_suggestions(
    client: FlaskClient, login, make, session, akasse_counsellor
) -> None:
    org, counsellor = akasse_counsellor
    person = make.jobseeker(org, with_cv=True)
    employer = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    first = make.vacancy(employer, title="Truckfører")
    second = make.vacancy(employer, title="Butiksassistent")
    hidden = make.vacancy(employer, title="Kladde-stilling", status=VacancyStatus.DRAFT)
    login(counsellor)
    empty = client.get(f"/ledige/{person.id}").get_data(as_text=True)
    assert "Der er ingen forslag endnu" in empty
    for rank, (vacancy, cross) in enumerate(
        [(first, False), (hidden, False), (second, True)], start=1
    ):
        session.add(
            Match(
                vacancy_id=vacancy.id, jobseeker_id=person.id, score=0.9 - rank / 10,
                person_rank=rank, components={}, explanation=[f"Chip {rank}"],
                cross_industry=cross, model_version="t", rules_version="t",
            )
        )  # fmt: skip
    session.commit()
    page = client.get(f"/ledige/{person.id}").get_data(as_text=True)
    assert page.index("Truckfører") < page.index("Butiksassistent")
    assert "Kladde-stilling" not in page and "Chip 2" not in page
    assert "Chip 1" in page and "Brancheskift" in page


def test_employer_sees_referred_people_and_records_outcomes(
    client: FlaskClient, login, make, session, akasse_counsellor, audit_rows
) -> None:
    pass
    from matching.core.audit import Actor
    from matching.models import Referral, ReferralState

    org, counsellor = akasse_counsellor
    employer_org = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    rival_org = make.organisation(OrgKind.EMPLOYER, "Rival A/S")
    employer = make.user((employer_org, Role.EMPLOYER))
    rival = make.user((rival_org, Role.EMPLOYER))
    vacancy = make.vacancy(employer_org, title="Truckfører")
    shared = make.jobseeker(org, first_name="Sofie", last_name="Samtykke", with_cv=True)
    shared.consent_share_with_employers = True
    shared.email = "sofie@eksempel.dk"
    private = make.jobseeker(org, first_name="Peter", last_name="Privat", with_cv=True)
    private.email = "peter@eksempel.dk"
    proposed_only = make.jobseeker(org, first_name="Ida", last_name="Intern")
    store_list(session, vacancy, [shared, private, proposed_only])
    actor = Actor(user_id=counsellor.id, organisation_id=org.id, role="counsellor")
    for person in (shared, private):
        refer_candidate(session, actor, vacancy.id, person.id)
    session.add(
        Referral(vacancy_id=vacancy.id, jobseeker_id=proposed_only.id, organisation_id=org.id)
    )
    session.commit()

    login(rival)
    assert client.get(f"/stillinger/{vacancy.id}/henvisninger").status_code == 404
    client.post("/logout")
    login(employer)
    page = client.get(f"/stillinger/{vacancy.id}/henvisninger").get_data(as_text=True)
    assert "Sofie Samtykke" in page and "sofie@eksempel.dk" in page
    # Without consent: the CV's working content under the pseudonym, nothing that identifies.
    assert "Peter" not in page and "Privat" not in page and "peter@eksempel.dk" not in page
    assert f"Kandidat {private.pseudonym}" in page and "Vist anonymt" in page
    assert page.count("Lagermedarbejder (2015–2024)") == 1  # the anonymous one: no employer
    assert page.count("Lagermedarbejder, Fynsk Logistik A/S (2015–2024)") == 1  # Sofie's
    assert page.count("Mødestabil og glad") == 1  # free text only with consent
    assert page.count("Truckcertifikat") == 2 and "1985" not in page
    assert "Ida Intern" not in page  # not sent yet
    disclosed = [e for e in audit_rows(AuditAction.DISCLOSE) if e.object_type == "referral"]
    assert {e.jobseeker_id for e in disclosed} == {shared.id, private.id}

    ref = session.query(Referral).filter_by(jobseeker_id=private.id).one()
    url = f"/stillinger/{vacancy.id}/henvisninger/{ref.id}"
    response = client.post(url, data={"event": "reject", "reason": ""})
    assert response.status_code == 400 and "Skriv en begrundelse." in response.get_data(
        as_text=True
    )
    assert client.post(url, data={"event": "invite"}).status_code == 302
    assert client.post(url, data={"event": "hire"}).status_code == 302
    session.refresh(ref)
    assert ref.state is ReferralState.HIRED
    assert [e.to_state for e in ref.events] == ["sent", "interview", "hired"]
    assert ref.events[-1].actor_id == employer.id
    outcomes = [e for e in audit_rows(AuditAction.UPDATE) if e.object_type == "referral"]
    assert [e.details["event"] for e in outcomes] == ["invite", "hire"]
    assert {(e.actor_id, e.jobseeker_id) for e in outcomes} == {(employer.id, private.id)}
    again = client.post(url, data={"event": "reject", "reason": "for sent"})
    assert again.status_code == 400  # hired is final
    client.post("/logout")
    login(rival)
    assert client.post(url, data={"event": "hire"}).status_code == 404


def test_place_page_shows_the_rimelighedskrav(client: FlaskClient, login, make, session) -> None:
    from matching.models import VacancyKind

    employer_org = make.organisation(OrgKind.EMPLOYER, "Lille Værksted ApS")
    employer = make.user((employer_org, Role.EMPLOYER))
    place = make.vacancy(
        employer_org, title="Praktik i værkstedet", kind=VacancyKind.VIRKSOMHEDSPRAKTIK
    )
    unknown = make.vacancy(
        employer_org, title="Praktik uden tal", kind=VacancyKind.VIRKSOMHEDSPRAKTIK
    )
    place.ordinary_staff_fte = 9
    place.current_subsidised_count = 1
    session.commit()
    login(employer)
    page = client.get(f"/stillinger/{place.id}").get_data(as_text=True)
    assert "9 ordinære årsværk giver plads til 1 virksomhedsrettede tilbud" in page
    assert "kravet ikke opfyldt" in page
    other = client.get(f"/stillinger/{unknown.id}").get_data(as_text=True)
    assert "Kan ikke beregnes: antal ordinært ansatte mangler." in other


def test_counsellor_follows_up_referrals_on_the_persons_page(
    client: FlaskClient, login, make, session, akasse_counsellor, audit_rows
) -> None:
    pass
    from matching.core.audit import Actor
    from matching.models import Referral, ReferralState

    org, counsellor = akasse_counsellor
    employer_org = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    vacancy = make.vacancy(employer_org, title="Truckfører")
    person = make.jobseeker(org, first_name="Sofie", last_name="Opfølgning")
    store_list(session, vacancy, [person])
    actor = Actor(user_id=counsellor.id, organisation_id=org.id, role="counsellor")
    referral = refer_candidate(session, actor, vacancy.id, person.id)
    session.commit()
    login(counsellor)

    page = client.get(f"/ledige/{person.id}").get_data(as_text=True)
    assert "Truckfører" in page and "Fyns Lager ApS" in page and "Henvist" in page
    assert 'value="decline"' in page and 'value="withdraw"' in page
    assert 'value="reject"' not in page  # the employer's event, not the counsellor's

    url = f"/ledige/{person.id}/henvisninger/{referral.id}"
    missing = client.post(url, data={"event": "decline", "reason": "  "})
    assert missing.status_code == 400
    body = missing.get_data(as_text=True)
    assert "Skriv en begrundelse." in body and 'value="decline" id="event-decline' in body
    assert "checked" in body.split('value="decline"')[1].split(">")[0]
    bogus = client.post(url, data={"event": "expire", "reason": "x"})
    assert bogus.status_code == 400  # the system's event is not offered to people
    ok = client.post(url, data={"event": "decline", "reason": "Har fået andet job"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"#henvisning-{referral.id}")
    session.refresh(referral)
    assert referral.state is ReferralState.DECLINED_BY_JOBSEEKER
    assert referral.events[-1].note == "Har fået andet job"
    assert referral.events[-1].actor_id == counsellor.id
    updates = [e for e in audit_rows(AuditAction.UPDATE) if e.object_type == "referral"]
    assert updates[-1].details == {"event": "decline"}
    # The vacancy is filled later: the person's page names it without a dead link.
    put_in_state(session, vacancy, VacancyStatus.FILLED)
    session.commit()
    page = client.get(f"/ledige/{person.id}").get_data(as_text=True)
    assert "Truckfører" in page and "(besat)" in page
    assert f'href="/stillinger/{vacancy.id}"' not in page
    final = client.post(url, data={"event": "withdraw", "reason": "for sent"})
    assert final.status_code == 400 and "kan ikke vælges" in final.get_data(as_text=True)

    # Another organisation's counsellor: the person and the referral do not exist for them.
    rival_org = make.organisation(OrgKind.A_KASSE, "A-kasse Rival")
    rival = make.user((rival_org, Role.COUNSELLOR))
    client.post("/logout")
    login(rival)
    assert client.post(url, data={"event": "hire"}).status_code == 404
    other = make.jobseeker(rival_org)
    assert (
        client.post(
            f"/ledige/{other.id}/henvisninger/{referral.id}", data={"event": "hire"}
        ).status_code
        == 404
    )
    session.refresh(referral)
    assert referral.state is ReferralState.DECLINED_BY_JOBSEEKER
    assert session.query(Referral).count() == 1
