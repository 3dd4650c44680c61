"""Form fields that read what people type into typed values, the Danish way.

A form converts; the domain judges. Each field here turns its text into a value (a date, a
number, a list of municipalities) or, when the text cannot be read, records one Danish message
as the field's error and leaves the value None. :func:`unreadable` collects those messages so the
domain service can report them together with its own rules in one round (its message for a
required field never hides "this is not a date"). What was typed is shown again as typed.
:func:`show_errors` and :func:`form_page` show a refused form again with its messages.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import Enum

from flask import render_template
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from matching.core import dates, geo
from matching.core.workflow import MAX_REASON_CHARS

DANISH_THOUSANDS_RE = re.compile(r"\d{1,3}(\.\d{3})+")


def clean_text(value: str | None) -> str:
    """Trimmed, with Windows line endings made single (they would count twice in a limit)."""
    return (value or "").replace("\r\n", "\n").strip()


def one_line(value: str | None) -> str:
    """Every run of white space, line breaks included, as one space (titles go into e-mail
    subjects, where a line break is refused)."""
    return " ".join((value or "").split())


def reason_field(label: str, message: str = f"Højst {MAX_REASON_CHARS} tegn.") -> TextAreaField:
    """A free text going with a decision (a reason, a note), at most MAX_REASON_CHARS long;
    ``message`` when it is longer."""
    return TextAreaField(label, validators=[Length(max=MAX_REASON_CHARS, message=message)])


class TypedField(StringField):
    """A text input read as a typed value by :meth:`convert` (None when empty)."""

    def __init__(self, label: str | None = None, *, message: str = "", **kwargs: object) -> None:
        super().__init__(label, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = None
        text = clean_text(valuelist[0] if valuelist else "")
        if text:
            self.data = self.convert(text)  # ValueError: the message is the field's error

    def convert(self, text: str) -> object:
        raise NotImplementedError

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.format(self.data) if self.data is not None else ""

    def format(self, value: object) -> str:
        return str(value)


class IntegerField(TypedField):
    """A whole number, Danish thousands allowed (``1.200``); no signs, words or exponents."""

    def convert(self, text: str) -> int:
        value = text.replace(" ", "")
        if DANISH_THOUSANDS_RE.fullmatch(value):
            value = value.replace(".", "")
        if not re.fullmatch(r"\d{1,9}", value):
            raise ValueError(self.message)
        return int(value)


class DecimalField(TypedField):
    """A number with at most one decimal, Danish style (``37,5``, ``1.234,5``)."""

    ONE_DECIMAL_MESSAGE = "Skriv tallet med højst én decimal, fx 37,5."

    def convert(self, text: str) -> Decimal:
        value = text.replace(" ", "")
        if not re.fullmatch(r"[\d.,]+", value):  # digits only: no exponents, signs or words
            raise ValueError(self.message)
        if "," in value or DANISH_THOUSANDS_RE.fullmatch(value):
            value = value.replace(".", "").replace(",", ".")
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(self.message) from None
        if not number.is_finite() or len(value) > 12:
            raise ValueError(self.message)
        if number != number.quantize(Decimal("0.1")):
            raise ValueError(self.ONE_DECIMAL_MESSAGE)
        return number

    def format(self, value: object) -> str:
        """A stored number as typed in Denmark, without a trailing »,0« (37,5; 37)."""
        return f"{Decimal(str(value)).normalize():f}".replace(".", ",")


class DateField(TypedField):
    """A date typed the Danish way or ISO (what ``<input type=date>`` sends)."""

    def convert(self, text: str) -> object:
        day = dates.parse_date(text)
        if day is None:
            raise ValueError(dates.DATE_HINT)
        return day

    def format(self, value: object) -> str:
        return value.isoformat()  # type: ignore[attr-defined] - what a date input expects


class MunicipalityListField(TypedField):
    """Kommuner typed by name or code, separated by commas (``Odense, 450``), as codes."""

    UNKNOWN_MESSAGE = (
        "Ukendt kommune: {shown}. Skriv kommunernes navne eller koder adskilt af komma, "
        "fx »Odense, Nyborg« eller »461, 450«."
    )

    def convert(self, text: str) -> list[int]:
        codes: list[int] = []
        unknown: list[str] = []
        for part in re.split(r"[,;\n]+", text):
            if not part.strip():
                continue
            code = geo.municipality_code(part)
            if code is None:
                unknown.append(part.strip())
            elif code not in codes:
                codes.append(code)
        if unknown:
            shown = ", ".join(f"»{u[:40]}«" for u in unknown[:3])
            raise ValueError(self.UNKNOWN_MESSAGE.format(shown=shown))
        return codes

    def format(self, value: object) -> str:
        return ", ".join(geo.municipality_name(code) for code in value)  # type: ignore[attr-defined]


class _EnumChoice:
    """A choice among an enum's values, read as the enum member: ``default_value`` when nothing
    was sent, ``message`` as the error for a value that is not one of them."""

    def __init__(
        self,
        label: str | None = None,
        *,
        enum: type[Enum],
        message: str,
        default_value: str = "",
        **kwargs: object,
    ) -> None:
        super().__init__(label, validate_choice=False, **kwargs)  # type: ignore[call-arg]
        self.enum = enum
        self.message = message
        self.default_value = default_value

    def process_formdata(self, valuelist: list[str]) -> None:
        text = clean_text(valuelist[0] if valuelist else "") or self.default_value
        self.data = None
        try:
            self.data = self.enum(text)
        except ValueError:
            raise ValueError(self.message) from None


class EnumRadioField(_EnumChoice, RadioField):
    """Radio buttons for an enum (see :class:`_EnumChoice`)."""


class EnumSelectField(_EnumChoice, SelectField):
    """A select for an enum (see :class:`_EnumChoice`)."""


class IntegerSelectField(SelectField):
    """A select whose options are ids: the chosen id as an int (None for the empty option)."""

    def __init__(self, label: str | None = None, *, message: str, **kwargs: object) -> None:
        super().__init__(label, coerce=_id_or_none, validate_choice=False, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        text = clean_text(valuelist[0] if valuelist else "")
        self.data = None
        if text and not re.fullmatch(r"\d{1,9}", text):
            raise ValueError(self.message)
        self.data = int(text) if text else None


def _id_or_none(value: object) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


class YesNoField(RadioField):
    """»Ja« or »nej« as True or False (None when not answered)."""

    MESSAGE = "Vælg ja eller nej."
    _READ = {"ja": True, "nej": False}

    def __init__(self, label: str | None = None, **kwargs: object) -> None:
        super().__init__(
            label,
            choices=[SelectChoice("ja", "Ja"), SelectChoice("nej", "Nej")],
            coerce=lambda value: self._READ.get(value, value),
            validate_choice=False,
            **kwargs,
        )

    def process_formdata(self, valuelist: list[str]) -> None:
        text = clean_text(valuelist[0] if valuelist else "")
        self.data = self._READ.get(text)
        if text and self.data is None:
            raise ValueError(self.MESSAGE)

    def process_data(self, value: object) -> None:
        self.data = self._READ.get(value, value) if value is not None else None


def unreadable(form: FlaskForm) -> dict[str, str]:
    """The first conversion error of each field: what the text could not be read as. Call
    after the form has processed the request."""
    return {field.name: field.process_errors[0] for field in form if field.process_errors}


def show_errors(form: FlaskForm, errors: dict[str, str]) -> str | None:
    """Put each domain error on its field (after any the field has); return the ones that
    belong to no field, joined, for the page's error summary."""
    general = []
    for name, message in errors.items():
        field = form._fields.get(name) if name and name != "csrf_token" else None
        if field is None:
            general.append(message)
        elif message not in field.errors:
            field.errors = [*field.errors, message]
    return " ".join(general) or None


def form_page(
    template: str,
    *,
    errors: object = None,
    typed: object = None,
    status: int = 200,
    **context: object,
) -> tuple[str, int]:
    """``template`` answered with ``status`` (400 after a refusal), with the messages of a
    refused form (``errors``) and what was typed (``typed``) to show again; empty by default."""
    return render_template(template, errors=errors or {}, typed=typed or {}, **context), status
