"""Opaque per-fair references to people, for the organisers' forms and URLs.

A jobseeker's id is the same everywhere, so an organiser who saw it on two fairs' pages could
tell that a pseudonymous person on one list is the one on another. Pages and forms of a fair
therefore name a person by :func:`person_reference`: a keyed pseudorandom permutation of the id
(a four-round Feistel network over 64 bits with HMAC-SHA256 of the server's key and the fair's id
as round function). It differs from fair to fair and cannot be turned back into the id without
the key; the server turns it back with :func:`person_id` for that fair only. A reference from
another fair, or a guessed one, almost always becomes no id at all (outside the ids' 31 bits),
and otherwise some other id that the fair's rules then refuse (not on the list, not in view),
exactly as a guessed id would.
"""

from __future__ import annotations

import hashlib
import hmac
import re

_LABEL = b"jobbro fair person references"
_ROUNDS = 4
_HALF = 32
_MASK = (1 << _HALF) - 1
_REFERENCE_RE = re.compile(r"[0-9a-f]{16}")
_MAX_ID = (1 << 31) - 1  # ids are 32-bit integers in the database


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _LABEL, hashlib.sha256).digest()


def _round(key: bytes, fair_id: int, number: int, half: int) -> int:
    digest = hmac.new(key, f"{fair_id}:{number}:{half}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def person_reference(secret_key: str, fair_id: int, jobseeker_id: int) -> str:
    """The person's reference on pages of fair ``fair_id``: 16 hex digits."""
    if not 0 <= jobseeker_id < 1 << (2 * _HALF):
        raise ValueError("jobseeker id out of range")
    key = _key(secret_key)
    left, right = jobseeker_id >> _HALF, jobseeker_id & _MASK
    for number in range(_ROUNDS):
        left, right = right, left ^ _round(key, fair_id, number, right)
    return f"{left:08x}{right:08x}"


def person_id(secret_key: str, fair_id: int, reference: str | None) -> int | None:
    """The jobseeker id behind ``reference`` on fair ``fair_id`` (None if it is no reference)."""
    if not reference or not _REFERENCE_RE.fullmatch(reference):
        return None
    key = _key(secret_key)
    left, right = int(reference[:8], 16), int(reference[8:], 16)
    for number in reversed(range(_ROUNDS)):
        left, right = right ^ _round(key, fair_id, number, left), left
    value = (left << _HALF) | right
    return value if value <= _MAX_ID else None
