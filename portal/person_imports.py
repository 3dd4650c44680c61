"""Bulk import of people from a case system's CSV or JSON Lines export (administrators)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("person_imports", __name__)
