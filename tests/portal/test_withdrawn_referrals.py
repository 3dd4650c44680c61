"""From the employer's side: a referral the counsellor withdrew shows nothing of the person."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.models import AuditAction, Match, OrgKind, ReferralState, Role
from matching.referrals.decisions import refer_candidate


def test_the_employer_no_longer_sees_a_withdrawn_referral(
    client: FlaskClient, login, make, session: Session, audit_rows
) -> None:
    org = make.organisation(OrgKind.A_KASSE, "A-kasse Fyn")
    counsellor = make.user((org, Role.COUNSELLOR))
    employer_org = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
    employer = make.user((employer_org, Role.EMPLOYER))
    vacancy = make.vacancy(employer_org, title="Truckfører")
    person = make.jobseeker(org, first_name="Sofie", last_name="Samtykke", with_cv=True)
    person.consent_share_with_employers = True
    person.email = "sofie@eksempel.dk"
    other = make.jobseeker(org, first_name="Otto", last_name="Open", with_cv=True)
    for rank, someone in enumerate((person, other), start=1):
        session.add(
            Match(
                vacancy_id=vacancy.id, jobseeker_id=someone.id, score=0.9, rank=rank,
                components={}, explanation=[], model_version="t", rules_version="t",
            )
        )  # fmt: skip
    session.flush()
    actor = Actor(user_id=counsellor.id, organisation_id=org.id, role="counsellor")
    referral = refer_candidate(session, actor, vacancy.id, person.id)
    refer_candidate(session, actor, vacancy.id, other.id)
    session.commit()

    login(employer)
    page = client.get(f"/stillinger/{vacancy.id}/henvisninger").get_data(as_text=True)
    assert "Sofie Samtykke" in page and "sofie@eksempel.dk" in page  # sent: shown
    client.post("/logout")

    login(counsellor)
    withdrawn = client.post(
        f"/ledige/{person.id}/henvisninger/{referral.id}",
        data={"event": "withdraw", "reason": "Personen er i job"},
    )
    assert withdrawn.status_code == 302
    session.refresh(referral)
    assert referral.state is ReferralState.WITHDRAWN
    client.post("/logout")

    login(employer)
    before = {e.id for e in audit_rows(AuditAction.DISCLOSE)}
    page = client.get(f"/stillinger/{vacancy.id}/henvisninger").get_data(as_text=True)
    for shown in ("Sofie", "Samtykke", "sofie@eksempel.dk", person.pseudonym, "Fynsk Logistik"):
        assert shown not in page
    assert f'id="henvisning-{referral.id}"' not in page
    assert f"Kandidat {other.pseudonym}" in page  # the other referral is still there
    assert "1 henvisning er trukket tilbage" in page
    disclosed = [e for e in audit_rows(AuditAction.DISCLOSE) if e.id not in before]
    assert {e.jobseeker_id for e in disclosed} == {other.id}  # nothing disclosed of Sofie
    # Neither the outcome form nor the vacancy list count it any more.
    outcome = client.post(
        f"/stillinger/{vacancy.id}/henvisninger/{referral.id}", data={"event": "invite"}
    )
    assert outcome.status_code == 404
    listing = client.get("/stillinger/").get_data(as_text=True)
    assert '>1<span class="sr-only"> henviste til Truckfører' in listing
