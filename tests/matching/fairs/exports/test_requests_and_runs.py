"""Job-fair exports as background work: request, run with progress and heartbeat, failure,
the sweep of stalled exports, retry, download, expiry, and who may do any of it.

``run_export`` commits in short transactions of its own; here its session factory shares the
test's connection (commits become savepoint releases), so everything still rolls back."""

from __future__ import annotations

import csv
import io
import re
import stat
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from matching.core.errors import ConfigError, OutOfScope, PermissionDenied, ValidationError
from matching.core.settings import Settings
from matching.fairs.exports import pdf, requests, runs, tables
from matching.fairs.exports.requests import (
    ExportExpired,
    fair_exports,
    get_export,
    open_download,
    request_export,
    retry_export,
)
from matching.fairs.exports.runs import fail_stalled, run_export
from matching.models import (
    AuditAction,
    AuditEntry,
    Export,
    ExportFormat,
    ExportStatus,
    JobFairVacancy,
    Jobseeker,
    ShortlistEntry,
    utcnow,
)
from tests.factories.base import put_in_state
from tests.factories.fairs import FAIR_NAME, NO_CONSENT_NAME, ExportWorld, build_world

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TTL = timedelta(hours=24)


@pytest.fixture
def world(session: Session) -> ExportWorld:
    return build_world(session, people=12)


@pytest.fixture
def factory(session: Session) -> Callable[[], Session]:
    """Sessions on the test's connection, as run_export and the jobs open them."""
    connection = session.connection()
    session.commit()

    def make() -> Session:
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    return make


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    return tmp_path / "exports"


def _request(session: Session, world: ExportWorld, fmt: str = "csv", kind: str = "shortlist"):  # noqa: ANN202
    export = request_export(
        session, world.actor("organiser"), world.fair_id, kind=kind, fmt=fmt, now=NOW
    )
    session.commit()
    return export


def _fresh(session: Session, export_id: int) -> Export:
    session.expire_all()
    return session.get(Export, export_id)


def _audit(session: Session, export_id: int) -> list[AuditEntry]:
    """The export's own entries (requested, completed, ...), without the per-person ones."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.object_type == "export",
                AuditEntry.object_id == str(export_id),
                AuditEntry.jobseeker_id.is_(None),
            )
            .order_by(AuditEntry.id)
        )
    )


def _people_audited(session: Session, export_id: int) -> dict[int, AuditEntry]:
    """The export's per-person entries by person id (and none of them twice)."""
    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_type == "export",
            AuditEntry.object_id == str(export_id),
            AuditEntry.jobseeker_id.is_not(None),
        )
    ).all()
    by_person = {e.jobseeker_id: e for e in entries}
    assert len(by_person) == len(entries), "a person audited twice for one export"
    return by_person


def _people_on(session: Session, fair_id: int, **conditions: bool) -> set[int]:
    """Ids of the people on the fair's shortlists, e.g. ``removed=True`` or ``invited=True``."""
    query = (
        select(ShortlistEntry.jobseeker_id)
        .join(JobFairVacancy, JobFairVacancy.id == ShortlistEntry.job_fair_vacancy_id)
        .where(JobFairVacancy.job_fair_id == fair_id)
    )
    for name, value in conditions.items():
        query = query.where(getattr(ShortlistEntry, name).is_(value))
    return set(session.scalars(query))


def _files(export_dir: Path) -> list[Path]:
    return sorted(export_dir.iterdir()) if export_dir.exists() else []


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- requesting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fmt", "field", "message"),
    [
        ("everything", "csv", "kind", "Vælg, om du vil hente shortlister eller invitationsliste."),
        ("shortlist", "docx", "format", "Vælg formatet CSV, XLSX eller PDF."),
        ("shortlist", "", "format", "Vælg formatet CSV, XLSX eller PDF."),
        (
            "invitations",
            "xlsx",
            "format",
            "Invitationslisten laves kun som CSV (til brevfletning).",
        ),
    ],
)
def test_a_bad_kind_or_format_is_refused_in_danish(
    session: Session, world: ExportWorld, kind: str, fmt: str, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        request_export(session, world.actor("organiser"), world.fair_id, kind=kind, fmt=fmt)
    assert info.value.errors == {field: message}
    assert session.scalars(select(Export)).all() == []


def test_an_empty_fair_and_a_fair_without_invitations_are_refused(
    session: Session, world: ExportWorld
) -> None:
    organiser = world.actor("organiser")
    with pytest.raises(ValidationError, match="Der er ingen personer på jobmessens lister endnu."):
        request_export(session, organiser, world.empty_fair_id, kind="shortlist", fmt="csv")
    session.execute(ShortlistEntryInvited.reset(world.fair_id))
    with pytest.raises(ValidationError, match="Ingen er markeret som inviteret endnu."):
        request_export(session, organiser, world.fair_id, kind="invitations", fmt="csv")
    # The shortlists themselves can still be exported.
    assert request_export(session, organiser, world.fair_id, kind="shortlist", fmt="CSV").id


class ShortlistEntryInvited:
    @staticmethod
    def reset(fair_id: int):  # noqa: ANN205 - an UPDATE statement
        from sqlalchemy import update

        from matching.models import JobFairVacancy, ShortlistEntry

        on_fair = select(JobFairVacancy.id).where(JobFairVacancy.job_fair_id == fair_id)
        return (
            update(ShortlistEntry)
            .where(ShortlistEntry.job_fair_vacancy_id.in_(on_fair))
            .values(invited=False)
        )


def test_a_request_is_queued_and_audited(session: Session, world: ExportWorld) -> None:
    export = _request(session, world, fmt="xlsx")
    assert export.status is ExportStatus.QUEUED and export.progress == 0
    assert export.organisation_id == world.organiser_org_id
    assert export.requested_by_id == world.organiser_id
    assert export.format is ExportFormat.XLSX and export.kind == "shortlist"
    assert requests.job_id_for(export) == f"export-{export.id}-1"
    [entry] = _audit(session, export.id)
    assert entry.action is AuditAction.EXPORT and entry.actor_id == world.organiser_id
    assert entry.purpose == "jobmesse-eksport"
    assert entry.details == {
        "event": "requested",
        "job_fair_id": world.fair_id,
        "kind": "shortlist",
        "format": "xlsx",
    }


def test_at_most_three_exports_of_a_fair_wait_or_run_at_once(
    session: Session, world: ExportWorld
) -> None:
    made = [_request(session, world) for _ in range(requests.MAX_ACTIVE_PER_FAIR)]
    with pytest.raises(ValidationError, match="Der er allerede 3 eksporter i gang"):
        _request(session, world)
    put_in_state(session, made[0], ExportStatus.DONE)
    session.commit()
    assert _request(session, world).status is ExportStatus.QUEUED


# --- running --------------------------------------------------------------------------------


def _read(fmt: str, path: Path) -> str:
    data = path.read_bytes()
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8")), delimiter=";"))
        return "\n".join(";".join(r) for r in rows)
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(data))
        return "\n".join(
            str(c.value) for ws in book.worksheets for line in ws.iter_rows() for c in line
        )
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_run_export_writes_a_readable_file_and_finishes(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    fmt: str,
) -> None:
    export = _request(session, world, fmt=fmt)
    seen: list[tuple[int, int]] = []
    done = run_export(
        factory,
        export.id,
        export_dir,
        ttl=TTL,
        now=NOW,
        on_progress=lambda d, t: seen.append((d, t)),
    )
    assert done.status is ExportStatus.DONE and done.progress == 100
    assert done.row_count == world.people and done.attempts == 1 and done.error is None
    assert seen[-1] == (world.people, world.people)
    started, finished = _aware(done.started_at), _aware(done.finished_at)
    assert NOW <= started <= finished < NOW + timedelta(minutes=1)
    assert _aware(done.expires_at) == finished + TTL

    [path] = _files(export_dir)  # nothing half-written beside it
    assert path.name == done.file_name
    assert re.fullmatch(rf"[0-9a-f]{{32}}\.{fmt}", path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = re.sub(r"\s+", "", _read(fmt, path))
    assert "X" in text and "Søren" in text  # the consented people by name
    assert NO_CONSENT_NAME not in text  # the others by invitation code only

    completed = _audit(session, export.id)[-1]
    assert completed.actor_id == world.organiser_id
    assert completed.actor_organisation_id == world.organiser_org_id
    assert completed.details == {
        "event": "completed",
        "job_fair_id": world.fair_id,
        "kind": "shortlist",
        "format": fmt,
        "row_count": world.people,
        "attempt": 1,
    }


def test_the_invitation_list_counts_only_the_people_who_may_be_written_to(
    session: Session, world: ExportWorld, factory: Callable[[], Session], export_dir: Path
) -> None:
    export = _request(session, world, kind="invitations")
    done = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    assert done.row_count == world.invited_reachable > 0
    assert done.params == {"left_out": world.invited - world.invited_reachable}
    rows = _read("csv", export_dir / done.file_name).splitlines()
    assert rows[0].startswith("Fornavn;Navn;E-mail")
    assert len(rows) == 1 + world.invited_reachable


def test_every_person_in_the_file_is_audited_and_no_one_else(
    session: Session, world: ExportWorld, factory: Callable[[], Session], export_dir: Path
) -> None:
    """One entry per person whose data is in the file, in the requester's name, written with
    the completion: not the person taken off the list, not the people of another fair, and a
    person on two of the fair's lists once."""
    other_fair = build_world(session, people=3).fair_id
    twice = min(_people_on(session, world.fair_id, removed=False))
    other_list = session.scalars(
        select(JobFairVacancy.id).where(JobFairVacancy.job_fair_id == world.fair_id)
    ).all()[-1]
    session.add(
        ShortlistEntry(job_fair_vacancy_id=other_list, jobseeker_id=twice, invitation_code="TWICE1")
    )
    session.commit()
    export = _request(session, world, fmt="pdf")
    done = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    assert done.row_count == world.people + 1

    audited = _people_audited(session, export.id)
    assert set(audited) == _people_on(session, world.fair_id, removed=False)
    assert len(audited) == world.people
    [removed] = _people_on(session, world.fair_id, removed=True)
    assert removed not in audited
    assert not set(audited) & _people_on(session, other_fair)
    completed = _audit(session, export.id)[-1]
    for entry in audited.values():
        assert entry.action is AuditAction.EXPORT and entry.object_type == "export"
        assert entry.object_id == str(export.id) and entry.purpose == "jobmesse"
        assert entry.actor_id == world.organiser_id
        assert entry.actor_organisation_id == world.organiser_org_id
        assert entry.details == {
            "event": "person_exported",
            "job_fair_id": world.fair_id,
            "kind": "shortlist",
            "format": "pdf",
        }
        assert entry.id > completed.id and entry.at is not None


def test_an_invitation_list_audits_only_the_people_it_holds(
    session: Session, world: ExportWorld, factory: Callable[[], Session], export_dir: Path
) -> None:
    export = _request(session, world, kind="invitations")
    run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    audited = _people_audited(session, export.id)
    assert len(audited) == world.invited_reachable > 0
    invited = _people_on(session, world.fair_id, invited=True)
    reachable = set(
        session.scalars(
            select(Jobseeker.id).where(
                Jobseeker.id.in_(invited), Jobseeker.consent_share_with_employers.is_(True)
            )
        )
    )
    assert set(audited) == reachable and invited - reachable  # the others are left out
    assert {e.details["kind"] for e in audited.values()} == {"invitations"}


def test_progress_is_committed_live_but_not_for_every_row(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A writer reporting 2,000 ticks at once costs one UPDATE; after half a second the next
    tick is written, and another session sees it while the writer still runs."""
    export = _request(session, world)
    observed: list[tuple[int, datetime]] = []
    updates: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.startswith("UPDATE exports"):
            updates.append(statement)

    def writer(groups, progress):  # noqa: ANN001, ANN202
        for done in range(1, 2001):
            progress(done, 4000)
        burst = len(updates)
        time.sleep(runs.PROGRESS_COMMIT_SECONDS + 0.1)
        progress(3000, 4000)
        with factory() as other:
            row = other.get(Export, export.id)
            observed.append((row.progress, _aware(row.heartbeat_at)))
        observed.append((burst, NOW))
        return b"a;b\r\n"

    monkeypatch.setattr(tables, "shortlist_csv", writer)
    connection = session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:  # no heartbeat during the test's own read beside the writer
        done = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW, heartbeat_seconds=60)
    finally:
        event.remove(connection, "before_cursor_execute", count)
    (progress, heartbeat), (burst, _) = observed
    assert progress == 5 + int(90 * 3000 / 4000)  # rows loaded = 5 %, the writer fills to 95 %
    assert heartbeat > NOW
    # Claim, "rows loaded", then the first tick of the burst: the other 1,999 wrote nothing.
    assert burst <= 3, updates
    assert done.status is ExportStatus.DONE and done.progress == 100


def test_a_heartbeat_is_kept_while_one_long_writer_call_runs(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While a writer call reports nothing for a while, the heartbeat thread keeps writing
    ``heartbeat_at`` (seen here as the UPDATEs it sends; the writer itself touches nothing)."""
    export = _request(session, world, fmt="pdf")
    beats: list[datetime] = []
    writing = {"now": False}

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if writing["now"] and statement.startswith("UPDATE exports SET heartbeat_at"):
            moment = parameters["heartbeat_at"] if isinstance(parameters, dict) else parameters[0]
            if isinstance(moment, str):  # SQLite binds the text
                moment = datetime.fromisoformat(moment)
            beats.append(_aware(moment))

    def slow_pdf(groups, *, fair, progress):  # noqa: ANN001, ANN202
        writing["now"] = True
        time.sleep(0.6)
        writing["now"] = False
        return b"%PDF-1.7 test"

    monkeypatch.setattr(pdf, "shortlist_pdf", slow_pdf)
    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        done = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW, heartbeat_seconds=0.1)
    finally:
        event.remove(connection, "before_cursor_execute", record)
    assert len(beats) >= 3, beats
    assert beats == sorted(beats) and beats[0] > NOW
    assert done.status is ExportStatus.DONE


def test_a_failing_writer_fails_the_export_without_personal_data_or_files(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export = _request(session, world, fmt="xlsx")

    def broken(groups, progress):  # noqa: ANN001, ANN202
        progress(1, 2)
        raise RuntimeError("cell 'Søren Ærbødig0' could not be written")

    monkeypatch.setattr(tables, "shortlist_xlsx", broken)
    with pytest.raises(RuntimeError, match="could not be written"):  # RQ sees the failure too
        run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    failed = _fresh(session, export.id)
    assert failed.status is ExportStatus.FAILED and failed.file_name is None
    assert (
        failed.error
        == "Eksporten kunne ikke laves (RuntimeError). Prøv igen, eller kontakt support."
    )
    assert "Søren" not in failed.error
    assert _files(export_dir) == []
    assert _people_audited(session, export.id) == {}  # nothing was exported


def test_a_failed_rename_leaves_no_partial_file(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export = _request(session, world)

    def full_disk(src, dst):  # noqa: ANN001, ANN202
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runs.os, "replace", full_disk)
    with pytest.raises(OSError):
        run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    assert _fresh(session, export.id).status is ExportStatus.FAILED
    assert _files(export_dir) == []


def test_running_an_export_twice_does_nothing_the_second_time(
    session: Session, world: ExportWorld, factory: Callable[[], Session], export_dir: Path
) -> None:
    export = _request(session, world)
    first = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    again = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW + timedelta(hours=1))
    assert again.status is ExportStatus.DONE and again.attempts == 1
    assert again.file_name == first.file_name and len(_files(export_dir)) == 1
    assert [e.details["event"] for e in _audit(session, export.id)] == ["requested", "completed"]
    assert len(_people_audited(session, export.id)) == world.people  # not twice


def test_an_attempt_failed_by_the_sweep_meanwhile_keeps_no_file(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker was only slow, not dead: the sweep failed it, so its late file is dropped
    and the export stays failed (to be retried), not done behind the user's back."""
    export = _request(session, world)
    real = tables.shortlist_csv
    went_on: list[bool] = []

    def slow(groups, progress):  # noqa: ANN001, ANN202
        with factory() as other:
            assert fail_stalled(other, now=NOW + timedelta(hours=2)) == [export.id]
            other.commit()
        time.sleep(runs.PROGRESS_COMMIT_SECONDS + 0.1)
        progress(1, 2)  # the row is no longer this attempt's: the writer is stopped here
        went_on.append(True)
        return real(groups, progress)

    monkeypatch.setattr(tables, "shortlist_csv", slow)
    result = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    assert result.status is ExportStatus.FAILED and result.error == runs.STALLED_MESSAGE
    assert went_on == [] and _files(export_dir) == []
    assert _people_audited(session, export.id) == {}


def test_an_export_whose_fair_was_deleted_fails_instead_of_waiting(
    session: Session, world: ExportWorld, factory: Callable[[], Session], export_dir: Path
) -> None:
    from matching.models import JobFair

    export = _request(session, world)
    session.delete(session.get(JobFair, world.fair_id))
    session.commit()
    result = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    assert result.status is ExportStatus.FAILED and result.job_fair_id is None
    assert result.error == "Jobmessen findes ikke længere. Eksporten kan ikke laves."
    session.expire_all()
    with pytest.raises(ValidationError, match="Jobmessen findes ikke længere"):
        retry_export(session, world.actor("organiser"), export.id)


# --- the sweep ------------------------------------------------------------------------------


def test_fail_stalled_fails_silent_running_and_long_queued_exports_only(
    session: Session, world: ExportWorld
) -> None:
    def make(status: ExportStatus, heartbeat: datetime | None, **kw: object) -> Export:
        export = Export(
            organisation_id=world.organiser_org_id,
            job_fair_id=world.fair_id,
            kind="shortlist",
            format=ExportFormat.CSV,
            status=status,
            heartbeat_at=heartbeat,
            **kw,
        )
        session.add(export)
        return export

    silent = make(
        ExportStatus.RUNNING, NOW - timedelta(minutes=3), started_at=NOW - timedelta(minutes=4)
    )
    beating = make(ExportStatus.RUNNING, NOW - timedelta(seconds=30))
    never_beat = make(ExportStatus.RUNNING, None, started_at=NOW - timedelta(minutes=5))
    lost = make(ExportStatus.QUEUED, NOW - timedelta(hours=2))
    waiting = make(ExportStatus.QUEUED, NOW - timedelta(minutes=10))
    done = make(ExportStatus.DONE, NOW - timedelta(hours=5))
    session.commit()

    failed = fail_stalled(session, now=NOW)
    session.commit()
    assert sorted(failed) == sorted([silent.id, never_beat.id, lost.id])
    for export in (silent, never_beat):
        row = _fresh(session, export.id)
        assert row.status is ExportStatus.FAILED and row.error == runs.STALLED_MESSAGE
        assert row.error == "Eksporten stoppede uventet (arbejdsprocessen blev afbrudt). Prøv igen."
    assert _fresh(session, lost.id).error == requests.NOT_STARTED_MESSAGE
    for export, status in ((beating, ExportStatus.RUNNING), (waiting, ExportStatus.QUEUED),
                           (done, ExportStatus.DONE)):  # fmt: skip
        assert _fresh(session, export.id).status is status
    assert fail_stalled(session, now=NOW) == []  # idempotent


def test_a_failed_export_is_retried_as_a_new_attempt(
    session: Session, world: ExportWorld, factory: Callable[[], Session], export_dir: Path
) -> None:
    export = _request(session, world)
    put_in_state(session, session.get(Export, export.id), ExportStatus.RUNNING)
    session.commit()
    fail_stalled(session, now=NOW + timedelta(hours=3))
    session.commit()

    with pytest.raises(ValidationError, match="Kun en eksport, der er fejlet"):
        retry_export(session, world.actor("organiser"), _request(session, world).id)
    again = retry_export(session, world.actor("admin"), export.id, now=NOW)
    session.commit()
    assert again.status is ExportStatus.QUEUED and again.error is None and again.progress == 0
    assert requests.job_id_for(again) == f"export-{export.id}-1"
    retried = _audit(session, export.id)[-1]
    assert retried.details["event"] == "retried" and retried.actor_id == world.admin_id

    done = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    assert done.status is ExportStatus.DONE and done.attempts == 1
    assert requests.job_id_for(done) == f"export-{export.id}-2"
    # A done export is not retried.
    with pytest.raises(ValidationError):
        retry_export(session, world.actor("organiser"), export.id)


# --- downloading and expiry -----------------------------------------------------------------


def test_a_download_is_named_after_the_fair_and_audited(
    session: Session, world: ExportWorld, factory: Callable[[], Session], export_dir: Path
) -> None:
    export = _request(session, world, fmt="xlsx")
    with pytest.raises(ValidationError, match="Eksporten er ikke færdig endnu."):
        open_download(session, world.actor("organiser"), export.id, export_dir)
    run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    session.expire_all()
    path, name, mimetype = open_download(
        session, world.actor("admin"), export.id, export_dir, now=NOW + timedelta(hours=1)
    )
    assert path.read_bytes().startswith(b"PK")
    assert name == "jobmesse-aeroe-oeresund-2026-03-14-shortlister.xlsx"
    assert mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    downloaded = _audit(session, export.id)[-1]
    assert downloaded.details["event"] == "downloaded" and downloaded.actor_id == world.admin_id
    assert downloaded.details["row_count"] == world.people

    with pytest.raises(ExportExpired):
        open_download(
            session, world.actor("admin"), export.id, export_dir, now=NOW + timedelta(hours=25)
        )


@pytest.mark.parametrize(
    ("fair", "kind", "fmt", "expected"),
    [
        (FAIR_NAME, "shortlist", ExportFormat.PDF,
         "jobmesse-aeroe-oeresund-2026-03-14-shortlister.pdf"),
        ("Karrieredag på Ålborg Universitet", "invitations", ExportFormat.CSV,
         "jobmesse-karrieredag-paa-aalborg-universitet-2026-03-14-invitationer.csv"),
        ("Café & Crème: ../../etc/passwd", "shortlist", ExportFormat.CSV,
         "jobmesse-cafe-creme-etc-passwd-2026-03-14-shortlister.csv"),
        ("Jobmesse", "shortlist", ExportFormat.CSV, "jobmesse-2026-03-14-shortlister.csv"),
    ],
)  # fmt: skip
def test_download_names_are_safe_ascii(
    fair: str, kind: str, fmt: ExportFormat, expected: str
) -> None:
    from matching.models import JobFair

    export = Export(id=7, kind=kind, format=fmt)
    held = JobFair(name=fair, held_on=NOW.date().replace(day=14, month=3), place="Hal")
    assert requests.download_name(export, held) == expected
    assert requests.download_name(export, None) == f"jobmesse-eksport-7-{expected.split('-')[-1]}"


@pytest.fixture
def worker_runtime(
    settings: Settings,
    session: Session,
    factory: Callable[[], Session],
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., None]:
    """Point the worker jobs (workers.runtime) at this test's database and export folder,
    with any setting overridden."""
    from workers import runtime

    def use(**overrides: object) -> None:
        rt = runtime.Runtime(
            settings.with_overrides(export_dir=export_dir, **overrides), session.bind, factory
        )
        monkeypatch.setattr(runtime, "_runtime", rt)

    return use


def test_purge_after_expiry_removes_the_file(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    worker_runtime: Callable[..., None],
) -> None:
    """The hourly job deletes the file of an expired export; the download then says gone."""
    from workers import jobs

    worker_runtime()
    export = _request(session, world)
    done = run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)
    assert jobs.purge_expired_exports(now=NOW + timedelta(hours=23)) == 0
    assert jobs.purge_expired_exports(now=NOW + timedelta(hours=25)) == 1
    assert not (export_dir / done.file_name).exists()
    session.expire_all()
    assert session.get(Export, export.id).status is ExportStatus.EXPIRED
    with pytest.raises(ExportExpired):
        open_download(session, world.actor("organiser"), export.id, export_dir)


def test_purge_deletes_old_files_no_export_points_to(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    worker_runtime: Callable[..., None],
) -> None:
    """A worker killed between renaming its file into place and recording it leaves a file
    with people's data and no row: deleted once it is older than the download period; a
    ready export's file and a fresh unrecorded file (maybe still being written) stay."""
    import os

    from workers import jobs

    worker_runtime()
    export = _request(session, world)
    done = run_export(factory, export.id, export_dir, ttl=TTL, now=utcnow())
    old = utcnow() - TTL - timedelta(hours=1)
    orphan, fresh = export_dir / "a1b2c3.xlsx", export_dir / "d4e5f6.csv.part"
    for path in (orphan, fresh):
        path.write_bytes(b"Navn;Telefon\r\nSoren;+4512345678\r\n")
    for path in (orphan, export_dir / done.file_name):
        os.utime(path, (old.timestamp(), old.timestamp()))
    assert jobs.purge_expired_exports() == 0
    assert not orphan.exists()
    assert fresh.exists() and (export_dir / done.file_name).exists()


def test_the_worker_jobs_make_and_sweep_exports(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    worker_runtime: Callable[..., None],
) -> None:
    from workers import jobs
    from workers.queues import Job
    from workers.worker import PERIODIC_JOBS

    assert (Job.FAIL_STALLED_EXPORTS, 60) in PERIODIC_JOBS
    worker_runtime(export_ttl_hours=2)
    export = _request(session, world)
    result = jobs.export_shortlist(export.id)
    assert result == {
        "export_id": export.id, "status": "done", "row_count": world.people, "attempts": 1
    }  # fmt: skip
    done = _fresh(session, export.id)
    assert _aware(done.expires_at) - _aware(done.finished_at) == timedelta(hours=2)

    stuck = _request(session, world)
    put_in_state(session, session.get(Export, stuck.id), ExportStatus.RUNNING)
    session.commit()
    leftover = export_dir / runs.partial_name(stuck.id, 1)
    leftover.write_bytes(b"half")
    assert jobs.fail_stalled_exports(now=NOW + timedelta(hours=1)) == [stuck.id]
    assert not leftover.exists()
    assert jobs.fail_stalled_exports(now=NOW + timedelta(hours=1)) == []


# --- who may ----------------------------------------------------------------------------------


@pytest.fixture
def done_export(
    session: Session, world: ExportWorld, factory: Callable[[], Session], export_dir: Path
) -> Iterator[Export]:
    export = _request(session, world)
    yield run_export(factory, export.id, export_dir, ttl=TTL, now=NOW)


def test_another_organisations_organiser_cannot_see_or_touch_an_export(
    session: Session, world: ExportWorld, done_export: Export, export_dir: Path
) -> None:
    rival = world.actor("rival")
    for attempt in (
        lambda: get_export(session, rival, done_export.id),
        lambda: open_download(session, rival, done_export.id, export_dir),
        lambda: retry_export(session, rival, done_export.id),
    ):
        with pytest.raises(OutOfScope) as info:
            attempt()
        assert info.value.object_type == "export" and info.value.exists is True
    with pytest.raises(OutOfScope) as info:  # a made-up id looks the same
        get_export(session, rival, done_export.id + 1000)
    assert info.value.exists is False
    for attempt in (
        lambda: fair_exports(session, rival, world.fair_id),
        lambda: request_export(session, rival, world.fair_id, kind="shortlist", fmt="csv"),
    ):
        with pytest.raises(OutOfScope) as info:
            attempt()
        assert info.value.object_type == "job_fair" and info.value.exists is True
    assert [e.id for e in fair_exports(session, rival, world.rival_fair_id)] == []
    downloads = [e for e in _audit(session, done_export.id) if e.details["event"] == "downloaded"]
    assert downloads == []


@pytest.mark.parametrize("who", ["employer", "counsellor"])
def test_employers_and_counsellors_are_refused_everything(
    session: Session, world: ExportWorld, done_export: Export, export_dir: Path, who: str
) -> None:
    actor = world.actor(who)
    for attempt in (
        lambda: request_export(session, actor, world.fair_id, kind="shortlist", fmt="csv"),
        lambda: fair_exports(session, actor, world.fair_id),
        lambda: get_export(session, actor, done_export.id),
        lambda: open_download(session, actor, done_export.id, export_dir),
        lambda: retry_export(session, actor, done_export.id),
    ):
        with pytest.raises(PermissionDenied):
            attempt()


def test_an_unknown_fair_is_out_of_scope(session: Session, world: ExportWorld) -> None:
    with pytest.raises(OutOfScope):
        request_export(session, world.actor("organiser"), 987654, kind="shortlist", fmt="csv")


def test_the_fairs_exports_are_listed_newest_first(session: Session, world: ExportWorld) -> None:
    first, second = _request(session, world), _request(session, world, fmt="pdf")
    listed = fair_exports(session, world.actor("admin"), world.fair_id)
    assert [e.id for e in listed] == [second.id, first.id]


# --- settings ---------------------------------------------------------------------------------


def test_export_ttl_setting() -> None:
    assert Settings.from_env({}).export_ttl_hours == 24
    assert Settings.from_env({"JOBBRO_EXPORT_TTL_HOURS": "48"}).export_ttl_hours == 48
    for bad in ("0", "-1", "eight", "721"):
        with pytest.raises(ConfigError) as info:
            Settings.from_env({"JOBBRO_EXPORT_TTL_HOURS": bad})
        assert info.value.problems[0].startswith("JOBBRO_EXPORT_TTL_HOURS")


# --- the sweep on database time ---------------------------------------------------------------


def test_a_beating_export_is_not_failed_when_worker_and_sweep_clocks_disagree(
    session: Session,
    world: ExportWorld,
    factory: Callable[[], Session],
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's host runs 10 minutes slow, the scheduler's is right: heartbeats and the
    sweep both read the database's clock, so a live export is not failed as stalled (nor a
    dead one kept because the worker's clock runs fast)."""
    export = request_export(
        session, world.actor("organiser"), world.fair_id, kind="shortlist", fmt="csv"
    )
    session.commit()
    real_utcnow = runs.utcnow
    real = tables.shortlist_csv
    swept: list[list[int]] = []

    def slow(groups, progress):  # noqa: ANN001, ANN202
        time.sleep(runs.PROGRESS_COMMIT_SECONDS + 0.1)
        progress(1, 2)  # a fresh heartbeat, written by the slow host
        monkeypatch.setattr(runs, "utcnow", real_utcnow)  # the scheduler's host
        with factory() as other:
            swept.append(fail_stalled(other))
            other.commit()
        return real(groups, progress)

    monkeypatch.setattr(runs, "utcnow", lambda: real_utcnow() - timedelta(minutes=10))
    monkeypatch.setattr(tables, "shortlist_csv", slow)
    result = run_export(factory, export.id, export_dir, ttl=TTL, heartbeat_seconds=60)
    assert swept == [[]]
    assert result.status is ExportStatus.DONE


def test_the_sweep_on_database_time_fails_an_export_silent_for_too_long(
    session: Session, world: ExportWorld
) -> None:
    export = request_export(
        session, world.actor("organiser"), world.fair_id, kind="shortlist", fmt="csv"
    )
    session.flush()
    put_in_state(session, session.get(Export, export.id), ExportStatus.RUNNING)
    session.get(Export, export.id).heartbeat_at = (
        utcnow() - runs.STALE_AFTER - timedelta(seconds=30)
    )
    session.commit()
    assert fail_stalled(session) == [export.id]
    assert _fresh(session, export.id).status is ExportStatus.FAILED
