"""The CV editor and CV documents: upload, the parsed draft and its review field by field."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cv_editor", __name__)
