"""Seals that make the append-only audit log tamper-evident (docs/security.md).

Audit rows are written on every page view, so they are not chained one by one (that would
serialise every insert on one lock). Instead a job seals, every minute, the rows written since
the last seal: an HMAC-SHA256 over a canonical serialisation of every column of every row, in
id order, chained to the previous seal's hash, stored as a row of ``audit_seals`` (append-only
like the log). :func:`verify` recomputes every seal: a row changed, deleted or slipped into a
sealed range afterwards changes its seal's row count or hash; a seal changed or deleted breaks
the chain. The key is derived from ``JOBBRO_SECRET_KEY``, which the database does not hold, so
someone with database access alone cannot compute a consistent chain for rows they changed;
:func:`checkpoint` writes the newest seal's hash to the log output once a day, against which
even a rewrite with the key is found.

Which rows a seal may cover: only ids no transaction can still add. On PostgreSQL an id is
taken when the row is inserted but seen only when its transaction commits, so a seal made in
between would leave out a row that later appears inside its range. :func:`seal_pending` reads
the highest committed id, then waits (without locking anything) until every transaction that
was writing to ``audit_log`` at that moment has ended: every smaller id is then committed or
gone for good (a rolled-back transaction leaves a gap, which a seal simply does not contain).
SQLite has one writer at a time, which takes the id after the highest one, so its highest
committed id is final at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Row, String, func, select, text, type_coerce
from sqlalchemy.orm import Session

from matching.core.dates import aware
from matching.models import AuditEntry, AuditSeal, utcnow

log = logging.getLogger("jobbro.audit")

GENESIS = "0" * 64  # the previous hash of the first seal
SEAL_ROWS = 50_000  # at most this many rows per seal (a first run over a long log makes several)
IN_FLIGHT_WAIT_SECONDS = 10.0
# Every column of audit_log, in this order, is hashed (a test keeps the list complete).
COLUMNS: tuple[str, ...] = (
    "id", "at", "actor_id", "actor_organisation_id", "action", "object_type", "object_id",
    "jobseeker_id", "purpose", "details", "ip_address", "note",
)  # fmt: skip

# Transactions (other than ours) holding the lock an INSERT into audit_log takes before it
# draws its id, held to their end.
_WRITERS_SQL = text(
    "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'relation' "
    "AND relation = CAST('audit_log' AS regclass) AND mode = 'RowExclusiveLock' "
    "AND pid IS DISTINCT FROM pg_backend_pid()"
)


def seal_key(secret_key: str) -> bytes:
    """The HMAC key of the seals, derived from ``JOBBRO_SECRET_KEY``."""
    return hashlib.sha256(b"jobbro-audit-seal:" + secret_key.encode()).digest()


def key_id(key: bytes) -> str:
    """A fingerprint naming a seal key (never enough to recover it)."""
    return hashlib.sha256(b"jobbro-audit-seal-id:" + key).hexdigest()[:16]


def canonical_row(row: Sequence[object]) -> bytes:
    """One audit row as hashed: a JSON array of :data:`COLUMNS` (sorted keys in ``details``,
    timestamps as ISO 8601 in UTC with microseconds, nulls written out)."""
    values = [_canonical_value(value) for value in row]
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _canonical_value(value: object) -> object:
    if isinstance(value, datetime):
        return aware(value).astimezone(UTC).isoformat(timespec="microseconds")
    return value


def seal_hash(
    key: bytes,
    rows: Sequence[Sequence[object]],
    *,
    previous_hash: str,
    first_id: int,
    last_id: int,
    sealed_at: datetime,
) -> str:
    """HMAC-SHA256 of ``rows`` (in id order) and the seal's own fields."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for row in rows:
        mac.update(canonical_row(row))
        mac.update(b"\n")
    trailer = (
        f"jobbro-audit-seal-v1|{previous_hash}|{first_id}|{last_id}|{len(rows)}|"
        f"{_canonical_value(sealed_at)}"
    )
    mac.update(trailer.encode())
    return mac.hexdigest()


def _rows(session: Session, first_id: int, last_id: int, limit: int | None = None) -> list[Row]:
    table = AuditEntry.__table__
    # The action as stored (not through the enum type), so a changed value is hashed, not
    # refused while reading.
    columns = [
        type_coerce(table.c[name], String()) if name == "action" else table.c[name]
        for name in COLUMNS
    ]
    query = (
        select(*columns)
        .where(table.c.id >= first_id, table.c.id <= last_id)
        .order_by(table.c.id)
        .limit(limit)
    )
    return list(session.execute(query))


def latest_seal(session: Session) -> AuditSeal | None:
    return session.scalar(select(AuditSeal).order_by(AuditSeal.id.desc()).limit(1))


def sealable_horizon(
    session: Session, *, wait_seconds: float = IN_FLIGHT_WAIT_SECONDS
) -> int | None:
    """The highest audit id below which no row can still appear (None: none yet, or a writer
    of that moment still running after ``wait_seconds``; the next run tries again)."""
    highest = session.scalar(select(func.max(AuditEntry.id)))
    if highest is None or session.get_bind().dialect.name != "postgresql":
        return highest
    # Whoever drew an id up to ``highest`` took the table lock before, and keeps it until it
    # commits or rolls back: wait for those still holding it (read after ``highest``).
    writers = set(session.scalars(_WRITERS_SQL))
    deadline = time.monotonic() + wait_seconds
    while writers:
        if time.monotonic() >= deadline:
            log.info("audit seal postponed: %d transaction(s) still writing", len(writers))
            return None
        time.sleep(0.05)
        writers &= set(session.scalars(_WRITERS_SQL))
    return highest


def seal_pending(
    session: Session,
    key: bytes,
    *,
    now: datetime | None = None,
    max_rows: int = SEAL_ROWS,
    wait_seconds: float = IN_FLIGHT_WAIT_SECONDS,
) -> list[AuditSeal]:
    """Seal the audit rows written since the last seal (flushed, not committed). Idempotent:
    nothing new, no seal. Two sealers at once cannot both seal a range (``first_id`` is
    unique): the second one's flush fails and its transaction must be rolled back."""
    horizon = sealable_horizon(session, wait_seconds=wait_seconds)
    if horizon is None:
        return []
    previous = latest_seal(session)
    previous_hash = previous.hash if previous else GENESIS
    first_id = previous.last_id + 1 if previous else 1
    made: list[AuditSeal] = []
    while first_id <= horizon:
        rows = _rows(session, first_id, horizon, limit=max_rows)
        if not rows:
            break  # only ids no row kept (rolled back): the next seal covers them
        last_id = rows[-1][0] if len(rows) == max_rows else horizon
        sealed_at = now or utcnow()
        digest = seal_hash(
            key, rows, previous_hash=previous_hash, first_id=first_id, last_id=last_id,
            sealed_at=sealed_at,
        )  # fmt: skip
        seal = AuditSeal(
            first_id=first_id, last_id=last_id, row_count=len(rows), previous_hash=previous_hash,
            hash=digest, key_id=key_id(key), sealed_at=sealed_at,
        )  # fmt: skip
        session.add(seal)
        session.flush()
        made.append(seal)
        previous_hash, first_id = digest, last_id + 1
    return made


@dataclass(frozen=True)
class BrokenSeal:
    seal_id: int
    first_id: int
    last_id: int
    reason: str

    def describe(self) -> str:
        return (
            f"seal {self.seal_id} (audit ids {self.first_id}-{self.last_id}) is broken: "
            f"{self.reason}"
        )


@dataclass(frozen=True)
class Verification:
    seals: int  # seals recomputed and found intact
    rows: int  # audit rows they cover
    unsealed_rows: int  # rows newer than the last seal (sealed by the next run)
    broken: BrokenSeal | None
    latest: AuditSeal | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(
    session: Session,
    keys: Sequence[bytes],
    *,
    since: datetime | None = None,
    checkpoint: tuple[int, str] | None = None,
) -> Verification:
    """Recompute every seal (or those sealed from ``since`` on, chained to the one before) and
    stop at the first broken one. ``checkpoint`` is a (seal id, hash) pair from the log output:
    the seal must still exist with that hash."""
    by_key_id = {key_id(k): k for k in keys}
    query = select(AuditSeal).order_by(AuditSeal.id)
    previous: AuditSeal | None = None
    if since is not None:
        query = query.where(AuditSeal.sealed_at >= since)
        previous = session.scalar(
            select(AuditSeal)
            .where(AuditSeal.sealed_at < since)
            .order_by(AuditSeal.id.desc())
            .limit(1)
        )
    seals = rows = 0
    broken: BrokenSeal | None = None
    for seal in session.scalars(query):
        reason = _check(session, seal, previous, by_key_id, chained=since is None)
        if reason:
            broken = BrokenSeal(seal.id, seal.first_id, seal.last_id, reason)
            break
        seals += 1
        rows += seal.row_count
        previous = seal
    latest = latest_seal(session)
    if broken is None and checkpoint is not None:
        broken = _check_checkpoint(session, *checkpoint)
    unsealed = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.id > (latest.last_id if latest else 0))
    )
    return Verification(seals, rows, unsealed or 0, broken, latest)


def _check(
    session: Session,
    seal: AuditSeal,
    previous: AuditSeal | None,
    keys: dict[str, bytes],
    *,
    chained: bool,
) -> str | None:
    if previous is not None:
        if seal.first_id != previous.last_id + 1 or seal.previous_hash != previous.hash:
            return f"it does not follow seal {previous.id} (a seal was changed or deleted)"
    elif chained and (seal.first_id != 1 or seal.previous_hash != GENESIS):
        return "the seals before it are missing"
    if seal.last_id < seal.first_id:
        return "its range is empty"
    key = keys.get(seal.key_id)
    if key is None:
        return f"it was sealed with another key (key id {seal.key_id}), not JOBBRO_SECRET_KEY's"
    try:
        rows = _rows(session, seal.first_id, seal.last_id)
    except (ValueError, LookupError) as exc:  # a row no longer readable (e.g. broken JSON)
        return f"a row cannot be read ({type(exc).__name__})"
    if len(rows) != seal.row_count:
        return f"it sealed {seal.row_count} rows, {len(rows)} are there now"
    expected = seal_hash(
        key, rows, previous_hash=seal.previous_hash, first_id=seal.first_id,
        last_id=seal.last_id, sealed_at=seal.sealed_at,
    )  # fmt: skip
    if not hmac.compare_digest(expected, seal.hash):
        return "a row or the seal was changed (the hash differs)"
    return None


def _check_checkpoint(session: Session, seal_id: int, digest: str) -> BrokenSeal | None:
    seal = session.get(AuditSeal, seal_id)
    if seal is None:
        return BrokenSeal(seal_id, 0, 0, "the checkpoint's seal no longer exists")
    if not hmac.compare_digest(seal.hash, digest.strip().lower()):
        return BrokenSeal(
            seal.id, seal.first_id, seal.last_id,
            "its hash differs from the checkpoint (the chain was rewritten)",
        )  # fmt: skip
    return None


def checkpoint(session: Session) -> str | None:
    """Log the newest seal as one line (logger ``jobbro.audit``) for the log output, which the
    operator keeps elsewhere; ``jobbro audit verify --checkpoint ID:HASH`` checks against it."""
    seal = latest_seal(session)
    if seal is None:
        return None
    line = (
        f"audit checkpoint seal={seal.id} last_id={seal.last_id} "
        f"sealed_at={_canonical_value(seal.sealed_at)} hash={seal.hash}"
    )
    log.info(line)
    return line
