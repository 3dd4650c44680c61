"""Passwords (argon2id), CPR numbers (encrypted at rest, keyed hash for look-up) and the
encryption of other personal data at rest (AES-256-GCM under keys derived from the CPR key)."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from matching.core.errors import ValidationError
from matching.core.keys import CprKey, keys_of

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


def derive_key(cpr_key: bytes, label: bytes) -> bytes:
    """An AES-256 key of its own for ``label`` (HKDF-SHA256 over the CPR key,
    ``Settings.cpr_key``): each kind of data is encrypted under a different key, and none
    under the CPR key itself. A :class:`~matching.core.keys.CprKey` with a previous key gives
    one with the previous key's derived key too, so values under it are still read."""

    def one(key: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(key)

    current, *previous = keys_of(cpr_key)
    return CprKey(one(current), [one(k) for k in previous]) if previous else one(current)


def encrypt(key: bytes, plain: bytes, aad: bytes) -> bytes:
    """AES-256-GCM with a fresh nonce, stored in front; ``aad`` binds the value to what it
    belongs to (decrypting it as anything else fails)."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(bytes(key)).encrypt(nonce, plain, aad)


def decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plain text of :func:`encrypt`; ``cryptography.exceptions.InvalidTag`` for another
    key, another ``aad`` or a changed blob. Under a rotation (a ``CprKey`` with a previous
    key) the previous key is tried after the current one."""
    nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
    *earlier, last = keys_of(key)
    for candidate in earlier:
        try:
            return AESGCM(candidate).decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            continue
    return AESGCM(last).decrypt(nonce, ciphertext, aad)


def encrypt_cpr(key: bytes, cpr: str) -> bytes:
    """AES-256-GCM encrypt a normalised CPR number; the nonce is stored in front."""
    return encrypt(key, normalise_cpr(cpr).encode(), b"cpr")


def decrypt_cpr(key: bytes, blob: bytes) -> str:
    return decrypt(key, blob, b"cpr").decode()


def cpr_lookup_hash(key: bytes, cpr: str) -> str:
    """Keyed hash for exact look-up (a plain hash of 10 digits is trivially reversible)."""
    return hmac.new(key, b"lookup:" + normalise_cpr(cpr).encode(), hashlib.sha256).hexdigest()


def cpr_lookup_hashes(key: bytes, cpr: str) -> tuple[str, ...]:
    """The look-up hash under the current key and under each previous one (a rotation in
    progress): what finding a stored person by CPR number must search for. The first is the
    one new rows get (:func:`cpr_lookup_hash`)."""
    return tuple(cpr_lookup_hash(k, cpr) for k in keys_of(key))


def format_cpr_masked(cpr_digits: str) -> str:
    return f"{cpr_digits[:6]}-XXXX"
