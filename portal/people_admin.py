"""Registering and maintaining people, leaving the register and the consent ledger."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people_admin", __name__)
