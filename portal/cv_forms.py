"""The CV editor's form: the CV's fields, its rows (a few empty ones to fill in, a »Fjern«
checkbox on each, so it works without JavaScript) and their reading into
:class:`~matching.intake.cvs.CVData`.

Rows that are empty or marked »Fjern« are left out; the domain's problems name rows by their
place among the rows kept, so :meth:`CVForm.to_data` also returns where each kept row is in
the form, and :meth:`CVForm.show_errors` puts each problem on its field.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from matching.core.errors import ValidationError
from matching.intake.cvs import (
    CV_LANGUAGES,
    DRIVING_LICENCES,
    LANGUAGE_LEVELS,
    CVData,
    DesiredOccupationData,
    EducationData,
    ExperienceData,
    LanguageData,
)
from matching.models import EducationLevel, Occupation
from matching.ranking.occupations.suggestions import LexicalSuggester
from portal.forms import IntegerField, clean_text, one_line

EXTRA_ROWS = 2  # empty rows under each list, to add to it without JavaScript
YEAR_MESSAGE = "Skriv året med fire cifre, fx 2019."
NONE_OF_THESE = "Ingen af disse"
EDUCATION_LEVELS = {level: level.label_da for level in EducationLevel}


def _raw(field) -> str:  # noqa: ANN001 - a field
    """What was typed into ``field`` (its data when the form shows stored values)."""
    if field.raw_data:
        return field.raw_data[0].strip()
    return "" if field.data is None else str(field.data)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExperienceForm(Form):
    title = StringField("Stilling", filters=[one_line])
    esco_uri = RadioField("Stillingsbetegnelse", validate_choice=False)
    employer_name = StringField("Arbejdsgiver (valgfri)", filters=[clean_text])
    start_year = IntegerField("Fra år", message=YEAR_MESSAGE)
    end_year = IntegerField("Til år (tom: nuværende job)", message=YEAR_MESSAGE)
    industry = StringField("Branche (valgfri)", filters=[clean_text])
    description = TextAreaField("Beskrivelse (valgfri)", filters=[clean_text])
    remove = BooleanField("Fjern")

    def is_empty(self) -> bool:
        typed = [_raw(self.start_year), _raw(self.end_year)]
        texts = [self.title, self.employer_name, self.industry, self.description]
        return not any([*typed, *(f.data for f in texts)])


class EducationForm(Form):
    title = StringField("Uddannelse", filters=[one_line])
    institution = StringField("Uddannelsessted (valgfri)", filters=[clean_text])
    completed_year = IntegerField("Afsluttet år (valgfri)", message=YEAR_MESSAGE)
    level = SelectField(
        "Niveau (valgfri)",
        choices=[SelectChoice("", "Ikke angivet")]
        + [SelectChoice(k.value, v) for k, v in EDUCATION_LEVELS.items()],
        validate_choice=False,
    )
    remove = BooleanField("Fjern")

    def is_empty(self) -> bool:
        return not (self.title.data or self.institution.data or _raw(self.completed_year))


class LanguageForm(Form):
    language = StringField("Sprog", filters=[clean_text])
    level = SelectField(
        "Niveau",
        choices=[SelectChoice("", "Vælg niveau")] + [SelectChoice(x, x) for x in LANGUAGE_LEVELS],
        validate_choice=False,
    )
    remove = BooleanField("Fjern")

    def is_empty(self) -> bool:
        return not self.language.data


class DesiredForm(Form):
    title = StringField("Jobmål", filters=[one_line])
    esco_uri = RadioField("Stillingsbetegnelse", validate_choice=False)
    remove = BooleanField("Fjern")

    def is_empty(self) -> bool:
        return not self.title.data


ROW_SECTIONS = ("experiences", "educations", "languages", "desired_occupations")


class CVForm(FlaskForm):
    headline = StringField("Overskrift", filters=[one_line])
    summary = TextAreaField("Profil (valgfri)", filters=[clean_text])
    language = SelectField(
        "Cv'et er skrevet på",
        choices=[SelectChoice(k, v) for k, v in CV_LANGUAGES.items()],
        validate_choice=False,
    )
    searchable = BooleanField("Cv'et må bruges til at finde job (matchning)")
    experiences = FieldList(FormField(ExperienceForm))
    educations = FieldList(FormField(EducationForm))
    skills = TextAreaField("Kompetencer (valgfri)", filters=[clean_text])
    languages = FieldList(FormField(LanguageForm))
    driving_licences = CheckboxesField("Kørekort", choices=list(DRIVING_LICENCES))
    desired_occupations = FieldList(FormField(DesiredForm))

    @classmethod
    def of(cls, data: CVData) -> CVForm:
        """The form showing a stored CV, with empty rows to add to each list."""
        form = cls(formdata=None)
        form.headline.data = data.headline
        form.summary.data = data.summary
        form.language.data = data.language
        form.searchable.data = data.searchable
        form.skills.data = "\n".join(data.skills)
        form.driving_licences.data = list(data.driving_licences)
        for e in data.experiences:
            form.experiences.append_entry(
                {
                    "title": e.title,
                    "esco_uri": e.esco_uri or "",
                    "employer_name": e.employer_name or "",
                    "start_year": e.start_year,
                    "end_year": e.end_year,
                    "industry": e.industry or "",
                    "description": e.description,
                }
            )
        for e in data.educations:
            form.educations.append_entry(
                {
                    "title": e.title,
                    "institution": e.institution or "",
                    "completed_year": e.completed_year,
                    "level": e.level.value if e.level else "",
                }
            )
        for x in data.languages:
            form.languages.append_entry({"language": x.language, "level": x.level})
        for d in data.desired_occupations:
            form.desired_occupations.append_entry({"title": d.title, "esco_uri": d.esco_uri or ""})
        for name in ROW_SECTIONS:
            for _ in range(EXTRA_ROWS):
                getattr(form, name).append_entry()
        return form

    def licence_choices(self) -> None:
        """The usual categories, and any other the CV already holds."""
        held = [d for d in self.driving_licences.data or [] if d not in DRIVING_LICENCES]
        self.driving_licences.choices = [*DRIVING_LICENCES, *held]

    def to_data(self, session: Session) -> tuple[CVData, dict[str, list[int]], bool]:
        """What was sent as CVData (empty and removed rows left out); per list the form
        index of each kept row; and whether some text could not be read (its message is
        then on its field, and the value is left out as None)."""
        problems = False
        for field in self.all_fields():
            if field.process_errors:
                field.errors = [field.process_errors[0]]
                problems = True
        kept: dict[str, list[int]] = {name: [] for name in ROW_SECTIONS}
        chosen: dict[str, list] = {name: [] for name in ROW_SECTIONS}
        for name in ROW_SECTIONS:
            for index, entry in enumerate(getattr(self, name)):
                if entry.form.remove.data or entry.form.is_empty():
                    continue
                kept[name].append(index)
                chosen[name].append(entry.form)

        def rows(name: str) -> list:
            return chosen[name]

        occupations = _occupations(
            session,
            [f.esco_uri.data for f in chosen["experiences"] + chosen["desired_occupations"]],
        )
        data = CVData(
            headline=self.headline.data or "",
            summary=self.summary.data or "",
            language=self.language.data or "da",
            searchable=bool(self.searchable.data),
            experiences=[
                ExperienceData(
                    title=f.title.data or "",
                    start_year=f.start_year.data,
                    employer_name=f.employer_name.data or None,
                    end_year=f.end_year.data,
                    description=f.description.data or "",
                    industry=f.industry.data or None,
                    esco_uri=occupations.get(f.esco_uri.data or "", (None, None))[0],
                    isco_code=occupations.get(f.esco_uri.data or "", (None, None))[1],
                )
                for f in rows("experiences")
            ],
            educations=[
                EducationData(
                    title=f.title.data or "",
                    institution=f.institution.data or None,
                    completed_year=f.completed_year.data,
                    level=_education_level(f.level.data),
                )
                for f in rows("educations")
            ],
            skills=[line.strip() for line in (self.skills.data or "").splitlines() if line.strip()],
            languages=[
                LanguageData(language=f.language.data or "", level=f.level.data or "")
                for f in rows("languages")
            ],
            driving_licences=list(self.driving_licences.data or []),
            desired_occupations=[
                DesiredOccupationData(
                    title=f.title.data or "",
                    esco_uri=occupations.get(f.esco_uri.data or "", (None, None))[0],
                    isco_code=occupations.get(f.esco_uri.data or "", (None, None))[1],
                )
                for f in rows("desired_occupations")
            ],
        )
        return data, kept, problems

    def show_errors(self, errors: dict[str, str], kept: dict[str, list[int]]) -> list[str]:
        """Put each problem on its field (a row's by its place in the form); the messages that
        belong to no field are returned for the summary."""
        general = []
        for key, message in errors.items():
            field = self._field_for(key, kept)
            if field is None:
                general.append(message)
            elif not field.errors:  # "not a year" is not hidden by "write the year"
                field.errors = [message]
        return general

    def _field_for(self, key: str, kept: dict[str, list[int]]):  # noqa: ANN202 - a field
        parts = key.split("-")
        name = parts[0]
        if name in ("skills", "driving_licences"):
            return getattr(self, name)
        if name in ROW_SECTIONS and len(parts) == 3 and parts[1].isdigit():
            rows = getattr(self, name)
            positions = kept.get(name) or []
            index = int(parts[1])
            form_index = positions[index] if index < len(positions) else index
            if form_index < len(rows.entries):
                return getattr(rows.entries[form_index].form, parts[2], None)
            return None
        return self._fields.get(name) if name != "csrf_token" else None

    def all_fields(self) -> list:
        """Every field with its errors, in page order (for the error summary)."""
        found = [self.headline, self.summary, self.language]
        for name in ("experiences", "educations"):
            for entry in getattr(self, name):
                found.extend(f for f in entry.form if f.name != "remove")
        found.append(self.skills)
        for entry in self.languages:
            found.extend(f for f in entry.form if f.name != "remove")
        found.append(self.driving_licences)
        for entry in self.desired_occupations:
            found.extend(f for f in entry.form if f.name != "remove")
        return found


def _education_level(value: str | None) -> EducationLevel | None:
    try:
        return EducationLevel(value) if value else None
    except ValueError:
        return None


def _occupations(session: Session, uris: list[str | None]) -> dict[str, tuple[str, str | None]]:
    """The chosen occupations that exist: uri → (uri, ISCO code)."""
    wanted = {u for u in uris if u}
    if not wanted:
        return {}
    rows = session.execute(
        select(Occupation.uri, Occupation.isco_code).where(Occupation.uri.in_(wanted))
    )
    return {uri: (uri, isco) for uri, isco in rows}


def occupation_choices(
    session: Session, suggester: LexicalSuggester, title: str, chosen: str | None
) -> list[SelectChoice]:
    """The chosen occupation, the suggestions for ``title`` and »Ingen af disse« (as the
    vacancy form offers them)."""
    choices: dict[str, str] = {}
    if chosen:
        occupation = session.scalar(select(Occupation).where(Occupation.uri == chosen))
        if occupation is not None:
            choices[chosen] = occupation_label(occupation.label, occupation.isco_code)
    if (title or "").strip():
        try:
            for match in suggester.suggest(session, title):
                choices.setdefault(match.uri, occupation_label(match.label, match.isco_code))
        except ValidationError:
            pass  # an unusable title gets no suggestions; the title's own check names it
    return [
        *(SelectChoice(u, label) for u, label in choices.items()),
        SelectChoice("", NONE_OF_THESE),
    ]


def occupation_label(label: str, isco_code: str | None) -> str:
    return f"{label} (ISCO {isco_code})" if isco_code else label
