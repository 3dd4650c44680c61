"""A jobcentre, an a-kasse and their counsellors and administrators, and PersonData to register,
for the tests of registering, importing and taking people off the register (domain and portal)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.intake.registration import PersonData, TargetGroupSpan
from matching.models import Membership, Organisation, OrgKind, Role, TargetGroup, User

_numbers = itertools.count(1)


@dataclass
class IntakeWorld:
    jobcentre: Organisation  # Odense (461)
    other_jobcentre: Organisation  # Aarhus (751)
    akasse: Organisation
    closed_akasse: Organisation
    counsellor: User  # at the jobcentre
    other_counsellor: User  # at the other jobcentre
    akasse_counsellor: User
    employer_user: User
    employer: Organisation
    admin: User  # the jobcentre's administrator (imports)
    other_admin: User  # the other jobcentre's

    def actor(self, user: User | None = None) -> Actor:
        user = user or self.counsellor
        membership = user.memberships[0]
        return Actor(user.id, membership.organisation_id, membership.role.value)


def build_intake_world(session: Session, password_hash: str) -> IntakeWorld:
    n = next(_numbers)
    jobcentre = Organisation(kind=OrgKind.JOBCENTRE, name=f"Jobcenter Odense {n}")
    jobcentre.municipality_code = 461
    other = Organisation(kind=OrgKind.JOBCENTRE, name=f"Jobcenter Aarhus {n}")
    other.municipality_code = 751
    akasse = Organisation(kind=OrgKind.A_KASSE, name=f"A-kasse Fyn {n}")
    closed = Organisation(kind=OrgKind.A_KASSE, name=f"Lukket A-kasse {n}", active=False)
    employer = Organisation(kind=OrgKind.EMPLOYER, name=f"Fynsk Lager ApS {n}")
    session.add_all([jobcentre, other, akasse, closed, employer])
    session.flush()

    def user(key: str, org: Organisation, role: Role) -> User:
        person = User(
            email=f"{key}{n}@intake.dk", name=f"{key.title()} {n}", password_hash=password_hash
        )
        person.memberships = [Membership(organisation=org, role=role)]
        session.add(person)
        return person

    world = IntakeWorld(
        jobcentre=jobcentre,
        other_jobcentre=other,
        akasse=akasse,
        closed_akasse=closed,
        counsellor=user("raadgiver", jobcentre, Role.COUNSELLOR),
        other_counsellor=user("andenraadgiver", other, Role.COUNSELLOR),
        akasse_counsellor=user("akasseraadgiver", akasse, Role.COUNSELLOR),
        employer_user=user("arbejdsgiver", employer, Role.EMPLOYER),
        employer=employer,
        admin=user("admin", jobcentre, Role.ADMIN),
        other_admin=user("andenadmin", other, Role.ADMIN),
    )
    session.commit()
    return world


def unique_cpr(birth: date = date(1985, 5, 17)) -> str:
    """A CPR number (born in the 1900s) no other call in this process has returned."""
    return f"{birth:%d%m%y}-{1000 + next(_numbers) % 3000:04d}"


def person_data(**changes: object) -> PersonData:
    """A kontanthjælp recipient in Odense (5000), not insured: the jobcentre is responsible."""
    start = today_dk() - timedelta(days=20)
    data = PersonData(
        cpr=unique_cpr(),
        first_name="Ærlig",
        last_name="Østergård",
        email="aerlig@eksempel.dk",
        phone="+45 12 34 56 78",
        street_address="Vestergade 12",
        postal_code="5000",
        unemployment_start=start,
        target_groups=[TargetGroupSpan(TargetGroup.KONTANTHJAELP_JOBPARAT, start)],
    )
    return replace(data, **changes)
