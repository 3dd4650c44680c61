"""Rotating the secret key: while the old key is listed in JOBBRO_SECRET_KEY_PREVIOUS, sessions,
CSRF tokens and e-mail links signed with it still work and everything new is signed with the new
key; once it is no longer listed, nothing signed with it is accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import BadSignature
from sqlalchemy.orm import Session

from matching.accounts import tokens
from matching.core.errors import ConfigError, ValidationError
from matching.core.settings import Settings
from matching.models import OrgKind, Role, User
from tests.factories import PASSWORD
from tests.support.portal import csrf_token, make_app

OLD_KEY = "the-old-secret-key-being-retired-0123456789abcdef"
NEW_KEY = "the-new-secret-key-just-rolled-out-9876543210fedcba"
COOKIE = "jobbro_session"


def _app(
    settings: Settings, session: Session, key: str, *previous: str, csrf: bool = False
) -> Flask:
    rotated = settings.with_overrides(secret_key=key, secret_key_previous=tuple(previous))
    return make_app(rotated, session, csrf=csrf)


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _signed_with(app: Flask, value: str) -> bool:
    """Whether ``value`` is a session cookie signed with this app's own key (no fallbacks)."""
    only_current = Flask("check")
    only_current.config.update(SECRET_KEY=app.secret_key, SECRET_KEY_FALLBACKS=[])
    serializer = only_current.session_interface.get_signing_serializer(only_current)  # type: ignore[attr-defined]
    try:
        serializer.loads(value)
    except BadSignature:
        return False
    return True


@pytest.fixture
def counsellor(make) -> User:  # noqa: ANN001
    org = make.organisation(OrgKind.A_KASSE, "A-kasse Fyn")
    return make.user((org, Role.COUNSELLOR), email="rikke@akasse.dk")


def _logged_in(client: FlaskClient) -> bool:
    response = client.get("/ledige/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_session_of_the_old_key_lasts_as_long_as_the_key_is_listed(
    settings: Settings, session: Session, counsellor: User
) -> None:
    before = _app(settings, session, OLD_KEY).test_client()
    assert (
        before.post("/login", data={"email": counsellor.email, "password": PASSWORD}).status_code
        == 302
    )
    assert _logged_in(before)
    old_cookie = _session_cookie(before)

    # Rotated, the old key still listed: the session goes on and is signed anew.
    rotating = _app(settings, session, NEW_KEY, OLD_KEY)
    during = rotating.test_client()
    during.set_cookie(COOKIE, old_cookie)
    assert _logged_in(during)
    renewed = _session_cookie(during)
    assert renewed != old_cookie and _signed_with(rotating, renewed)
    assert not _signed_with(_app(settings, session, OLD_KEY), renewed)

    # A new login is signed with the new key only.
    fresh = rotating.test_client()
    assert (
        fresh.post("/login", data={"email": counsellor.email, "password": PASSWORD}).status_code
        == 302
    )
    assert _signed_with(rotating, _session_cookie(fresh))

    # The grace period over: the old cookie opens nothing, the renewed one still works.
    after = _app(settings, session, NEW_KEY)
    stale = after.test_client()
    stale.set_cookie(COOKIE, old_cookie)
    assert not _logged_in(stale)
    current = after.test_client()
    current.set_cookie(COOKIE, renewed)
    assert _logged_in(current)


def test_a_reset_link_of_the_old_key_works_during_the_grace_period_only(
    settings: Settings, session: Session, counsellor: User
) -> None:
    old_link = (
        f"/nulstil-adgangskode/{tokens.make_token(OLD_KEY, tokens.PASSWORD_RESET, counsellor)}"
    )
    forged_link = "/nulstil-adgangskode/" + tokens.make_token(
        "a-key-nobody-configured-0123456789abcdef", tokens.PASSWORD_RESET, counsellor
    )
    rotating = _app(settings, session, NEW_KEY, OLD_KEY).test_client()
    assert rotating.get(old_link).status_code == 200
    assert rotating.get(forged_link).status_code == 400
    after = _app(settings, session, NEW_KEY).test_client()
    assert after.get(old_link).status_code == 400

    # Links made during the rotation are signed with the new key.
    new_token = tokens.make_token((OLD_KEY, NEW_KEY), tokens.PASSWORD_RESET, counsellor)
    assert after.get(f"/nulstil-adgangskode/{new_token}").status_code == 200
    with pytest.raises(ValidationError):
        tokens.user_for_token(session, OLD_KEY, tokens.PASSWORD_RESET, new_token)


def test_a_form_opened_before_the_rotation_can_still_be_sent(
    settings: Settings, session: Session, counsellor: User
) -> None:
    before = _app(settings, session, OLD_KEY, csrf=True).test_client()
    token = csrf_token(before.get("/login").get_data(as_text=True))
    old_cookie = _session_cookie(before)
    form = {"email": counsellor.email, "password": PASSWORD, "csrf_token": token}

    during = _app(settings, session, NEW_KEY, OLD_KEY, csrf=True).test_client()
    during.set_cookie(COOKIE, old_cookie)
    assert during.post("/login", data=form).status_code == 302

    after = _app(settings, session, NEW_KEY, csrf=True).test_client()
    after.set_cookie(COOKIE, old_cookie)
    assert after.post("/login", data=form).status_code == 400


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {
        "JOBBRO_ENV": "development",
        "JOBBRO_DATA_DIR": str(tmp_path),
        "JOBBRO_SECRET_KEY": NEW_KEY,
        **values,
    }


def test_previous_keys_are_read_and_checked(tmp_path: Path) -> None:
    settings = Settings.from_env(
        _env(tmp_path, JOBBRO_SECRET_KEY_PREVIOUS=f" {OLD_KEY} , {NEW_KEY},,{OLD_KEY}x")
    )
    # Order kept, the current key and blanks left out; the current key signs.
    assert settings.secret_key_previous == (OLD_KEY, OLD_KEY + "x")
    assert settings.signing_keys == (OLD_KEY, OLD_KEY + "x", NEW_KEY)
    assert Settings.from_env(_env(tmp_path)).secret_key_previous == ()

    # A short or published key is no more acceptable as an old key than as the current one.
    for bad in ("kort", "jobbro-development-secret-not-for-production"):
        with pytest.raises(ConfigError, match="JOBBRO_SECRET_KEY_PREVIOUS"):
            Settings.from_env(_env(tmp_path, JOBBRO_SECRET_KEY_PREVIOUS=bad))
