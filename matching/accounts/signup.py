"""Employer sign-up (CVR and P-numbers) and the field checks shared by the account forms.

Sign-up is two steps so that it tells no one whether an e-mail has a user: the first asks only
for the e-mail (:func:`request_signup`, limited per client address and per e-mail) and always
gets the same answer; the e-mail then receives either a signed link to the company form
(:func:`signup_link_message`) or, if it already has a user, a note saying that someone tried
(:func:`signup_attempt_message`). The company and its user are created only from the link
(:func:`signup_employer`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.accounts import throttling
from matching.accounts.tokens import EMPLOYER_SIGNUP
from matching.core import audit
from matching.core.audit import Actor
from matching.core.errors import ValidationError
from matching.core.mail import Message
from matching.core.security import MIN_PASSWORD_CHARS, hash_password
from matching.models import (
    AuditAction,
    Membership,
    Organisation,
    OrgKind,
    PNumber,
    Role,
    User,
    utcnow,
)

CVR_DIGITS = 8


PNR_DIGITS = 10


MAX_P_NUMBERS = 100


POSTAL_CODE_RE = re.compile(r"\d{4}")


MAX_PASSWORD_CHARS = 1024


EMAIL_MAX_CHARS = 254


NAME_MAX_CHARS = 200


ADDRESS_MAX_CHARS = 200


INDUSTRY_MAX_CHARS = 120


V = TypeVar("V")


R = TypeVar("R")


CVR_TAKEN_MESSAGE = (
    "Virksomheden med dette CVR-nummer er allerede oprettet. Bed en kollega om en invitation."
)


# Says no more than the login page would: the e-mail cannot be used for a new sign-up.
EMAIL_TAKEN_MESSAGE = "Brug en anden e-mail, eller log ind, hvis du allerede har en bruger."


# Sign-up requests (first step) audited and mailed per hour: per typed e-mail, and per client
# address (an office helping a few companies fits; a script probing e-mails does not).
SIGNUP_REQUEST_WINDOW = timedelta(hours=1)


SIGNUP_REQUESTS_PER_EMAIL = 3


SIGNUP_REQUESTS_PER_ADDRESS = 20


SIGNUP_REQUEST = "signup_request"  # the audit log's object type (object_id: the e-mail's key)


@dataclass(frozen=True)
class SignupRequest:
    """Whom to mail after a sign-up request: ``user`` is None for an e-mail without a user
    (mail the sign-up link), else the active user who has it (mail a note, no link)."""

    email: str
    user: User | None


@dataclass(frozen=True)
class SignupResult:
    """What :func:`signup_employer` created; the employer membership is the one to start in."""

    organisation: Organisation
    user: User
    employer_membership: Membership


def validate_cvr(value: str) -> str:
    """The 8 digits of a CVR number (spaces allowed in input), or ValidationError.

    Modulus 11 is deliberately not checked: the CVR register has issued numbers without it.
    """
    digits = re.sub(r"\s+", "", value or "")
    if not (len(digits) == CVR_DIGITS and digits.isascii() and digits.isdigit()):
        raise ValidationError({"cvr": "CVR-nummeret skal være 8 cifre, fx 12345678."})
    if digits[0] == "0":
        raise ValidationError({"cvr": "Et CVR-nummer kan ikke begynde med 0."})
    return digits


def validate_pnr(value: str) -> str:
    """The 10 digits of a P-number (spaces allowed in input), or ValidationError."""
    digits = re.sub(r"\s+", "", value or "")
    if not (len(digits) == PNR_DIGITS and digits.isascii() and digits.isdigit()):
        raise ValidationError({"pnr": "Et P-nummer skal være 10 cifre, fx 1012345678."})
    return digits


def parse_p_numbers(values: Iterable[str]) -> list[str]:
    """Validate a list of P-numbers (blank entries ignored): at least one, no repeats."""
    raw = [v.strip() for v in values if v and v.strip()]
    if not raw:
        raise ValidationError({"p_numbers": "Angiv mindst ét P-nummer."})
    if len(raw) > MAX_P_NUMBERS:
        raise ValidationError({"p_numbers": f"Angiv højst {MAX_P_NUMBERS} P-numre."})
    digits: list[str] = []
    for value in raw:
        try:
            pnr = validate_pnr(value)
        except ValidationError:
            raise ValidationError(
                {"p_numbers": f"»{value[:20]}« er ikke et P-nummer. Et P-nummer er 10 cifre."}
            ) from None
        if pnr in digits:
            raise ValidationError({"p_numbers": f"P-nummeret {pnr} står der flere gange."})
        digits.append(pnr)
    return digits


def split_p_numbers(text: str) -> list[str]:
    """P-numbers typed one per line (commas and semicolons also separate)."""
    return [part for part in re.split(r"[\n\r,;]+", text or "") if part.strip()]


def normalise_email(value: str) -> str:
    """Lower-cased, trimmed e-mail address, or ValidationError (key ``email``)."""
    email = (value or "").strip().lower()
    if not email:
        raise ValidationError({"email": "Indtast en e-mail."})
    if len(email) > EMAIL_MAX_CHARS:
        raise ValidationError({"email": "E-mailen er for lang."})
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError({"email": "Indtast en gyldig e-mail, fx navn@eksempel.dk."}) from None
    return email


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` is not acceptable (Danish), or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"Adgangskoden skal være mindst {MIN_PASSWORD_CHARS} tegn."
    if len(password) > MAX_PASSWORD_CHARS:
        return f"Adgangskoden må højst være {MAX_PASSWORD_CHARS} tegn."
    if email and password.strip().lower() == email.strip().lower():
        return "Adgangskoden må ikke være din e-mail."
    return None


def _clean_text(value: str | None) -> str:
    """One line of text: surrounding and repeated whitespace (including line breaks) removed.

    Names end up in e-mail headers, where a line break would be a header injection.
    """
    return " ".join((value or "").split())


def _required_text(
    errors: dict[str, str], key: str, value: str | None, max_chars: int, missing: str
) -> str:
    text = _clean_text(value)
    if not text:
        errors[key] = missing
    elif len(text) > max_chars:
        errors[key] = f"Højst {max_chars} tegn."
    return text


def _collect(errors: dict[str, str], key: str, check: Callable[[V], R], value: V) -> R | None:
    """Run ``check(value)``; on ValidationError file its message under ``key``."""
    try:
        return check(value)
    except ValidationError as exc:
        errors[key] = next(iter(exc.errors.values()))
        return None


def _user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def request_signup(
    session: Session, email: str, *, ip_address: str | None = None
) -> SignupRequest | None:
    """Audit the first sign-up step for ``email``; return whom to mail, or None (over a limit,
    or the e-mail belongs to a deactivated user: nothing is sent).

    At most :data:`SIGNUP_REQUESTS_PER_EMAIL` requests per typed e-mail (known or not) and
    :data:`SIGNUP_REQUESTS_PER_ADDRESS` per client address an hour are audited and mailed;
    beyond them nothing is written but one row per hour saying the limit was reached. Callers
    must answer the same in every case, so the page tells no one who has an account or who is
    being throttled. Nothing else is stored: the company is created from the mailed link.
    """
    normalised = normalise_email(email)
    since = utcnow() - SIGNUP_REQUEST_WINDOW
    if throttling.request_refused(
        session,
        SIGNUP_REQUEST,
        since,
        email=normalised,
        ip_address=ip_address,
        per_address=SIGNUP_REQUESTS_PER_ADDRESS,
        per_email=SIGNUP_REQUESTS_PER_EMAIL,
        details={"event": "signup_requested"},
    ):
        return None
    user = _user_by_email(session, normalised)
    audit.record(
        session,
        Actor(user_id=None, organisation_id=None, ip_address=ip_address),
        AuditAction.UPDATE,
        SIGNUP_REQUEST,
        throttling.email_key(normalised),
        details={"event": "signup_requested", **({"user_id": user.id} if user else {})},
    )
    session.flush()
    if user is not None and not user.active:
        return None
    return SignupRequest(normalised, user)


def signup_link_message(email: str, link: str) -> Message:
    """The e-mail with the link to the company form (the e-mail has no user yet)."""
    hours = EMPLOYER_SIGNUP.max_age_seconds // 3600
    body = (
        "Hej\n\n"
        "Vi har fået en anmodning om at oprette en virksomhed i Jobbro med denne e-mail.\n\n"
        f"Opret virksomheden her. Linket virker i {hours} timer:\n{link}\n\n"
        "Har du ikke bedt om det, kan du se bort fra denne e-mail. Der er ikke oprettet "
        "noget.\n\n"
        "Venlig hilsen\nJobbro\n"
    )
    return Message(to=email, subject="Bekræft din e-mail og opret virksomheden i Jobbro", body=body)


def signup_attempt_message(user: User, login_link: str, forgot_link: str) -> Message:
    """The e-mail to a user whose e-mail someone tried to sign up with (no sign-up link)."""
    body = (
        f"Hej {user.name}\n\n"
        "Nogen har forsøgt at oprette en konto med din e-mail i Jobbro. Du har allerede en "
        "bruger, så der er ikke oprettet noget nyt.\n\n"
        f"Log ind her:\n{login_link}\n\n"
        f"Har du glemt din adgangskode, kan du vælge en ny her:\n{forgot_link}\n\n"
        "Vil din virksomhed have flere brugere, kan virksomhedens administrator invitere dem "
        "under »Brugere«. Var det ikke dig, kan du se bort fra denne e-mail.\n\n"
        "Venlig hilsen\nJobbro\n"
    )
    return Message(
        to=user.email,
        subject="Nogen har forsøgt at oprette en konto med din e-mail",
        body=body,
    )


def signup_email_taken(session: Session, email: str) -> bool:
    """Whether ``email`` has a user (then its sign-up link is used up)."""
    return _user_by_email(session, email) is not None


def signup_employer(
    session: Session,
    *,
    company_name: str,
    cvr: str,
    industry: str | None,
    address: str,
    postal_code: str,
    p_numbers: list[str],
    admin_name: str,
    admin_email: str,
    password: str,
    contact_email: str | None = None,
    ip_address: str | None = None,
) -> SignupResult:
    """Create an employer, its P-units and its first user (administrator and employer user).

    Every problem is reported at once in one ValidationError keyed by the argument names. The
    address and postal code belong to the first P-unit; ``contact_email`` defaults to the
    administrator's e-mail.
    """
    errors: dict[str, str] = {}
    name = _required_text(
        errors, "company_name", company_name, NAME_MAX_CHARS, "Indtast virksomhedens navn."
    )
    cvr_digits = _collect(errors, "cvr", validate_cvr, cvr)
    industry_text = _clean_text(industry)
    if len(industry_text) > INDUSTRY_MAX_CHARS:
        errors["industry"] = f"Højst {INDUSTRY_MAX_CHARS} tegn."
    pnrs = _collect(errors, "p_numbers", parse_p_numbers, p_numbers) or []
    street = _required_text(errors, "address", address, ADDRESS_MAX_CHARS, "Indtast adressen.")
    postal = (postal_code or "").strip()
    if not POSTAL_CODE_RE.fullmatch(postal):
        errors["postal_code"] = "Postnummeret skal være 4 cifre, fx 5000."
    person = _required_text(errors, "admin_name", admin_name, NAME_MAX_CHARS, "Indtast dit navn.")
    email = _collect(errors, "admin_email", normalise_email, admin_email)
    org_email = email
    if contact_email:
        org_email = _collect(errors, "contact_email", normalise_email, contact_email)
    problem = password_problem(password, email or "")
    if problem:
        errors["password"] = problem

    if cvr_digits and session.scalar(select(Organisation.id).where(Organisation.cvr == cvr_digits)):
        errors["cvr"] = CVR_TAKEN_MESSAGE
    if email and _user_by_email(session, email) is not None:
        errors["admin_email"] = EMAIL_TAKEN_MESSAGE
    if pnrs:
        taken = sorted(session.scalars(select(PNumber.pnr).where(PNumber.pnr.in_(pnrs))))
        if taken:
            errors["p_numbers"] = (
                f"P-nummeret {', '.join(taken)} er allerede oprettet i Jobbro af en anden "
                "virksomhed."
            )
    if errors:
        raise ValidationError(errors)

    organisation = Organisation(
        kind=OrgKind.EMPLOYER,
        name=name,
        cvr=cvr_digits,
        industry=industry_text or None,
        email=org_email,
    )
    organisation.p_numbers = [
        PNumber(
            pnr=pnr,
            name=name,
            address=street if i == 0 else None,
            postal_code=postal if i == 0 else None,
        )
        for i, pnr in enumerate(pnrs)
    ]
    user = User(email=email, name=person, password_hash=hash_password(password), active=True)
    admin = Membership(user=user, organisation=organisation, role=Role.ADMIN)
    employer = Membership(user=user, organisation=organisation, role=Role.EMPLOYER)
    session.add_all([organisation, user, admin, employer])
    _flush_or_taken(session)
    # Not confirmed until the jobcentre has checked the CVR (matching.accounts.verification).
    # Set after the insert: the column's default confirms every organisation created any other way.
    organisation.verified_at = None

    actor = Actor.member(admin, ip_address)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "organisation",
        organisation.id,
        details={"event": "employer_signup", "cvr": cvr_digits, "p_numbers": pnrs},
    )
    audit.record(session, actor, AuditAction.CREATE, "user", user.id, details={"email": email})
    for membership in (admin, employer):
        _record_membership(session, actor, AuditAction.CREATE, membership)
    return SignupResult(organisation, user, employer)


def _flush_or_taken(session: Session) -> None:
    """Flush; a unique constraint hit here means someone else just registered the same thing."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise ValidationError(
            "CVR-nummeret, et P-nummer eller e-mailen er netop blevet oprettet af en anden. "
            "Prøv igen."
        ) from None


def _record_membership(
    session: Session,
    actor: Actor,
    action: AuditAction,
    membership: Membership,
    *,
    event: str | None = None,
) -> None:
    """Audit a membership given or taken (``event`` names the link that gave it, if any)."""
    audit.record(
        session,
        actor,
        action,
        "membership",
        membership.id,
        details={
            **({"event": event} if event else {}),
            "user_id": membership.user_id,
            "organisation_id": membership.organisation_id,
            "role": membership.role.value,
        },
    )
