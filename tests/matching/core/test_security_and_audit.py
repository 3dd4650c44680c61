"""Passwords, CPR encryption and the append-only audit log (ORM side)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from matching.core.audit import Actor, record
from matching.core.errors import ValidationError
from matching.core.security import (
    cpr_lookup_hash,
    decrypt,
    decrypt_cpr,
    derive_key,
    encrypt,
    encrypt_cpr,
    format_cpr_masked,
    hash_password,
    normalise_cpr,
    password_needs_rehash,
    verify_password,
)
from matching.models import AuditAction, AuditEntry, AuditLogIsAppendOnly

KEY = bytes(range(32))


def test_password_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password("korrekt-hest-batteri")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "korrekt-hest-batteri")
    assert not verify_password(hashed, "forkert-hest-batteri")
    assert not verify_password("not-a-hash", "anything")
    assert not password_needs_rehash(hashed)


def test_short_password_is_refused_in_danish() -> None:
    with pytest.raises(ValidationError) as info:
        hash_password("kort")
    assert info.value.errors["password"].startswith("Adgangskoden skal være mindst")


@pytest.mark.parametrize("cpr", ["010190-1234", "0101901234", " 290200-4001 "])
def test_cpr_round_trip_and_lookup(cpr: str) -> None:
    blob = encrypt_cpr(KEY, cpr)
    digits = normalise_cpr(cpr)
    assert digits.encode() not in blob
    assert decrypt_cpr(KEY, blob) == digits
    assert encrypt_cpr(KEY, cpr) != blob  # fresh nonce every time
    assert cpr_lookup_hash(KEY, cpr) == cpr_lookup_hash(KEY, digits)
    assert cpr_lookup_hash(bytes(32), cpr) != cpr_lookup_hash(KEY, cpr)
    assert format_cpr_masked(digits) == digits[:6] + "-XXXX"


def test_cpr_without_modulus_11_is_accepted() -> None:
    # 010190-1235 fails modulus 11; such numbers are issued since 2007.
    assert normalise_cpr("010190-1235") == "0101901235"


def test_cpr_birth_date_uses_the_century_digit() -> None:
    from datetime import date

    from matching.core.security import cpr_birth_date

    assert cpr_birth_date("0101901234") == date(1990, 1, 1)
    assert cpr_birth_date("0101054321") == date(2005, 1, 1)
    assert cpr_birth_date("0101604321") == date(1960, 1, 1)
    assert cpr_birth_date("2902005123") == date(2000, 2, 29)


@pytest.mark.parametrize(
    "cpr", ["", "12345", "320190-1234", "011390-1234", "abcdef-ghij", "290201-1234"]
)
def test_invalid_cpr_is_refused(cpr: str) -> None:
    with pytest.raises(ValidationError) as info:
        normalise_cpr(cpr)
    assert "cpr" in info.value.errors


def test_wrong_key_cannot_decrypt() -> None:
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        decrypt_cpr(bytes(32), encrypt_cpr(KEY, "010190-1234"))


def test_derived_keys_differ_by_label_and_from_the_cpr_key() -> None:
    drafts, imports = derive_key(KEY, b"drafts"), derive_key(KEY, b"imports")
    assert len(drafts) == 32 and drafts == derive_key(KEY, b"drafts")
    assert len({drafts, imports, KEY}) == 3


def test_encrypted_values_are_bound_to_their_key_and_associated_data() -> None:
    from cryptography.exceptions import InvalidTag

    key = derive_key(KEY, b"drafts")
    blob = encrypt(key, b"Mette Hansen", b"draft:1")
    assert b"Mette" not in blob and blob != encrypt(key, b"Mette Hansen", b"draft:1")
    assert decrypt(key, blob, b"draft:1") == b"Mette Hansen"
    with pytest.raises(InvalidTag):
        decrypt(key, blob, b"draft:2")  # another person's row
    with pytest.raises(InvalidTag):
        decrypt(derive_key(KEY, b"imports"), blob, b"draft:1")


def test_audit_entries_cannot_be_changed_or_deleted_through_the_orm(session: Session) -> None:
    entry = record(
        session,
        Actor(user_id=7, organisation_id=3, role="counsellor", ip_address="127.0.0.1"),
        AuditAction.VIEW,
        "jobseeker",
        42,
        jobseeker_id=42,
        purpose="sagsbehandling",
    )
    session.flush()
    assert session.get(AuditEntry, entry.id).object_id == "42"

    entry.note = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()

    kept = record(session, Actor.system(), AuditAction.EXPORT, "shortlist", 1)
    session.flush()
    session.delete(kept)
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
