"""Forwarding in the portal: the receiving counsellors' inbox, forwarding by hand from the
vacancy page, the administrators' rules and the dashboard counts; scoped, audited, with CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.models import (
    AuditAction,
    Forwarding,
    ForwardingPolicy,
    ForwardingRule,
    ForwardingState,
    Match,
    MatchRun,
    Organisation,
    OrgKind,
    Role,
    User,
    Vacancy,
    utcnow,
)
from matching.vacancies.forwarding import inbox
from matching.vacancies.forwarding.decisions import evaluate
from tests.factories import PASSWORD, Factory
from tests.support.portal import csrf_token, html

BASE = "https://jobbro.test"


class Setup:
    """A-kasse Fyn owns a vacancy at an Odense employer; Jobcenter Odense has the candidates."""

    def __init__(self, make: Factory, session: Session) -> None:
        self.session = session
        self.jobcentre = self._org(make, OrgKind.JOBCENTRE, "Jobcenter Odense", 461)
        self.akasse = self._org(make, OrgKind.A_KASSE, "A-kasse Fyn")
        self.other_akasse = self._org(make, OrgKind.A_KASSE, "A-kasse Syd")
        self.employer = self._org(make, OrgKind.EMPLOYER, "Fyns Lager ApS", 461)
        self.jc_counsellor = make.user((self.jobcentre, Role.COUNSELLOR), name="Jonas Jobcenter")
        self.ak_counsellor = make.user((self.akasse, Role.COUNSELLOR), name="Rikke Rådgiver")
        self.stranger = make.user((self.other_akasse, Role.COUNSELLOR), name="Sofie Syd")
        self.boss = make.user((self.employer, Role.EMPLOYER), name="Ejer Lager")
        self.vacancy = make.vacancy(self.employer, title="Lagermedarbejder")
        self.vacancy.owner_id = self.akasse.id
        self.vacancy.published_at = utcnow() - timedelta(days=2)
        self.candidates = [make.jobseeker(self.jobcentre, last_name=f"Kandidat{i}") for i in (1, 2)]
        for rank, person in enumerate(self.candidates, start=1):
            session.add(
                Match(
                    vacancy_id=self.vacancy.id, jobseeker_id=person.id, score=0.9 - rank / 10,
                    rank=rank, explanation=["Samme faggruppe (ISCO 9333)"],
                    model_version="test", rules_version="test",
                )
            )  # fmt: skip
        session.add(
            MatchRun(
                subject_kind="vacancy", subject_id=self.vacancy.id, model_version="test",
                rules_version="test", listed=2,
            )
        )  # fmt: skip
        session.commit()

    def _org(self, make: Factory, kind: OrgKind, name: str, code: int | None = None):  # noqa: ANN202
        org = make.organisation(kind, name)
        org.municipality_code = code
        org.email = f"post@{kind.value}.dk"
        self.session.commit()
        return org

    def forward(self) -> Forwarding:
        """The scheduler's run: the a-kasse's own pool is empty, so the jobcentre gets it."""
        evaluate(self.session, utcnow(), base_url=BASE)
        return self.session.scalars(select(Forwarding)).one()


@pytest.fixture
def setup(make: Factory, session: Session) -> Setup:
    return Setup(make, session)


def test_the_jobcentre_accepts_a_forwarded_vacancy_and_opens_its_candidates(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    made = setup.forward()
    login(setup.jc_counsellor)
    home = html(client.get("/"))
    assert 'href="/videregivne"' in home and "1 videregivet stilling venter" in home
    page = html(client.get("/videregivne"))
    assert 'aria-current="page"><span>Indbakke</span>' in page
    waiting = page.split('id="handled-heading"')[0]
    assert "Lagermedarbejder" in waiting and "A-kasse Fyn" in waiting
    assert "For få egne kandidater: Ingen egne kandidater med match på mindst 50" in waiting
    assert "2 på kandidatlisten" in waiting and "Acceptér" in waiting

    response = client.post(f"/videregivne/{made.id}/accepter")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/videregivne#videregivelse-{made.id}")
    session.refresh(made)
    assert made.state is ForwardingState.ACCEPTED
    assert made.events[-1].actor_id == setup.jc_counsellor.id
    page = html(client.get("/videregivne"))
    assert "Du har accepteret »Lagermedarbejder«" in page
    assert "Ingen videregivne stillinger" not in page and "Accepteret" in page
    candidates = html(client.get(f"/stillinger/{setup.vacancy.id}/kandidater"))
    assert "Kandidat1" in candidates and "Kandidat2" in candidates
    detail = html(client.get(f"/stillinger/{setup.vacancy.id}"))
    assert "Jobcenter Odense har accepteret stillingen." in detail
    assert "A-kasse Fyn har ansvaret for stillingen." in detail
    assert "Videregiv stillingen" not in detail  # only the owner forwards
    again = client.post(f"/videregivne/{made.id}/accepter")
    assert again.status_code == 400 and "Stillingen er allerede besvaret." in html(again)


def test_returning_needs_a_reason_and_keeps_what_was_typed(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    made = setup.forward()
    login(setup.jc_counsellor)
    url = f"/videregivne/{made.id}/retur"
    empty = client.post(url, data={"reason": "   "})
    assert empty.status_code == 400 and "Skriv en begrundelse." in html(empty)
    long = client.post(url, data={"reason": "For langt. " * 200})
    assert long.status_code == 400 and "Højst 2.000 tegn." in html(long)
    assert "For langt. For langt." in html(long) and 'aria-invalid="true"' in html(long)
    done = client.post(url, data={"reason": "Ingen med truckcertifikat."})
    assert done.status_code == 302
    session.refresh(made)
    assert made.state is ForwardingState.RETURNED
    assert "Sendt retur" in html(client.get("/videregivne"))
    client.post("/logout")
    login(setup.ak_counsellor)
    detail = html(client.get(f"/stillinger/{setup.vacancy.id}"))
    assert "Jobcenter Odense har sendt stillingen retur: Ingen med truckcertifikat." in detail
    assert f'<option value="{setup.jobcentre.id}"' not in detail  # never to them again


def test_accepting_another_organisations_forwarding_is_404_and_audited(
    client: FlaskClient, login, session: Session, setup: Setup, audit_rows
) -> None:
    made = setup.forward()
    for intruder in (setup.stranger, setup.ak_counsellor):  # a third a-kasse, the owner
        login(intruder)
        assert client.post(f"/videregivne/{made.id}/accepter").status_code == 404
        assert client.post(f"/videregivne/{made.id}/retur", data={"reason": "x"}).status_code == 404
        client.post("/logout")
    session.refresh(made)
    assert made.state is ForwardingState.OPEN and len(made.events) == 1
    denied = [e for e in audit_rows(AuditAction.ACCESS_DENIED) if e.object_type == "forwarding"]
    assert len(denied) == 4 and {e.object_id for e in denied} == {str(made.id)}
    assert {e.actor_id for e in denied} == {setup.stranger.id, setup.ak_counsellor.id}
    assert all(e.details["exists"] is True for e in denied)
    assert "Lagermedarbejder" not in html(client.get("/videregivne"))  # logged out: login page


def test_an_employer_gets_403_at_the_inbox(
    client: FlaskClient, login, setup: Setup, audit_rows
) -> None:
    setup.forward()
    login(setup.boss)
    response = client.get("/videregivne")
    assert response.status_code == 403 and "Lagermedarbejder" not in html(response)
    assert "Indbakke" not in html(client.get("/"))
    [denied] = audit_rows(AuditAction.ACCESS_DENIED)
    assert (denied.object_id, denied.details["path"]) == ("forwarding.inbox", "/videregivne")


def test_the_owner_forwards_by_hand_and_a_forged_target_is_refused(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    url = f"/stillinger/{setup.vacancy.id}/videregiv"
    login(setup.ak_counsellor)
    detail = html(client.get(f"/stillinger/{setup.vacancy.id}"))
    assert "Videregiv stillingen" in detail and "Stillingen er ikke videregivet." in detail
    assert '<optgroup label="Jobcentre">' in detail and '<optgroup label="A-kasser">' in detail
    assert f'<option value="{setup.employer.id}"' not in detail
    assert f'<option value="{setup.akasse.id}"' not in detail  # not to itself

    forged = client.post(url, data={"target": str(setup.employer.id), "reason": "Se her"})
    assert forged.status_code == 400
    assert "Vælg en a-kasse eller et jobcenter fra listen." in html(forged)
    assert ">Se her</textarea>" in html(forged)
    no_reason = client.post(url, data={"target": str(setup.jobcentre.id), "reason": ""})
    assert no_reason.status_code == 400 and "Skriv hvorfor stillingen videregives." in html(
        no_reason
    )
    assert f'<option value="{setup.jobcentre.id}" selected>' in html(no_reason)
    assert session.scalars(select(Forwarding)).all() == []

    done = client.post(url, data={"target": str(setup.other_akasse.id), "reason": "Fælles job."})
    assert done.status_code == 302
    made = session.scalars(select(Forwarding)).one()
    assert made.rule is ForwardingRule.MANUAL and made.created_by_id == setup.ak_counsellor.id
    page = html(client.get(f"/stillinger/{setup.vacancy.id}"))
    assert "Stillingen er videregivet til A-kasse Syd." in page
    assert "Videregivet til A-kasse Syd (videregivet af en rådgiver): Fælles job." in page
    client.post("/logout")

    login(setup.jc_counsellor)  # not the owner, not a receiver
    assert "Videregivelse" not in html(client.get(f"/stillinger/{setup.vacancy.id}"))
    refused = client.post(url, data={"target": str(setup.other_akasse.id), "reason": "Min"})
    assert refused.status_code == 403


def test_forms_need_the_csrf_token(csrf_client: FlaskClient, setup: Setup) -> None:
    made = setup.forward()
    login_page = html(csrf_client.get("/login"))
    csrf_client.post(
        "/login",
        data={
            "email": setup.jc_counsellor.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(login_page),
        },
    )
    assert csrf_client.post(f"/videregivne/{made.id}/accepter").status_code == 400
    assert made.state is ForwardingState.OPEN
    token = csrf_token(html(csrf_client.get("/videregivne")))
    accepted = csrf_client.post(f"/videregivne/{made.id}/accepter", data={"csrf_token": token})
    assert accepted.status_code == 302


def _admin(make: Factory, org: Organisation) -> User:
    return make.user((org, Role.ADMIN), name="Ada Admin")


def test_an_administrator_edits_the_rules_with_danish_messages(
    client: FlaskClient, login, make: Factory, session: Session, setup: Setup, audit_rows
) -> None:
    login(_admin(make, setup.akasse))
    page = html(client.get("/organisation/videregivelse"))
    assert 'name="min_pool" type="text" value="5"' in page
    assert 'name="min_score_percent" type="text" value="50"' in page
    assert re.search(r'id="to_jobcentre" name="to_jobcentre" value="ja" checked', page)
    assert not re.search(r'id="to_a_kasser" name="to_a_kasser" value="ja" checked', page)
    assert "Fælles rekruttering" in page

    bad = client.post(
        "/organisation/videregivelse",
        data={"enabled": "ja", "min_pool": "mange", "min_score_percent": "150",
              "no_referral_days": "7", "max_targets": "3"},
    )  # fmt: skip
    text = html(bad)
    assert bad.status_code == 400
    assert "Skriv et helt tal mellem 0 og 1.000." in text
    assert "Skriv et helt tal mellem 0 og 100." in text
    assert "Vælg mindst én slags modtager" in text
    assert 'value="mange"' in text and 'value="150"' in text and 'value="7"' in text
    assert 'href="#min_pool"' in text and 'aria-invalid="true"' in text
    assert session.scalars(select(ForwardingPolicy)).all() == []

    good = client.post(
        "/organisation/videregivelse",
        data={"enabled": "ja", "min_pool": "2", "min_score_percent": "65", "no_referral_days": "10",
              "to_jobcentre": "ja", "to_a_kasser": "ja", "max_targets": "4"},
    )  # fmt: skip
    assert good.status_code == 302
    saved = session.scalars(select(ForwardingPolicy)).one()
    assert (saved.min_pool, saved.min_score, saved.to_a_kasser, saved.max_targets) == (
        2,
        0.65,
        True,
        4,
    )
    assert "Reglerne for videregivelse er gemt." in html(client.get("/organisation/videregivelse"))
    [entry] = [e for e in audit_rows(AuditAction.UPDATE) if e.object_type == "forwarding_policy"]
    assert entry.object_id == str(setup.akasse.id)


def test_the_rules_page_is_for_administrators_of_a_kasser_and_jobcentres(
    client: FlaskClient, login, make: Factory, setup: Setup
) -> None:
    for user in (setup.ak_counsellor, _admin(make, setup.employer)):
        login(user)
        assert client.get("/organisation/videregivelse").status_code == 403
        client.post("/logout")
    login(_admin(make, setup.jobcentre))
    page = html(client.get("/organisation/videregivelse"))
    assert "De a-kasser, hvis medlemmer matcher stillingen bedst." in page


def test_the_dashboard_counts_forwarding_results(
    client: FlaskClient, login, make: Factory, session: Session, setup: Setup
) -> None:
    made = setup.forward()
    inbox.accept(
        session,
        Actor(setup.jc_counsellor.id, setup.jobcentre.id, Role.COUNSELLOR.value),
        made.id,
    )
    session.commit()
    login(setup.ak_counsellor)
    home = html(client.get("/"))
    assert "Videregivelse de seneste 90 dage" in home
    assert re.search(r">1</span> <span class=\"jb-stat-label\">videregivet af jer", home)
    assert re.search(r">1</span> <span class=\"jb-stat-label\">accepteret af modtageren", home)
    client.post("/logout")
    login(_admin(make, setup.jobcentre))
    home = html(client.get("/"))
    assert re.search(r">1</span> <span class=\"jb-stat-label\">modtaget fra andre", home)
    assert 'href="/organisation/videregivelse"' in home
    client.post("/logout")
    login(setup.boss)
    assert "Videregivelse" not in html(client.get("/"))


def test_closing_the_vacancy_withdraws_it_from_the_inbox(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    made = setup.forward()
    login(setup.boss)
    client.post(f"/stillinger/{setup.vacancy.id}/status", data={"event": "close", "confirm": "ja"})
    session.refresh(made)
    session.refresh(setup.vacancy)
    assert made.state is ForwardingState.WITHDRAWN, setup.vacancy.status
    client.post("/logout")
    login(setup.jc_counsellor)
    page = html(client.get("/videregivne"))
    assert "Trukket tilbage" in page and "Stillingen er lukket." in page
    assert f'href="/stillinger/{setup.vacancy.id}"' not in page  # closed: no link to a 404
    assert isinstance(session.get(Vacancy, setup.vacancy.id), Vacancy)
