"""Accounts in the portal: employer sign-up, colleagues, invitations and forgotten passwords.

Sign-up is two steps: the e-mail first (always the same answer, so the form tells no one who
has an account), then the company form from the link mailed to that e-mail.

The rules live in :mod:`matching.accounts`; this module turns forms into calls and domain errors
back into field errors, and sends the e-mails through the configured sender (after the commit,
so a mail never points at something that was rolled back). Password-reset mails are queued as
notifications instead and sent by the periodic delivery job, so the answer to »Glemt
adgangskode?« takes as long whether or not the e-mail has a user. Forms keep what was typed
when they are shown again with errors, except passwords, which are never echoed back.
"""

from __future__ import annotations

import logging
from typing import Any

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
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from matching.accounts import members as org_members
from matching.accounts import passwords, throttling, tokens
from matching.accounts import signup as employer_signup
from matching.accounts.tokens import TokenPurpose
from matching.core import notifications, permissions
from matching.core.errors import ValidationError
from matching.core.mail import Message, Sender, sender_from_settings
from matching.core.settings import Settings
from matching.models import Role, User
from portal import outbox
from portal.account_forms import (
    PASSWORD_HINT,
    ConfirmForm,
    ForgotPasswordForm,
    InvitationForm,
    InviteForm,
    ResetPasswordForm,
    SignupEmailForm,
    SignupForm,
)
from portal.auth import role_required, start_session
from portal.forms import show_errors
from portal.transaction import after_commit, get_db

log = logging.getLogger(__name__)

bp = Blueprint("accounts", __name__)
bp.register_blueprint(outbox.bp)

MAIL_SENDER_KEY = "jobbro_mail_sender"  # app.extensions key of the Sender


@bp.record_once
def _install_sender(state: BlueprintSetupState) -> None:
    """One sender per app, chosen by the settings (tests may put their own in its place)."""
    settings: Settings = state.app.extensions["jobbro_settings"]
    state.app.extensions.setdefault(MAIL_SENDER_KEY, sender_from_settings(settings))


@bp.context_processor
def _inject_hints() -> dict[str, str]:
    return {"password_hint": PASSWORD_HINT}


def _settings() -> Settings:
    return current_app.extensions["jobbro_settings"]


def send_mail(message: Message) -> bool:
    """Send ``message``; False (and a log entry) if the mail server could not take it."""
    sender: Sender = current_app.extensions[MAIL_SENDER_KEY]
    try:
        sender.send(message)
    except OSError:  # includes smtplib.SMTPException and socket timeouts
        log.exception("could not send e-mail %r", message.subject)
        return False
    return True


def _absolute_url(endpoint: str, **values: Any) -> str:
    """A link for an e-mail: JOBBRO_BASE_URL, not the Host header of whoever asked."""
    return _settings().base_url + url_for(endpoint, **values)


def _status(form: FlaskForm, general_error: str | None) -> int:
    return 400 if general_error or any(field.errors for field in form) else 200


# --- Sign-up ------------------------------------------------------------------------------------

SIGNUP_THROTTLED_MESSAGE = (
    "Der er oprettet mange virksomheder fra din forbindelse den seneste time. Vent en time og "
    "prøv igen, eller kontakt jobcentret, som kan oprette virksomheden for jer."
)


@bp.route("/opret-virksomhed", methods=["GET", "POST"])
def signup():  # noqa: ANN201 - Flask view
    """Sign-up, first step: the e-mail. The answer is the same whether or not the e-mail has a
    user, and whether or not a limit was reached; the e-mail gets the link to the company form,
    or (if it has a user) a note with links to log in and to choose a new password."""
    form = SignupEmailForm()
    if not form.validate_on_submit():
        return render_template("accounts/signup.html", form=form), _status(form, None)
    db = get_db()
    try:
        asked = employer_signup.request_signup(
            db, form.email.data or "", ip_address=request.remote_addr
        )
    except ValidationError as exc:  # the form's checks let through what the domain refuses
        form.email.errors = [*form.email.errors, *exc.errors.values()]
        return render_template("accounts/signup.html", form=form), 400
    if asked is not None:
        if asked.user is None:
            token = tokens.make_signup_token(_settings().signing_keys, asked.email)
            message = employer_signup.signup_link_message(
                asked.email, _absolute_url("accounts.signup_company", token=token)
            )
        else:
            message = employer_signup.signup_attempt_message(
                asked.user,
                _absolute_url("auth.login"),
                _absolute_url("accounts.forgot_password"),
            )
        # Queued, not sent here: the mail server's time must not tell who has an account.
        notifications.notify(
            db,
            kind="employer_signup",
            recipient=message.to,
            subject=message.subject,
            body=message.body,
            object_type=employer_signup.SIGNUP_REQUEST,
            object_id=throttling.email_key(asked.email),
        )
    return render_template(
        "accounts/signup_sent.html",
        email=form.email.data,
        hours=tokens.EMPLOYER_SIGNUP.max_age_seconds // 3600,
        outbox_available=outbox.outbox_reachable(),
    )


@bp.route("/opret-virksomhed/<token>", methods=["GET", "POST"])
def signup_company(token: str):  # noqa: ANN201 - Flask view
    """Sign-up, second step (from the mailed link): register the employer with its first user
    under the e-mail the link was sent to, then log that user in as employer user."""
    db = get_db()
    try:
        email = tokens.signup_email_for_token(_settings().signing_keys, token)
    except ValidationError as exc:
        return _link_error(exc.errors["token"], tokens.EMPLOYER_SIGNUP)
    if employer_signup.signup_email_taken(db, email):
        return _link_error(tokens.TOKEN_USED_MESSAGE, tokens.EMPLOYER_SIGNUP)
    form = SignupForm()
    form.policy_email = email
    general_error = None
    if form.validate_on_submit():
        if throttling.signup_throttled(db, request.remote_addr):
            html = render_template(
                "accounts/signup_company.html",
                form=form,
                email=email,
                token=token,
                general_error=SIGNUP_THROTTLED_MESSAGE,
            )
            return html, 429
        try:
            result = employer_signup.signup_employer(
                db,
                company_name=form.company_name.data or "",
                cvr=form.cvr.data or "",
                industry=form.industry.data,
                address=form.address.data or "",
                postal_code=form.postal_code.data or "",
                p_numbers=employer_signup.split_p_numbers(form.p_numbers.data or ""),
                admin_name=form.admin_name.data or "",
                admin_email=email,
                password=form.password.data or "",
                ip_address=request.remote_addr,
            )
        except ValidationError as exc:
            general_error = show_errors(form, exc.errors)
        else:
            response = start_session(result.user, active=result.employer_membership)
            flash(
                f"Velkommen til Jobbro. {result.organisation.name} er oprettet, og du er logget "
                "ind. Vælg »Skift rolle« og rollen Administrator for at invitere kolleger.",
                "success",
            )
            return response
    page = render_template(
        "accounts/signup_company.html",
        form=form,
        email=email,
        token=token,
        general_error=general_error,
    )
    return page, _status(form, general_error)


# --- Colleagues ---------------------------------------------------------------------------------


def _invite_form() -> InviteForm:
    form = InviteForm()
    roles = org_members.roles_for(g.membership.organisation.kind)
    form.role.choices = [(role.value, role.label_da) for role in roles]
    if not form.is_submitted():
        # Most invitations are for colleagues doing the daily work, not administrators.
        form.role.data = next((r.value for r in roles if r is not Role.ADMIN), roles[0].value)
    return form


def _members_page(form: InviteForm, general_error: str | None = None):  # noqa: ANN202
    db = get_db()
    members = org_members.organisation_members(db, g.membership.organisation_id)
    return render_template(
        "accounts/members.html",
        form=form,
        general_error=general_error,
        members=members,
        pending=org_members.pending_invitations(db, g.membership.organisation_id),
        organisation=g.membership.organisation,
    ), _status(form, general_error)


@bp.route("/organisation/brugere", methods=["GET", "POST"])
@role_required(permissions.ADMINS)
def members():  # noqa: ANN201 - Flask view
    """The organisation's users and roles, and the form inviting a colleague."""
    form = _invite_form()
    if not form.validate_on_submit():
        return _members_page(form)
    db = get_db()
    try:
        invitation = org_members.invite_member(
            db,
            g.membership,
            form.email.data or "",
            form.name.data or "",
            form.role.data or "",
            ip_address=request.remote_addr,
        )
    except ValidationError as exc:
        return _members_page(form, show_errors(form, exc.errors))
    message = None
    # The link carries only the invitation's random nonce (the database keeps its hash).
    if invitation.new_user:
        assert invitation.user is not None
        message = org_members.invitation_message(
            invitation,
            _absolute_url("accounts.accept_invitation", token=invitation.nonce),
            invited_by=g.user.name,
        )
    elif invitation.user is not None:
        message = org_members.membership_invitation_message(
            invitation,
            _absolute_url("accounts.confirm_membership", token=invitation.nonce),
            _absolute_url("accounts.forgot_password"),
            invited_by=g.user.name,
        )
    # else: the e-mail belongs to a deactivated user; nothing is sent, and the answer is the same.

    def send_and_tell() -> None:
        # The same answer for a new, an existing and a deactivated user, with the name as typed.
        if message is None or send_mail(message):
            flash(f"Invitationen er sendt til {invitation.name} ({invitation.email}).", "success")
            return
        flash(
            f"Invitationen til {invitation.name} ({invitation.email}) kunne ikke sendes lige nu. "
            "Prøv igen senere. Står kollegaen allerede på listen, kan kollegaen også bruge "
            "»Glemt adgangskode?« på login-siden.",
            "error",
        )

    after_commit(send_and_tell)  # a mail never points at an invitation that was rolled back
    return redirect(url_for("accounts.members"))


@bp.post("/organisation/brugere/<int:membership_id>/fjern")
@role_required(permissions.ADMINS)
def remove_member(membership_id: int):  # noqa: ANN201 - Flask view
    """Remove one role of one user from the organisation (CSRF-checked POST)."""
    db = get_db()
    own_membership_id = g.membership.id
    try:
        removed = org_members.remove_member(
            db, g.membership, membership_id, ip_address=request.remote_addr
        )
    except ValidationError as exc:
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("accounts.members"))
    text = f"{removed.user.name} har ikke længere rollen {removed.role.label_da.lower()}."
    flash(text, "success")
    if removed.id == own_membership_id:
        return redirect(url_for("main.home"))
    return redirect(url_for("accounts.members"))


@bp.post("/organisation/invitationer/<int:invitation_id>/traek-tilbage")
@role_required(permissions.ADMINS)
def withdraw_invitation(invitation_id: int):  # noqa: ANN201 - Flask view
    """Withdraw a pending invitation of the organisation: its link stops working."""
    try:
        withdrawn = org_members.withdraw_invitation(
            get_db(), g.membership, invitation_id, ip_address=request.remote_addr
        )
    except ValidationError as exc:
        flash(" ".join(exc.errors.values()), "error")
        return redirect(url_for("accounts.members"))
    flash(f"Invitationen til {withdrawn.name} ({withdrawn.email}) er trukket tilbage.", "success")
    return redirect(url_for("accounts.members"))


# --- Links from e-mails -------------------------------------------------------------------------


def _link_error(message: str, purpose: TokenPurpose):  # noqa: ANN202
    return render_template(
        "accounts/link_error.html",
        message=message,
        invitation=purpose is tokens.INVITATION,
        membership=purpose is tokens.MEMBERSHIP,
        signup=purpose is tokens.EMPLOYER_SIGNUP,
    ), 400


def _use_password_link(
    token: str, purpose: TokenPurpose, form: ResetPasswordForm, template: str
) -> User | ResponseReturnValue:
    """The reset page: check the link first (so nobody types a password into a dead link),
    then the form. Returns the user once the password is set."""
    db = get_db()
    secret_key = _settings().signing_keys
    try:
        user = tokens.user_for_token(db, secret_key, purpose, token)
    except ValidationError as exc:
        return _link_error(exc.errors.get("token", tokens.TOKEN_INVALID_MESSAGE), purpose)
    form.policy_email = user.email
    name_field = form._fields.get("name")
    if name_field is not None and not form.is_submitted():
        name_field.data = user.name
    general_error = None
    if form.validate_on_submit():
        try:
            user = passwords.set_password_with_token(
                db,
                secret_key,
                purpose,
                token,
                form.password.data or "",
                name=name_field.data if name_field is not None else None,
                ip_address=request.remote_addr,
            )
        except ValidationError as exc:
            if "token" in exc.errors:
                return _link_error(exc.errors["token"], purpose)
            general_error = show_errors(form, exc.errors)
        else:
            return user
    page = render_template(template, form=form, token=token, user=user, general_error=general_error)
    return page, _status(form, general_error)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):  # noqa: ANN201 - Flask view
    """A new user from an invitation chooses name and password, and is logged in. The link is
    the invitation's nonce: it works once, and not after the invitation was withdrawn or the
    role removed (check the link first, so nobody types a password into a dead link)."""
    db = get_db()
    try:
        user = org_members.new_user_invitation(db, token)
    except ValidationError as exc:
        return _link_error(exc.errors.get("token", tokens.TOKEN_INVALID_MESSAGE), tokens.INVITATION)
    form = InvitationForm()
    form.policy_email = user.email
    if not form.is_submitted():
        form.name.data = user.name
    general_error = None
    if form.validate_on_submit():
        try:
            user = org_members.accept_new_user_invitation(
                db,
                token,
                form.password.data or "",
                name=form.name.data or "",
                ip_address=request.remote_addr,
            )
        except ValidationError as exc:
            if "token" in exc.errors:
                return _link_error(exc.errors["token"], tokens.INVITATION)
            general_error = show_errors(form, exc.errors)
        else:
            return _welcome(user)
    page = render_template(
        "accounts/invitation.html", form=form, token=token, user=user, general_error=general_error
    )
    return page, _status(form, general_error)


def _welcome(user: User):  # noqa: ANN202
    response = start_session(user)
    flash("Din adgangskode er gemt. Velkommen til Jobbro.", "success")
    return response


@bp.route("/invitation/rolle/<token>", methods=["GET", "POST"])
def confirm_membership(token: str):  # noqa: ANN201 - Flask view
    """An existing user confirms a role they were invited to; only that user, logged in."""
    db = get_db()
    try:
        invited_user_id = org_members.membership_link_user_id(db, token)
    except ValidationError as exc:
        return _link_error(exc.errors["token"], tokens.MEMBERSHIP)
    if g.get("user") is None:
        flash("Log ind for at se og bekræfte invitationen.", "info")
        return redirect(url_for("auth.login", next=request.path))
    if g.user.id != invited_user_id:
        # Say nothing about the invitation: the link was sent to someone else.
        return render_template("accounts/membership_wrong_user.html", next_url=request.path), 403
    form = ConfirmForm()
    try:
        offer = org_members.membership_offer(db, token, g.user)
        if not form.validate_on_submit():
            page = render_template("accounts/membership.html", form=form, offer=offer, token=token)
            return page, 400 if form.errors else 200
        membership = org_members.accept_membership(
            db, token, g.user, ip_address=request.remote_addr
        )
    except ValidationError as exc:
        return _link_error(exc.errors.get("token", tokens.TOKEN_INVALID_MESSAGE), tokens.MEMBERSHIP)
    text = (
        f"Du har nu rollen {membership.role.label_da.lower()} i {membership.organisation.name} "
        "og arbejder i den rolle."
    )
    membership_id = membership.id
    session["membership_id"] = membership_id
    flash(text, "success")
    return redirect(url_for("main.home"))


@bp.route("/glemt-adgangskode", methods=["GET", "POST"])
def forgot_password():  # noqa: ANN201 - Flask view
    """Ask for a reset link. The answer is the same whether or not the e-mail has a user."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("accounts/forgot.html", form=form), _status(form, None)
    db = get_db()
    user = passwords.request_password_reset(
        db, form.email.data or "", ip_address=request.remote_addr
    )
    if user is not None:
        # Queued, not sent here: the mail server's time must not tell who has an account.
        token = tokens.make_token(_settings().signing_keys, tokens.PASSWORD_RESET, user)
        message = passwords.password_reset_message(
            user, _absolute_url("accounts.reset_password", token=token)
        )
        notifications.notify(
            db,
            kind="password_reset",
            recipient=message.to,
            subject=message.subject,
            body=message.body,
            object_type="user",
            object_id=user.id,
        )
    return render_template(
        "accounts/forgot_sent.html",
        email=form.email.data,
        outbox_available=outbox.outbox_reachable(),
    )


@bp.route("/nulstil-adgangskode/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # noqa: ANN201 - Flask view
    """Choose a new password from a reset link; then log in with it."""
    result = _use_password_link(
        token, tokens.PASSWORD_RESET, ResetPasswordForm(), "accounts/reset.html"
    )
    if not isinstance(result, User):
        return result
    # Whoever was logged in in this browser is logged out: the next login uses the new password.
    session.clear()
    flash("Din adgangskode er ændret. Log ind med den nye adgangskode.", "success")
    return redirect(url_for("auth.login"))
