"""Passwords (argon2id) and CPR numbers (encrypted at rest, keyed hash for look-up)."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from matching.core.errors import ValidationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_CHARS = 12
CPR_RE = re.compile(r"^(\d{2})(\d{2})(\d{2})-?(\d{4})$")
_NONCE_BYTES = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationError(
            {"password": f"Adgangskoden skal være mindst {MIN_PASSWORD_CHARS} tegn."}
        )
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# A fixed dummy hash so that a login for an unknown e-mail costs as much as a real one.
DUMMY_PASSWORD_HASH = _hasher.hash("dummy-password-for-timing")


def normalise_cpr(cpr: str) -> str:
    """Return the 10 digits of a CPR number, or raise ValidationError.

    The date part is checked (with the century given by the 7th digit, so 29 February is
    only accepted in leap years). Modulus 11 is not enforced: numbers without it have been
    issued since 1 October 2007 (cpr.dk).
    """
    match = CPR_RE.match(cpr.strip())
    if not match:
        raise ValidationError({"cpr": "CPR-nummeret skal have formen DDMMÅÅ-XXXX."})
    digits = "".join(match.groups())
    try:
        cpr_birth_date(digits)
    except ValueError:
        raise ValidationError({"cpr": "CPR-nummeret indeholder ikke en gyldig dato."}) from None
    return digits


def cpr_birth_date(digits: str) -> date:
    """Birth date encoded in a 10-digit CPR number (century from the 7th digit, per CPR rules)."""
    day, month, year2, seventh = (
        int(digits[0:2]),
        int(digits[2:4]),
        int(digits[4:6]),
        int(digits[6]),
    )
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if year2 <= 36 else 1900
    else:
        century = 2000 if year2 <= 57 else 1800
    return date(century + year2, month, day)


def encrypt_cpr(key: bytes, cpr: str) -> bytes:
    """AES-256-GCM encrypt a normalised CPR number; the nonce is stored in front."""
    import os

    digits = normalise_cpr(cpr)
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, digits.encode(), b"cpr")


def decrypt_cpr(key: bytes, blob: bytes) -> str:
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    return AESGCM(key).decrypt(nonce, ciphertext, b"cpr").decode()


def cpr_lookup_hash(key: bytes, cpr: str) -> str:
    """Keyed hash for exact look-up (a plain hash of 10 digits is trivially reversible)."""
    return hmac.new(key, b"lookup:" + normalise_cpr(cpr).encode(), hashlib.sha256).hexdigest()


def format_cpr_masked(cpr_digits: str) -> str:
    return f"{cpr_digits[:6]}-XXXX"
