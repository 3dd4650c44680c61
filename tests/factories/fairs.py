"""A job fair with shortlists, its organisers and the people who must not reach its exports;
shared by the export tests (domain, CLI, portal, killed worker)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.models import (
    CV,
    JobFair,
    JobFairVacancy,
    Jobseeker,
    Match,
    Membership,
    Organisation,
    OrgKind,
    Role,
    ShortlistEntry,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)

FAIR_NAME = "Jobmesse Ærø & Øresund"
FAIR_DAY = date(2026, 3, 14)
FAIR_PLACE = "Åbyhøj Hallen"
NO_CONSENT_NAME = "Hemmeligrid"  # first name of every person without consent
_numbers = itertools.count(1)


@dataclass(frozen=True)
class ExportWorld:
    fair_id: int
    empty_fair_id: int
    rival_fair_id: int
    organiser_org_id: int
    rival_org_id: int
    organiser_id: int
    admin_id: int
    rival_id: int
    employer_user_id: int
    counsellor_id: int
    emails: dict[str, str]
    people: int
    invited_reachable: int  # invited, consented to share and to e-mail, with an address
    invited: int

    def actor(self, who: str) -> Actor:
        """An Actor for ``organiser``, ``admin``, ``rival``, ``employer`` or ``counsellor``."""
        return {
            "organiser": Actor(self.organiser_id, self.organiser_org_id, Role.ORGANISER.value),
            "admin": Actor(self.admin_id, self.organiser_org_id, Role.ADMIN.value),
            "rival": Actor(self.rival_id, self.rival_org_id, Role.ORGANISER.value),
            "employer": Actor(self.employer_user_id, self.employer_org_id, Role.EMPLOYER.value),
            "counsellor": Actor(self.counsellor_id, self.akasse_id, Role.COUNSELLOR.value),
        }[who]

    employer_org_id: int = 0
    akasse_id: int = 0


def build_world(
    session: Session,
    *,
    people: int = 6,
    employers: int = 2,
    password_hash: str = "not-a-password-hash",
) -> ExportWorld:
    """Organiser and rival organiser organisations with a fair each, an empty fair, and
    ``people`` shortlist entries spread over ``employers`` employers (two vacancies each): every
    second person consented to share with employers, every third is invited, and one extra
    entry is removed (never exported). Commits."""
    n = next(_numbers)
    organiser_org = Organisation(kind=OrgKind.JOB_FAIR_ORGANISER, name=f"Messer Øst {n}")
    rival_org = Organisation(kind=OrgKind.JOB_FAIR_ORGANISER, name=f"Messer Vest {n}")
    akasse = Organisation(kind=OrgKind.A_KASSE, name=f"A-kasse Fyn {n}")
    companies = [
        Organisation(kind=OrgKind.EMPLOYER, name=f"Virksomhed {i} ApS {n}")
        for i in range(employers)
    ]
    session.add_all([organiser_org, rival_org, akasse, *companies])
    session.flush()

    def user(key: str, org: Organisation, role: Role) -> User:
        person = User(
            email=f"{key}{n}@eksport.dk", name=f"{key.title()} {n}", password_hash=password_hash
        )
        person.memberships = [Membership(organisation=org, role=role)]
        session.add(person)
        return person

    users = {
        "organiser": user("organiser", organiser_org, Role.ORGANISER),
        "admin": user("admin", organiser_org, Role.ADMIN),
        "rival": user("rival", rival_org, Role.ORGANISER),
        "employer": user("employer", companies[0], Role.EMPLOYER),
        "counsellor": user("counsellor", akasse, Role.COUNSELLOR),
    }
    fair = JobFair(
        organiser_id=organiser_org.id, name=FAIR_NAME, held_on=FAIR_DAY, place=FAIR_PLACE
    )
    empty = JobFair(
        organiser_id=organiser_org.id, name="Tom messe", held_on=FAIR_DAY, place="Hal 2"
    )
    rival_fair = JobFair(
        organiser_id=rival_org.id, name="Vestmessen", held_on=FAIR_DAY, place="Hal"
    )
    session.add_all([fair, empty, rival_fair])
    session.flush()

    fair_vacancies: list[JobFairVacancy] = []
    for company in companies:
        for title in ("Kok i kantinen", "Lagermedarbejder"):
            vacancy = Vacancy(
                kind=VacancyKind.ORDINARY,
                status=VacancyStatus.OPEN,
                employer_id=company.id,
                title=title,
                description="Vi søger en kollega.",
                postal_code="8000",
            )
            session.add(vacancy)
            session.flush()
            fair_vacancy = JobFairVacancy(job_fair_id=fair.id, vacancy_id=vacancy.id)
            session.add(fair_vacancy)
            fair_vacancies.append(fair_vacancy)
    session.flush()

    invited = reachable = 0
    for i in range(people + 1):
        consented = i % 2 == 0
        person = Jobseeker(
            pseudonym=f"EX-{n}-{i:05d}",
            first_name="Søren" if consented else NO_CONSENT_NAME,
            last_name=f"Ærbødig{i}",
            email=f"person{n}-{i}@eksempel.dk",
            phone="+45 12 34 56 78",
            birth_date=date(1985, 5, 17),
            postal_code="8000",
            consent_share_with_employers=consented,
            consent_contact_by_email=True,
            cv=CV(headline="Erfaren kok"),
        )
        session.add(person)
        session.flush()
        fair_vacancy = fair_vacancies[i % len(fair_vacancies)]
        removed = i == people  # the extra one: on no export
        is_invited = i % 3 == 0 and not removed
        invited += is_invited
        reachable += is_invited and consented
        session.add(
            ShortlistEntry(
                job_fair_vacancy_id=fair_vacancy.id,
                jobseeker_id=person.id,
                rank=i + 1,
                removed=removed,
                invited=is_invited,
                invitation_code=f"X{n}-{i:06d}",
            )
        )
        session.add(
            Match(
                vacancy_id=fair_vacancy.vacancy_id,
                jobseeker_id=person.id,
                score=0.9 - (i % 50) / 100,
                explanation=["Samme faggruppe (ISCO 5120)", "12 km fra bopæl"],
                cross_industry=i % 5 == 0,
                model_version="test",
                rules_version="test",
            )
        )
    session.commit()
    return ExportWorld(
        fair_id=fair.id,
        empty_fair_id=empty.id,
        rival_fair_id=rival_fair.id,
        organiser_org_id=organiser_org.id,
        rival_org_id=rival_org.id,
        organiser_id=users["organiser"].id,
        admin_id=users["admin"].id,
        rival_id=users["rival"].id,
        employer_user_id=users["employer"].id,
        counsellor_id=users["counsellor"].id,
        emails={key: u.email for key, u in users.items()},
        people=people,
        invited_reachable=reachable,
        invited=invited,
        employer_org_id=companies[0].id,
        akasse_id=akasse.id,
    )
