"""Rotating the CPR key: every value under it, or under a key derived from it, re-encrypted
under a new key (``jobbro keys rotate-cpr``, docs/operations.md).

What is under the CPR key:

* ``jobseekers.cpr_encrypted`` (AES-256-GCM) and ``jobseekers.cpr_lookup`` (HMAC-SHA256): both
  are rewritten in one UPDATE, so a row is always under one key.
* ``cv_drafts.file_encrypted`` and ``text_encrypted`` and ``person_imports.file_encrypted``:
  under keys derived from the CPR key (HKDF, :func:`matching.core.security.derive_key`). They
  are short-lived, but a counsellor's open draft and a queued import would be lost if they were
  purged, so they are re-encrypted like the CPR numbers.

The rotation works in batches of rows in id order with a commit per batch, so it can be
interrupted at any point and run again: a row whose value decrypts under the new key is
already done (AES-GCM authenticates, so a wrong key never "succeeds") and is skipped; no
schema change or progress table is needed. Each UPDATE is a compare-and-set on the old cipher
text, so a row the portal changes meanwhile is read again rather than overwritten. A row that
decrypts under none of the keys is reported in :class:`RotationReport.failures`, never skipped
silently, and the rotation is then not complete.

While it runs, the portal and workers must read both keys: ``JOBBRO_CPR_KEY`` is the new key and
``JOBBRO_CPR_KEY_PREVIOUS`` the old (``matching.core.keys``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.core.db import session_scope
from matching.core.security import cpr_lookup_hash, decrypt, derive_key, encrypt
from matching.intake.drafts import KEY_LABEL as DRAFT_KEY_LABEL
from matching.intake.drafts import _aad as draft_aad
from matching.intake.import_runs import KEY_LABEL as IMPORT_KEY_LABEL
from matching.intake.import_runs import _aad as import_aad
from matching.models import CVDraft, Jobseeker, PersonImport

DEFAULT_BATCH_SIZE = 500
MAX_ATTEMPTS = 3  # a row changed by the portal between read and write is read again
CPR_AAD = b"cpr"  # matching.core.security.encrypt_cpr


@dataclass(frozen=True)
class Failure:
    table: str
    row_id: int
    reason: str


@dataclass
class RotationReport:
    """Per table: rows re-encrypted, rows already under the new key; and the failures."""

    rotated: Counter[str] = field(default_factory=Counter)
    current: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.failures


class _Keys:
    """The new key and the old ones, each also derived for a label (cached)."""

    def __init__(self, new_key: bytes, old_keys: Sequence[bytes]) -> None:
        self.new = bytes(new_key)
        self.old = [bytes(k) for k in old_keys if bytes(k) != self.new]
        self._derived: dict[tuple[bytes, bytes], bytes] = {}

    def _key(self, key: bytes, label: bytes | None) -> bytes:
        if label is None:
            return key
        if (key, label) not in self._derived:
            self._derived[key, label] = bytes(derive_key(key, label))
        return self._derived[key, label]

    def open(self, blob: bytes, aad: bytes, label: bytes | None) -> tuple[bytes, bool] | None:
        """(plain text, whether it is under the new key already), or None: under no key."""
        for number, key in enumerate((self.new, *self.old)):
            try:
                return decrypt(self._key(key, label), blob, aad), number == 0
            except (InvalidTag, ValueError):
                continue
        return None

    def seal(self, plain: bytes, aad: bytes, label: bytes | None) -> bytes:
        return encrypt(self._key(self.new, label), plain, aad)


# A table's rotation: which rows, and the new values of one row (None: nothing to change;
# raises _Unreadable when a value decrypts under no key).
Plan = Callable[[_Keys, Any], dict[str, Any] | None]


class _Unreadable(Exception):
    pass


def _reseal(keys: _Keys, blob: bytes, aad: bytes, label: bytes | None) -> tuple[bytes, bytes]:
    """(plain, the blob under the new key: the same blob when it already is)."""
    opened = keys.open(blob, aad, label)
    if opened is None:
        raise _Unreadable
    plain, is_new = opened
    return plain, blob if is_new else keys.seal(plain, aad, label)


def _jobseeker(keys: _Keys, row: Any) -> dict[str, Any] | None:
    plain, blob = _reseal(keys, row.cpr_encrypted, CPR_AAD, None)
    lookup = cpr_lookup_hash(keys.new, plain.decode())
    if blob == row.cpr_encrypted and lookup == row.cpr_lookup:
        return None
    return {"cpr_encrypted": blob, "cpr_lookup": lookup}


def _cv_draft(keys: _Keys, row: Any) -> dict[str, Any] | None:
    _, file_blob = _reseal(
        keys, row.file_encrypted, draft_aad(row.jobseeker_id, "file"), DRAFT_KEY_LABEL
    )
    _, text_blob = _reseal(
        keys, row.text_encrypted, draft_aad(row.jobseeker_id, "text"), DRAFT_KEY_LABEL
    )
    if file_blob == row.file_encrypted and text_blob == row.text_encrypted:
        return None
    return {"file_encrypted": file_blob, "text_encrypted": text_blob}


def _person_import(keys: _Keys, row: Any) -> dict[str, Any] | None:
    _, blob = _reseal(keys, row.file_encrypted, import_aad(row.id), IMPORT_KEY_LABEL)
    return None if blob == row.file_encrypted else {"file_encrypted": blob}


# Per table: the columns a row's plan reads (the first is encrypted, so NULL: nothing to do).
TABLES: tuple[tuple[type, tuple[str, ...], Plan], ...] = (
    (Jobseeker, ("cpr_encrypted", "cpr_lookup"), _jobseeker),
    (CVDraft, ("file_encrypted", "text_encrypted", "jobseeker_id"), _cv_draft),
    (PersonImport, ("file_encrypted",), _person_import),
)


def rotate_cpr_key(
    session_factory: Callable[[], Session],
    *,
    new_key: bytes,
    old_keys: Sequence[bytes],
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_batch: Callable[[str, int, RotationReport], None] | None = None,
) -> RotationReport:
    """Re-encrypt every value under ``old_keys`` under ``new_key``, one committed batch of
    ``batch_size`` rows at a time (``after_batch(table, last_id, report)`` after each commit).
    Safe to interrupt and to run again; see the module's documentation."""
    keys = _Keys(new_key, old_keys)
    report = RotationReport()
    for model, columns, plan in TABLES:
        table = model.__tablename__
        encrypted = getattr(model, columns[0])
        wanted = select(model.id, *(getattr(model, c) for c in columns)).where(
            encrypted.is_not(None)
        )
        last_id = 0
        while True:
            with session_scope(session_factory) as session:
                rows = session.execute(
                    wanted.where(model.id > last_id).order_by(model.id).limit(batch_size)
                ).all()
                for row in rows:
                    _rotate_row(session, keys, model, wanted, plan, row, report)
            if not rows:
                break
            last_id = rows[-1].id
            if after_batch is not None:
                after_batch(table, last_id, report)
    return report


def _rotate_row(
    session: Session,
    keys: _Keys,
    model: type,
    wanted: Select,
    plan: Plan,
    row: Any,
    report: RotationReport,
) -> None:
    table = model.__tablename__
    for _ in range(MAX_ATTEMPTS):
        try:
            values = plan(keys, row)
        except _Unreadable:
            report.failures.append(Failure(table, row.id, "decrypts under none of the keys"))
            return
        if values is None:
            report.current[table] += 1
            return
        # Compare-and-set on what was read: a row changed meanwhile is read again.
        unchanged = [getattr(model, c) == getattr(row, c) for c in row._fields if c != "id"]
        try:
            with session.begin_nested():
                done = session.execute(
                    update(model)
                    .where(model.id == row.id, *unchanged)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                ).rowcount
        except IntegrityError:
            report.failures.append(
                Failure(table, row.id, "its new look-up hash is another row's (the same CPR twice)")
            )
            return
        if done:
            report.rotated[table] += 1
            return
        row = session.execute(wanted.where(model.id == row.id)).first()
        if row is None:  # deleted or emptied meanwhile: nothing left to rotate
            return
    report.failures.append(Failure(table, row.id, "changed on every attempt; run again"))
