"""Queued e-mail notifications: reminders of unanswered referrals, delivery, retry, dedupe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.core import notifications
from matching.core.audit import Actor
from matching.core.mail import Message, OutboxSender
from matching.models import (
    Jobseeker,
    Membership,
    Notification,
    Organisation,
    OrgKind,
    Referral,
    ReferralState,
    Role,
    User,
    Vacancy,
    VacancyKind,
    VacancyStatus,
)
from matching.referrals import workflow

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def sent_referral(session: Session) -> Referral:
    akasse = Organisation(kind=OrgKind.A_KASSE, name="A-kasse Påmind")
    employer = Organisation(kind=OrgKind.EMPLOYER, name="Påmind ApS")
    session.add_all([akasse, employer])
    session.flush()
    counsellor = User(email="raadgiver@akasse.dk", name="Rådgiver", password_hash="x")
    counsellor.memberships = [Membership(organisation_id=akasse.id, role=Role.COUNSELLOR)]
    boss = User(email="chef@paamind.dk", name="Chef", password_hash="x")
    boss.memberships = [Membership(organisation_id=employer.id, role=Role.EMPLOYER)]
    gone = User(email="tidligere@paamind.dk", name="Tidligere", password_hash="x", active=False)
    gone.memberships = [Membership(organisation_id=employer.id, role=Role.EMPLOYER)]
    vacancy = Vacancy(
        kind=VacancyKind.ORDINARY, status=VacancyStatus.OPEN, employer_id=employer.id,
        title="Smed", description="Værksted.", postal_code="5000",
    )  # fmt: skip
    person = Jobseeker(
        pseudonym="L-NOT001", first_name="Hemmelig", last_name="Person",
        birth_date=date(1990, 1, 1), postal_code="5000",
    )  # fmt: skip
    session.add_all([counsellor, boss, gone, vacancy, person])
    session.flush()
    referral = Referral(
        vacancy_id=vacancy.id, jobseeker_id=person.id, organisation_id=akasse.id,
        created_by_id=counsellor.id,
    )  # fmt: skip
    session.add(referral)
    session.flush()
    actor = Actor(user_id=counsellor.id, organisation_id=akasse.id, role="counsellor")
    workflow.apply(session, referral, "send", actor, now=NOW, respond_days=7)
    return referral


def queued(session: Session) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_a_reminder_goes_to_the_employers_active_users_once_and_names_nobody(
    session: Session, sent_referral: Referral
) -> None:
    day = NOW + timedelta(days=8)
    workflow.process_overdue(session, now=day, reminder_days=7, base_url="https://jobbro.dk")
    workflow.process_overdue(session, now=day, reminder_days=7, base_url="https://jobbro.dk")
    [reminder] = queued(session)
    assert reminder.recipient == "chef@paamind.dk"  # not the deactivated user
    assert reminder.kind == "referral_reminder" and "Smed" in reminder.subject
    link = f"https://jobbro.dk/stillinger/{sent_referral.vacancy_id}/henvisninger"
    assert link in reminder.body and "16.12.2026" in reminder.body  # 7 days after the reminder
    assert "Hemmelig" not in reminder.body and "L-NOT001" not in reminder.body


def test_the_vacancy_contact_gets_the_reminder_when_there_is_one(
    session: Session, sent_referral: Referral
) -> None:
    sent_referral.vacancy.contact_email = "hr@paamind.dk"
    workflow.process_overdue(session, now=NOW + timedelta(days=8), reminder_days=7)
    assert [n.recipient for n in queued(session)] == ["hr@paamind.dk"]


def test_expiry_tells_the_referring_counsellor(session: Session, sent_referral: Referral) -> None:
    workflow.process_overdue(session, now=NOW + timedelta(days=8), reminder_days=7)
    workflow.process_overdue(session, now=NOW + timedelta(days=15), reminder_days=7)
    assert sent_referral.state is ReferralState.EXPIRED
    expired = [n for n in queued(session) if n.kind == "referral_expired"]
    assert [n.recipient for n in expired] == ["raadgiver@akasse.dk"]
    assert f"/ledige/{sent_referral.jobseeker_id}" in expired[0].body


def test_the_same_dedupe_key_is_queued_once(session: Session) -> None:
    first = notifications.notify(
        session, kind="t", recipient="a@b.dk", subject="S", body="B", dedupe_key="k1"
    )
    second = notifications.notify(
        session, kind="t", recipient="a@b.dk", subject="S", body="B", dedupe_key="k1"
    )
    assert first is not None and second is None
    assert len(queued(session)) == 1


def test_delivery_writes_the_outbox_and_marks_sent(session: Session, tmp_path: Path) -> None:
    notifications.notify(
        session, kind="t", recipient="modtager@eksempel.dk", subject="Påmindelse: Smed",
        body="Æble, øl og å.",
    )  # fmt: skip
    result = notifications.deliver_pending(session, OutboxSender(tmp_path, "Jobbro <n@j.dk>"))
    assert (result.sent, result.retrying, result.failed) == (1, 0, 0)
    [path] = tmp_path.glob("*.eml")
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert mail["To"] == "modtager@eksempel.dk" and mail["Subject"] == "Påmindelse: Smed"
    assert mail.get_content().strip() == "Æble, øl og å."
    [row] = queued(session)
    assert row.sent_at is not None and row.attempts == 1
    again = notifications.deliver_pending(session, OutboxSender(tmp_path, "n@j.dk"))
    assert again.sent == 0 and len(list(tmp_path.glob("*.eml"))) == 1


class BrokenSender:
    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: Message) -> None:
        self.calls += 1
        raise ConnectionRefusedError("mail server down")


def test_failed_sends_back_off_and_give_up_visibly(session: Session) -> None:
    notifications.notify(session, kind="t", recipient="x@y.dk", subject="S", body="B")
    sender = BrokenSender()
    now = datetime.now(UTC) + timedelta(seconds=1)
    result = notifications.deliver_pending(session, sender, now=now)
    assert (result.sent, result.retrying, result.failed) == (0, 1, 0)
    [row] = queued(session)
    # SQLite hands back naive UTC datetimes, PostgreSQL aware ones.
    assert row.next_attempt_at.replace(tzinfo=None) == (now + timedelta(minutes=1)).replace(
        tzinfo=None
    )
    assert row.last_error == "ConnectionRefusedError: mail server down"
    # Not due yet: nothing is tried.
    assert notifications.deliver_pending(session, sender, now=now).retrying == 0
    for delay in notifications.BACKOFF:
        now = now + delay
        notifications.deliver_pending(session, sender, now=now)
    session.refresh(row)
    assert row.failed and row.sent_at is None and row.attempts == notifications.MAX_ATTEMPTS
    assert sender.calls == notifications.MAX_ATTEMPTS
    assert notifications.deliver_pending(session, sender, now=now + timedelta(days=9)).failed == 0
