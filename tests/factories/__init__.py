"""Test data, one module per area: ``Factory`` makes rows through the models (organisations,
users, jobseekers, vacancies); ``fairs`` builds a whole job fair for the export tests."""

from __future__ import annotations

from tests.factories.accounts import AccountFactory
from tests.factories.base import PASSWORD
from tests.factories.people import PeopleFactory
from tests.factories.vacancies import VacancyFactory

__all__ = ["PASSWORD", "Factory"]


class Factory(AccountFactory, PeopleFactory, VacancyFactory):
    """Every area's factory methods on one object (the ``make`` fixture)."""
