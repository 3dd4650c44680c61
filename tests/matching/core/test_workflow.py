"""The one workflow mechanism: transition tables, the event log, compare-and-set changes, and no
way to change a workflow's state around it."""

from __future__ import annotations

import ast
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import workflow
from matching.core.audit import Actor
from matching.core.errors import InvalidTransition, PermissionDenied, ValidationError
from matching.core.workflow import MAX_REASON_CHARS, WorkflowBypass, check_reason
from matching.fairs.exports.requests import EXPORTS
from matching.models import (
    Export,
    ExportFormat,
    ExportStatus,
    OrgKind,
    Referral,
    Vacancy,
    VacancyKind,
    VacancyStatus,
    WorkflowEvent,
)
from matching.referrals.workflow import REFERRALS
from matching.vacancies.forwarding.workflow import FORWARDINGS
from matching.vacancies.lifecycle import VACANCIES
from tests.factories import Factory
from tests.support.paths import ROOT

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WORKFLOWS = (REFERRALS, VACANCIES, FORWARDINGS, EXPORTS)
SYSTEM = Actor.system()


def test_every_table_is_consistent() -> None:
    for flow in WORKFLOWS:
        column = getattr(flow.model, flow.attribute)
        states = set(column.type.enum_class)
        assert flow.transitions, flow.name
        for row in flow.transitions:
            assert row.source in states and row.target in states, (flow.name, row)
            assert row.by, (flow.name, row)
        assert hasattr(WorkflowEvent, flow.subject), flow.name


def test_fire_checks_the_table_the_party_and_the_reason_and_logs(
    session: Session, make: Factory
) -> None:
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER), status=VacancyStatus.OPEN)
    with pytest.raises(InvalidTransition):
        VACANCIES.fire(session, vacancy, "publish", party="employer", actor=SYSTEM)
    with pytest.raises(PermissionDenied):
        VACANCIES.fire(session, vacancy, "pause", party="approver", actor=SYSTEM)
    assert vacancy.status is VacancyStatus.OPEN and vacancy.events == []
    VACANCIES.fire(session, vacancy, "pause", party="employer", actor=SYSTEM, reason=" ", at=AT)
    assert vacancy.status is VacancyStatus.PAUSED
    [event] = vacancy.events
    assert (event.workflow, event.event, event.from_state, event.to_state, event.note) == (
        "vacancy", "pause", "open", "paused", ""
    )  # fmt: skip
    assert (event.vacancy_id, event.referral_id, event.at) == (vacancy.id, None, AT)


def test_rows_for_one_kind_of_subject_apply_to_it_only(session: Session, make: Factory) -> None:
    employer = make.organisation(OrgKind.EMPLOYER)
    ordinary = make.vacancy(employer, status=VacancyStatus.DRAFT)
    place = make.vacancy(employer, kind=VacancyKind.IGU, status=VacancyStatus.DRAFT)
    assert VACANCIES.events(ordinary, "employer") == ["publish"]
    assert VACANCIES.events(place, "employer") == ["submit"]
    with pytest.raises(InvalidTransition):
        VACANCIES.find(ordinary, "submit")


def test_reasons() -> None:
    assert check_reason("  fordi  ", required=True) == "fordi"
    assert check_reason(None, required=False) == ""
    with pytest.raises(ValidationError) as missing:
        check_reason(" ", required=True, missing="Skriv hvorfor.")
    assert missing.value.errors == {"reason": "Skriv hvorfor."}
    with pytest.raises(ValidationError):
        check_reason("x" * (MAX_REASON_CHARS + 1), required=False)


def test_assigning_a_state_outside_the_workflow_is_refused(session: Session, make: Factory) -> None:
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER), status=VacancyStatus.OPEN)
    with pytest.raises(WorkflowBypass):
        vacancy.status = VacancyStatus.CLOSED
    # A new row starts in whatever state it is made in.
    fresh = Vacancy(status=VacancyStatus.DRAFT)
    fresh.status = VacancyStatus.OPEN
    session.expunge_all()


def _export(session: Session, make: Factory) -> Export:
    organiser = make.organisation(OrgKind.JOB_FAIR_ORGANISER)
    export = Export(
        organisation_id=organiser.id, kind="shortlist", format=ExportFormat.CSV, params={}
    )
    session.add(export)
    session.flush()
    EXPORTS.start(session, export, actor=SYSTEM, at=AT)
    return export


def test_fire_where_changes_a_row_only_from_the_expected_state(
    session: Session, make: Factory
) -> None:
    export = _export(session, make)
    claim = dict(source=ExportStatus.QUEUED, party="worker", actor=SYSTEM, at=AT)
    assert EXPORTS.fire_where(session, export.id, "claim", values={"attempts": 1}, **claim)
    # The second claimant finds it running already: nothing changes, nothing is logged.
    assert not EXPORTS.fire_where(session, export.id, "claim", **claim)
    session.refresh(export)
    assert (export.status, export.attempts) == (ExportStatus.RUNNING, 1)
    history = session.scalars(
        select(WorkflowEvent).where(WorkflowEvent.export_id == export.id).order_by(WorkflowEvent.id)
    ).all()
    assert [(e.event, e.from_state, e.to_state) for e in history] == [
        ("create", None, "queued"), ("claim", "queued", "running")
    ]  # fmt: skip
    with pytest.raises(InvalidTransition):
        EXPORTS.fire_where(session, export.id, "claim", **{**claim, "party": "organiser"})


def test_a_note_changes_no_state(session: Session, make: Factory) -> None:
    akasse = make.organisation(OrgKind.A_KASSE)
    vacancy = make.vacancy(make.organisation(OrgKind.EMPLOYER))
    person = make.jobseeker(akasse)
    referral = Referral(vacancy_id=vacancy.id, jobseeker_id=person.id, organisation_id=akasse.id)
    session.add(referral)
    session.flush()
    workflow.note(
        session, referral, "Overdraget", workflow="referral", attribute="state", actor=SYSTEM
    )
    [event] = referral.events
    assert event.from_state == event.to_state == "proposed" and event.note == "Overdraget"


# --- the source: nothing changes a workflow's state around it ----------------------------------

STATUS_COLUMNS = {"state", "status"}
WORKFLOW_MODELS = {flow.model.__name__ for flow in WORKFLOWS}
# The workflows' state enums, the short aliases the areas use for them, and a table's row.
WORKFLOW_ENUMS = {"ReferralState", "VacancyStatus", "ForwardingState", "ExportStatus"}
STATE_NAMES = WORKFLOW_ENUMS | {"S", "F", "E", "transition"}
APPLICATION = ("matching", "portal", "workers")


def _bypasses(tree: ast.AST) -> list[int]:
    """Line numbers of ``x.state = <workflow enum …>`` and of bulk ``update(<workflow model>)``
    … ``.values(status=…)`` outside the mechanism."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            names = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
            for target in node.targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if (
                        isinstance(element, ast.Attribute)
                        and element.attr in STATUS_COLUMNS
                        and names & STATE_NAMES
                    ):
                        found.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "values"
            and {k.arg for k in node.keywords} & STATUS_COLUMNS
        ):
            chain = {n.id for n in ast.walk(node.func.value) if isinstance(n, ast.Name)}
            if chain & WORKFLOW_MODELS:
                found.append(node.lineno)
    return found


def test_the_checker_finds_a_bypass() -> None:
    source = (
        "referral.state = ReferralState.HIRED\n"
        "export.status, export.error = ExportStatus.FAILED, 'x'\n"
        "session.execute(update(Export).where(Export.id == 1).values(status='done'))\n"
        "response.status = 204\n"
        "row.status = new\n"
    )
    assert _bypasses(ast.parse(source)) == [1, 2, 3]


def test_no_application_code_changes_a_workflow_state_around_its_workflow() -> None:
    mechanism = ROOT / "matching" / "core" / "workflow.py"
    offenders = []
    for package in APPLICATION:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == mechanism or "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            offenders += [f"{path.relative_to(ROOT)}:{line}" for line in _bypasses(tree)]
    assert offenders == []
