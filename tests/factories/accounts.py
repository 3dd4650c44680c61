"""Organisations and users with their roles."""

from __future__ import annotations

from matching.models import Membership, Organisation, OrgKind, Role, User
from tests.factories.base import FactoryBase, next_number


class AccountFactory(FactoryBase):
    def organisation(
        self, kind: OrgKind = OrgKind.A_KASSE, name: str | None = None
    ) -> Organisation:
        n = next_number()
        org = Organisation(kind=kind, name=name or f"{kind.label_da} {n}")
        self._save(org)
        return org

    def user(
        self,
        *memberships: tuple[Organisation, Role],
        email: str | None = None,
        name: str | None = None,
        active: bool = True,
    ) -> User:
        n = next_number()
        user = User(
            email=email or f"bruger{n}@eksempel.dk",
            name=name or f"Bruger {n}",
            password_hash=self.password_hash,
            active=active,
        )
        user.memberships = [Membership(organisation=o, role=r) for o, r in memberships]
        self._save(user)
        return user
