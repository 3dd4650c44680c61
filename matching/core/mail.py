"""Sending e-mail: a file outbox for development and tests, SMTP for production.

Code that sends mail builds a :class:`Message` and hands it to a :class:`Sender`; which sender is
used is a setting (``JOBBRO_MAIL_BACKEND``), so nothing else knows whether mail leaves the
machine. The outbox writes one RFC 5322 ``.eml`` file per message, which any mail client opens and
which the portal's development viewer lists (see :func:`read_outbox`).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from matching.core.settings import Settings

SMTP_TIMEOUT_SECONDS = 10
SMTP_DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
# <UTC time to the microsecond>-<8 hex digits>.eml: sorts by time, unique without a lock.
OUTBOX_NAME_RE = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{8}\.eml")


@dataclass(frozen=True)
class Message:
    """A plain-text e-mail to one recipient."""

    to: str
    subject: str
    body: str


class Sender(Protocol):
    """Anything that can deliver a :class:`Message` (raises on failure, never swallows)."""

    def send(self, message: Message) -> None: ...


def build_email(message: Message, mail_from: str) -> EmailMessage:
    """The RFC 5322 form of ``message`` (UTF-8, with Date and Message-ID).

    ``EmailMessage`` refuses header values with line breaks, so a name typed into a form cannot
    inject extra headers such as ``Bcc``.
    """
    email = EmailMessage(policy=policy.SMTP)
    email["From"] = mail_from
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(domain=domain)
    email.set_content(message.body)
    return email


class OutboxSender:
    """Writes every message as an ``.eml`` file into ``directory`` instead of sending it."""

    def __init__(self, directory: Path, mail_from: str) -> None:
        self.directory = directory
        self.mail_from = mail_from

    def send(self, message: Message) -> None:
        self.write(message)

    def write(self, message: Message) -> Path:
        """Write ``message`` and return its path.

        The file appears under its final name only when complete (temporary file + rename), so
        a reader never sees half a message.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.directory / f"{stamp}-{secrets.token_hex(4)}.eml"
        data = build_email(message, self.mail_from).as_bytes()
        fd, temp_name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        return target


class SmtpSender:
    """Sends through an SMTP server given as ``smtp://user:pass@host:587`` (STARTTLS, required)
    or ``smtps://user:pass@host:465`` (TLS from the first byte)."""

    def __init__(self, url: str, mail_from: str, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        parts = urlsplit(url)
        if parts.scheme not in SMTP_DEFAULT_PORTS or not parts.hostname:
            raise ValueError("SMTP URL must look like smtp://user:pass@host:587 or smtps://…")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or SMTP_DEFAULT_PORTS[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.mail_from = mail_from
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the password
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"<SmtpSender {scheme}://{self.host}:{self.port}>"

    def send(self, message: Message) -> None:
        email = build_email(message, self.mail_from)
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if not self.implicit_tls:
                # Required, not opportunistic: credentials and reset links never go in clear.
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(email)


def sender_from_settings(settings: Settings) -> Sender:
    """The sender chosen by ``JOBBRO_MAIL_BACKEND``."""
    if settings.mail_backend == "smtp":
        assert settings.smtp_url is not None  # Settings.from_env requires it for smtp
        return SmtpSender(settings.smtp_url, settings.mail_from)
    return OutboxSender(settings.outbox_dir, settings.mail_from)


# --- Reading the outbox (development viewer) ----------------------------------------------------


@dataclass(frozen=True)
class OutboxMessage:
    """One message of the outbox, parsed."""

    name: str
    sender: str
    to: str
    subject: str
    sent_at: datetime | None
    body: str


def outbox_names(directory: Path) -> list[str]:
    """File names of the outbox's messages, newest first (only names the outbox writes)."""
    if not directory.is_dir():
        return []
    names = (entry.name for entry in os.scandir(directory) if entry.is_file(follow_symlinks=False))
    return sorted((n for n in names if OUTBOX_NAME_RE.fullmatch(n)), reverse=True)


def read_outbox(directory: Path, limit: int, *, offset: int = 0) -> list[OutboxMessage]:
    """Up to ``limit`` parsed messages, newest first, skipping the ``offset`` newest."""
    names = outbox_names(directory)[offset : offset + limit]
    return [_parse(directory / name) for name in names]


def read_outbox_message(directory: Path, name: str) -> OutboxMessage | None:
    """The message called ``name``, or None unless that exact name is listed in the outbox.

    ``name`` comes from a URL: it is compared with the directory listing rather than joined
    into a path first, so ``../`` and similar never reach the file system.
    """
    if not OUTBOX_NAME_RE.fullmatch(name) or name not in outbox_names(directory):
        return None
    return _parse(directory / name)


def _parse(path: Path) -> OutboxMessage:
    with path.open("rb") as handle:
        email = BytesParser(policy=policy.default).parse(handle)
    part = email.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    date_header = email["Date"]
    return OutboxMessage(
        name=path.name,
        sender=str(email["From"] or ""),
        to=str(email["To"] or ""),
        subject=str(email["Subject"] or ""),
        sent_at=getattr(date_header, "datetime", None),
        body=text.replace("\r\n", "\n"),
    )
