"""The one permissions module: roles parsed once, role sets, and the checks of each kind of work."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from matching.core import permissions
from matching.core.audit import Actor
from matching.core.errors import PermissionDenied
from matching.models import Membership, OrgKind, Role, VacancyKind, VacancyStatus
from tests.factories import Factory


def actor(org_id: int | None, role: str | None, user_id: int | None = 1) -> Actor:
    return Actor(user_id=user_id, organisation_id=org_id, role=role)


@pytest.mark.parametrize("role", [None, "", "superuser", "ADMIN", "system"])
def test_anything_that_is_not_a_role_has_none(role: str | None) -> None:
    assert permissions.role_of(actor(1, role)) is None
    with pytest.raises(PermissionDenied):
        permissions.require_role(actor(1, role), permissions.COUNSELLORS)


def test_a_role_without_an_organisation_may_do_nothing() -> None:
    assert not permissions.has_role(actor(None, "counsellor"), permissions.COUNSELLORS)
    with pytest.raises(PermissionDenied):
        permissions.require_role(actor(None, "counsellor"), permissions.COUNSELLORS)
    assert (
        permissions.require_role(actor(1, "counsellor"), permissions.COUNSELLORS) is Role.COUNSELLOR
    )


@pytest.mark.parametrize(
    ("kind", "role", "allowed"),
    [
        (OrgKind.JOB_FAIR_ORGANISER, Role.ORGANISER, True),
        (OrgKind.JOB_FAIR_ORGANISER, Role.ADMIN, True),
        (OrgKind.JOBCENTRE, Role.ORGANISER, True),
        (OrgKind.A_KASSE, Role.ADMIN, True),
        (OrgKind.A_KASSE, Role.COUNSELLOR, False),
        (OrgKind.EMPLOYER, Role.ADMIN, False),  # an employer's administrator organises nothing
        (OrgKind.EMPLOYER, Role.EMPLOYER, False),
    ],
)
def test_who_organises_fairs(
    session: Session, make: Factory, kind: OrgKind, role: Role, allowed: bool
) -> None:
    org = make.organisation(kind)
    who = actor(org.id, role.value)
    assert permissions.may_organise_fairs(session, who) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            permissions.require_fair_organiser(session, who)


def test_an_inactive_organisation_organises_nothing(session: Session, make: Factory) -> None:
    org = make.organisation(OrgKind.JOB_FAIR_ORGANISER)
    org.active = False
    session.flush()
    assert not permissions.may_organise_fairs(session, actor(org.id, "organiser"))


def test_an_approver_never_approves_a_place_of_an_employer_they_work_for(
    session: Session, make: Factory
) -> None:
    jobcentre = make.organisation(OrgKind.JOBCENTRE)
    employer = make.organisation(OrgKind.EMPLOYER)
    approver = make.user((jobcentre, Role.APPROVER))
    place = make.vacancy(
        employer, kind=VacancyKind.VIRKSOMHEDSPRAKTIK, status=VacancyStatus.PENDING_APPROVAL
    )
    who = actor(jobcentre.id, "approver", approver.id)
    assert permissions.require_place_approver(session, who, place) is jobcentre
    # Any role at the employer, whatever organisation the approver acts for now: refused.
    session.add(Membership(user_id=approver.id, organisation_id=employer.id, role=Role.EMPLOYER))
    session.flush()
    with pytest.raises(PermissionDenied):
        permissions.require_place_approver(session, who, place)
    # An a-kasse has no approvers.
    akasse = make.organisation(OrgKind.A_KASSE)
    with pytest.raises(PermissionDenied):
        permissions.require_jobcentre_approver(session, actor(akasse.id, "approver"))


def test_only_the_owner_forwards_by_hand(session: Session, make: Factory) -> None:
    owner = make.organisation(OrgKind.JOBCENTRE)
    other = make.organisation(OrgKind.A_KASSE)
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER))
    vacancy.owner_id = owner.id
    assert permissions.may_forward(actor(owner.id, "counsellor"), vacancy)
    assert permissions.may_forward(actor(owner.id, "admin"), vacancy)
    assert not permissions.may_forward(actor(other.id, "counsellor"), vacancy)
    assert not permissions.may_forward(actor(owner.id, "approver"), vacancy)
    with pytest.raises(PermissionDenied):
        permissions.require_manual_forwarder(actor(other.id, "counsellor"), vacancy)


def test_forwarding_rules_are_set_by_an_a_kasse_or_jobcentre_administrator(
    session: Session, make: Factory
) -> None:
    akasse = make.organisation(OrgKind.A_KASSE)
    assert permissions.require_forwarding_admin(session, actor(akasse.id, "admin")) is akasse
    for kind, role in ((OrgKind.A_KASSE, "counsellor"), (OrgKind.JOB_FAIR_ORGANISER, "admin")):
        org = make.organisation(kind)
        with pytest.raises(PermissionDenied):
            permissions.require_forwarding_admin(session, actor(org.id, role))
