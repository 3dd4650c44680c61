"""The machinery of the authorisation matrix (``tests/portal/test_authorisation.py``).

- :func:`portal_routes`: every (endpoint, method) of the portal's ``url_map`` (``static``, HEAD
  and OPTIONS left out), and :func:`coverage_problems`, which names each route a table lacks
  and each entry whose route is gone.
- :func:`matrix_actors`: who asks: anonymous, and every role in every kind of organisation
  where that role exists (``ROLES_BY_ORG_KIND``).
- :func:`build_world`: two sides of everything, "own" (the organisations the test users work
  for) and "other" (the same kinds of organisation again, with nobody logged in there): vacancies,
  a company place, caseloads, referrals, forwardings, fairs with invited employers, attached
  vacancies and shortlists, exports, and memberships that can be removed.
- :func:`judge`: whether a response is the expected answer.

The expectations themselves are written out in the test module, not computed here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from matching.core.dates import today_dk
from matching.models import (
    CV,
    ROLES_BY_ORG_KIND,
    ExitReason,
    Export,
    ExportFormat,
    ExportStatus,
    Forwarding,
    ForwardingRule,
    ForwardingState,
    ImportStatus,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Jobseeker,
    Match,
    MatchRun,
    MemberInvitation,
    Membership,
    Organisation,
    OrgKind,
    PersonImport,
    Referral,
    ReferralState,
    ResponsibilityPeriod,
    Role,
    ShortlistEntry,
    TargetGroup,
    TargetGroupPeriod,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    utcnow,
)
from matching.models.enums import ApprovalStatus

IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
IGNORED_ENDPOINTS = frozenset({"static"})

# --- the expected answers ---------------------------------------------------------------------

ALLOWED = "allowed"  # 2xx, or a redirect that is not to the login page
LOGIN = "login"  # 302 to /login (anonymous)
FORBIDDEN = "forbidden"  # 403 and an ACCESS_DENIED audit entry
NOT_FOUND = "not_found"  # 404 and an ACCESS_DENIED audit entry (OutOfScope)
CODES = {"A": ALLOWED, "L": LOGIN, "F": FORBIDDEN, "N": NOT_FOUND}
REFUSALS = frozenset({LOGIN, FORBIDDEN, NOT_FOUND})

# --- routes -----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Route:
    endpoint: str
    method: str
    rule: str
    arguments: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.endpoint, self.method)


def portal_routes(app: Flask) -> list[Route]:
    """Every (endpoint, method) in ``app.url_map`` except ``static``, HEAD and OPTIONS."""
    routes = {
        Route(rule.endpoint, method, rule.rule, tuple(sorted(rule.arguments)))
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in IGNORED_ENDPOINTS
        for method in (rule.methods or set()) - IGNORED_METHODS
    }
    return sorted(routes)


def coverage_problems(app: Flask, table: Iterable[tuple[str, str]]) -> list[str]:
    """What keeps ``table`` (keys ``(endpoint, method)``) from covering ``app``'s routes
    exactly: a message per route without an entry and per entry without a route."""
    routes = portal_routes(app)
    keys = set(table)
    problems = [
        f"add an entry for new route {r.rule} {r.method} (endpoint {r.endpoint!r})"
        for r in routes
        if r.key not in keys
    ]
    existing = {r.key for r in routes}
    problems += [
        f"remove the entry for {endpoint} {method}: no such route any more"
        for endpoint, method in sorted(keys - existing)
    ]
    return problems


# --- actors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixActor:
    role: Role | None = None
    kind: OrgKind | None = None

    @property
    def key(self) -> str:
        return f"{self.role.value}@{self.kind.value}" if self.role and self.kind else "anonymous"

    @property
    def anonymous(self) -> bool:
        return self.role is None


ANONYMOUS = MatrixActor()


def matrix_actors() -> list[MatrixActor]:
    """Anonymous, then each kind of organisation (OrgKind order) with its roles (Role order)."""
    return [ANONYMOUS] + [
        MatrixActor(role, kind)
        for kind in OrgKind
        for role in Role
        if role in ROLES_BY_ORG_KIND.get(kind, frozenset())
    ]


# --- judging a response -----------------------------------------------------------------------


def _location_path(response: TestResponse) -> str:
    return urlsplit(response.headers.get("Location", "")).path


def judge(response: TestResponse, expected: str | int) -> str | None:
    """None when ``response`` is the ``expected`` answer (a status code for public routes),
    else what is wrong. The audit entry of 403/404 is checked by the caller."""
    status = response.status_code
    where = f" → {response.headers['Location']}" if "Location" in response.headers else ""
    got = f"got {status}{where}"
    if isinstance(expected, int):
        return None if status == expected else f"expected {expected}, {got}"
    if expected == ALLOWED:
        ok = 200 <= status < 300 or (300 <= status < 400 and _location_path(response) != "/login")
    elif expected == LOGIN:
        ok = status == 302 and _location_path(response) == "/login"
    elif expected == FORBIDDEN:
        ok = status == 403
    elif expected == NOT_FOUND:
        ok = status == 404
    else:  # pragma: no cover - a typo in the table
        raise ValueError(expected)
    return None if ok else f"expected {expected}, {got}"


# --- the world --------------------------------------------------------------------------------

SIDES = ("own", "other")
SERVICE_KINDS = (OrgKind.A_KASSE, OrgKind.JOBCENTRE)
ORGANISER_KINDS = (OrgKind.A_KASSE, OrgKind.JOBCENTRE, OrgKind.JOB_FAIR_ORGANISER)
# Every organisation gets a member with this role that an administrator can remove.
REMOVABLE_ROLE = {
    OrgKind.A_KASSE: Role.COUNSELLOR,
    OrgKind.JOBCENTRE: Role.COUNSELLOR,
    OrgKind.EMPLOYER: Role.EMPLOYER,
    OrgKind.JOB_FAIR_ORGANISER: Role.ORGANISER,
}
_numbers = itertools.count(1)


@dataclass
class World:
    """Ids of the objects on each side, by name and (for per-kind objects) organisation kind."""

    ids: dict[tuple[str, str, OrgKind | None], int] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # actor key → e-mail (own side)
    memberships: dict[str, int] = field(default_factory=dict)  # actor key → membership id
    export_dir: Path | None = None
    secret_key: str = ""  # the app's: fairs name people by references derived from it

    def put(self, name: str, side: str, obj: object, kind: OrgKind | None = None) -> None:
        self.ids[(name, side, kind)] = obj.id  # type: ignore[attr-defined]

    def person_ref(self, name: str, side: str, kind: OrgKind | None = None) -> str:
        """Person ``name`` of ``side`` as the pages of the actor's fair name them."""
        from matching.fairs.references import person_reference

        fair_id, person_id = self.id("fair", side, kind), self.id(name, side)
        return person_reference(self.secret_key, fair_id, person_id)

    def id(self, name: str, side: str, kind: OrgKind | None = None) -> int:
        """The object ``name`` of ``side`` for an actor of ``kind``: the kind's own object, or
        (where that kind has none, e.g. a fair for an employer) the first kind's."""
        if (name, side, kind) in self.ids:
            return self.ids[(name, side, kind)]
        if (name, side, None) in self.ids:
            return self.ids[(name, side, None)]
        for other in OrgKind:
            if (name, side, other) in self.ids:
                return self.ids[(name, side, other)]
        raise KeyError(f"the world has no {name!r} on side {side!r}")


def _organisation(session: Session, kind: OrgKind, name: str, **values: object) -> Organisation:
    org = Organisation(kind=kind, name=name, email=f"post{next(_numbers)}@authz.dk", **values)
    session.add(org)
    session.flush()
    return org


def _user(session: Session, org: Organisation, role: Role, password_hash: str) -> User:
    n = next(_numbers)
    user = User(email=f"authz{n}@eksempel.dk", name=f"Bruger {n}", password_hash=password_hash)
    user.memberships = [Membership(organisation=org, role=role)]
    session.add(user)
    session.flush()
    return user


def _vacancy(session: Session, employer: Organisation, title: str, **values: object) -> Vacancy:
    values.setdefault("kind", VacancyKind.ORDINARY)
    values.setdefault("status", VacancyStatus.OPEN)
    values.setdefault("approval_status", ApprovalStatus.NOT_REQUIRED)
    values.setdefault("published_at", utcnow() - timedelta(days=3))
    vacancy = Vacancy(
        employer_id=employer.id,
        title=title,
        description="Vi søger en stabil kollega.",
        postal_code="5000",
        **values,
    )
    session.add(vacancy)
    session.flush()
    return vacancy


def _jobseeker(session: Session, responsible: Organisation, name: str) -> Jobseeker:
    n = next(_numbers)
    today = today_dk()
    person = Jobseeker(
        pseudonym=f"AZ-{n:06d}",
        first_name=name,
        last_name=f"Jensen{n}",
        birth_date=date(1985, 5, 17),
        postal_code="5000",
        unemployment_start=today - timedelta(days=30),
        consent_share_with_employers=True,
        cv=CV(headline="Erfaren lagermedarbejder"),
    )
    person.responsibilities = [
        ResponsibilityPeriod(
            organisation=responsible, valid_from=today - timedelta(days=30), reason="test"
        )
    ]
    person.target_groups = [
        TargetGroupPeriod(target_group=TargetGroup.DAGPENGE, valid_from=today - timedelta(days=30))
    ]
    session.add(person)
    session.flush()
    return person


def _match(session: Session, vacancy: Vacancy, person: Jobseeker, rank: int) -> None:
    session.add(
        Match(
            vacancy_id=vacancy.id,
            jobseeker_id=person.id,
            score=0.9 - rank / 10,
            rank=rank,
            explanation=["Samme faggruppe (ISCO 9333)"],
            model_version="test",
            rules_version="test",
        )
    )


def _export(session: Session, fair: JobFair, status: ExportStatus, export_dir: Path) -> Export:
    done = status is ExportStatus.DONE
    export = Export(
        organisation_id=fair.organiser_id,
        job_fair_id=fair.id,
        kind="shortlist",
        format=ExportFormat.CSV,
        status=status,
        progress=100 if done else 40,
        row_count=1 if done else None,
        attempts=1,
        error=None if done else "Arbejderen stoppede.",
        started_at=utcnow() - timedelta(minutes=5),
        finished_at=utcnow() - timedelta(minutes=4),
        expires_at=utcnow() + timedelta(days=1) if done else None,
        params={},
    )
    session.add(export)
    session.flush()
    if done:
        export.file_name = f"authz-{export.id}.csv"
        export_dir.mkdir(parents=True, exist_ok=True)
        (export_dir / export.file_name).write_text("kode;postnummer\nX1;5000\n", encoding="utf-8")
    return export


def _side(session: Session, world: World, side: str, password_hash: str) -> None:
    """One side of the world; on the "own" side, also the users of the matrix."""
    label = "Egen" if side == "own" else "Anden"
    orgs = {
        OrgKind.A_KASSE: _organisation(session, OrgKind.A_KASSE, f"{label} a-kasse"),
        OrgKind.JOBCENTRE: _organisation(
            session,
            OrgKind.JOBCENTRE,
            f"{label} jobcenter",
            municipality_code=461 if side == "own" else 101,
        ),
        OrgKind.EMPLOYER: _organisation(session, OrgKind.EMPLOYER, f"{label} virksomhed ApS"),
        OrgKind.JOB_FAIR_ORGANISER: _organisation(
            session, OrgKind.JOB_FAIR_ORGANISER, f"{label} messearrangør"
        ),
    }
    for kind, org in orgs.items():
        world.put("organisation", side, org, kind)
        colleague = _user(session, org, REMOVABLE_ROLE[kind], password_hash)
        world.put("membership", side, colleague.memberships[0], kind)
        invitation = MemberInvitation(  # a pending invitation of the colleague to admin
            nonce_hash=f"{next(_numbers):064d}",
            organisation=org,
            user=colleague,
            role=Role.ADMIN,
            email=colleague.email,
            name=colleague.name,
            expires_at=utcnow() + timedelta(days=7),
        )
        session.add(invitation)
        session.flush()
        world.put("invitation", side, invitation, kind)
    if side == "own":
        for actor in matrix_actors()[1:]:
            assert actor.kind is not None and actor.role is not None
            user = _user(session, orgs[actor.kind], actor.role, password_hash)
            world.emails[actor.key] = user.email
            world.memberships[actor.key] = user.memberships[0].id

    employer = orgs[OrgKind.EMPLOYER]
    guest = _organisation(session, OrgKind.EMPLOYER, f"{label} gæst ApS")  # invited, no vacancies
    invitable = _organisation(session, OrgKind.EMPLOYER, f"{label} kan inviteres ApS")
    pending = _organisation(session, OrgKind.EMPLOYER, f"{label} ny ApS")
    pending.verified_at = None  # after the insert: the column's default fills in a None
    world.put("guest_employer", side, guest)
    world.put("invitable_employer", side, invitable)
    world.put("pending_employer", side, pending)

    # Vacancies of the employer: one owned by each service organisation, a spare one (on no
    # fair) and a company place waiting for approval.
    owned = {
        kind: _vacancy(session, employer, f"Lager {label} {kind.value}", owner_id=orgs[kind].id)
        for kind in SERVICE_KINDS
    }
    for kind, vacancy in owned.items():
        world.put("owned_vacancy", side, vacancy, kind)
    employer_vacancy = owned[OrgKind.A_KASSE]
    world.put("employer_vacancy", side, employer_vacancy)
    world.put("spare_vacancy", side, _vacancy(session, employer, f"Chauffør {label}"))
    place = _vacancy(
        session,
        employer,
        f"Praktik {label}",
        kind=VacancyKind.VIRKSOMHEDSPRAKTIK,
        status=VacancyStatus.PENDING_APPROVAL,
        approval_status=ApprovalStatus.PENDING,
        published_at=None,
        ordinary_staff_fte=12,
        current_subsidised_count=0,
        employee_rep_statement=True,
        duration_weeks=4,
        purpose="Afklaring",
    )
    world.put("place", side, place)

    # A caseload person in each service organisation, referred (sent) to the vacancy the
    # *other* service organisation owns, so that referring them to their own organisation's
    # vacancy is still possible; and a forwarding to each service organisation.
    for kind, other_kind in (
        (OrgKind.A_KASSE, OrgKind.JOBCENTRE),
        (OrgKind.JOBCENTRE, OrgKind.A_KASSE),
    ):
        person = _jobseeker(session, orgs[kind], f"Ledig{label}")
        world.put("caseload_jobseeker", side, person, kind)
        # One who has left the register (afgang) today: erasure on request is for them.
        left = _jobseeker(session, orgs[kind], f"Afmeldt{label}")
        left.active, left.left_on, left.exit_reason = False, today_dk(), ExitReason.JOB
        world.put("left_jobseeker", side, left, kind)
        # A finished bulk import of people by the organisation.
        person_import = PersonImport(
            organisation_id=orgs[kind].id, file_name=f"ledige-{label}.csv", file_format="csv",
            status=ImportStatus.DONE, total_lines=3, processed_lines=3, created_count=3,
        )  # fmt: skip
        session.add(person_import)
        session.flush()
        world.put("person_import", side, person_import, kind)
        referral = Referral(
            vacancy_id=owned[other_kind].id,
            jobseeker_id=person.id,
            organisation_id=orgs[kind].id,
            state=ReferralState.SENT,
            respond_by=today_dk() + timedelta(days=7),
        )
        session.add(referral)
        session.flush()
        world.put("referral", side, referral, kind)
        if owned[other_kind].id == employer_vacancy.id:
            world.put("employer_referral", side, referral)
        forwarding = Forwarding(
            vacancy_id=owned[other_kind].id,
            from_organisation_id=orgs[other_kind].id,
            to_organisation_id=orgs[kind].id,
            rule=ForwardingRule.MANUAL,
            state=ForwardingState.OPEN,
            reason="Vi har ikke nok kandidater.",
            idempotency_key=f"authz-{next(_numbers)}",
        )
        session.add(forwarding)
        session.flush()
        world.put("forwarding", side, forwarding, kind)

    # Fairs of each organiser organisation: the employer (accepted, with the employer's
    # vacancy on an open shortlist and another on a locked one) and a guest (invited, no
    # vacancies); a finished and a failed export.
    shortlisted = _jobseeker(session, orgs[OrgKind.A_KASSE], f"Messe{label}")
    candidate = _jobseeker(session, orgs[OrgKind.JOBCENTRE], f"Kandidat{label}")
    world.put("shortlisted_jobseeker", side, shortlisted)
    world.put("match_jobseeker", side, candidate)
    locked_vacancy = owned[OrgKind.JOBCENTRE]
    for vacancy in (employer_vacancy, locked_vacancy):
        _match(session, vacancy, shortlisted, 1)
        _match(session, vacancy, candidate, 2)
        run = MatchRun(subject_kind="vacancy", subject_id=vacancy.id, considered=2, listed=2)
        run.model_version = run.rules_version = "test"
        session.add(run)
    world.put("fair_vacancy", side, employer_vacancy)
    world.put("locked_fair_vacancy", side, locked_vacancy)
    for kind in ORGANISER_KINDS:
        fair = JobFair(
            organiser_id=orgs[kind].id,
            name=f"Jobmesse {label} {kind.value}",
            held_on=today_dk() + timedelta(days=60),
            place="Odense Congress Center",
        )
        session.add(fair)
        session.flush()
        world.put("fair", side, fair, kind)
        session.add_all(
            [
                JobFairEmployer(job_fair_id=fair.id, employer_id=employer.id, status="accepted"),
                JobFairEmployer(job_fair_id=fair.id, employer_id=guest.id, status="invited"),
            ]
        )
        for vacancy, locked in ((employer_vacancy, False), (locked_vacancy, True)):
            fair_vacancy = JobFairVacancy(
                job_fair_id=fair.id, vacancy_id=vacancy.id, shortlist_locked=locked
            )
            session.add(fair_vacancy)
            session.flush()
            session.add(
                ShortlistEntry(
                    job_fair_vacancy_id=fair_vacancy.id,
                    jobseeker_id=shortlisted.id,
                    rank=1,
                    invitation_code=f"AZ{next(_numbers):08d}",
                )
            )
        assert world.export_dir is not None
        for status in (ExportStatus.DONE, ExportStatus.FAILED):
            export = _export(session, fair, status, world.export_dir)
            world.put(f"{status.value}_export", side, export, kind)
    session.flush()


def build_world(session: Session, password_hash: str, export_dir: Path) -> World:
    """Both sides of the world, with one user per matrix actor on the "own" side. Commits."""
    world = World(export_dir=export_dir)
    for side in SIDES:
        _side(session, world, side, password_hash)
    session.commit()
    return world
