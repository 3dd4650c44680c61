"""Signed, expiring, single-use links (invitations, password resets, role offers, sign-ups).

A token carries the user and a fingerprint of the password hash: setting a password ends every
link issued before it. A sign-up link carries only the e-mail it was mailed to (no user exists
yet); it is used up when that e-mail gets a user."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from matching.core.errors import ValidationError
from matching.models import (
    User,
)

TOKEN_MAX_CHARS = 512  # a real token is ~80 characters; refuse junk before parsing it


_FINGERPRINT_CHARS = 16


TOKEN_INVALID_MESSAGE = "Linket er ugyldigt. Tjek, at du har kopieret hele linket fra e-mailen."


TOKEN_EXPIRED_MESSAGE = (
    "Linket er udløbet. Bed om et nyt link under »Glemt adgangskode?« på login-siden."
)


TOKEN_USED_MESSAGE = (
    "Linket er allerede brugt. Log ind med din adgangskode, eller bed om et nyt link under "
    "»Glemt adgangskode?«."
)


@dataclass(frozen=True)
class TokenPurpose:
    """What a signed link may be used for, and for how long."""

    salt: str
    max_age_seconds: int
    audit_event: str


INVITATION = TokenPurpose("invitation", 7 * 24 * 3600, "invitation_accepted")


PASSWORD_RESET = TokenPurpose("password-reset", 3600, "password_reset_completed")


MEMBERSHIP = TokenPurpose("membership", 7 * 24 * 3600, "membership_invitation_accepted")


EMPLOYER_SIGNUP = TokenPurpose("employer-signup", 24 * 3600, "employer_signup")


SIGNUP_EXPIRED_MESSAGE = (
    "Linket er udløbet. Start forfra med din e-mail for at få et nyt link til at oprette "
    "virksomheden."
)


# The secret key, or the keys of a rotation (Settings.signing_keys): the last one signs, every
# one is accepted, so links mailed before the key changed keep working for the grace period.
SecretKeys = str | Sequence[str]


def _serializer(secret_key: SecretKeys, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    keys = [secret_key] if isinstance(secret_key, str) else list(secret_key)
    return URLSafeTimedSerializer(keys, salt=purpose.salt)


def token_payload(
    secret_key: SecretKeys,
    purpose: TokenPurpose,
    token: str,
    *,
    max_age: int,
    expired_message: str = TOKEN_EXPIRED_MESSAGE,
) -> object:
    """What a link's token carries, once its signature and age check out; ValidationError (key
    ``token``) for a missing, overlong, tampered or expired one. The caller checks the shape."""
    if not token or len(token) > TOKEN_MAX_CHARS:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    try:
        return _serializer(secret_key, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationError({"token": expired_message}) from None
    except BadData:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE}) from None


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: changes whenever the password does.

    Signed links carry it, and so does the portal's login session: a new password ends both.
    """
    return hashlib.sha256(password_hash.encode()).hexdigest()[:_FINGERPRINT_CHARS]


def make_token(secret_key: SecretKeys, purpose: TokenPurpose, user: User) -> str:
    """A URL-safe signed token for ``user`` and ``purpose``, valid until the password changes
    or ``purpose.max_age_seconds`` have passed."""
    return _serializer(secret_key, purpose).dumps(
        [user.id, password_fingerprint(user.password_hash)]
    )


def make_signup_token(secret_key: SecretKeys, email: str) -> str:
    """A URL-safe signed token for the sign-up form of the (normalised) ``email``, valid for
    :data:`EMPLOYER_SIGNUP`'s max age."""
    return _serializer(secret_key, EMPLOYER_SIGNUP).dumps(["signup", email])


def signup_email_for_token(secret_key: SecretKeys, token: str) -> str:
    """The e-mail a sign-up link was mailed to, or ValidationError (key ``token``) saying
    whether the link is invalid or expired. Whether the e-mail got a user since is the
    caller's check."""
    payload = token_payload(
        secret_key,
        EMPLOYER_SIGNUP,
        token,
        max_age=EMPLOYER_SIGNUP.max_age_seconds,
        expired_message=SIGNUP_EXPIRED_MESSAGE,
    )
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and payload[0] == "signup"
        and isinstance(payload[1], str)
        and payload[1]
    ):
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    return payload[1]


def user_for_token(
    session: Session,
    secret_key: SecretKeys,
    purpose: TokenPurpose,
    token: str,
    *,
    max_age_seconds: int | None = None,
    for_update: bool = False,
) -> User:
    """The user a token was issued to, or ValidationError (key ``token``) saying whether the
    link is invalid, expired or already used."""
    max_age = purpose.max_age_seconds if max_age_seconds is None else max_age_seconds
    payload = token_payload(secret_key, purpose, token, max_age=max_age)
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and isinstance(payload[1], str)
    ):
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    # FOR UPDATE when about to use the token: two requests with one link must not both pass.
    user = session.get(User, payload[0], with_for_update=for_update or None)
    if user is None or not user.active:
        raise ValidationError({"token": TOKEN_INVALID_MESSAGE})
    if not hmac.compare_digest(payload[1], password_fingerprint(user.password_hash)):
        raise ValidationError({"token": TOKEN_USED_MESSAGE})
    return user
