"""The portal under test: an app whose requests share the test's rolled-back transaction, and
reading a response's page and its CSRF token."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from matching.core.settings import Settings
from portal.app import create_app


def make_app(settings: Settings, session: Session, *, csrf: bool) -> Flask:
    connection = session.connection()

    def factory() -> Session:
        # Same connection as the test: requests see the test's rows and vice versa, and
        # everything is rolled back at the end. Commits become savepoint releases.
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    session.commit()  # close the test session's savepoint before a request opens its own
    return create_app(settings, session_factory=factory, config={"WTF_CSRF_ENABLED": csrf})


def csrf_token(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no csrf_token in the page"
    return match.group(1)


def html(response: TestResponse) -> str:
    """The page a response carries, as text."""
    return response.get_data(as_text=True)
