"""Bulk import of people and their CVs from a case system's export (CSV or JSON Lines).

:func:`run_import` stores the rows read by :mod:`matching.intake.import_formats`:

- **All or nothing.** Every line is read and checked first (the person's data by
  :func:`matching.intake.registration.validate`, the CV by :func:`matching.intake.cvs.validate_cv`,
  the routing rules for who is responsible); one error anywhere and nothing is written. The
  errors are line-numbered fixed Danish sentences that never quote the line.
- **Idempotent.** A person is found by the CPR look-up hash (one bulk query per 500 lines): new
  people are created, known people are updated, and a line that would change nothing is
  "unchanged" and writes nothing (no audit entry either). An empty cell keeps what is stored.
- **Only the organisation's own people.** A new person must be one the routing rules make the
  importing organisation responsible for today, and a known person one it is responsible for
  today; anyone else is a line error that does not say who is responsible.
- Consents stated in the file go to the consent ledger with channel ``imported``, only when they
  change the person's current state.
- Fast: the new rows are added and flushed together (one flush for thousands of people), the
  audit entries are bulk-inserted. The caller commits, then enqueues the match lists
  (``summary.created_ids`` and ``summary.updated_ids``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matching.core import permissions
from matching.core.audit import Actor
from matching.core.dates import today_dk
from matching.core.errors import ValidationError
from matching.core.security import cpr_lookup_hash, cpr_lookup_hashes, normalise_cpr
from matching.intake import consents, cvs, registration
from matching.intake.import_formats import CVIn, ImportRow, LineError
from matching.intake.import_writes import Write, store
from matching.models import (
    CV,
    ConsentKind,
    Jobseeker,
    Organisation,
    OrgKind,
)
from matching.people.responsibility import Router

LOOKUP_CHUNK = 500  # CPR look-up hashes per query
PURPOSE = "import"
Progress = Callable[[int, int], None]

NOT_RESPONSIBLE = (
    "Personen findes i Jobbro, men din organisation er ikke ansvarlig for personen i dag."
)
NOT_ROUTED_HERE = "Efter reglerne er din organisation ikke ansvarlig for personen i dag."
WOULD_MOVE = (
    "Ændringen ville gøre en anden organisation ansvarlig for personen. Ret personen i Jobbro."
)
DUPLICATE = "CPR-nummeret står også på linje {first}."
UNKNOWN_A_KASSE_CVR = "Der findes ingen aktiv a-kasse med dette CVR-nummer."
UNKNOWN_A_KASSE_NAME = "Der findes ingen aktiv a-kasse med dette navn."
LEFT = "Personen er afmeldt. Afmeldte personer kan ikke importeres."

# registration's and cvs' field names → the file's column names.
PERSON_COLUMN = {
    "cpr": "cpr",
    "first_name": "fornavn",
    "last_name": "efternavn",
    "email": "email",
    "phone": "telefon",
    "street_address": "adresse",
    "postal_code": "postnummer",
    "municipality_code": "kommunekode",
    "a_kasse_id": "a_kasse_cvr",
    "unemployment_start": "ledig_siden",
    "target_groups": "maalgruppe",
    "education_level": "uddannelsesniveau",
    "max_commute_km": "max_km",
}
CV_COLUMN = {
    "headline": "cv_overskrift",
    "summary": "cv_resume",
    "experiences": "erfaring",
    "educations": "uddannelse",
    "skills": "kompetencer",
    "languages": "sprog",
    "driving_licences": "koerekort",
    "desired_occupations": "jobmaal",
}


@dataclass
class ImportSummary:
    """What an import did (or, for a dry run, would do). With errors, nothing was stored and
    the counts are 0."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[LineError] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Planned:
    """A checked line and what storing it means."""

    line: int
    write: Write

    @property
    def changed(self) -> bool:
        w = self.write
        return bool(w.person is None or w.person_changed or w.cv or w.consents)


def require_importer(session: Session, actor: Actor) -> Organisation:
    """The a-kasse or jobcentre whose administrator the actor is (who may import people)."""
    return permissions.require_organisation(
        session, actor, permissions.ADMINS, permissions.SERVICE_KINDS, "import people"
    )


def _column(name: str, columns: dict[str, str]) -> str:
    return columns.get(name.split("-", 1)[0], name)


def _a_kasser(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    rows = session.execute(
        select(Organisation.id, Organisation.cvr, Organisation.name).where(
            Organisation.kind == OrgKind.A_KASSE, Organisation.active.is_(True)
        )
    ).all()
    return (
        {cvr: id_ for id_, cvr, _ in rows if cvr},
        {name.casefold(): id_ for id_, _, name in rows},
    )


def _existing(session: Session, lookups: Sequence[str]) -> dict[str, Jobseeker]:
    """The stored people with these look-up hashes, with what an update compares."""
    found: dict[str, Jobseeker] = {}
    for start in range(0, len(lookups), LOOKUP_CHUNK):
        chunk = lookups[start : start + LOOKUP_CHUNK]
        people = session.scalars(
            select(Jobseeker)
            .where(Jobseeker.cpr_lookup.in_(chunk))
            .options(
                selectinload(Jobseeker.target_groups),
                selectinload(Jobseeker.responsibilities),
                selectinload(Jobseeker.cv).selectinload(CV.experiences),
                selectinload(Jobseeker.cv).selectinload(CV.educations),
                selectinload(Jobseeker.cv).selectinload(CV.skills),
                selectinload(Jobseeker.cv).selectinload(CV.languages),
                selectinload(Jobseeker.cv).selectinload(CV.driving_licences),
                selectinload(Jobseeker.cv).selectinload(CV.desired_occupations),
            )
        )
        found.update({p.cpr_lookup: p for p in people if p.cpr_lookup})
    return found


def _existing_by_current_lookup(
    session: Session, key: bytes, lookups: Iterable[tuple[str, str]]
) -> dict[str, Jobseeker]:
    """:func:`_existing` by each CPR number's current look-up hash, also finding the people whose
    row is still under the previous key while a key rotation runs."""
    current_of = {h: lookup for cpr, lookup in lookups for h in cpr_lookup_hashes(key, cpr)}
    return {current_of[h]: p for h, p in _existing(session, list(current_of)).items()}


def _target_groups(
    row: ImportRow, stored: list[registration.TargetGroupSpan], day: date
) -> list[registration.TargetGroupSpan]:
    """The stored history with the line's target group from its day (closing what was open)."""
    if row.target_group is None:
        return stored
    current = next((s for s in stored if s.valid_to is None), None)
    if current is not None and current.target_group is row.target_group:
        return stored
    start = row.target_group_from or (row.unemployment_start if not stored else None) or day
    kept = []
    for span in stored:
        if span.valid_from >= start:
            continue
        if span.valid_to is None or span.valid_to > start:
            span = registration.TargetGroupSpan(span.target_group, span.valid_from, start)
        kept.append(span)
    return [*kept, registration.TargetGroupSpan(row.target_group, start)]


def _person_data(
    row: ImportRow, person: Jobseeker | None, a_kasse_id: int | None, day: date
) -> registration.PersonData:
    if person is None:
        data = registration.PersonData(
            cpr=row.cpr, first_name=row.first_name, last_name=row.last_name, postal_code=""
        )
    else:
        data = registration.PersonData.of(person, row.cpr)
    data.first_name, data.last_name, data.postal_code = (
        row.first_name,
        row.last_name,
        row.postal_code,
    )
    for name in ("email", "phone", "street_address", "unemployment_start", "education_level"):
        if getattr(row, name) is not None:
            setattr(data, name, getattr(row, name))
    if row.municipality is not None:
        from matching.core.geo import municipality_code

        data.municipality_code = municipality_code(row.municipality) or -1
    elif person is not None and row.postal_code != person.postal_code:
        data.municipality_code = None  # derived from the new postal code
    if row.a_kasse_cvr is not None or row.a_kasse_name is not None:
        data.a_kasse_id = a_kasse_id
    if row.max_commute_km is not None:
        data.max_commute_km = row.max_commute_km
    if row.willing_to_switch_industry is not None:
        data.willing_to_switch_industry = row.willing_to_switch_industry
    data.target_groups = _target_groups(row, list(data.target_groups), day)
    return data


def _cv_data(cv_in: CVIn, stored: cvs.CVData | None) -> cvs.CVData:
    """The line's CV, keeping what only Jobbro knows (occupation codes of an unchanged
    experience or job goal, the CV's language and searchability)."""
    stored = stored or cvs.CVData()
    old_experiences = {
        (e.title, e.employer_name, e.start_year, e.end_year, e.description): e
        for e in stored.experiences
    }
    old_goals = {d.title.casefold(): d for d in stored.desired_occupations}
    experiences = []
    for e in cv_in.experiences:
        old = old_experiences.get(
            (e.title, e.employer_name, e.start_year, e.end_year, e.description)
        )
        experiences.append(
            old
            if old is not None
            else cvs.ExperienceData(
                title=e.title,
                start_year=e.start_year,
                employer_name=e.employer_name,
                end_year=e.end_year,
                description=e.description,
            )
        )
    return cvs.clean_cv(
        cvs.CVData(
            headline=cv_in.headline,
            summary=cv_in.summary,
            language=stored.language if stored.headline else "da",
            searchable=stored.searchable,
            experiences=experiences,
            educations=[
                cvs.EducationData(e.title, e.institution, e.completed_year, e.level)
                for e in cv_in.educations
            ],
            skills=list(cv_in.skills),
            languages=[cvs.LanguageData(name, level) for name, level in cv_in.languages],
            driving_licences=list(cv_in.driving_licences),
            desired_occupations=[
                old_goals.get(title.casefold()) or cvs.DesiredOccupationData(title=title)
                for title in cv_in.desired_occupations
            ],
        )
    )


class _Checker:
    """Checks every line against the stored people, collecting errors and plans."""

    def __init__(self, session: Session, actor: Actor, key: bytes, day: date) -> None:
        self.session, self.actor, self.key, self.day = session, actor, key, day
        self.by_cvr, self.by_name = _a_kasser(session)
        self.router = Router(session, day)
        self.errors: list[LineError] = []

    def error(self, row: ImportRow, column: str, message: str) -> None:
        self.errors.append(LineError(row.line, column, message))

    def responsible_here(self, person: Jobseeker) -> bool:
        period = person.responsible_on(self.day)
        return period is not None and period.organisation_id == self.actor.organisation_id

    def routed_here(self, data: registration.PersonData, cpr: str) -> bool:
        resolution = self.router.resolve(registration.probe_person(data, cpr))
        org = resolution.organisation
        return org is not None and org.id == self.actor.organisation_id

    def a_kasse(self, row: ImportRow) -> int | None:
        if row.a_kasse_cvr is not None:
            found = self.by_cvr.get(row.a_kasse_cvr.replace(" ", ""))
            if found is None:
                self.error(row, "a_kasse_cvr", UNKNOWN_A_KASSE_CVR)
            return found
        if row.a_kasse_name is not None:
            found = self.by_name.get(row.a_kasse_name.casefold())
            if found is None:
                self.error(row, "a_kasse", UNKNOWN_A_KASSE_NAME)
            return found
        return None

    def check_only(self, row: ImportRow) -> None:
        """The line's own problems, for a line that cannot be looked up."""
        data = _person_data(row, None, self.a_kasse(row), self.day)
        for problem in registration.validate(self.session, data):
            self.error(row, _column(problem.field, PERSON_COLUMN), problem.message_da)

    def plan(
        self, row: ImportRow, cpr: str, lookup: str, person: Jobseeker | None
    ) -> Planned | None:
        before = len(self.errors)
        if person is not None and (person.left_on is not None or person.anonymised_at):
            self.error(row, "cpr", LEFT)
            return None
        if person is not None and not self.responsible_here(person):
            self.error(row, "cpr", NOT_RESPONSIBLE)
            return None
        a_kasse_id = self.a_kasse(row)
        data = _person_data(row, person, a_kasse_id, self.day)
        for problem in registration.validate(self.session, data):
            if problem.field == "a_kasse_id" and row.a_kasse_name is not None:
                self.error(row, "a_kasse", problem.message_da)
            elif problem.field == "municipality_code" and data.municipality_code == -1:
                self.error(row, "kommunekode", "Kommunen findes ikke.")
            else:
                self.error(row, _column(problem.field, PERSON_COLUMN), problem.message_da)
        cv = None
        if row.cv is not None:
            stored = cvs.cv_data_of(person) if person is not None and person.cv else None
            cv = _cv_data(row.cv, stored)
            for problem in cvs.validate_cv(cv):
                self.error(row, _column(problem.field, CV_COLUMN), problem.message)
            if stored is not None and not cvs.changed_sections(stored, cv):
                cv = None
        if len(self.errors) > before:
            return None
        changes = registration.changed_fields(person, data, lookup) if person is not None else set()
        routing_changed = person is None or changes & registration.ROUTING_FIELDS
        if routing_changed and not self.routed_here(data, cpr):
            self.error(row, "", NOT_ROUTED_HERE if person is None else WOULD_MOVE)
            return None
        current = {
            kind: bool(getattr(person, consents.CONSENT_COLUMNS[kind])) if person else False
            for kind in ConsentKind
        }
        wanted = {kind: given for kind, given in row.consents.items() if current[kind] != given}
        return Planned(row.line, Write(person, data, cpr, lookup, bool(changes), cv, wanted))


def run_import(
    session: Session,
    actor: Actor,
    lines: Sequence[ImportRow],
    *,
    key: bytes,
    dry_run: bool = False,
    progress: Progress | None = None,
    errors: Sequence[LineError] = (),
    day: date | None = None,
) -> ImportSummary:
    """Import ``lines`` (rows of :func:`~matching.intake.import_formats.parse_file`, whose
    ``errors`` are given too) for the actor's organisation; see the module's docstring.

    ``key`` is the CPR key (settings.cpr_key). ``progress(done, total)`` is called while the
    lines are checked. Flushes, never commits; with any error nothing is written, and
    ``dry_run`` writes nothing either. Raises :class:`PermissionDenied` for an actor who is
    not an administrator of an a-kasse or jobcentre.
    """
    require_importer(session, actor)
    day = day or today_dk()
    summary = ImportSummary(total=len(lines) + len({e.line for e in errors} - {1}), dry_run=dry_run)
    checker = _Checker(session, actor, key, day)
    checker.errors.extend(errors)
    lookups: dict[int, tuple[str, str]] = {}
    first_line: dict[str, int] = {}
    for row in lines:
        try:
            cpr = normalise_cpr(row.cpr)
        except ValidationError:
            checker.check_only(row)  # every problem of the line, the CPR number's too
            continue
        lookup = cpr_lookup_hash(key, cpr)
        if lookup in first_line:
            checker.error(row, "cpr", DUPLICATE.format(first=first_line[lookup]))
            continue
        first_line[lookup] = row.line
        lookups[row.line] = (cpr, lookup)
    stored = _existing_by_current_lookup(session, key, lookups.values())
    plans: list[Planned] = []
    for done, row in enumerate(lines, start=1):
        if row.line in lookups:
            cpr, lookup = lookups[row.line]
            person = stored.get(lookup)
            plan = checker.plan(row, cpr, person.cpr_lookup if person else lookup, person)
            if plan is not None:
                plans.append(plan)
        if progress is not None and (done % 200 == 0 or done == len(lines)):
            progress(done, len(lines))
    if checker.errors:
        summary.errors = sorted(checker.errors, key=lambda e: (e.line, e.field))
        return summary
    changed = [p.write for p in plans if p.changed]
    summary.created = sum(1 for w in changed if w.person is None)
    summary.updated = len(changed) - summary.created
    summary.unchanged = len(plans) - len(changed)
    if dry_run or not changed:
        return summary
    store(session, actor, key, day, changed)
    for write in changed:
        assert write.person_id is not None
        target = summary.updated_ids if write.person is not None else summary.created_ids
        target.append(write.person_id)
    return summary
