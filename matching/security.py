"""Passwords (argon2id) and CPR numbers (encrypted at rest, keyed hash for look-up)."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from matching.errors import ValidationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD_CHARS = 10
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

    Only the date part is checked: modulus-11 is not enforced, because numbers without it
    have been issued since 1 October 2007 (cpr.dk).
    """
    match = CPR_RE.match(cpr.strip())
    if not match:
        raise ValidationError({"cpr": "CPR-nummeret skal have formen DDMMÅÅ-XXXX."})
    day, month, year2, _serial = match.groups()
    try:
        date(2000 + int(year2), int(month), int(day))
    except ValueError:
        # 29 February exists in 1900-based years too; try a leap year to allow it.
        try:
            date(2000 if int(month) == 2 and int(day) == 29 else 2001, int(month), int(day))
        except ValueError:
            raise ValidationError({"cpr": "CPR-nummeret indeholder ikke en gyldig dato."}) from None
    return "".join(match.groups())


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
