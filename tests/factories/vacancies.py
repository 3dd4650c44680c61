"""Vacancies and company places, and the form data of a valid vacancy and place."""

from __future__ import annotations

from datetime import timedelta

from matching.core.dates import today_dk
from matching.models import Organisation, Vacancy, VacancyKind, VacancyStatus
from matching.models.enums import ApprovalStatus
from tests.factories.base import FactoryBase
from tests.support.paths import FIXTURES

TINY_TAXONOMY = FIXTURES / "occupations" / "tiny.tsv"


# Form data of a valid vacancy and of a valid virksomhedspraktik, as a browser posts them.
TODAY = today_dk()
WAREHOUSE = "http://example.org/occupation/warehouse-worker"


VALID = {
    "title": "Lagermedarbejder til nathold",
    "description": "Pluk og pak på vores lager.\nVi tilbyder en god arbejdsplads.",
    "postal_code": "5000",
    "weekly_hours": "37",
    "working_time": "nat",
    "positions": "2",
    "start_date": (TODAY + timedelta(days=30)).isoformat(),
    "deadline": (TODAY + timedelta(days=14)).isoformat(),
    "contact_email": "job@fynslager.dk",
    "esco_uri": "",
}


PLACE = {
    **VALID,
    "title": "Praktik på lageret",
    "ordinary_staff_fte": "12,5",
    "current_subsidised_count": "0",
    "employee_rep_statement": "ja",
    "duration_weeks": "4",
    "purpose": "Afklare om lagerarbejde passer.",
}


class VacancyFactory(FactoryBase):
    def vacancy(
        self,
        employer: Organisation,
        *,
        title: str = "Lagermedarbejder",
        kind: VacancyKind = VacancyKind.ORDINARY,
        status: VacancyStatus = VacancyStatus.OPEN,
    ) -> Vacancy:
        vacancy = Vacancy(
            kind=kind,
            status=status,
            employer_id=employer.id,
            title=title,
            description="Vi søger en stabil kollega.",
            postal_code="5000",
            approval_status=(
                ApprovalStatus.NOT_REQUIRED
                if kind is VacancyKind.ORDINARY
                else (
                    ApprovalStatus.PENDING
                    if status is VacancyStatus.PENDING_APPROVAL
                    else ApprovalStatus.APPROVED
                )
            ),
        )
        self._save(vacancy)
        return vacancy
