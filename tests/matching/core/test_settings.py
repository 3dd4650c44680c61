"""Settings: embedded defaults, production requirements, and one clear message per bad variable."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from matching.core.errors import ConfigError
from matching.core.settings import DEV_SECRET_KEY, Settings


def test_defaults_use_sqlite_under_data_dir_and_embedded_redis(tmp_path: Path) -> None:
    settings = Settings.from_env({"JOBBRO_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'jobbro.sqlite3'}"
    assert settings.redis_url is None and settings.redis_embedded
    assert settings.env == "development"
    assert settings.secret_key != DEV_SECRET_KEY  # generated in the data dir, see below
    assert len(settings.cpr_key) == 32
    assert settings.model_dir == tmp_path / "models"


def test_default_data_dir_is_var_in_the_project() -> None:
    settings = Settings.from_env({})
    assert settings.data_dir.name == "var"
    assert (settings.data_dir.parent / "pyproject.toml").exists()


def test_explicit_urls_are_kept() -> None:
    settings = Settings.from_env(
        {
            "JOBBRO_DATABASE_URL": "postgresql+psycopg://u:p@db:5432/jobbro",
            "JOBBRO_REDIS_URL": "redis://redis:6379/0",
        }
    )
    assert settings.database_url.endswith("@db:5432/jobbro")
    assert settings.redis_url == "redis://redis:6379/0"
    assert not settings.is_sqlite


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"JOBBRO_DATABASE_URL": "not a url"}, "JOBBRO_DATABASE_URL"),
        ({"JOBBRO_DATABASE_URL": "mysql://u@h/db"}, "JOBBRO_DATABASE_URL"),
        ({"JOBBRO_DATABASE_URL": "postgresql://u@h"}, "JOBBRO_DATABASE_URL"),
        ({"JOBBRO_REDIS_URL": "http://localhost:6379"}, "JOBBRO_REDIS_URL"),
        ({"JOBBRO_REDIS_URL": "redis://localhost:notaport"}, "JOBBRO_REDIS_URL"),
        ({"JOBBRO_SECRET_KEY": "short"}, "JOBBRO_SECRET_KEY"),
        ({"JOBBRO_CPR_KEY": "not-base64-of-32-bytes"}, "JOBBRO_CPR_KEY"),
        ({"JOBBRO_ENV": "staging"}, "JOBBRO_ENV"),
        ({"JOBBRO_LOG_LEVEL": "LOUD"}, "JOBBRO_LOG_LEVEL"),
        ({"JOBBRO_REFERRAL_REMINDER_DAYS": "-3"}, "JOBBRO_REFERRAL_REMINDER_DAYS"),
        ({"JOBBRO_TAXONOMY_DIR": "/does/not/exist"}, "JOBBRO_TAXONOMY_DIR"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(variable)
    assert "\n" not in str(info.value)


def test_production_requires_every_secret_and_names_all_missing() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"JOBBRO_ENV": "production"})
    named = {p.split()[0].split("=")[0] for p in info.value.problems}
    assert named == {
        "JOBBRO_DATABASE_URL",
        "JOBBRO_REDIS_URL",
        "JOBBRO_SECRET_KEY",
        "JOBBRO_CPR_KEY",
        "JOBBRO_MAIL_BACKEND",
        "JOBBRO_BASE_URL",
    }
    assert len(info.value.problems) == 6


def _production(**overrides: str) -> dict[str, str]:
    env = {
        "JOBBRO_ENV": "production",
        "JOBBRO_DATABASE_URL": "postgresql+psycopg://jobbro@db/jobbro",
        "JOBBRO_REDIS_URL": "redis://redis:6379/0",
        "JOBBRO_SECRET_KEY": "x" * 40,
        "JOBBRO_CPR_KEY": base64.urlsafe_b64encode(b"k" * 32).decode(),
        "JOBBRO_MAIL_BACKEND": "smtp",
        "JOBBRO_SMTP_URL": "smtps://jobbro:hemmelig@mail.firma.dk",
        "JOBBRO_BASE_URL": "https://jobbro.firma.dk/",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value}


def test_production_with_everything_given() -> None:
    settings = Settings.from_env(_production())
    assert settings.cpr_key == b"k" * 32
    assert settings.mail_backend == "smtp"
    assert settings.base_url == "https://jobbro.firma.dk"


@pytest.mark.parametrize(
    ("overrides", "variable", "words"),
    [
        # The outbox only writes files: in production no mail would ever arrive.
        ({"JOBBRO_MAIL_BACKEND": "", "JOBBRO_SMTP_URL": ""}, "JOBBRO_MAIL_BACKEND", "smtp"),
        ({"JOBBRO_MAIL_BACKEND": "outbox"}, "JOBBRO_MAIL_BACKEND", "never be delivered"),
        ({"JOBBRO_SMTP_URL": ""}, "JOBBRO_SMTP_URL", "required"),
        # Links in mails must name the real, encrypted address.
        ({"JOBBRO_BASE_URL": ""}, "JOBBRO_BASE_URL", "required"),
        ({"JOBBRO_BASE_URL": "http://jobbro.firma.dk"}, "JOBBRO_BASE_URL", "https://"),
        ({"JOBBRO_BASE_URL": "jobbro.firma.dk"}, "JOBBRO_BASE_URL", "http:// or https://"),
    ],
)
def test_production_mail_must_be_delivered_with_https_links(
    overrides: dict[str, str], variable: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(_production(**overrides))
    [problem] = info.value.problems
    assert problem.startswith(variable) and words in problem
    assert "hemmelig" not in str(info.value)


def test_outside_production_the_outbox_and_a_local_address_are_fine() -> None:
    for env in ("development", "test"):
        settings = Settings.from_env({"JOBBRO_ENV": env})
        assert settings.mail_backend == "outbox"
        assert settings.base_url == "http://127.0.0.1:5000"


def test_password_is_redacted_in_messages() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"JOBBRO_DATABASE_URL": "mysql://user:topsecret@h/db"})
    assert "topsecret" not in str(info.value)


def test_encoder_choice() -> None:
    assert Settings.from_env({}).encoder == "auto"
    assert Settings.from_env({"JOBBRO_ENCODER": "ONNX"}).encoder == "onnx"
    assert Settings.from_env({"JOBBRO_ENV": "test", "JOBBRO_ENCODER": "fake"}).encoder == "fake"
    with pytest.raises(ConfigError, match="^Invalid configuration: JOBBRO_ENCODER=fake is only"):
        Settings.from_env({"JOBBRO_ENCODER": "fake"})
    with pytest.raises(ConfigError, match="JOBBRO_ENCODER must be one of"):
        Settings.from_env({"JOBBRO_ENCODER": "gpt"})


def test_without_a_key_a_private_one_is_generated_and_kept_in_the_data_dir(
    tmp_path: Path,
) -> None:
    first = Settings.from_env({"JOBBRO_DATA_DIR": str(tmp_path / "a")})
    key_file = tmp_path / "a" / "secret_key"
    assert first.secret_key != DEV_SECRET_KEY and len(first.secret_key) >= 32
    assert key_file.read_text().strip() == first.secret_key
    assert key_file.stat().st_mode & 0o777 == 0o600  # readable by its owner only
    # Kept: the next process (the worker, the next `make run`) signs and decrypts alike.
    again = Settings.from_env({"JOBBRO_DATA_DIR": str(tmp_path / "a")})
    assert (again.secret_key, again.cpr_key) == (first.secret_key, first.cpr_key)
    other = Settings.from_env({"JOBBRO_DATA_DIR": str(tmp_path / "b")})
    assert other.secret_key != first.secret_key and other.cpr_key != first.cpr_key
    published_cpr_key = hashlib.sha256(b"jobbro-cpr:" + DEV_SECRET_KEY.encode()).digest()
    assert first.cpr_key != published_cpr_key


@pytest.mark.parametrize("mode", ["development", "production"])
def test_a_published_secret_key_is_refused_outside_the_test_suite(mode: str) -> None:
    env = {"JOBBRO_ENV": mode, "JOBBRO_SECRET_KEY": DEV_SECRET_KEY}
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    refused = [p for p in info.value.problems if p.startswith("JOBBRO_SECRET_KEY")]
    assert len(refused) == 1 and "published" in refused[0], info.value.problems


def test_production_refuses_a_short_key_and_development_too() -> None:
    for mode in ("development", "production"):
        with pytest.raises(ConfigError) as info:
            Settings.from_env({"JOBBRO_ENV": mode, "JOBBRO_SECRET_KEY": "kort-nøgle"})
        assert any(p.startswith("JOBBRO_SECRET_KEY must be at least") for p in info.value.problems)


def test_the_test_suite_may_use_a_known_key() -> None:
    settings = Settings.from_env({"JOBBRO_ENV": "test", "JOBBRO_SECRET_KEY": DEV_SECRET_KEY})
    assert settings.secret_key == DEV_SECRET_KEY
