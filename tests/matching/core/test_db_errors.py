"""Database errors name the statement but never the values: they reach logs and error mails."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from matching.core.db import make_engine
from matching.core.settings import Settings

EMAIL = "hemmelig.person@eksempel.dk"
NAME = "Hemmelig Person"


def test_an_integrity_error_does_not_carry_the_personal_data_it_was_given(
    settings: Settings, committed_database_url: str
) -> None:
    engine = make_engine(settings.with_overrides(database_url=committed_database_url))
    insert = text("INSERT INTO people_probe (email, name) VALUES (:email, :name)")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE people_probe (email VARCHAR(80) UNIQUE, name TEXT)"))
            conn.execute(insert, {"email": EMAIL, "name": NAME})
        with pytest.raises(IntegrityError) as info, engine.begin() as conn:
            conn.execute(insert, {"email": EMAIL, "name": NAME})
        message = str(info.value)
        assert "INSERT INTO people_probe" in message  # still says what failed
        assert EMAIL not in message.split("DETAIL")[0] and NAME not in message
        assert "hidden due to hide_parameters" in message
    finally:
        engine.dispose()


def test_parameters_are_shown_only_when_debugging_outside_production(settings: Settings) -> None:
    assert make_engine(settings).hide_parameters is True
    assert make_engine(settings.with_overrides(log_level="DEBUG")).hide_parameters is False
    production = settings.with_overrides(env="production", log_level="DEBUG")
    assert make_engine(production).hide_parameters is True
