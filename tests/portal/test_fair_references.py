"""From the organiser's side: a fair's pages name people by opaque per-fair references, never by
the internal person id, so the same pseudonymous person cannot be linked across fairs."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core.dates import today_dk
from matching.core.security import hash_password
from matching.models import JobFair, JobFairVacancy, Jobseeker, ShortlistEntry
from tests.factories import PASSWORD
from tests.factories.fairs import build_world

REFERENCE = re.compile(r"/personer/([^/\"]+)/(fjern|inviteret)")


def _reference_of(page: str, code: str) -> str:
    """The reference in the remove form of the row showing invitation code ``code``."""
    row = page[page.index(code) :]
    return REFERENCE.search(row).group(1)


def test_shortlist_pages_show_no_person_ids_and_references_differ_between_fairs(
    client: FlaskClient, session: Session
) -> None:
    world = build_world(session, people=4, password_hash=hash_password(PASSWORD))
    for fair_id in (world.fair_id, world.empty_fair_id):
        session.get(JobFair, fair_id).held_on = today_dk() + timedelta(days=30)
    entry = session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.removed.is_(False)).order_by(ShortlistEntry.id)
    ).first()
    vacancy_id = session.get(JobFairVacancy, entry.job_fair_vacancy_id).vacancy_id
    # The same vacancy and person on the organiser's second fair.
    second = JobFairVacancy(job_fair_id=world.empty_fair_id, vacancy_id=vacancy_id)
    session.add(second)
    session.flush()
    session.add(
        ShortlistEntry(
            job_fair_vacancy_id=second.id,
            jobseeker_id=entry.jobseeker_id,
            rank=1,
            invitation_code="ANDEN-000001",
        )
    )
    session.commit()
    ids = set(session.scalars(select(Jobseeker.id)))
    response = client.post(
        "/login", data={"email": world.emails["organiser"], "password": PASSWORD}
    )
    assert response.status_code == 302

    pages = {}
    for fair_id in (world.fair_id, world.empty_fair_id):
        page = client.get(f"/jobmesser/{fair_id}/stillinger/{vacancy_id}").get_data(as_text=True)
        found = REFERENCE.findall(page)
        assert found  # the list has people with forms
        assert not {ref for ref, _ in found} & {str(i) for i in ids}
        assert not re.search(r'name="jobseeker_id"', page)
        assert not re.search(r'id="person-\d+"', page)
        assert not re.search(r'<option value="\d+"', page)
        assert not re.search(r'name="person" value="\d+"', page)
        pages[fair_id] = page

    first_ref = _reference_of(pages[world.fair_id], entry.invitation_code)
    second_ref = _reference_of(pages[world.empty_fair_id], "ANDEN-000001")
    assert first_ref != second_ref

    # One fair's reference means nothing on the other fair.
    base = f"/jobmesser/{world.empty_fair_id}/stillinger/{vacancy_id}/personer"
    wrong = client.post(f"{base}/{first_ref}/fjern", data={"reason": "x"})
    assert wrong.status_code in (400, 404)
    assert (
        session.scalar(
            select(ShortlistEntry.removed).where(ShortlistEntry.invitation_code == "ANDEN-000001")
        )
        is False
    )
    right = client.post(f"{base}/{second_ref}/fjern", data={"reason": "Har fået job"})
    assert right.status_code == 302
    session.expire_all()
    assert (
        session.scalar(
            select(ShortlistEntry.removed).where(ShortlistEntry.invitation_code == "ANDEN-000001")
        )
        is True
    )
