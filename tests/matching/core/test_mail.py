"""E-mail: the outbox writes readable RFC 5322 files, SMTP is chosen and secured from a URL,
and the mail settings fail with one message naming the variable."""

from __future__ import annotations

import os
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from matching.core import mail
from matching.core.errors import ConfigError
from matching.core.mail import (
    Message,
    OutboxSender,
    SmtpSender,
    read_outbox,
    read_outbox_message,
    sender_from_settings,
)
from matching.core.settings import DEFAULT_BASE_URL, DEFAULT_MAIL_FROM, Settings

FROM = "Jobbro <noreply@jobbro.example>"


def _parse(path: Path):  # noqa: ANN202
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def test_outbox_writes_one_parseable_utf8_eml_per_message(tmp_path: Path) -> None:
    outbox = OutboxSender(tmp_path / "udbakke", FROM)
    link = "http://127.0.0.1:5000/nulstil-adgangskode/" + "x" * 120
    outbox.send(Message(to="søren@eksempel.dk", subject="Nulstil – æøå", body=f"Hej\n{link}\n"))

    [path] = (tmp_path / "udbakke").iterdir()
    assert path.suffix == ".eml"
    email = _parse(path)
    assert email["To"] == "søren@eksempel.dk"
    assert email["From"] == FROM
    assert email["Subject"] == "Nulstil – æøå"
    assert email["Date"].datetime is not None
    assert email["Message-ID"].endswith("@jobbro.example>")
    body = email.get_body(("plain",))
    assert body.get_content_charset() == "utf-8"
    # A long link survives the transfer encoding intact.
    assert link in body.get_content()


def test_outbox_file_names_sort_by_time_and_read_newest_first(tmp_path: Path) -> None:
    outbox = OutboxSender(tmp_path, FROM)
    for n in range(5):
        outbox.send(Message(to=f"n{n}@eksempel.dk", subject=f"Besked {n}", body="tekst"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(set(names)) == 5
    newest = read_outbox(tmp_path, 2)
    assert [m.subject for m in newest] == ["Besked 4", "Besked 3"]
    assert [m.subject for m in read_outbox(tmp_path, 10, offset=3)] == ["Besked 1", "Besked 0"]
    assert newest[0].name == names[-1] and newest[0].body == "tekst\n"
    assert newest[0].to == "n4@eksempel.dk" and newest[0].sent_at is not None


def test_outbox_leaves_no_partial_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        OutboxSender(tmp_path, FROM).send(Message(to="a@eksempel.dk", subject="x", body="y"))
    assert list(tmp_path.iterdir()) == []


def test_reading_the_outbox_ignores_other_files(tmp_path: Path) -> None:
    OutboxSender(tmp_path, FROM).send(Message(to="a@eksempel.dk", subject="Ægte", body="y"))
    (tmp_path / ".tmp123.tmp").write_text("half")
    (tmp_path / "noter.txt").write_text("ikke en e-mail")
    assert [m.subject for m in read_outbox(tmp_path, 25)] == ["Ægte"]
    assert read_outbox(tmp_path / "findes-ikke", 25) == []


def test_a_message_is_only_read_by_a_name_the_outbox_lists(tmp_path: Path) -> None:
    outbox_dir = tmp_path / "outbox"
    path = OutboxSender(outbox_dir, FROM).write(Message(to="a@eksempel.dk", subject="S", body="b"))
    assert read_outbox_message(outbox_dir, path.name).subject == "S"
    # A file with a valid-looking name outside the outbox cannot be reached by traversal.
    secret = tmp_path / "20250101T000000000000Z-deadbeef.eml"
    secret.write_bytes(path.read_bytes())
    for name in (
        f"../{secret.name}",
        f"..%2F{secret.name}",
        secret.name,  # not in the outbox listing
        "/etc/passwd",
        "",
        path.name + "/",
        path.name.upper(),
    ):
        assert read_outbox_message(outbox_dir, name) is None, name


def test_header_injection_is_refused(tmp_path: Path) -> None:
    outbox = OutboxSender(tmp_path, FROM)
    with pytest.raises(ValueError):
        outbox.send(Message(to="a@eksempel.dk", subject="Hej\nBcc: x@ondt.example", body="b"))
    assert [p for p in tmp_path.iterdir() if p.suffix == ".eml"] == []


class FakeSMTP:
    """Records what smtplib would have been asked to do."""

    instances: list[FakeSMTP] = []

    def __init__(self, host: str, port: int, timeout: float, context: object = None) -> None:
        self.host, self.port, self.timeout, self.context = host, port, timeout, context
        self.calls: list[tuple] = []
        FakeSMTP.instances.append(self)

    def __enter__(self) -> FakeSMTP:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.calls.append(("quit",))

    def starttls(self, context: object) -> None:
        self.calls.append(("starttls",))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", user, password))

    def send_message(self, email: object) -> None:
        self.calls.append(("send", email["To"], email["Subject"]))


@pytest.fixture
def fake_smtp(monkeypatch: pytest.MonkeyPatch) -> type[FakeSMTP]:
    FakeSMTP.instances = []
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(mail.smtplib, "SMTP_SSL", FakeSMTP)
    return FakeSMTP


def test_smtp_url_uses_starttls_and_decoded_credentials(fake_smtp: type[FakeSMTP]) -> None:
    sender = SmtpSender("smtp://post%40firma.dk:hemm%3Aelig@mail.firma.dk:2525", FROM)
    sender.send(Message(to="a@eksempel.dk", subject="Hej", body="b"))
    [client] = fake_smtp.instances
    assert (client.host, client.port, client.timeout) == ("mail.firma.dk", 2525, 10)
    assert client.calls == [
        ("starttls",),
        ("login", "post@firma.dk", "hemm:elig"),
        ("send", "a@eksempel.dk", "Hej"),
        ("quit",),
    ]
    assert "hemm" not in repr(sender)


def test_smtps_url_uses_tls_from_the_start(fake_smtp: type[FakeSMTP]) -> None:
    SmtpSender("smtps://mail.firma.dk", FROM).send(Message(to="a@b.dk", subject="S", body="b"))
    [client] = fake_smtp.instances
    assert client.port == 465 and client.context is not None
    assert ("starttls",) not in client.calls and client.calls[0] == ("send", "a@b.dk", "S")


def test_smtp_default_port_is_submission(fake_smtp: type[FakeSMTP]) -> None:
    SmtpSender("smtp://mail.firma.dk", FROM).send(Message(to="a@b.dk", subject="S", body="b"))
    assert fake_smtp.instances[0].port == 587


def test_smtp_refuses_other_schemes() -> None:
    with pytest.raises(ValueError):
        SmtpSender("http://mail.firma.dk", FROM)


# --- Settings -----------------------------------------------------------------------------------


def test_mail_settings_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env({"JOBBRO_DATA_DIR": str(tmp_path)})
    assert settings.mail_backend == "outbox"
    assert settings.smtp_url is None
    assert settings.mail_from == DEFAULT_MAIL_FROM
    assert settings.base_url == DEFAULT_BASE_URL
    sender = sender_from_settings(settings)
    assert isinstance(sender, OutboxSender) and sender.directory == tmp_path / "outbox"


def test_smtp_backend_from_settings() -> None:
    settings = Settings.from_env(
        {
            "JOBBRO_MAIL_BACKEND": "smtp",
            "JOBBRO_SMTP_URL": "smtps://u:hemmelig@mail.firma.dk",
            "JOBBRO_MAIL_FROM": "Firma <job@firma.dk>",
            "JOBBRO_BASE_URL": "https://jobbro.firma.dk/",
        }
    )
    assert settings.base_url == "https://jobbro.firma.dk"
    assert "hemmelig" not in repr(settings)
    sender = sender_from_settings(settings)
    assert isinstance(sender, SmtpSender)
    assert (sender.host, sender.implicit_tls, sender.mail_from) == (
        "mail.firma.dk",
        True,
        "Firma <job@firma.dk>",
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"JOBBRO_MAIL_BACKEND": "smtp"}, "JOBBRO_SMTP_URL"),
        ({"JOBBRO_MAIL_BACKEND": "sendmail"}, "JOBBRO_MAIL_BACKEND"),
        ({"JOBBRO_SMTP_URL": "http://mail.firma.dk"}, "JOBBRO_SMTP_URL"),
        ({"JOBBRO_SMTP_URL": "smtp://mail.firma.dk:port"}, "JOBBRO_SMTP_URL"),
        ({"JOBBRO_MAIL_FROM": "Jobbro"}, "JOBBRO_MAIL_FROM"),
        ({"JOBBRO_BASE_URL": "jobbro.firma.dk"}, "JOBBRO_BASE_URL"),
        ({"JOBBRO_BASE_URL": "ftp://jobbro.firma.dk"}, "JOBBRO_BASE_URL"),
    ],
)
def test_invalid_mail_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(variable)


def test_smtp_password_is_not_in_the_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"JOBBRO_SMTP_URL": "imap://u:hemmelig@mail.firma.dk"})
    assert "hemmelig" not in str(info.value)
