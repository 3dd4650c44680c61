"""The authorisation matrix: every route of the portal's url_map, asked by every role in every
kind of organisation where the role exists (and by an anonymous visitor), about an object of
the actor's own organisation and one of another organisation.

The expected answers are written out below, one line per (endpoint, method); they are derived
by reading ``matching/core/permissions.py``, the ``@role_required`` decorators and the scoping
queries, but deliberately not computed from them: a decorator or a role set that changes must
make a case here fail. A route without a line fails (``add an entry for new route …``), and so
does a line whose route is gone.

Answers: ``A`` allowed (2xx, or a redirect that is not to the login page), ``L`` login (302 to
/login), ``F`` forbidden (403 and an ACCESS_DENIED audit entry), ``N`` not found (404 and an
ACCESS_DENIED audit entry: the object is outside the actor's scope). A cell of two letters is
(own object, other organisation's object); one letter is both, or a route without an object.
A refused POST must also leave the rows it would write unchanged.

Own and other: the test users all work for the "own" organisations; every URL argument is
filled with the object of the actor's own organisation (its vacancy, caseload person, fair,
export, colleague's membership, …) or with the same object of an organisation of the same kind
on the "other" side (see ``argument`` for what each id refers to on each route). Where a role's
scope is not its organisation (counsellors see every open vacancy, approvers every waiting
place), both answers are "allowed".

The world is built once for the module (tests/support/authorisation.py) inside a transaction
that is rolled back at the end, and each user logs in once. The app is made the way the
``app`` fixture of conftest.py makes it (``make_app``, CSRF off, requests on the test's
connection), but on that module-wide connection; each case runs in a savepoint of its own,
rolled back after it, so an allowed POST changes nothing for the next case.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, Select, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.core.dates import today_dk
from matching.core.settings import Settings
from matching.models import (
    CV,
    AuditAction,
    AuditEntry,
    ConsentEvent,
    CVDraft,
    Export,
    Forwarding,
    ForwardingPolicy,
    JobFair,
    JobFairEmployer,
    JobFairVacancy,
    Jobseeker,
    MatchReview,
    MemberInvitation,
    Membership,
    Notification,
    Organisation,
    OrgKind,
    PersonImport,
    Referral,
    ShortlistEntry,
    User,
    Vacancy,
    WorkflowEvent,
)
from portal.app import create_app
from tests.factories import PASSWORD
from tests.factories.vacancies import VALID
from tests.support.authorisation import (
    ANONYMOUS,
    CODES,
    FORBIDDEN,
    NOT_FOUND,
    REFUSALS,
    MatrixActor,
    Route,
    World,
    build_world,
    coverage_problems,
    judge,
    matrix_actors,
    portal_routes,
)
from tests.support.portal import make_app

# --- the table --------------------------------------------------------------------------------

# The columns: anonymous, then role@kind for every role in every kind where it exists.
COLUMNS = (
    "anonymous",
    "admin@a_kasse",  # aA
    "counsellor@a_kasse",  # aC
    "organiser@a_kasse",  # aO
    "admin@jobcentre",  # jA
    "counsellor@jobcentre",  # jC
    "approver@jobcentre",  # jP
    "organiser@jobcentre",  # jO
    "admin@employer",  # eA
    "employer@employer",  # eE
    "admin@job_fair_organiser",  # oA
    "organiser@job_fair_organiser",  # oO
)

# fmt: off
TABLE: dict[tuple[str, str], str] = {
    #                                                 anon aA aC aO jA jC jP jO eA eE oA oO
    ("auth.choose_organisation", "GET"):               "L  A  A  A  A  A  A  A  A  A  A  A",
    ("auth.choose_organisation", "POST"):              "L  A  A  A  A  A  A  A  A  A  A  A",
    ("main.home", "GET"):                              "L  A  A  A  A  A  A  A  A  A  A  A",
    # the caseload: counsellors, only their organisation's people
    ("jobseekers.caseload", "GET"):                    "L  F  A  F  F  A  F  F  F  F  F  F",
    ("jobseekers.handed_over", "GET"):                 "L  F  A  F  F  A  F  F  F  F  F  F",
    ("jobseekers.left_register", "GET"):               "L  F  A  F  F  A  F  F  F  F  F  F",
    ("jobseekers.detail", "GET"):                      "L  F  AN F  F  AN F  F  F  F  F  F",
    ("jobseekers.referral_update", "POST"):            "L  F  AN F  F  AN F  F  F  F  F  F",
    # registering and maintaining people: counsellors of the organisation responsible today
    ("people_admin.person_new", "GET"):                "L  F  A  F  F  A  F  F  F  F  F  F",
    ("people_admin.person_new", "POST"):               "L  F  A  F  F  A  F  F  F  F  F  F",
    ("people_admin.person_edit", "GET"):               "L  F  AN F  F  AN F  F  F  F  F  F",
    ("people_admin.person_edit", "POST"):              "L  F  AN F  F  AN F  F  F  F  F  F",
    ("people_admin.person_exit", "GET"):               "L  F  AN F  F  AN F  F  F  F  F  F",
    ("people_admin.person_exit", "POST"):              "L  F  AN F  F  AN F  F  F  F  F  F",
    ("people_admin.person_consents", "GET"):           "L  F  AN F  F  AN F  F  F  F  F  F",
    ("people_admin.person_consents", "POST"):          "L  F  AN F  F  AN F  F  F  F  F  F",
    # a person's rights: counsellors of the organisation answering for the person
    ("person_rights.overview", "GET"):                 "L  F  AN F  F  AN F  F  F  F  F  F",
    ("person_rights.export_json", "GET"):              "L  F  AN F  F  AN F  F  F  F  F  F",
    ("person_rights.export_pdf", "GET"):               "L  F  AN F  F  AN F  F  F  F  F  F",
    ("person_rights.erase", "GET"):                    "L  F  AN F  F  AN F  F  F  F  F  F",
    ("person_rights.erase", "POST"):                   "L  F  AN F  F  AN F  F  F  F  F  F",
    # the CV editor and uploaded CV documents: counsellors of the person's organisation
    ("cv_editor.edit", "GET"):                         "L  F  AN F  F  AN F  F  F  F  F  F",
    ("cv_editor.edit", "POST"):                        "L  F  AN F  F  AN F  F  F  F  F  F",
    ("cv_editor.upload", "GET"):                       "L  F  AN F  F  AN F  F  F  F  F  F",
    ("cv_editor.upload", "POST"):                      "L  F  AN F  F  AN F  F  F  F  F  F",
    ("cv_editor.review", "GET"):                       "L  F  AN F  F  AN F  F  F  F  F  F",
    ("cv_editor.review", "POST"):                      "L  F  AN F  F  AN F  F  F  F  F  F",
    # vacancies: employers their own; counsellors every open vacancy of a confirmed employer
    # (another organisation's too); approvers open ones and places waiting for approval
    ("vacancies.vacancy_list", "GET"):                 "L  F  A  F  F  A  A  F  F  A  F  F",
    ("vacancies.detail", "GET"):                       "L  F  A  F  F  A  A  F  F  AN F  F",
    ("vacancies.candidates", "GET"):                   "L  F  A  F  F  A  F  F  F  F  F  F",
    ("vacancies.review", "POST"):                      "L  F  AN F  F  AN F  F  F  F  F  F",
    ("vacancies.refer", "POST"):                       "L  F  AN F  F  AN F  F  F  F  F  F",
    ("vacancies.referred", "GET"):                     "L  F  F  F  F  F  F  F  F  AN F  F",
    ("vacancies.referral_outcome", "POST"):            "L  F  F  F  F  F  F  F  F  AN F  F",
    ("vacancy_forms.occupation_suggestions", "GET"):   "L  F  A  F  F  A  A  F  F  A  F  F",
    ("vacancy_forms.create", "GET"):                   "L  F  F  F  F  F  F  F  F  A  F  F",
    ("vacancy_forms.create", "POST"):                  "L  F  F  F  F  F  F  F  F  A  F  F",
    ("vacancy_forms.edit", "GET"):                     "L  F  F  F  F  F  F  F  F  AN F  F",
    ("vacancy_forms.edit", "POST"):                    "L  F  F  F  F  F  F  F  F  AN F  F",
    ("vacancy_forms.change_status", "POST"):           "L  F  F  F  F  F  F  F  F  AN F  F",
    # approvals: approvers at a jobcentre, any employer's place or sign-up
    ("approvals.queue", "GET"):                        "L  F  F  F  F  F  A  F  F  F  F  F",
    ("approvals.detail", "GET"):                       "L  F  F  F  F  F  A  F  F  F  F  F",
    ("approvals.decide", "POST"):                      "L  F  F  F  F  F  A  F  F  F  F  F",
    ("approvals.employers", "GET"):                    "L  F  F  F  F  F  A  F  F  F  F  F",
    ("approvals.decide_employer", "POST"):             "L  F  F  F  F  F  A  F  F  F  F  F",
    # colleagues: every organisation's administrator, for their own organisation
    ("accounts.members", "GET"):                       "L  A  F  F  A  F  F  F  A  F  A  F",
    ("accounts.members", "POST"):                      "L  A  F  F  A  F  F  F  A  F  A  F",
    ("accounts.remove_member", "POST"):                "L  AN F  F  AN F  F  F  AN F  AN F",
    ("accounts.withdraw_invitation", "POST"):          "L  AN F  F  AN F  F  F  AN F  AN F",
    # forwarding: the receivers' counsellors; by hand only the owner's counsellors (403 for
    # another owner's vacancy); the rules: administrators of an a-kasse or jobcentre
    ("forwarding.inbox", "GET"):                       "L  F  A  F  F  A  F  F  F  F  F  F",
    ("forwarding.accept", "POST"):                     "L  F  AN F  F  AN F  F  F  F  F  F",
    ("forwarding.give_back", "POST"):                  "L  F  AN F  F  AN F  F  F  F  F  F",
    ("forwarding.forward", "POST"):                    "L  F  AF F  F  AF F  F  F  F  F  F",
    ("forwarding.policy", "GET"):                      "L  A  F  F  A  F  F  F  F  F  F  F",
    ("forwarding.policy", "POST"):                     "L  A  F  F  A  F  F  F  F  F  F  F",
    # fairs: organisers and administrators of a-kasser, jobcentres and fair organisers, their
    # own organisation's fairs; employers the fairs they are invited to (an employer's
    # administrator is no organiser: 403, or 404 where the view looks the fair up first)
    ("fairs.fair_list", "GET"):                        "L  A  F  A  A  F  F  A  F  A  A  A",
    ("fairs.fair_new", "GET"):                         "L  A  F  A  A  F  F  A  F  F  A  A",
    ("fairs.fair_new", "POST"):                        "L  A  F  A  A  F  F  A  F  F  A  A",
    ("fairs.fair_edit", "GET"):                        "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.fair_edit", "POST"):                       "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.fair_detail", "GET"):                      "L  AN F  AN AN F  F  AN N  AN AN AN",
    ("fairs.invite", "GET"):                           "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.invite", "POST"):                          "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.remove_employer", "POST"):                 "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.respond", "POST"):                         "L  F  F  F  F  F  F  F  F  AN F  F",
    ("fairs.attach", "POST"):                          "L  AN F  AN AN F  F  AN N  AN AN AN",
    ("fairs.detach", "POST"):                          "L  AN F  AN AN F  F  AN N  AN AN AN",
    ("fairs.shortlist", "GET"):                        "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.build", "POST"):                           "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.add", "POST"):                             "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.remove", "POST"):                          "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.invited", "POST"):                         "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.lock", "POST"):                            "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("fairs.unlock", "POST"):                          "L  AN F  AN AN F  F  AN F  F  AN AN",
    # exports: the fair organiser organisation's organisers and administrators
    ("exports.fair_exports", "GET"):                   "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("exports.create_export", "POST"):                 "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("exports.export_status", "GET"):                  "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("exports.export_status_json", "GET"):             "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("exports.download", "GET"):                       "L  AN F  AN AN F  F  AN F  F  AN AN",
    ("exports.retry", "POST"):                         "L  AN F  AN AN F  F  AN F  F  AN AN",
    # bulk import of people: administrators of an a-kasse or jobcentre, their own imports
    ("person_imports.imports", "GET"):                 "L  A  F  F  A  F  F  F  F  F  F  F",
    ("person_imports.upload", "POST"):                 "L  A  F  F  A  F  F  F  F  F  F  F",
    ("person_imports.status", "GET"):                  "L  AN F  F  AN F  F  F  F  F  F  F",
    ("person_imports.status_json", "GET"):             "L  AN F  F  AN F  F  F  F  F  F  F",
}

# Public routes: the status for an anonymous visitor and for a logged-in user (any role).
PUBLIC: dict[tuple[str, str], tuple[int, int]] = {
    ("auth.login", "GET"):                     (200, 302),  # logged in: on to the home page
    ("auth.login", "POST"):                    (400, 302),  # an empty form
    ("auth.logout", "POST"):                   (302, 302),  # to the login page
    ("accounts.signup", "GET"):                (200, 200),
    ("accounts.signup", "POST"):               (400, 400),  # an empty form
    ("accounts.forgot_password", "GET"):       (200, 200),
    ("accounts.forgot_password", "POST"):      (400, 400),  # an empty form
    # links from e-mails, with an invalid token: the link error page for everyone
    ("accounts.accept_invitation", "GET"):     (400, 400),
    ("accounts.accept_invitation", "POST"):    (400, 400),
    ("accounts.confirm_membership", "GET"):    (400, 400),
    ("accounts.confirm_membership", "POST"):   (400, 400),
    ("accounts.reset_password", "GET"):        (400, 400),
    ("accounts.reset_password", "POST"):       (400, 400),
    ("accounts.signup_company", "GET"):        (400, 400),
    ("accounts.signup_company", "POST"):       (400, 400),
    # the development outbox (test settings, from this machine); an unknown message is 404
    ("accounts.outbox.messages", "GET"):       (200, 200),
    ("accounts.outbox.message", "GET"):        (404, 404),
    ("healthz", "GET"):                        (200, 200),
}
# fmt: on

OBJECT_ID_CHARS = AuditEntry.__table__.c.object_id.type.length  # 40: PostgreSQL refuses longer


# --- what the URL arguments and forms refer to ------------------------------------------------

SERVICE_KINDS = (OrgKind.A_KASSE, OrgKind.JOBCENTRE)
INVALID_TOKEN = "ugyldigt-link"
# A role that an administrator of each kind of organisation may invite a colleague to.
INVITED_ROLE = {
    OrgKind.A_KASSE: "counsellor",
    OrgKind.JOBCENTRE: "counsellor",
    OrgKind.EMPLOYER: "employer",
    OrgKind.JOB_FAIR_ORGANISER: "organiser",
}
QUERY = {
    "vacancy_forms.create": "?type=ordinary",
    "vacancy_forms.occupation_suggestions": "?titel=lager",
}


def argument(world: World, endpoint: str, name: str, kind: OrgKind | None, side: str) -> Any:
    """The value of URL argument ``name`` of ``endpoint`` for an actor of ``kind``: the
    object of the actor's own organisation (``side`` "own") or another's ("other")."""
    area = endpoint.split(".")[0]
    if name == "token":
        return INVALID_TOKEN
    if name == "name":
        return "20260101T000000000000Z-0123abcd.eml"  # an outbox name that is not there
    if name == "vacancy_id":
        if area == "approvals":
            return world.id("place", side)  # a company place waiting for approval
        if endpoint == "fairs.unlock":
            return world.id("locked_fair_vacancy", side)
        if area in ("fairs", "exports"):
            return world.id("fair_vacancy", side)  # attached to the fair, open shortlist
        if kind in SERVICE_KINDS:
            return world.id("owned_vacancy", side, kind)  # the organisation owns it
        return world.id("employer_vacancy", side)  # the employer's own, with a referral
    if name == "person":  # a fair's opaque reference to a person on its list
        return world.person_ref("shortlisted_jobseeker", side, kind)
    if name == "jobseeker_id":
        if area == "fairs":
            return world.id("shortlisted_jobseeker", side)
        if endpoint == "person_rights.erase":
            return world.id("left_jobseeker", side, kind)  # erasure follows leaving
        return world.id("caseload_jobseeker", side, kind)
    if name == "referral_id":
        if endpoint == "vacancies.referral_outcome":
            return world.id("employer_referral", side)  # sent to the employer's vacancy
        return world.id("referral", side, kind)  # of the caseload person
    objects = {
        "fair_id": "fair",  # organised by the actor's organisation (or inviting the employer)
        "employer_id": "guest_employer",  # invited to the fair, no vacancies on it
        "export_id": "failed_export" if endpoint == "exports.retry" else "done_export",
        "import_id": "person_import",  # a finished import of the organisation
        "forwarding_id": "forwarding",  # addressed to the actor's organisation
        "membership_id": "membership",  # a colleague's role in the organisation
        "invitation_id": "invitation",  # a pending invitation of a colleague
        "organisation_id": "pending_employer",  # a self-registered employer to confirm
    }
    return world.id(objects[name], side, kind)


Form = Callable[[World, MatrixActor, str], dict[str, str]]
FAIR_DAY = today_dk() + timedelta(days=60)


def _fixed(data: dict[str, str]) -> Form:
    return lambda _world, _actor, _side: data


def _person_form(world: World, actor: MatrixActor, cpr: str) -> dict[str, str]:
    """A dagpenge recipient in Odense whom the routing rules give to the actor's organisation:
    insured with the actor's a-kasse (month 1), or not insured (the Odense jobcentre)."""
    start = (today_dk() - timedelta(days=30)).isoformat()
    insured = actor.kind is OrgKind.A_KASSE
    return {
        "cpr": cpr,
        "first_name": "Matrix",
        "last_name": "Person",
        "postal_code": "5000",
        "a_kasse_id": str(world.id("organisation", "own", OrgKind.A_KASSE)) if insured else "",
        "unemployment_start": start,
        "target_groups-0-target_group": "dagpenge",
        "target_groups-0-valid_from": start,
        "max_commute_km": "30",
    }


FORMS: dict[str, Form] = {
    "cv_editor.edit": _fixed(
        {"headline": "Ændret af matrixtesten", "language": "da", "searchable": "y"}
    ),
    "cv_editor.upload": lambda _w, _a, _s: {
        "fil": (io.BytesIO("Ændret af matrixtesten\nLagermedarbejder\n".encode()), "cv.txt")
    },
    "cv_editor.review": _fixed({"handling": "discard"}),
    "auth.choose_organisation": lambda w, a, _s: {"membership": str(w.memberships.get(a.key, 0))},
    "jobseekers.referral_update": _fixed({"event": "invite"}),
    "person_rights.erase": _fixed({"reason": "Anmodning modtaget pr. brev.", "confirm": "y"}),
    "people_admin.person_new": lambda w, a, _s: _person_form(w, a, "170585-4321"),
    "people_admin.person_edit": lambda w, a, _s: _person_form(w, a, "170585-4322"),
    "people_admin.person_exit": _fixed({"left_on": today_dk().isoformat(), "reason": "job"}),
    "people_admin.person_consents": _fixed(
        {"kind": "share_with_employers", "given": "nej", "channel": "paper"}
    ),
    "vacancies.review": _fixed({"decision": "reject", "reason": "Mangler truckcertifikat."}),
    "vacancies.refer": _fixed({"note": "Har erfaring fra lager."}),
    "vacancies.referral_outcome": _fixed({"event": "invite"}),
    "vacancy_forms.create": _fixed({**VALID, "handling": "save"}),
    "vacancy_forms.edit": _fixed({**VALID, "title": "Ændret af matrixtesten"}),
    "vacancy_forms.change_status": _fixed({"event": "pause"}),
    "approvals.decide": _fixed({"decision": "approve"}),
    "approvals.decide_employer": _fixed({"decision": "verify"}),
    "accounts.members": lambda _w, a, _s: {
        "email": "ny.kollega@eksempel.dk",
        "name": "Ny Kollega",
        "role": INVITED_ROLE.get(a.kind, "admin"),
    },
    "forwarding.give_back": _fixed({"reason": "Vi har ingen kandidater."}),
    "forwarding.forward": lambda w, a, _s: {
        "target": str(w.id("organisation", "other", a.kind or OrgKind.A_KASSE)),
        "reason": "Vi har for få kandidater.",
    },
    "forwarding.policy": _fixed(
        {
            "enabled": "ja",
            "min_pool": "2",
            "min_score_percent": "65",
            "no_referral_days": "10",
            "to_jobcentre": "ja",
            "to_a_kasser": "ja",
            "max_targets": "4",
        }
    ),
    "fairs.fair_new": _fixed(
        {"name": "Ny jobmesse", "held_on": FAIR_DAY.isoformat(), "place": "Hal 2"}
    ),
    "fairs.fair_edit": _fixed(
        {"name": "Omdøbt jobmesse", "held_on": FAIR_DAY.isoformat(), "place": "Hal 3"}
    ),
    "fairs.invite": lambda w, _a, s: {"employer_id": str(w.id("invitable_employer", s))},
    "fairs.respond": _fixed({"svar": "nej"}),
    "fairs.attach": lambda w, _a, s: {"vacancy_id": str(w.id("spare_vacancy", s))},
    "fairs.build": _fixed({"size": "20"}),
    "fairs.add": lambda w, a, s: {
        "kilde": "match",
        "person": w.person_ref("match_jobseeker", s, a.kind),
    },
    "fairs.remove": _fixed({"reason": "Har fået job."}),
    "fairs.invited": _fixed({"inviteret": "ja"}),
    "exports.create_export": _fixed({"kind": "shortlist", "format": "csv"}),
    "person_imports.upload": lambda _w, _a, _s: {
        "fil": (io.BytesIO(b"cpr;fornavn;efternavn;postnummer\n"), "ledige.csv")  # type: ignore[dict-item]
    },
}


def _count(model: type, *where: Any) -> Select:
    return select(func.count()).select_from(model).where(*where)


Probe = Callable[[dict[str, Any]], list[Select]]


def _rows(*columns: Any) -> Select:
    return select(*columns).order_by(*columns)


# What a POST would write, to compare before and after a refused one: a few counts, or the
# state of the object it would change.
PROBES: dict[str, Probe] = {
    "cv_editor.edit": lambda a: [select(CV.headline).where(CV.jobseeker_id == a["jobseeker_id"])],
    "cv_editor.upload": lambda _a: [_count(CVDraft)],
    # The world holds no draft: an allowed POST only redirects to the upload page; a refused
    # one is checked by ALWAYS_PROBED (and tests/portal/test_cv_editor.py).
    "cv_editor.review": lambda _a: [],
    "auth.choose_organisation": lambda _a: [],
    "jobseekers.referral_update": lambda a: [
        select(Referral.state).where(Referral.id == a["referral_id"])
    ],
    "people_admin.person_new": lambda _a: [_count(Jobseeker)],
    "people_admin.person_edit": lambda a: [
        select(Jobseeker.first_name, Jobseeker.cpr_lookup).where(Jobseeker.id == a["jobseeker_id"])
    ],
    "people_admin.person_exit": lambda a: [
        select(Jobseeker.active, Jobseeker.left_on).where(Jobseeker.id == a["jobseeker_id"])
    ],
    "people_admin.person_consents": lambda _a: [_count(ConsentEvent)],
    "person_rights.erase": lambda a: [
        select(Jobseeker.first_name, Jobseeker.anonymised_at).where(
            Jobseeker.id == a["jobseeker_id"]
        )
    ],
    "vacancies.review": lambda _a: [_count(MatchReview)],
    "vacancies.refer": lambda _a: [_count(Referral), _count(MatchReview)],
    "vacancies.referral_outcome": lambda a: [
        select(Referral.state).where(Referral.id == a["referral_id"])
    ],
    "vacancy_forms.create": lambda _a: [_count(Vacancy)],
    "vacancy_forms.edit": lambda a: [select(Vacancy.title).where(Vacancy.id == a["vacancy_id"])],
    "vacancy_forms.change_status": lambda a: [
        select(Vacancy.status).where(Vacancy.id == a["vacancy_id"])
    ],
    "approvals.decide": lambda a: [select(Vacancy.status).where(Vacancy.id == a["vacancy_id"])],
    "approvals.decide_employer": lambda a: [
        select(Organisation.verified_at, Organisation.active).where(
            Organisation.id == a["organisation_id"]
        )
    ],
    "accounts.members": lambda _a: [_count(User), _count(Membership)],
    "accounts.remove_member": lambda _a: [_count(Membership)],
    "accounts.withdraw_invitation": lambda a: [
        select(MemberInvitation.revoked_at).where(MemberInvitation.id == a["invitation_id"])
    ],
    "forwarding.accept": lambda a: [
        select(Forwarding.state).where(Forwarding.id == a["forwarding_id"])
    ],
    "forwarding.give_back": lambda a: [
        select(Forwarding.state).where(Forwarding.id == a["forwarding_id"])
    ],
    "forwarding.forward": lambda _a: [_count(Forwarding)],
    "forwarding.policy": lambda _a: [_count(ForwardingPolicy)],
    "fairs.fair_new": lambda _a: [_count(JobFair)],
    "fairs.fair_edit": lambda a: [select(JobFair.name).where(JobFair.id == a["fair_id"])],
    "fairs.invite": lambda _a: [_count(JobFairEmployer)],
    "fairs.remove_employer": lambda _a: [_count(JobFairEmployer)],
    "fairs.respond": lambda _a: [_rows(JobFairEmployer.id, JobFairEmployer.status)],
    "fairs.attach": lambda _a: [_count(JobFairVacancy)],
    "fairs.detach": lambda _a: [_count(JobFairVacancy)],
    "fairs.build": lambda _a: [_rows(ShortlistEntry.id, ShortlistEntry.rank)],
    "fairs.add": lambda _a: [_rows(ShortlistEntry.id, ShortlistEntry.removed)],
    "fairs.remove": lambda _a: [_rows(ShortlistEntry.id, ShortlistEntry.removed)],
    "fairs.invited": lambda _a: [_rows(ShortlistEntry.id, ShortlistEntry.invited)],
    "fairs.lock": lambda _a: [_rows(JobFairVacancy.id, JobFairVacancy.shortlist_locked)],
    "fairs.unlock": lambda _a: [_rows(JobFairVacancy.id, JobFairVacancy.shortlist_locked)],
    "exports.create_export": lambda _a: [_count(Export)],
    "person_imports.upload": lambda _a: [_count(PersonImport)],
    "exports.retry": lambda a: [
        select(Export.status, Export.attempts).where(Export.id == a["export_id"])
    ],
}
# Written by almost every change: checked after every refused POST as well.
ALWAYS_PROBED = [_count(WorkflowEvent), _count(Notification)]


# --- the cases --------------------------------------------------------------------------------


def _url_map_app() -> Flask:
    """An app for reading the url_map at collection time (no database behind it)."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env(
            {
                "JOBBRO_ENV": "test",
                "JOBBRO_DATA_DIR": data_dir,
                "JOBBRO_SECRET_KEY": "authorisation-matrix-secret-key-0123456789",
            }
        )
        return create_app(settings, session_factory=sessionmaker(bind=create_engine("sqlite://")))


@dataclass(frozen=True)
class Case:
    route: Route
    actor: MatrixActor
    scope: str  # "own", "other", or "-" for a route without an object (and for anonymous)
    expected: str | int | None  # None: the route has no entry

    @property
    def id(self) -> str:
        parts = [self.route.endpoint, self.route.method, self.actor.key]
        return "-".join(parts + ([self.scope] if self.scope != "-" else []))

    @property
    def side(self) -> str:
        return "other" if self.scope == "other" else "own"


def _cells(endpoint: str, method: str) -> dict[str, tuple[str, str]]:
    cells = TABLE[(endpoint, method)].split()
    assert len(cells) == len(COLUMNS), f"{endpoint} {method}: {len(cells)} cells"
    return {
        column: (CODES[cell[0]], CODES[cell[-1]])
        for column, cell in zip(COLUMNS, cells, strict=True)
    }


def _cases() -> list[Any]:
    params = []
    for route in portal_routes(_url_map_app()):
        public = route.key in PUBLIC
        if route.key not in TABLE and not public:
            case = Case(route, ANONYMOUS, "-", None)
            params.append(pytest.param(case, id=f"{route.endpoint}-{route.method}-NO-ENTRY"))
            continue
        for actor in matrix_actors():
            if public:
                anonymous, logged_in = PUBLIC[route.key]
                case = Case(route, actor, "-", anonymous if actor.anonymous else logged_in)
                params.append(pytest.param(case, id=case.id))
                continue
            scopes = ["-"] if actor.anonymous or not route.arguments else ["own", "other"]
            for scope in scopes:
                own, other = _cells(route.endpoint, route.method).get(actor.key, (None, None))
                case = Case(route, actor, scope, other if scope == "other" else own)
                params.append(pytest.param(case, id=case.id))
    return params


CASES = _cases()


# --- the world, once per module ---------------------------------------------------------------


@dataclass
class Matrix:
    app: Flask
    world: World
    connection: Connection
    cookies: dict[str, str]  # actor key → session cookie after logging in
    user_ids: dict[str, int]

    def client(self, actor: MatrixActor) -> FlaskClient:
        client = self.app.test_client()
        if not actor.anonymous:
            client.set_cookie("jobbro_session", self.cookies[actor.key])
        return client

    def rows(self, statements: list[Select]) -> list[list[tuple]]:
        return [[tuple(row) for row in self.connection.execute(s)] for s in statements]

    def audit_problem(self, case: Case, path: str, last_entry: int) -> str | None:
        """403/404 must write ACCESS_DENIED (by this user, for this path); no other answer may."""
        denied = self.connection.execute(
            select(AuditEntry.actor_id, AuditEntry.object_id, AuditEntry.details).where(
                AuditEntry.id > last_entry, AuditEntry.action == AuditAction.ACCESS_DENIED
            )
        ).all()
        if case.expected not in (FORBIDDEN, NOT_FOUND):
            return (
                f"ACCESS_DENIED written for a {case.expected} answer: {denied}" if denied else None
            )
        user_id = self.user_ids[case.actor.key]
        mine = [o for actor_id, o, d in denied if actor_id == user_id and d.get("path") == path]
        if not mine:
            return f"no ACCESS_DENIED audit entry for {path} (got {denied})"
        if any(len(o or "") > OBJECT_ID_CHARS for o in mine):  # PostgreSQL would refuse it
            return f"ACCESS_DENIED object_id longer than {OBJECT_ID_CHARS} characters: {mine}"
        return None


@pytest.fixture(scope="module")
def matrix(
    engine: Engine, settings: Settings, password_hash: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    export_dir = tmp_path_factory.mktemp("authz") / "exports"
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        world = build_world(session, password_hash, export_dir)
        app = make_app(
            settings.with_overrides(export_dir=export_dir, redis_url=None), session, csrf=False
        )
        world.secret_key = settings.secret_key
        cookies, user_ids = {}, {}
        for actor in matrix_actors()[1:]:
            client = app.test_client()
            email = world.emails[actor.key]
            response = client.post("/login", data={"email": email, "password": PASSWORD})
            assert response.status_code == 302, (actor.key, response.get_data(as_text=True))
            cookie = client.get_cookie("jobbro_session")
            assert cookie is not None
            cookies[actor.key] = cookie.value
            user_ids[actor.key] = connection.scalar(select(User.id).where(User.email == email))
        yield Matrix(app, world, connection, cookies, user_ids)
    finally:
        session.close()
        if transaction.is_active:
            transaction.rollback()
        connection.close()


# --- the tests --------------------------------------------------------------------------------


def test_the_columns_are_every_role_in_every_kind_where_it_exists() -> None:
    assert tuple(a.key for a in matrix_actors()) == COLUMNS, (
        "ROLES_BY_ORG_KIND changed: add or remove the table's columns"
    )


def test_the_table_covers_the_url_map_exactly() -> None:
    problems = coverage_problems(_url_map_app(), [*TABLE, *PUBLIC])
    assert not problems, "\n".join(problems)
    both = set(TABLE) & set(PUBLIC)
    assert not both, f"routes both public and in the table: {sorted(both)}"
    for endpoint, method in TABLE:  # every line has a cell per column
        _cells(endpoint, method)
    unprobed = [e for e, method in TABLE if method == "POST" and e not in PROBES]
    assert not unprobed, f"add a probe of what these POSTs write: {unprobed}"


def test_a_new_route_without_an_entry_and_an_entry_without_a_route_are_reported() -> None:
    app = _url_map_app()

    @app.route("/ny-side/<int:thing_id>", methods=["GET", "POST"])
    def ny_side(thing_id: int) -> str:
        return str(thing_id)

    problems = coverage_problems(app, [*TABLE, *PUBLIC, ("fairs.gone", "GET")])
    assert problems == [
        "add an entry for new route /ny-side/<int:thing_id> GET (endpoint 'ny_side')",
        "add an entry for new route /ny-side/<int:thing_id> POST (endpoint 'ny_side')",
        "remove the entry for fairs.gone GET: no such route any more",
    ]


@pytest.mark.parametrize("case", CASES)
def test_route_answers_as_the_table_says(case: Case, matrix: Matrix) -> None:
    route, actor = case.route, case.actor
    if case.expected is None:
        pytest.fail(
            f"add an entry for new route {route.rule} {route.method} (endpoint "
            f"{route.endpoint!r}) to TABLE (or PUBLIC) in {Path(__file__).name}"
        )
    values = {
        name: argument(matrix.world, route.endpoint, name, actor.kind, case.side)
        for name in route.arguments
    }
    path = matrix.app.url_map.bind("localhost").build(route.endpoint, values, method=route.method)
    url = path + QUERY.get(route.endpoint, "")
    data = FORMS.get(route.endpoint, _fixed({}))(matrix.world, actor, case.side)
    # A refused POST must leave what it would write alone; an allowed one must change it (or
    # the probe proves nothing).
    watched = (
        PROBES[route.endpoint](values) if route.method == "POST" and route.key in TABLE else []
    )
    refused = case.expected in REFUSALS

    savepoint = matrix.connection.begin_nested()
    try:
        last_entry = matrix.connection.scalar(select(func.max(AuditEntry.id))) or 0
        probing = route.method == "POST" and bool(watched or refused)
        before = matrix.rows([*watched, *ALWAYS_PROBED]) if probing else None
        response = matrix.client(actor).open(url, method=route.method, data=data)
        problems = [judge(response, case.expected)]
        if isinstance(case.expected, str):
            problems.append(matrix.audit_problem(case, path, last_entry))
        if before is not None:
            after = matrix.rows([*watched, *ALWAYS_PROBED])
            if refused and after != before:
                problems.append(f"a refused POST changed rows: {before} → {after}")
            if not refused and watched and after[: len(watched)] == before[: len(watched)]:
                problems.append(f"an allowed POST left its probe unchanged: {before}")
    finally:
        savepoint.rollback()
    problems = [p for p in problems if p]
    assert not problems, f"{route.method} {url} as {actor.key} ({case.scope}): " + "; ".join(
        problems
    )
