"""The CPR key with the keys it replaces: what lets a key rotation run while the portal works.

``Settings.cpr_key`` is a :class:`CprKey`: 32 bytes (the current key, ``JOBBRO_CPR_KEY``;
every new value is written under it) that also carries the previous key
(``JOBBRO_CPR_KEY_PREVIOUS``) while ``jobbro keys rotate-cpr`` re-encrypts the stored values.
:func:`matching.core.security.decrypt` tries the current key first and then the previous one,
and :func:`matching.core.security.cpr_lookup_hashes` gives a CPR number's look-up hash under
each, so every row is read and found whichever key it is under. A ``CprKey`` is ``bytes``, so
code that only encrypts needs no change; its ``repr`` never shows key material.
"""

from __future__ import annotations

from collections.abc import Iterable


class CprKey(bytes):
    """The current key (the bytes themselves) and the keys still accepted for reading."""

    previous: tuple[bytes, ...]

    def __new__(cls, key: bytes, previous: Iterable[bytes] = ()) -> CprKey:
        made = super().__new__(cls, key)
        current = bytes(key)
        made.previous = tuple(dict.fromkeys(bytes(k) for k in previous if bytes(k) != current))
        return made

    def __reduce__(self) -> tuple[type[CprKey], tuple[bytes, tuple[bytes, ...]]]:
        return (CprKey, (bytes(self), self.previous))

    def __repr__(self) -> str:
        return f"CprKey(<{len(self)} bytes hidden>, previous={len(self.previous)})"

    __str__ = __repr__


def keys_of(key: bytes) -> tuple[bytes, ...]:
    """Every key to try, the current one first."""
    if isinstance(key, CprKey):
        return (bytes(key), *key.previous)
    return (bytes(key),)


def decode_key(text: str) -> bytes | None:
    """32 bytes from urlsafe base64 (how ``JOBBRO_CPR_KEY`` and key files are written), or
    None when ``text`` is not that."""
    import base64
    import binascii

    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (ValueError, TypeError, binascii.Error):
        return None
    return key if len(key) == 32 else None
