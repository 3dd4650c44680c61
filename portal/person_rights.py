"""A person's rights: the data export (GDPR art. 15 and 20) and erasure on a lawful request."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("person_rights", __name__)
