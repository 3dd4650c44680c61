"""One invitation link confirmed twice at the same moment, with real commits on two
connections: the role is given once, the other request is told the link is used."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from matching.accounts import members as org_members
from matching.core.errors import ValidationError
from matching.core.security import hash_password
from matching.models import MemberInvitation, Membership, OrgKind, Role, User
from tests.factories import PASSWORD, Factory


def test_two_confirmations_of_one_link_give_one_role(
    committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(committed, expire_on_commit=False) as setup:
        make = Factory(setup, hash_password(PASSWORD))
        org = make.organisation(OrgKind.EMPLOYER, "Fynsk Byg ApS")
        admin = make.user((org, Role.ADMIN))
        elsewhere = make.organisation(OrgKind.EMPLOYER, "Anden ApS")
        ole = make.user((elsewhere, Role.EMPLOYER), email="ole@anden.dk")
        invitation = org_members.invite_member(
            setup, admin.memberships[0], "ole@anden.dk", "Ole", "employer"
        )
        setup.commit()
    nonce = invitation.nonce

    # Both requests have read the link as pending before either marks it used: the double
    # click, or the link opened in two tabs.
    both_checked = threading.Barrier(2, timeout=10)
    offer = org_members.membership_offer

    def checked_then_wait(*args: object) -> org_members.MembershipOffer:
        result = offer(*args)  # type: ignore[arg-type]
        both_checked.wait()
        return result

    monkeypatch.setattr(org_members, "membership_offer", checked_then_wait)
    outcomes: list[str] = []

    def confirm() -> None:
        with Session(committed) as request:
            user = request.get(User, ole.id)
            assert user is not None
            try:
                org_members.accept_membership(request, nonce, user)
                request.commit()
                outcomes.append("accepted")
            except ValidationError as exc:
                request.rollback()
                outcomes.append(" ".join(exc.errors.values()))

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == sorted(["accepted", org_members.MEMBERSHIP_USED_MESSAGE])
    with Session(committed) as check:
        count = select(func.count()).select_from(Membership)
        assert check.scalar(count.where(Membership.organisation_id == org.id)) == 2
        record = check.scalar(select(MemberInvitation))
        assert record is not None and record.used_at is not None
