"""Two »henvis« of one person to one vacancy at the same moment, with real commits on two
connections: exactly one referral is made, the other gets the Danish »already referred«."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from matching.core.audit import Actor
from matching.core.errors import ValidationError
from matching.core.security import hash_password
from matching.models import OPEN_REFERRAL_STATES, OrgKind, Referral, Role
from matching.referrals import decisions
from tests.factories import PASSWORD, Factory


def test_two_referrals_at_once_make_one(committed: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(committed, expire_on_commit=False) as setup:
        make = Factory(setup, hash_password(PASSWORD))
        akasse = make.organisation(OrgKind.A_KASSE, "A-kasse Fyn")
        counsellor = make.user((akasse, Role.COUNSELLOR))
        employer = make.organisation(OrgKind.EMPLOYER, "Fyns Lager ApS")
        vacancy = make.vacancy(employer, title="Lagermedarbejder")
        person = make.jobseeker(akasse, first_name="Sofie", last_name="Samtykke")
        setup.commit()
    actor = Actor(user_id=counsellor.id, organisation_id=akasse.id, role="counsellor")

    # Both requests pass the »already referred?« check before either inserts: the attacker's
    # double click. (_on_list runs between the check and the insert.)
    both_checked = threading.Barrier(2, timeout=10)
    on_list = decisions._on_list

    def checked_then_wait(*args: object) -> bool:
        both_checked.wait()
        return on_list(*args)

    monkeypatch.setattr(decisions, "_on_list", checked_then_wait)
    outcomes: list[str] = []

    def refer() -> None:
        with Session(committed) as request:
            try:
                decisions.refer_candidate(
                    request, actor, vacancy.id, person.id, note="Passer godt til stillingen"
                )
                request.commit()
                outcomes.append("referred")
            except ValidationError as exc:
                request.rollback()
                outcomes.append(" ".join(exc.errors.values()))

    threads = [threading.Thread(target=refer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == sorted(["referred", decisions.ALREADY_REFERRED_MESSAGE])
    with Session(committed) as check:
        open_referrals = check.scalar(
            select(func.count())
            .select_from(Referral)
            .where(
                Referral.vacancy_id == vacancy.id,
                Referral.jobseeker_id == person.id,
                Referral.state.in_(OPEN_REFERRAL_STATES),
            )
        )
    assert open_referrals == 1
