"""The account forms (sign-up, colleagues, invitations, passwords) and their field helpers;
the views are in :mod:`portal.accounts`."""

from __future__ import annotations

from collections.abc import Callable

from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, StopValidation

from matching.accounts import signup as employer_signup
from matching.core.errors import ValidationError
from matching.core.security import MIN_PASSWORD_CHARS

PASSWORD_HINT = f"Mindst {MIN_PASSWORD_CHARS} tegn. Brug gerne flere ord, som du kan huske."
EMAIL_VALIDATORS = [
    DataRequired("Indtast en e-mail."),
    Length(max=employer_signup.EMAIL_MAX_CHARS, message="E-mailen er for lang."),
    Email("Indtast en gyldig e-mail, fx navn@eksempel.dk.", check_deliverability=False),
]


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
    """The second step of sign-up, opened from the mailed link."""

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
    password = _password_field("Adgangskode")
    password_repeat = _password_repeat_field()

    # The e-mail is not a field: it is the one the sign-up link was mailed to (set by the view).
    policy_email = ""

    def validate_postal_code(self, field: Field) -> None:
        if not employer_signup.POSTAL_CODE_RE.fullmatch(field.data or ""):
            raise StopValidation("Postnummeret skal være 4 cifre, fx 5000.")

    def validate_password(self, field: Field) -> None:
        _check_password_policy(field, self.policy_email)


class SignupEmailForm(FlaskForm):
    """The first step of sign-up: only the e-mail the link is sent to."""

    email = StringField("Din e-mail", filters=[_strip], validators=EMAIL_VALIDATORS)


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
