"""Who may do what: the roles, which roles and kinds of organisation each kind of work needs,
and the checks on the acting user.

Every way in asks here: the portal's route decorators and templates, the domain services, the
CLI and the workers (and the API). Nothing else parses a role or spells a role set, so a rule
changes in one place. Checks come in two forms: ``require_*`` raise
:class:`~matching.core.errors.PermissionDenied` (403) and return what they checked;
``may_*`` answer yes or no (to show or hide a button). Whether an *object* is the actor's to see
is a query's business (:class:`~matching.core.errors.OutOfScope`, shown as "not found"), in the
area that owns the object.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.errors import PermissionDenied
from matching.models import Membership, Organisation, OrgKind, Role, Vacancy

# --- who does which work (role sets) --------------------------------------------------------

ADMINS = frozenset({Role.ADMIN})
APPROVERS = frozenset({Role.APPROVER})
COUNSELLORS = frozenset({Role.COUNSELLOR})  # the caseload, candidate lists, referrals, inbox
EMPLOYERS = frozenset({Role.EMPLOYER})  # the employer's own vacancies, places and referrals
VACANCY_READERS = frozenset({Role.EMPLOYER, Role.COUNSELLOR, Role.APPROVER})
FAIR_ORGANISERS = frozenset({Role.ORGANISER, Role.ADMIN})
FAIR_READERS = FAIR_ORGANISERS | EMPLOYERS  # employers see the fairs they are invited to
MANUAL_FORWARDERS = frozenset({Role.COUNSELLOR, Role.ADMIN})  # of the owning organisation

# --- which organisations do it (kinds) -------------------------------------------------------

# A-kasser and jobcentres have counsellors, own vacancies and forward them to each other.
SERVICE_KINDS = frozenset({OrgKind.A_KASSE, OrgKind.JOBCENTRE})
FAIR_ORGANISER_KINDS = frozenset({OrgKind.JOB_FAIR_ORGANISER, OrgKind.JOBCENTRE, OrgKind.A_KASSE})


def parse_role(value: Role | str | None) -> Role | None:
    """``value`` as a role, or None (empty, or not a role)."""
    try:
        return Role(value) if value else None
    except ValueError:
        return None


def role_of(actor: Actor) -> Role | None:
    """The actor's role, or None (no role, or a value that is not a role)."""
    return parse_role(actor.role)


def has_role(actor: Actor, roles: frozenset[Role]) -> bool:
    """Whether the actor acts for an organisation in one of ``roles``."""
    return actor.organisation_id is not None and role_of(actor) in roles


def require_role(actor: Actor, roles: frozenset[Role], what: str = "do this") -> Role:
    """The actor's role if it is one of ``roles`` (and the actor acts for an organisation);
    :class:`PermissionDenied` otherwise."""
    if not has_role(actor, roles):
        raise PermissionDenied(f"role {actor.role!r} may not {what}")
    return Role(actor.role)


def require_organisation(
    session: Session,
    actor: Actor,
    roles: frozenset[Role],
    kinds: frozenset[OrgKind],
    what: str,
) -> Organisation:
    """The actor's organisation, if the actor has one of ``roles`` in an *active* organisation
    of one of ``kinds``; :class:`PermissionDenied` otherwise."""
    require_role(actor, roles, what)
    organisation = session.get(Organisation, actor.organisation_id)
    if organisation is None or not organisation.active or organisation.kind not in kinds:
        raise PermissionDenied(
            f"a {organisation.kind if organisation else 'missing'} may not {what}"
        )
    return organisation


# --- the checks of each kind of work ---------------------------------------------------------


def require_employer(actor: Actor) -> int:
    """The employer organisation the actor posts vacancies for."""
    require_role(actor, EMPLOYERS, "create or edit vacancies")
    assert actor.organisation_id is not None
    return actor.organisation_id


def require_fair_organiser(session: Session, actor: Actor) -> Organisation:
    """The organisation the actor organises job fairs for: an organiser or administrator of an
    active job-fair organiser, jobcentre or a-kasse."""
    return require_organisation(
        session, actor, FAIR_ORGANISERS, FAIR_ORGANISER_KINDS, "organise job fairs"
    )


def may_organise_fairs(session: Session, actor: Actor) -> bool:
    """Whether the actor may create fairs (to show or hide "Opret jobmesse")."""
    try:
        require_fair_organiser(session, actor)
    except PermissionDenied:
        return False
    return True


def require_jobcentre_approver(session: Session, actor: Actor) -> Organisation:
    """The jobcentre whose approver the actor is: approvers confirm new employers and approve
    company places."""
    return require_organisation(
        session, actor, APPROVERS, frozenset({OrgKind.JOBCENTRE}), "approve places or employers"
    )


def require_place_approver(session: Session, actor: Actor, vacancy: Vacancy) -> Organisation:
    """A jobcentre approver who has nothing to do with the place's employer.

    Never a place of the approver's own organisation or one they created, and never a place of
    an employer where they hold any role, whichever organisation they act for now (conflict of
    interest).
    """
    organisation = require_jobcentre_approver(session, actor)
    if vacancy.employer_id == organisation.id or vacancy.created_by_id == actor.user_id:
        raise PermissionDenied("an organisation may not approve its own company place")
    if works_for(session, actor, vacancy.employer_id):
        raise PermissionDenied("an approver may not approve a place of an employer they work for")
    return organisation


def works_for(session: Session, actor: Actor, organisation_id: int) -> bool:
    """Whether the acting user holds any role in ``organisation_id``, whichever organisation
    they act for now (an approver's conflict of interest)."""
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.user_id == actor.user_id,
                Membership.organisation_id == organisation_id,
            )
        )
        is not None
    )


def require_forwarding_admin(session: Session, actor: Actor) -> Organisation:
    """The a-kasse or jobcentre whose forwarding rules the actor (its administrator) sets."""
    return require_organisation(session, actor, ADMINS, SERVICE_KINDS, "set forwarding rules")


def require_manual_forwarder(actor: Actor, vacancy: Vacancy) -> None:
    """A counsellor or administrator of the organisation that owns the vacancy."""
    require_role(actor, MANUAL_FORWARDERS, "forward vacancies")
    if vacancy.owner_id != actor.organisation_id:
        raise PermissionDenied("only the owning organisation forwards a vacancy")


def may_forward(actor: Actor, vacancy: Vacancy) -> bool:
    """Whether to show the "Videregiv" form on the vacancy page."""
    try:
        require_manual_forwarder(actor, vacancy)
    except PermissionDenied:
        return False
    return True


def may_see_forwarding_results(actor: Actor, kind: OrgKind) -> bool:
    """Whether the home page shows the forwarding figures (counsellors and administrators of
    an a-kasse or jobcentre)."""
    return has_role(actor, MANUAL_FORWARDERS) and kind in SERVICE_KINDS
