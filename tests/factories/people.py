"""Jobseekers with a responsible organisation, a target group and optionally a CV."""

from __future__ import annotations

from datetime import date, timedelta

from matching.core.dates import today_dk
from matching.models import (
    CV,
    CVDesiredOccupation,
    CVEducation,
    CVExperience,
    CVLanguage,
    CVSkill,
    Jobseeker,
    Organisation,
    ResponsibilityPeriod,
    TargetGroup,
    TargetGroupPeriod,
)
from tests.factories.base import FactoryBase, next_number


class PeopleFactory(FactoryBase):
    def jobseeker(
        self,
        responsible: Organisation | None,
        *,
        first_name: str = "Anna",
        last_name: str | None = None,
        postal_code: str = "5000",
        target_group: TargetGroup | None = TargetGroup.DAGPENGE,
        responsible_from: date | None = None,
        responsible_to: date | None = None,
        with_cv: bool = False,
        commit: bool = True,
    ) -> Jobseeker:
        n = next_number()
        today = today_dk()
        person = Jobseeker(
            pseudonym=f"L-{n:06d}",
            first_name=first_name,
            last_name=last_name or f"Jensen{n}",
            birth_date=date(1985, 5, 17),
            postal_code=postal_code,
            unemployment_start=today - timedelta(days=30),
        )
        if responsible is not None:
            person.responsibilities = [
                ResponsibilityPeriod(
                    organisation=responsible,
                    valid_from=responsible_from or today - timedelta(days=30),
                    valid_to=responsible_to,
                    reason="test",
                )
            ]
        if target_group is not None:
            person.target_groups = [
                TargetGroupPeriod(target_group=target_group, valid_from=today - timedelta(days=30))
            ]
        if with_cv:
            person.cv = CV(
                headline="Erfaren lagermedarbejder",
                summary="Mødestabil og glad for at arbejde i team.",
                experiences=[
                    CVExperience(
                        position=0,
                        title="Lagermedarbejder",
                        employer_name="Fynsk Logistik A/S",
                        start_year=2015,
                        end_year=2024,
                    )
                ],
                educations=[CVEducation(position=0, title="Lager- og terminaluddannelsen")],
                skills=[CVSkill(position=0, name="Truckcertifikat")],
                languages=[CVLanguage(language="Dansk", level="Modersmål")],
                desired_occupations=[CVDesiredOccupation(position=0, title="Chauffør")],
            )
        self.session.add(person)
        if commit:
            self.session.commit()
        return person
