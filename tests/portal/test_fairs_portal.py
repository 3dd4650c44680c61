"""Job fairs in the portal: organisers' and employers' pages, forms that keep what was typed,
shortlist actions, 404 for other organisations, CSRF, and what a shortlist never shows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.fairs import participants, planning, references, shortlists
from matching.models import (
    AuditAction,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Jobseeker,
    Match,
    Notification,
    OrgKind,
    Role,
    ShortlistEntry,
    TargetGroup,
    User,
)
from tests.factories import PASSWORD, Factory
from tests.support.portal import csrf_token, html

FAIR_DAY = today_dk() + timedelta(days=30)
EXPORTS = "exports.fair_exports"


def _ref(app: Flask, fair_id: int, person_id: int) -> str:
    """The person's reference on the fair's pages (never the person's id)."""
    secret_key = app.extensions["jobbro_settings"].secret_key
    return references.person_reference(secret_key, fair_id, person_id)


class Setup:
    """Jobmesse Fyn's fair with Fynsk Lager invited; two people matched to its truck job."""

    def __init__(self, make: Factory, session: Session) -> None:
        self.session = session
        self.organiser_org = make.organisation(OrgKind.JOB_FAIR_ORGANISER, "Jobmesse Fyn")
        self.organiser_org.municipality_code = 461
        self.other_org = make.organisation(OrgKind.JOB_FAIR_ORGANISER, "Messe Jylland")
        self.jobcentre = make.organisation(OrgKind.JOBCENTRE, "Jobcenter Odense")
        self.lager = make.organisation(OrgKind.EMPLOYER, "Fynsk Lager A/S")
        self.lager.cvr = "12345678"
        self.kantine = make.organisation(OrgKind.EMPLOYER, "Kantine ApS")
        self.organiser = make.user((self.organiser_org, Role.ORGANISER), name="Olga Arrangør")
        self.intruder = make.user((self.other_org, Role.ORGANISER), name="Ivan Andenmesse")
        self.boss = make.user((self.lager, Role.EMPLOYER), email="ejer@lager.dk")
        self.cook = make.user((self.kantine, Role.EMPLOYER), email="kok@kantine.dk")
        self.counsellor = make.user((self.jobcentre, Role.COUNSELLOR))
        self.truck = make.vacancy(self.lager, title="Truckfører")
        self.packer = make.vacancy(self.lager, title="Pakkeriarbejder")
        self.kok = make.vacancy(self.kantine, title="Kok")
        actor = Actor(user_id=None, organisation_id=self.organiser_org.id, role="organiser")
        self.actor = actor
        self.fair = planning.create_fair(
            session,
            actor,
            planning.FairInput(
                name="Jobmesse Odense",
                held_on=FAIR_DAY,
                place="Odense Congress Center",
                target_groups=[TargetGroup.DAGPENGE.value],
            ),
        )
        session.commit()
        self.hidden = make.jobseeker(
            self.jobcentre, first_name="Hemmelig", last_name="Hansen", with_cv=True
        )
        self.shared = make.jobseeker(
            self.jobcentre, first_name="Synlig", last_name="Sørensen", with_cv=True
        )
        self.shared.consent_share_with_employers = True
        self.extra = make.jobseeker(self.jobcentre, first_name="Ekstra", last_name="Eriksen")
        chips = ["Samme faggruppe (ISCO 8344)", "Dagpengemodtager", "3 km fra bopæl"]
        for rank, person in enumerate((self.hidden, self.shared, self.extra), start=1):
            session.add(
                Match(
                    vacancy_id=self.truck.id, jobseeker_id=person.id, score=0.9 - rank / 10,
                    rank=rank, explanation=chips, cross_industry=rank == 2,
                    model_version="test", rules_version="test",
                )
            )  # fmt: skip
        session.commit()

    def invite(self, employer=None):  # noqa: ANN001, ANN201
        row = participants.invite_employer(
            self.session, self.actor, self.fair.id, (employer or self.lager).id
        )
        self.session.commit()
        return row

    def attach(self, vacancy=None):  # noqa: ANN001, ANN201
        row = participants.attach_vacancy(
            self.session, self.actor, self.fair.id, (vacancy or self.truck).id
        )
        self.session.commit()
        return row

    def build(self, size: int = 2) -> list[ShortlistEntry]:
        entries = shortlists.build_shortlist(
            self.session, self.actor, self.fair.id, self.truck.id, size=size
        )
        self.session.commit()
        return entries

    @property
    def fair_url(self) -> str:
        return f"/jobmesser/{self.fair.id}"

    @property
    def list_url(self) -> str:
        return f"/jobmesser/{self.fair.id}/stillinger/{self.truck.id}"


@pytest.fixture
def setup(make: Factory, session: Session) -> Setup:
    return Setup(make, session)


# --- organisers' fairs ----------------------------------------------------------------------


def test_an_organiser_creates_a_fair_and_finds_it_on_the_list_and_home(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    login(setup.organiser)
    home = html(client.get("/"))
    assert "Kommende jobmesser" in home and "Jobmesse Odense" in home
    assert "Opret jobmesse" in home and ">Jobmesser</span>" in home

    form = html(client.get("/jobmesser/ny"))
    assert "<h1>Opret jobmesse</h1>" in form
    assert 'value="Odense"' in form  # the organiser's own municipality to begin with
    assert 'type="date"' in form and "Dagpengemodtager" in form

    day = FAIR_DAY + timedelta(days=7)
    response = client.post(
        "/jobmesser/ny",
        data={
            "name": "Jobmesse for lager og logistik",
            "held_on": day.strftime("%d-%m-%Y"),
            "place": "Odense Havnebad",
            "target_groups": ["dagpenge", "kontanthjaelp_jobparat"],
            "municipality_codes": "Odense, Nyborg",
            "description": "Mød virksomhederne.",
        },
    )
    assert response.status_code == 302
    fair = session.scalar(select(JobFair).where(JobFair.name.startswith("Jobmesse for lager")))
    assert fair is not None and fair.held_on == day
    assert fair.municipality_codes == [461, 450]
    assert response.headers["Location"].endswith(f"/jobmesser/{fair.id}")
    page = html(client.get(response.headers["Location"]))
    assert "Jobmessen er oprettet." in page
    assert "Odense, Nyborg" in page and "Jobparat kontanthjælpsmodtager" in page
    assert "Ingen virksomheder er inviteret endnu." in page

    listing = html(client.get("/jobmesser"))
    assert 'aria-current="page"><span>Jobmesser</span>' in listing
    assert listing.index("Jobmesse Odense") < listing.index("Jobmesse for lager og logistik")
    assert "<caption" in listing and 'scope="col"' in listing


def test_the_fair_form_keeps_typed_input_and_links_each_error(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    login(setup.organiser)
    response = client.post(
        "/jobmesser/ny",
        data={
            "name": "",
            "held_on": "31-02-2027",
            "place": "Rådhushallen",
            "target_groups": ["ledighedsydelse"],
            "municipality_codes": "Odense, Odens",
            "description": "Vores beskrivelse",
        },
    )
    page = html(response)
    assert response.status_code == 400
    assert "Der er et problem" in page
    assert '<a href="#name">Skriv messens navn.</a>' in page
    assert '<a href="#held_on">Skriv datoen som dd.mm.åååå, fx 14.03.2027.</a>' in page
    assert 'href="#municipality_codes">Ukendt kommune: »Odens«.' in page
    assert 'value="31-02-2027"' in page and 'value="Rådhushallen"' in page
    assert 'value="Odense, Odens"' in page and "Vores beskrivelse</textarea>" in page
    assert re.search(r'value="ledighedsydelse" checked', page)
    assert 'aria-invalid="true"' in page
    assert session.scalar(select(func.count()).select_from(JobFair)) == 1


def test_an_organiser_edits_the_fair(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    login(setup.organiser)
    form = html(client.get(f"{setup.fair_url}/rediger"))
    assert 'value="Jobmesse Odense"' in form and f'value="{FAIR_DAY.isoformat()}"' in form
    assert re.search(r'value="dagpenge" checked', form)
    bad = client.post(
        f"{setup.fair_url}/rediger",
        data={"name": "Ny", "held_on": "01-01-2020", "place": "Hal"},
    )
    assert bad.status_code == 400 and "Datoen kan ikke ligge før i dag." in html(bad)
    assert 'value="01-01-2020"' in html(bad)
    done = client.post(
        f"{setup.fair_url}/rediger",
        data={"name": "Jobmesse Odense 2027", "held_on": FAIR_DAY.isoformat(), "place": "Hal"},
    )
    assert done.status_code == 302
    session.refresh(setup.fair)
    assert setup.fair.name == "Jobmesse Odense 2027" and setup.fair.target_groups == []


def test_another_organisations_fair_is_not_found_and_logged(
    app: Flask, client: FlaskClient, login, session: Session, setup: Setup, audit_rows
) -> None:
    setup.invite()
    setup.attach()
    setup.build()
    login(setup.intruder)
    base, listing = setup.fair_url, setup.list_url
    for url in (base, f"{base}/rediger", f"{base}/virksomheder", listing):
        assert client.get(url).status_code == 404, url
    posts = {
        f"{base}/rediger": {"name": "Kapret", "held_on": FAIR_DAY.isoformat(), "place": "x"},
        f"{base}/virksomheder": {"employer_id": str(setup.kantine.id)},
        f"{base}/stillinger": {"vacancy_id": str(setup.packer.id)},
        f"{base}/stillinger/{setup.truck.id}/fjern": {},
        f"{listing}/byg": {"size": "5"},
        f"{listing}/laas": {},
        f"{listing}/personer/{_ref(app, setup.fair.id, setup.hidden.id)}/fjern": {"reason": "x"},
        f"{listing}/personer/{_ref(app, setup.fair.id, setup.hidden.id)}/inviteret": {
            "inviteret": "ja"
        },
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 404, url
    assert "Jobmesse Odense" not in html(client.get("/jobmesser"))
    denied = audit_rows(AuditAction.ACCESS_DENIED)
    assert len(denied) == 4 + len(posts)
    assert {d.object_type for d in denied} == {"job_fair"}
    session.expire_all()
    assert setup.fair.name == "Jobmesse Odense"
    assert session.scalar(select(func.count()).select_from(JobFairEmployer)) == 1
    assert not session.scalar(select(JobFairVacancy.shortlist_locked))


@pytest.mark.parametrize("who", ["counsellor", "boss"])
def test_roles_without_fairs_are_refused(
    client: FlaskClient, login, setup: Setup, who: str
) -> None:
    login(getattr(setup, who))
    if who == "counsellor":
        assert client.get("/jobmesser").status_code == 403
        assert ">Jobmesser</span>" not in html(client.get("/"))
    else:  # an employer not invited: the list is empty, the fair "not found"
        assert client.get("/jobmesser/ny").status_code == 403
        page = html(client.get("/jobmesser"))
        assert "I er ikke inviteret til nogen jobmesser endnu." in page
        assert client.get(setup.fair_url).status_code == 404
        assert client.post(f"{setup.fair_url}/svar", data={"svar": "ja"}).status_code == 404
    assert client.get(setup.list_url).status_code == 403


# --- invitations and answers ----------------------------------------------------------------


def test_the_organiser_finds_and_invites_an_employer(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    login(setup.organiser)
    empty = html(client.get(f"{setup.fair_url}/virksomheder"))
    assert "Søg efter en virksomhed for at invitere den." in empty
    found = html(client.get(f"{setup.fair_url}/virksomheder?q=1234"))
    assert "Fynsk Lager A/S" in found and "Kantine ApS" not in found
    assert 'Invitér<span class="sr-only"> Fynsk Lager A/S</span>' in found
    response = client.post(
        f"{setup.fair_url}/virksomheder", data={"employer_id": str(setup.lager.id), "q": "lager"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{setup.fair_url}/virksomheder?q=lager")
    page = html(client.get(response.headers["Location"]))
    assert "Fynsk Lager A/S er inviteret." in page
    assert '<span class="badge badge-info">Inviteret</span>' in page
    (mail,) = session.scalars(select(Notification)).all()
    assert mail.recipient == "ejer@lager.dk" and f"/jobmesser/{setup.fair.id}" in mail.body

    again = client.post(f"{setup.fair_url}/virksomheder", data={"employer_id": setup.lager.id})
    assert again.status_code == 400
    assert "Fynsk Lager A/S er allerede inviteret (inviteret)." in html(again)
    nothing = client.post(f"{setup.fair_url}/virksomheder", data={"employer_id": "abc"})
    assert nothing.status_code == 400 and "Vælg en virksomhed på listen." in html(nothing)
    assert session.scalar(select(func.count()).select_from(Notification)) == 1
    detail = html(client.get(setup.fair_url))
    assert "Træk invitation tilbage" in detail


def test_an_employer_accepts_and_registers_its_own_vacancy(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    setup.invite()
    setup.invite(setup.kantine)
    login(setup.boss)
    home = html(client.get("/"))
    assert "I har 1 ubesvaret invitation til jobmesser." in home
    listing = html(client.get("/jobmesser"))
    assert "Jobmesse Odense" in listing and "Jobmesse Fyn" in listing
    assert "Ja, vi deltager" in listing and "Nej tak" in listing

    before = html(client.get(setup.fair_url))
    assert "I har ikke svaret endnu" in before and "Tilmeld stillingen" not in before
    assert "Kantine ApS" not in before  # other invited companies are not shown
    refused = client.post(f"{setup.fair_url}/stillinger", data={"vacancy_id": setup.truck.id})
    assert refused.status_code == 400
    assert "Svar ja til invitationen, før I tilmelder stillinger." in html(refused)

    assert client.post(f"{setup.fair_url}/svar", data={"svar": "ja"}).status_code == 302
    page = html(client.get(setup.fair_url))
    assert "Tak for svaret." in page and "I deltager i messen" in page
    assert f'<option value="{setup.truck.id}"' in page
    assert f'<option value="{setup.kok.id}"' not in page  # not the company's own
    assert (
        client.post(f"{setup.fair_url}/stillinger", data={"vacancy_id": setup.truck.id}).status_code
        == 302
    )
    page = html(client.get(setup.fair_url))
    assert "»Truckfører« er tilmeldt messen." in page
    assert "Eksporter" not in page and "Personer på flere lister" not in page

    stolen = client.post(f"{setup.fair_url}/stillinger", data={"vacancy_id": setup.kok.id})
    assert stolen.status_code == 404
    assert client.get(setup.list_url).status_code == 403  # shortlists are the organiser's

    bad = client.post(f"{setup.fair_url}/svar", data={"svar": "måske"})
    assert bad.status_code == 400 and "Vælg ja eller nej til invitationen." in html(bad)
    assert client.post(f"{setup.fair_url}/svar", data={"svar": "nej"}).status_code == 302
    assert "I har takket nej til messen" in html(client.get(setup.fair_url))
    assert session.scalar(select(func.count()).select_from(JobFairVacancy)) == 0


def test_the_organiser_attaches_and_detaches_vacancies(
    client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    setup.invite()
    login(setup.organiser)
    page = html(client.get(setup.fair_url))
    assert '<optgroup label="Fynsk Lager A/S">' in page
    response = client.post(f"{setup.fair_url}/stillinger", data={"vacancy_id": setup.truck.id})
    assert response.status_code == 302
    page = html(client.get(setup.fair_url))
    assert f'href="{setup.list_url}">Truckfører</a>' in page and "Ikke bygget" in page
    removed = client.post(f"{setup.fair_url}/virksomheder/{setup.lager.id}/fjern")
    assert removed.status_code == 400
    assert "Fjern stillingerne fra messen først." in html(removed)
    kept = client.post(f"{setup.fair_url}/stillinger", data={"vacancy_id": setup.kok.id})
    assert kept.status_code == 400 and "ikke inviteret til messen" in html(kept)
    assert client.post(f"{setup.fair_url}/stillinger/{setup.truck.id}/fjern").status_code == 302
    assert client.post(f"{setup.fair_url}/virksomheder/{setup.lager.id}/fjern").status_code == 302
    assert session.scalar(select(func.count()).select_from(JobFairEmployer)) == 0


def test_the_export_link_is_shown_when_the_export_pages_exist(
    app: Flask, client: FlaskClient, login, setup: Setup
) -> None:
    if EXPORTS not in app.view_functions:  # the export pages stand in until they exist
        app.add_url_rule(
            "/jobmesser/<int:fair_id>/eksport-test", endpoint=EXPORTS, view_func=lambda fair_id: ""
        )
    login(setup.organiser)
    with app.test_request_context():
        from flask import url_for

        url = url_for(EXPORTS, fair_id=setup.fair.id)
    assert f'href="{url}">Eksporter</a>' in html(client.get(setup.fair_url))


# --- shortlists -----------------------------------------------------------------------------


def test_a_shortlist_shows_names_only_with_consent_and_never_cpr(
    client: FlaskClient, login, session: Session, setup: Setup, audit_rows
) -> None:
    setup.invite()
    setup.attach()
    setup.hidden.cpr_lookup = "a" * 64
    session.commit()
    login(setup.organiser)
    empty = html(client.get(setup.list_url))
    assert "Listen er ikke bygget endnu." in empty and "Byg listen" in empty

    built = client.post(f"{setup.list_url}/byg", data={"size": "2"})
    assert built.status_code == 302
    page = html(client.get(setup.list_url))
    assert "Listen er bygget: 2 personer." in page
    assert "Synlig Sørensen" in page  # consented to share with employers
    assert "Hemmelig" not in page and "Hansen" not in page
    assert "Navn ikke delt" in page
    codes = [e.invitation_code for e in session.scalars(select(ShortlistEntry))]
    assert len(codes) == 2 and all(code in page for code in codes)
    assert "matchet" in page and "Brancheskift" in page and "Odense C" in page
    assert "Erfaren lagermedarbejder" in page  # the CV headline
    assert "Samme faggruppe (ISCO 8344)" in page and "3 km fra bopæl" in page
    assert "Dagpengemodtager" not in page.split('id="liste"')[1]  # target group never shown
    assert "17.05.1985" not in page and "1985-05-17" not in page  # birth date
    assert "a" * 64 not in page and not re.search(r"\b\d{6}-?\d{4}\b", page)  # no CPR
    assert "<caption" in page and 'scope="row"' in page
    # The next candidate, pseudonymous as well, with a button to add.
    more = page.split('id="flere"')[1]
    assert "Ekstra" not in more and "Tilføj<span" in more

    views = [e for e in audit_rows(AuditAction.VIEW) if e.object_type == "shortlist"]
    assert views and views[-1].purpose == "jobmesse"
    assert set(views[-1].details["jobseeker_ids"]) == {
        setup.hidden.id,
        setup.shared.id,
        setup.extra.id,
    }


def test_shortlist_actions_add_remove_mark_lock(
    app: Flask, client: FlaskClient, login, session: Session, setup: Setup, audit_rows
) -> None:
    setup.invite()
    setup.attach()
    setup.build(size=2)
    login(setup.organiser)
    url = setup.list_url

    def ref(person: Jobseeker) -> str:
        return _ref(app, setup.fair.id, person.id)

    added = client.post(f"{url}/tilfoej", data={"kilde": "match", "person": ref(setup.extra)})
    assert added.status_code == 302
    assert "Personen er tilføjet listen." in html(client.get(url))
    removed = client.post(
        f"{url}/personer/{ref(setup.hidden)}/fjern", data={"reason": "Har fået job"}
    )
    assert removed.status_code == 302
    page = html(client.get(url))
    assert "Fjernet fra listen (1)" in page and "Tilføj igen" in page
    marked = client.post(f"{url}/personer/{ref(setup.shared)}/inviteret", data={"inviteret": "ja"})
    assert marked.status_code == 302
    assert marked.headers["Location"].endswith(f"#person-{ref(setup.shared)}")
    entries = {e.jobseeker_id: e for e in session.scalars(select(ShortlistEntry))}
    session.expire_all()
    assert entries[setup.shared.id].invited and entries[setup.hidden.id].removed
    assert entries[setup.extra.id].source == "manual"

    assert client.post(f"{url}/laas").status_code == 302
    locked = html(client.get(url))
    assert "Listen er låst" in locked and "Lås listen op" in locked
    assert "Byg listen" not in locked and "Fjern fra listen" not in locked
    assert "Fjern markering" in locked  # invitations can still be marked
    refused = client.post(f"{url}/byg", data={"size": "5"})
    assert refused.status_code == 400 and "Listen er låst." in html(refused)
    detail = html(client.get(setup.fair_url))
    assert "Låst" in detail and "Lås listen op for at fjerne stillingen" in detail
    assert client.post(f"{url}/laas-op").status_code == 302
    assert "Byg listen igen" in html(client.get(url))
    notes = [e.note for e in audit_rows(AuditAction.DELETE) if e.object_type == "shortlist_entry"]
    assert notes == ["Har fået job"]


def test_adding_a_person_the_organiser_cannot_see_is_not_found_and_logged(
    app: Flask, client: FlaskClient, login, make: Factory, setup: Setup, audit_rows
) -> None:
    """The add form takes a reference; the reference of someone on no list of the fair (here: in the
    fair's municipality, but on no match list) gets "not found", like an id of nobody."""
    setup.invite()
    setup.attach()
    setup.build(size=1)
    stranger = make.jobseeker(setup.jobcentre, first_name="Fremmed", last_name="Fisker")
    stranger.municipality_code = setup.extra.municipality_code
    setup.session.commit()
    login(setup.organiser)
    for person_id in (stranger.id, 10**8):
        response = client.post(
            f"{setup.list_url}/tilfoej",
            data={
                "kilde": "match",
                "person": _ref(app, setup.fair.id, person_id),
                "reason": "Prøver",
            },
        )
        assert response.status_code == 404
        assert "Fremmed" not in html(response)
    denied = audit_rows(AuditAction.ACCESS_DENIED)
    assert [(e.object_type, e.object_id) for e in denied] == [
        ("jobseeker", str(stranger.id)),
        ("jobseeker", str(10**8)),
    ]
    assert denied[0].details["exists"] is True and denied[1].details["exists"] is False


def test_building_keeps_a_bad_size_and_says_why(client: FlaskClient, login, setup: Setup) -> None:
    setup.invite()
    setup.attach()
    login(setup.organiser)
    response = client.post(f"{setup.list_url}/byg", data={"size": "tyve"})
    page = html(response)
    assert response.status_code == 400
    assert '<a href="#size">Skriv et antal mellem 1 og 200, fx 20.</a>' in page
    assert 'value="tyve"' in page and 'aria-invalid="true"' in page
    too_many = client.post(f"{setup.list_url}/byg", data={"size": "500"})
    assert too_many.status_code == 400 and "Antal skal være mellem 1 og 200." in html(too_many)


def test_adding_from_another_list_needs_a_reason_and_keeps_the_choice(
    app: Flask, client: FlaskClient, login, session: Session, setup: Setup
) -> None:
    setup.invite()
    setup.attach()
    setup.attach(setup.packer)
    setup.build(size=2)  # hidden and shared on the truck list
    login(setup.organiser)
    other_url = f"/jobmesser/{setup.fair.id}/stillinger/{setup.packer.id}"
    page = html(client.get(other_url))
    assert "Fra messens andre lister" in page and "Synlig Sørensen" in page
    shared = _ref(app, setup.fair.id, setup.shared.id)
    response = client.post(
        f"{other_url}/tilfoej",
        data={"kilde": "liste", "person": shared, "reason": " "},
    )
    page = html(response)
    assert response.status_code == 400
    assert '<a href="#other_person">Skriv hvorfor personen skal på denne liste.</a>' in page
    assert f'<option value="{shared}" selected>' in page
    done = client.post(
        f"{other_url}/tilfoej",
        data={"kilde": "liste", "person": shared, "reason": "Kan også pakke"},
    )
    assert done.status_code == 302
    page = html(client.get(other_url))
    assert "tilføjet" in page and "Begrundelse: Kan også pakke" in page and "2 lister" in page
    overview = html(client.get(setup.fair_url))
    several = overview.split('id="flere-lister"')[1]
    assert "Synlig Sørensen" in several and "Pakkeriarbejder, Fynsk Lager A/S" in several


def test_forms_need_the_csrf_token(
    csrf_client: FlaskClient, session: Session, setup: Setup
) -> None:
    setup.invite()
    setup.attach()
    login_page = html(csrf_client.get("/login"))
    csrf_client.post(
        "/login",
        data={
            "email": setup.organiser.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(login_page),
        },
    )
    refused = csrf_client.post(f"{setup.list_url}/byg", data={"size": "2"})
    assert refused.status_code == 400 and "sikkerhedsfelt" in html(refused)
    assert session.scalar(select(func.count()).select_from(ShortlistEntry)) == 0
    token = csrf_token(html(csrf_client.get(setup.list_url)))
    built = csrf_client.post(f"{setup.list_url}/byg", data={"size": "2", "csrf_token": token})
    assert built.status_code == 302
    assert session.scalar(select(func.count()).select_from(ShortlistEntry)) == 2


def test_the_demo_style_organiser_admin_sees_the_nav_link(
    client: FlaskClient, login, make: Factory, setup: Setup
) -> None:
    admin: User = make.user((setup.organiser_org, Role.ADMIN), name="Ada Admin")
    login(admin)
    home = html(client.get("/"))
    assert ">Jobmesser</span>" in home and "Kommende jobmesser" in home
    assert "Jobmesse Odense" in html(client.get("/jobmesser"))
