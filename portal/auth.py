"""Log in, log out, choosing the active organisation, and the access decorators.

The Flask session holds only ``user_id``, ``membership_id``, a fingerprint of the user's
password hash, the user's session version and when the session began and was last used; all
are re-checked against the database and the settings' idle and absolute timeouts on every
request, so deactivating a user, removing a membership, changing the password or logging out
(which raises the session version) takes effect at once in every browser where the user is
logged in.
"""

from __future__ import annotations

import functools
import hmac
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, Length

from matching.accounts.signup import EMAIL_MAX_CHARS, MAX_PASSWORD_CHARS
from matching.accounts.throttling import login_throttled, record_login_failure
from matching.accounts.tokens import password_fingerprint
from matching.core import audit, permissions
from matching.core.audit import Actor
from matching.core.errors import PermissionDenied
from matching.core.security import (
    DUMMY_PASSWORD_HASH,
    hash_password,
    password_needs_rehash,
    verify_password,
)
from matching.models import AuditAction, Membership, Role, User, utcnow
from portal.transaction import get_db, keep_changes

bp = Blueprint("auth", __name__)

LOGIN_FAILED_MESSAGE = "Forkert e-mail eller adgangskode."
LOGIN_THROTTLED_MESSAGE = (
    "For mange mislykkede forsøg på at logge ind. Vent 15 minutter og prøv igen, "
    "eller brug »Glemt adgangskode?«."
)
NO_ACCESS_MESSAGE = (
    "Din bruger er ikke knyttet til en aktiv organisation. Kontakt din administrator."
)
PASSWORD_FINGERPRINT_KEY = "password_fp"  # session key: ends the session when the password changes
# Session keys: the user's session version at login (logging out, a new password and losing the
# last role raise it), when the session began and when it was last used (Unix seconds).
SESSION_VERSION_KEY = "sv"
ISSUED_KEY = "issued"
SEEN_KEY = "seen"

F = TypeVar("F", bound=Callable[..., Any])


class LoginForm(FlaskForm):
    email = StringField(
        "E-mail",
        validators=[
            DataRequired("Indtast din e-mail."),
            Length(max=EMAIL_MAX_CHARS, message="E-mailen er for lang."),
            Email("Indtast en gyldig e-mail, fx navn@eksempel.dk.", check_deliverability=False),
        ],
    )
    password = PasswordField(
        "Adgangskode",
        validators=[
            DataRequired("Indtast din adgangskode."),
            Length(max=MAX_PASSWORD_CHARS, message="Adgangskoden er for lang."),
        ],
    )


class ChooseMembershipForm(FlaskForm):
    membership = RadioField(
        "Vælg organisation og rolle",
        validators=[DataRequired("Vælg en organisation.")],
        validate_choice=True,
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out is a POST."""


# --- Loading the user ---------------------------------------------------------------------------


def load_logged_in_user() -> None:
    """Before each request: put the user and the active membership on ``g`` (or None)."""
    g.user = None
    g.membership = None
    g.memberships = []
    user_id = session.get("user_id")
    # Static files and the health check need no user: spare them a database query.
    if user_id is None or request.endpoint in ("static", "healthz"):
        return
    db = get_db()
    user = db.scalar(
        select(User)
        .where(User.id == user_id, User.active.is_(True))
        .options(selectinload(User.memberships).selectinload(Membership.organisation))
    )
    if user is None or not _same_password(user) or not _session_current(user):
        session.clear()
        return
    session[SEEN_KEY] = int(time.time())
    g.user = user
    g.memberships = _active_memberships(user)
    membership_id = session.get("membership_id")
    g.membership = next((m for m in g.memberships if m.id == membership_id), None)
    if membership_id is not None and g.membership is None:
        session.pop("membership_id", None)


def _same_password(user: User) -> bool:
    """Whether the session was started with the user's current password."""
    stored = session.get(PASSWORD_FINGERPRINT_KEY)
    current = password_fingerprint(user.password_hash)
    return isinstance(stored, str) and hmac.compare_digest(stored, current)


def _session_current(user: User) -> bool:
    """Whether the session is of the user's current session version (not logged out since)
    and within the idle and the absolute timeout of the settings."""
    settings = current_app.extensions["jobbro_settings"]
    now = int(time.time())
    version, issued, seen = (session.get(k) for k in (SESSION_VERSION_KEY, ISSUED_KEY, SEEN_KEY))
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (version, issued, seen)):
        return False
    return (
        version == user.session_version
        and now - issued < settings.session_absolute_hours * 3600
        and now - seen < settings.session_idle_minutes * 60
    )


def _active_memberships(user: User) -> list[Membership]:
    memberships = [m for m in user.memberships if m.organisation.active]
    return sorted(memberships, key=lambda m: (m.organisation.name.lower(), m.role.value))


def current_actor() -> Actor:
    """The acting user as an audit :class:`~matching.core.audit.Actor` (anonymous if logged out)."""
    user = g.get("user")
    membership = g.get("membership")
    return Actor(
        user_id=user.id if user else None,
        organisation_id=membership.organisation_id if membership else None,
        role=membership.role.value if membership else None,
        ip_address=request.remote_addr,
    )


# --- Decorators ---------------------------------------------------------------------------------


def login_required(view: F) -> F:
    """Send anonymous users to the login page, and users without an active role to choose one."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=_current_path()))
        if g.get("membership") is None:
            return redirect(url_for("auth.choose_organisation", next=_current_path()))
        return view(**kwargs)

    return wrapped  # type: ignore[return-value]


def role_required(allowed: frozenset[Role]) -> Callable[[F], F]:
    """Like :func:`login_required`, and the active role must be one of ``allowed``, a role set
    of :mod:`matching.core.permissions` (else 403)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def check_role(**kwargs: Any) -> Any:
            if g.membership.role not in allowed:
                raise PermissionDenied(
                    f"role {g.membership.role.value} may not open {request.path}"
                )
            return view(**kwargs)

        return login_required(check_role)  # type: ignore[return-value]

    return decorator


def _current_path() -> str:
    return request.full_path.rstrip("?") if request.query_string else request.path


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an open redirect after login is a phishing tool.

    Control characters are refused before parsing: browsers drop a tab or line break inside a
    URL, so ``/<TAB>/evil.example`` would become ``//evil.example``, and a line break cannot go
    into a header at all. Backslashes are refused because browsers read them as slashes.
    """
    if not target or "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        return None
    # Exactly one slash first, in the text as sent too: "///host" parses as a path but a
    # browser goes to the host.
    for path in (parts.path, target):
        if not path.startswith("/") or path.startswith("//"):
            return None
    return target


# --- Views --------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201 - Flask view
    """Log in with e-mail and password (the same message for unknown e-mail and wrong password)."""
    if g.get("user") is not None and g.get("membership") is not None:
        return redirect(url_for("main.home"))
    form = LoginForm()
    next_url = _safe_next(request.args.get("next"))
    login_error = None
    throttled = False
    if form.validate_on_submit():
        throttled = login_throttled(get_db(), form.email.data or "", request.remote_addr)
        user = _authenticate(form.email.data or "", form.password.data or "", throttled=throttled)
        if throttled:
            login_error = LOGIN_THROTTLED_MESSAGE
        elif user is None:
            login_error = LOGIN_FAILED_MESSAGE
        else:
            memberships = _active_memberships(user)
            if not memberships:
                login_error = NO_ACCESS_MESSAGE
            else:
                return _start_session(user, memberships, next_url)
    status = 429 if throttled else 200 if login_error is None and not form.errors else 400
    return render_template(
        "auth/login.html", form=form, login_error=login_error, next_url=next_url
    ), status


def _authenticate(email: str, password: str, *, throttled: bool = False) -> User | None:
    """Check the password in constant-ish time; write LOGIN_FAILED on failure.

    While ``throttled`` the password is not checked at all (logged once per window).
    """
    db = get_db()
    normalised = email.strip().lower()
    user = db.scalar(
        select(User)
        .where(func.lower(User.email) == normalised)
        .options(selectinload(User.memberships).selectinload(Membership.organisation))
    )
    if throttled or user is None or not user.active:
        # Spend the same time as a real check so response times do not reveal accounts.
        verify_password(DUMMY_PASSWORD_HASH, password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    if not ok:
        # Counted for the limits; while throttled, one row per window (not one per attempt).
        record_login_failure(
            db,
            email,
            user_id=user.id if user else None,
            ip_address=request.remote_addr,
            throttled=throttled,
        )
        keep_changes()  # the answer is 400/429, but the failed attempt must be on record
        return None
    return user


def _start_session(user: User, memberships: list[Membership], next_url: str | None):  # noqa: ANN202
    # The login form has the password in hand: the only moment a hash can be upgraded.
    password = request.form.get("password", "")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return start_session(user, memberships, next_url)


def start_session(
    user: User,
    memberships: list[Membership] | None = None,
    next_url: str | None = None,
    *,
    active: Membership | None = None,
):  # noqa: ANN201 - a redirect
    """Log ``user`` in (audited, in a fresh session) and redirect.

    Used by the login form and by pages that have just proved who the user is (sign-up,
    invitation). ``memberships`` default to the user's active ones; ``active`` picks the role to
    start in, otherwise a user with several roles is asked to choose one.
    """
    db = get_db()
    if memberships is None:
        memberships = _active_memberships(user)
    if not memberships:
        session.clear()
        flash(NO_ACCESS_MESSAGE, "error")
        return redirect(url_for("auth.login"))
    user.last_login_at = utcnow()
    single = active or (memberships[0] if len(memberships) == 1 else None)
    audit.record(
        db,
        Actor(
            user_id=user.id,
            organisation_id=single.organisation_id if single else None,
            role=single.role.value if single else None,
            ip_address=request.remote_addr,
        ),
        AuditAction.LOGIN,
        "user",
        user.id,
        details={"memberships": len(memberships)},
    )
    # A fresh session on login: a cookie planted before login must not carry over.
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session[PASSWORD_FINGERPRINT_KEY] = password_fingerprint(user.password_hash)
    now = int(time.time())
    session[SESSION_VERSION_KEY] = user.session_version
    session[ISSUED_KEY] = now
    session[SEEN_KEY] = now
    if single is not None:
        session["membership_id"] = single.id
        return redirect(next_url or url_for("main.home"))
    return redirect(url_for("auth.choose_organisation", next=next_url))


@bp.route("/vaelg-organisation", methods=["GET", "POST"])
def choose_organisation():  # noqa: ANN201 - Flask view
    """Let a user with several memberships choose the active organisation and role."""
    if g.get("user") is None:
        return redirect(url_for("auth.login"))
    memberships: list[Membership] = g.memberships
    if not memberships:
        session.clear()
        flash(NO_ACCESS_MESSAGE, "error")
        return redirect(url_for("auth.login"))
    form = ChooseMembershipForm()
    form.membership.choices = [
        (str(m.id), f"{m.organisation.name} – {m.role.label_da}") for m in memberships
    ]
    if request.method == "GET" and g.membership is not None:
        form.membership.data = str(g.membership.id)
    next_url = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        chosen = next(m for m in memberships if str(m.id) == form.membership.data)
        session["membership_id"] = chosen.id
        flash(f"Du arbejder nu som {chosen.role.label_da} i {chosen.organisation.name}.", "success")
        return redirect(next_url or url_for("main.home"))
    status = 400 if form.errors else 200
    return render_template("auth/choose.html", form=form, next_url=next_url), status


@bp.post("/logout")
def logout():  # noqa: ANN201 - Flask view
    """Log out (POST with a CSRF token, so another site cannot log a user out).

    A local ``next`` is passed on to the login page, e.g. to log in as the user a link was
    meant for and return to it.
    """
    if g.get("user") is not None:
        db = get_db()
        audit.record(db, current_actor(), AuditAction.LOGOUT, "user", g.user.id)
        # Server-side: a copy of the cookie kept from before no longer opens anything.
        g.user.session_version += 1
    session.clear()
    flash("Du er nu logget ud.", "success")
    return redirect(url_for("auth.login", next=_safe_next(request.args.get("next"))))


@bp.app_context_processor
def inject_auth() -> dict[str, Any]:
    """Give templates the logged-in user, the active membership and a logout form."""
    return {
        "current_user": g.get("user"),
        "current_membership": g.get("membership"),
        "all_memberships": g.get("memberships", []),
        "logout_form": LogoutForm() if g.get("user") is not None else None,
        "Role": Role,
        "permissions": permissions,
    }
