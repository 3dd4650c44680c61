"""Who may do what: roles, role sets and checks on the acting user."""

from __future__ import annotations

from matching.core.audit import Actor
from matching.core.errors import PermissionDenied
from matching.models import (
    Role,
)


def _require_role(actor: Actor, allowed: frozenset[Role]) -> Role:
    try:
        role = Role(actor.role) if actor.role else None
    except ValueError:
        role = None
    if role is None or role not in allowed or actor.organisation_id is None:
        raise PermissionDenied(f"role {actor.role!r} may not do this")
    return role
