"""The forms of registering and changing a person, leaving the register and consents.

A form converts what was typed; the domain (:mod:`matching.intake`) judges. Target-group
periods are a fixed number of rows (the first required, the rest optional), so a period can be
added without JavaScript; a person with more periods gets one empty row more than they have.
"""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from matching.core import geo
from matching.core.dates import today_dk
from matching.intake.registration import PersonData, TargetGroupSpan
from matching.models import (
    ConsentChannel,
    ConsentKind,
    EducationLevel,
    ExitReason,
    Jobseeker,
    Organisation,
    OrgKind,
    TargetGroup,
)
from portal.forms import (
    DateField,
    EnumRadioField,
    EnumSelectField,
    IntegerField,
    IntegerSelectField,
    YesNoField,
    clean_text,
    one_line,
    reason_field,
)

PERIOD_ROWS = 4  # target-group rows on a new person's form

FIELD_LABELS_DA = {
    "cpr": "CPR-nummer",
    "first_name": "Fornavn",
    "last_name": "Efternavn",
    "email": "E-mail",
    "phone": "Telefon",
    "street_address": "Adresse",
    "postal_code": "Postnummer",
    "municipality_code": "Bopælskommune",
    "a_kasse_id": "A-kasse",
    "unemployment_start": "Ledig siden",
    "target_groups": "Målgrupper",
    "education_level": "Uddannelsesniveau",
    "max_commute_km": "Maks. transportafstand",
    "willing_to_switch_industry": "Åben for brancheskift",
    "chose_jobcentre": "Har valgt jobcenteret",
}

EDUCATION_LABELS_DA = {level: level.label_da for level in EducationLevel}


class PeriodForm(Form):
    """One target-group period: the group, from and until (empty: still)."""

    target_group = SelectField(
        "Målgruppe",
        choices=[
            SelectChoice("", "Vælg målgruppe"),
            *(SelectChoice(g.value, g.label_da) for g in TargetGroup),
        ],
        validate_choice=False,
    )
    valid_from = DateField("Fra")
    valid_to = DateField("Til (valgfri)")

    def filled(self) -> bool:
        typed = [
            self.target_group.data,
            *(f.raw_data[0] for f in (self.valid_from, self.valid_to) if f.raw_data),
        ]
        return any(clean_text(text) for text in typed)


class PersonForm(FlaskForm):
    cpr = StringField("CPR-nummer", filters=[one_line])
    first_name = StringField("Fornavn", filters=[one_line])
    last_name = StringField("Efternavn", filters=[one_line])
    email = StringField("E-mail (valgfri)", filters=[one_line])
    phone = StringField("Telefon (valgfri)", filters=[one_line])
    street_address = StringField("Adresse (valgfri)", filters=[one_line])
    postal_code = StringField("Postnummer", filters=[one_line])
    municipality_code = IntegerSelectField("Bopælskommune", message="Vælg en kommune fra listen.")
    a_kasse_id = IntegerSelectField("A-kasse", message="Vælg en a-kasse fra listen.")
    unemployment_start = DateField("Ledig siden (valgfri)")
    target_groups = FieldList(FormField(PeriodForm), min_entries=PERIOD_ROWS, max_entries=20)
    education_level = SelectField(
        "Højeste fuldførte uddannelse (valgfri)",
        choices=[
            SelectChoice("", "Ikke oplyst"),
            *(SelectChoice(k.value, v) for k, v in EDUCATION_LABELS_DA.items()),
        ],
        validate_choice=False,
    )
    max_commute_km = IntegerField(
        "Maks. transportafstand i km", message="Skriv et helt antal kilometer, fx 30."
    )
    willing_to_switch_industry = YesNoField("Åben for at skifte branche?")
    chose_jobcentre = YesNoField("Har personen valgt jobcenteret frem for a-kassen?")
    confirm_handover = BooleanField("Gem alligevel, og overdrag personen efter reglerne")

    def set_choices(self, session: Session) -> None:
        akasser = session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.A_KASSE, Organisation.active.is_(True))
            .order_by(Organisation.name)
        ).all()
        self.a_kasse_id.choices = [
            SelectChoice("", "Ikke medlem af en a-kasse"),
            *(SelectChoice(str(o.id), o.name) for o in akasser),
        ]
        self.municipality_code.choices = [
            SelectChoice("", "Udled af postnummeret"),
            *(
                SelectChoice(str(code), name)
                for code, name in sorted(geo.MUNICIPALITIES.items(), key=lambda item: item[1])
            ),
        ]

    def derived_municipality(self) -> str | None:
        """The municipality the typed postal code gives, by name (for the hint)."""
        code = geo.municipality_for_postal_code(clean_text(self.postal_code.data))
        return geo.municipality_name(code) if code is not None else None

    def read(
        self, cpr_when_blank: str | None = None
    ) -> tuple[PersonData, dict[str, str], dict[str, int]]:
        """The typed data, what could not be read (by field name), and for each period given to
        the domain the form row it came from (the domain names periods by their index)."""
        problems: dict[str, str] = {}
        for field in self:
            if field.process_errors and field.name != "target_groups":
                problems[field.name] = field.process_errors[0]
        spans: list[TargetGroupSpan] = []
        rows: dict[int, int] = {}
        for row_index, entry in enumerate(self.target_groups):
            row = entry.form
            prefix = f"target_groups-{row_index}-"
            for sub in row:
                if sub.process_errors:
                    problems[prefix + sub.short_name] = sub.process_errors[0]
            if not row.filled():
                continue
            group = clean_text(row.target_group.data)
            try:
                target_group = TargetGroup(group) if group else None
            except ValueError:
                target_group = None
            if target_group is None:
                problems.setdefault(prefix + "target_group", "Vælg målgruppen.")
            if row.valid_from.data is None:
                problems.setdefault(prefix + "valid_from", "Angiv startdatoen.")
            if target_group is not None and row.valid_from.data is not None:
                rows[len(spans)] = row_index
                spans.append(TargetGroupSpan(target_group, row.valid_from.data, row.valid_to.data))
        level = clean_text(self.education_level.data)
        try:
            education = EducationLevel(level) if level else None
        except ValueError:
            education = None
            problems["education_level"] = "Vælg et uddannelsesniveau fra listen."
        cpr = clean_text(self.cpr.data)
        data = PersonData(
            cpr=cpr or (cpr_when_blank or ""),
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            email=self.email.data or None,
            phone=self.phone.data or None,
            street_address=self.street_address.data or None,
            postal_code=self.postal_code.data or "",
            municipality_code=self.municipality_code.data,
            a_kasse_id=self.a_kasse_id.data,
            unemployment_start=self.unemployment_start.data,
            target_groups=spans,
            education_level=education,
            max_commute_km=30 if self.max_commute_km.data is None else self.max_commute_km.data,
            willing_to_switch_industry=self.willing_to_switch_industry.data is not False,
            chose_jobcentre=self.chose_jobcentre.data is True,
        )
        return data, problems, rows

    def show(self, errors: dict[str, str]) -> list[str]:
        """Put each message on its field (periods by form row, see :func:`by_form_row`);
        return the messages that belong to no field."""
        general: list[str] = []
        for name, message in errors.items():
            field = None
            if name.startswith("target_groups-"):
                _, index, sub = name.split("-", 2)
                if int(index) < len(self.target_groups.entries):
                    field = self.target_groups.entries[int(index)].form._fields.get(sub)
            elif name == "target_groups":
                field = self.target_groups.entries[0].form.target_group
            elif name:
                field = self._fields.get(name)
            if field is None:
                general.append(message)
            elif message not in field.errors:
                field.errors = [*field.errors, message]
        return general

    def all_fields(self) -> list:
        """Every field with its errors, in page order (for the error summary)."""
        fields = []
        for field in self:
            if field.name == "target_groups":
                fields.extend(sub for entry in field.entries for sub in entry.form)
            elif field.name not in ("csrf_token", "confirm_handover"):
                fields.append(field)
        return fields


def by_form_row(errors: dict[str, str], rows: dict[int, int]) -> dict[str, str]:
    """The domain's errors with each period's index (among the periods given) replaced by the
    form row it came from."""
    named: dict[str, str] = {}
    for name, message in errors.items():
        if name.startswith("target_groups-"):
            _, index, sub = name.split("-", 2)
            name = f"target_groups-{rows.get(int(index), int(index))}-{sub}"
        named[name] = message
    return named


def person_form(session: Session, person: Jobseeker | None = None) -> PersonForm:
    """The form for a new person (empty), or prefilled with ``person`` (no CPR shown)."""
    if person is None:
        form = PersonForm(
            formdata=None,
            data={
                "willing_to_switch_industry": True,
                "chose_jobcentre": False,
                "max_commute_km": 30,
            },
        )
    else:
        periods = [
            {
                "target_group": p.target_group.value,
                "valid_from": p.valid_from,
                "valid_to": p.valid_to,
            }
            for p in person.target_groups
        ]
        form = PersonForm(
            formdata=None,
            obj=person,
            data={
                "target_groups": periods,
                "education_level": person.education_level.value if person.education_level else "",
                "willing_to_switch_industry": person.willing_to_switch_industry,
                "chose_jobcentre": person.chose_jobcentre,
                "cpr": "",
            },
        )
        while len(form.target_groups.entries) < max(PERIOD_ROWS, len(periods) + 1):
            form.target_groups.append_entry()
    form.set_choices(session)
    return form


class ExitForm(FlaskForm):
    left_on = DateField("Afmeldt fra og med")
    reason = EnumRadioField(
        "Årsag",
        enum=ExitReason,
        message="Vælg årsagen.",
        choices=[SelectChoice(r.value, r.label_da) for r in ExitReason],
    )
    note = reason_field("Bemærkning (valgfri)")

    def defaults(self, today: date) -> None:
        if self.left_on.data is None and not self.left_on.raw_data:
            self.left_on.data = today


class ConsentForm(FlaskForm):
    kind = EnumRadioField(
        "Samtykke",
        enum=ConsentKind,
        message="Vælg hvilket samtykke.",
        choices=[SelectChoice(k.value, k.label_da) for k in ConsentKind],
    )
    given = YesNoField("Giver personen samtykket?")
    channel = EnumSelectField(
        "Hvordan",
        enum=ConsentChannel,
        message="Vælg hvordan.",
        default_value=ConsentChannel.IN_PERSON.value,
        choices=[
            SelectChoice(c.value, c.label_da)
            for c in ConsentChannel
            if c is not ConsentChannel.IMPORTED
        ],
    )
    given_on = DateField("Dato for samtykket")
    note = reason_field("Bemærkning (valgfri)")

    def defaults(self) -> None:
        if self.given_on.data is None and not self.given_on.raw_data:
            self.given_on.data = today_dk()
