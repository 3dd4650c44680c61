"""Accounts in the portal: employer sign-up, colleagues, invitations and forgotten passwords.

The rules live in :mod:`matching.accounts`; this module turns forms into calls and domain errors
back into field errors, and sends the e-mails through the configured sender (after the commit,
so a mail never points at something that was rolled back). Password-reset mails are queued as
notifications instead and sent by the periodic delivery job, so the answer to »Glemt
adgangskode?« takes as long whether or not the e-mail has a user. Forms keep what was typed
when they are shown again with errors, except passwords, which are never echoed back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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
from wtforms import Field, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, StopValidation

from matching.accounts import members as org_members
from matching.accounts import passwords, throttling, tokens
from matching.accounts import signup as employer_signup
from matching.accounts.tokens import TokenPurpose
from matching.core import notifications, permissions
from matching.core.errors import ValidationError
from matching.core.mail import Message, Sender, sender_from_settings
from matching.core.security import MIN_PASSWORD_CHARS
from matching.core.settings import Settings
from matching.models import Role, User
from portal import outbox
from portal.auth import role_required, start_session
from portal.forms import show_errors
from portal.transaction import after_commit, get_db

log = logging.getLogger(__name__)

bp = Blueprint("accounts", __name__)
bp.register_blueprint(outbox.bp)

MAIL_SENDER_KEY = "jobbro_mail_sender"  # app.extensions key of the Sender
PASSWORD_HINT = f"Mindst {MIN_PASSWORD_CHARS} tegn. Brug gerne flere ord, som du kan huske."
EMAIL_VALIDATORS = [
    DataRequired("Indtast en e-mail."),
    Length(max=employer_signup.EMAIL_MAX_CHARS, message="E-mailen er for lang."),
    Email("Indtast en gyldig e-mail, fx navn@eksempel.dk.", check_deliverability=False),
]


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


def _strip(value: object) -> object:
    """WTForms filter: surrounding spaces are never meant (also applied to missing data)."""
    return value.strip() if isinstance(value, str) else value


def _domain_check(check: Callable[[str], object]) -> Callable[[FlaskForm, Field], None]:
    """A WTForms validator running a :mod:`matching.accounts.signup` check (Danish message)."""

    def validator(_form: FlaskForm, field: Field) -> None:
        try:
            check(field.data or "")
        except ValidationError as exc:
            raise StopValidation(next(iter(exc.errors.values()))) from None

    return validator


def _status(form: FlaskForm, general_error: str | None) -> int:
    return 400 if general_error or any(field.errors for field in form) else 200


def _text_field(label: str, max_chars: int, required: str | None = None) -> StringField:
    """A trimmed text of at most ``max_chars``; ``required``: the message when it is empty
    (None: optional)."""
    return StringField(
        label,
        filters=[_strip],
        validators=[
            DataRequired(required) if required else Optional(),
            Length(max=max_chars, message=f"Højst {max_chars} tegn."),
        ],
    )


def _name_field(label: str, required: str) -> StringField:
    return _text_field(label, employer_signup.NAME_MAX_CHARS, required)


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Vælg en adgangskode."),
            Length(max=employer_signup.MAX_PASSWORD_CHARS, message="Adgangskoden er for lang."),
        ],
    )


def _password_repeat_field() -> PasswordField:
    return PasswordField(
        "Gentag adgangskoden",
        validators=[
            DataRequired("Gentag adgangskoden."),
            EqualTo("password", message="De to adgangskoder er ikke ens."),
        ],
    )


def _check_password_policy(field: Field, email: str) -> None:
    problem = employer_signup.password_problem(field.data or "", email)
    if problem:
        raise StopValidation(problem)


class SignupForm(FlaskForm):
    company_name = _name_field("Virksomhedens navn", "Indtast virksomhedens navn.")
    cvr = StringField(
        "CVR-nummer",
        filters=[_strip],
        validators=[
            DataRequired("Indtast CVR-nummeret."),
            _domain_check(employer_signup.validate_cvr),
        ],
        render_kw={"inputmode": "numeric", "spellcheck": "false"},
    )
    industry = _text_field("Branche (valgfri)", employer_signup.INDUSTRY_MAX_CHARS)
    p_numbers = TextAreaField(
        "P-numre",
        validators=[
            DataRequired("Angiv mindst ét P-nummer."),
            _domain_check(
                lambda text: employer_signup.parse_p_numbers(employer_signup.split_p_numbers(text))
            ),
        ],
        render_kw={"rows": 3, "inputmode": "numeric", "spellcheck": "false"},
    )
    address = _text_field("Adresse", employer_signup.ADDRESS_MAX_CHARS, "Indtast adressen.")
    postal_code = StringField(
        "Postnummer",
        filters=[_strip],
        validators=[DataRequired("Indtast postnummeret.")],
        render_kw={"inputmode": "numeric", "maxlength": 4},
    )
    admin_name = _name_field("Dit navn", "Indtast dit navn.")
    admin_email = StringField("Din e-mail", filters=[_strip], validators=EMAIL_VALIDATORS)
    password = _password_field("Adgangskode")
    password_repeat = _password_repeat_field()

    def validate_postal_code(self, field: Field) -> None:
        if not employer_signup.POSTAL_CODE_RE.fullmatch(field.data or ""):
            raise StopValidation("Postnummeret skal være 4 cifre, fx 5000.")

    def validate_password(self, field: Field) -> None:
        _check_password_policy(field, self.admin_email.data or "")


class InviteForm(FlaskForm):
    email = StringField("E-mail", filters=[_strip], validators=EMAIL_VALIDATORS)
    name = _name_field("Navn", "Indtast kollegaens navn.")
    # Choices are set per organisation kind; checked here with a Danish message.
    role = SelectField("Rolle", validators=[DataRequired("Vælg en rolle.")], validate_choice=False)

    def validate_role(self, field: Field) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise StopValidation("Vælg en af rollerne på listen.")


class ResetPasswordForm(FlaskForm):
    """New password + repeat. The view sets ``policy_email``: the password must differ."""

    policy_email = ""
    password = _password_field("Ny adgangskode")
    password_repeat = _password_repeat_field()

    def validate_password(self, field: Field) -> None:
        _check_password_policy(field, self.policy_email)


class InvitationForm(ResetPasswordForm):
    name = _name_field("Dit navn", "Indtast dit navn.")
    password = _password_field("Adgangskode")


class ForgotPasswordForm(FlaskForm):
    email = StringField("E-mail", filters=[_strip], validators=EMAIL_VALIDATORS)


class ConfirmForm(FlaskForm):
    """Only the CSRF token: confirming a membership invitation is a POST."""


# --- Sign-up ------------------------------------------------------------------------------------

SIGNUP_THROTTLED_MESSAGE = (
    "Der er oprettet mange virksomheder fra din forbindelse den seneste time. Vent en time og "
    "prøv igen, eller kontakt jobcentret, som kan oprette virksomheden for jer."
)


@bp.route("/opret-virksomhed", methods=["GET", "POST"])
def signup():  # noqa: ANN201 - Flask view
    """Register an employer with its first user, then log that user in as employer user."""
    form = SignupForm()
    general_error = None
    if form.validate_on_submit():
        db = get_db()
        if throttling.signup_throttled(db, request.remote_addr):
            html = render_template(
                "accounts/signup.html", form=form, general_error=SIGNUP_THROTTLED_MESSAGE
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
                admin_email=form.admin_email.data or "",
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
    return render_template("accounts/signup.html", form=form, general_error=general_error), _status(
        form, general_error
    )


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
    members = org_members.organisation_members(get_db(), g.membership.organisation_id)
    return render_template(
        "accounts/members.html",
        form=form,
        general_error=general_error,
        members=members,
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
    secret_key = _settings().secret_key
    message = None
    if invitation.new_user:
        assert invitation.user is not None
        token = tokens.make_token(secret_key, tokens.INVITATION, invitation.user)
        message = org_members.invitation_message(
            invitation,
            _absolute_url("accounts.accept_invitation", token=token),
            invited_by=g.user.name,
        )
    elif invitation.user is not None:
        token = org_members.make_membership_token(secret_key, invitation)
        message = org_members.membership_invitation_message(
            invitation,
            _absolute_url("accounts.confirm_membership", token=token),
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


# --- Links from e-mails -------------------------------------------------------------------------


def _link_error(message: str, purpose: TokenPurpose):  # noqa: ANN202
    return render_template(
        "accounts/link_error.html",
        message=message,
        invitation=purpose is tokens.INVITATION,
        membership=purpose is tokens.MEMBERSHIP,
    ), 400


def _use_password_link(
    token: str, purpose: TokenPurpose, form: ResetPasswordForm, template: str
) -> User | ResponseReturnValue:
    """Shared by the invitation and the reset page: check the link first (so nobody types a
    password into a dead link), then the form. Returns the user once the password is set."""
    db = get_db()
    secret_key = _settings().secret_key
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
    """A new user from an invitation chooses name and password, and is logged in."""
    result = _use_password_link(
        token, tokens.INVITATION, InvitationForm(), "accounts/invitation.html"
    )
    if not isinstance(result, User):
        return result
    response = start_session(result)
    flash("Din adgangskode er gemt. Velkommen til Jobbro.", "success")
    return response


@bp.route("/invitation/rolle/<token>", methods=["GET", "POST"])
def confirm_membership(token: str):  # noqa: ANN201 - Flask view
    """An existing user confirms a role they were invited to; only that user, logged in."""
    db = get_db()
    secret_key = _settings().secret_key
    try:
        invited_user_id = org_members.membership_token_user_id(secret_key, token)
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
        offer = org_members.membership_offer(db, secret_key, token, g.user)
        if not form.validate_on_submit():
            page = render_template("accounts/membership.html", form=form, offer=offer, token=token)
            return page, 400 if form.errors else 200
        membership = org_members.accept_membership(
            db, secret_key, token, g.user, ip_address=request.remote_addr
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
        token = tokens.make_token(_settings().secret_key, tokens.PASSWORD_RESET, user)
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
