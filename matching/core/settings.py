"""Typed settings, read once from the environment.

This is the only module that reads ``os.environ`` for configuration. Everything else receives a
:class:`Settings` instance. Invalid values fail at start-up with one message that names every
offending variable.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from matching.core.errors import ConfigError
from matching.core.keys import CprKey, decode_key

PROJECT_ROOT = Path(__file__).resolve().parents[2]

ENVIRONMENTS = ("development", "test", "production")
# Published in this repository: signs nothing outside the test suite (see KNOWN_SECRET_KEYS).
DEV_SECRET_KEY = "jobbro-development-secret-not-for-production"
KNOWN_SECRET_KEYS = frozenset({DEV_SECRET_KEY})
MIN_SECRET_KEY_CHARS = 32
# Without JOBBRO_SECRET_KEY outside production: a random key generated once per data folder.
SECRET_KEY_FILE = "secret_key"
MAX_TRUSTED_PROXIES = 5
REDIS_SCHEMES = ("redis", "rediss", "unix")
ENCODERS = ("auto", "torch", "onnx", "fake")
MAIL_BACKENDS = ("outbox", "smtp")
SMTP_SCHEMES = ("smtp", "smtps")
DEFAULT_MAIL_FROM = "Jobbro <noreply@jobbro.local>"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_EXPORT_TTL_HOURS = 24
DEFAULT_SESSION_IDLE_MINUTES = 30
DEFAULT_SESSION_ABSOLUTE_HOURS = 8
MAX_EXPORT_TTL_HOURS = 24 * 30  # files with personal data are not kept for longer
# Overrides of the retention periods (matching.rules.retention): (variable, lowest, highest).
RETENTION_VARIABLES = (
    ("JOBBRO_RETENTION_LEFT_MONTHS", 1, 120),
    ("JOBBRO_RETENTION_CV_DRAFT_DAYS", 1, 90),
    ("JOBBRO_RETENTION_IMPORT_FILE_DAYS", 0, 30),
    ("JOBBRO_RETENTION_AUDIT_YEARS", 1, 30),
)


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of every Jobbro process (portal, worker, CLI)."""

    env: str
    database_url: str
    # None means "start an embedded Redis server" (see workers.redis_server).
    redis_url: str | None
    secret_key: str
    # Key material for encrypting CPR numbers at rest (see matching.core.security): a
    # matching.core.keys.CprKey, which also holds JOBBRO_CPR_KEY_PREVIOUS during a rotation.
    cpr_key: bytes
    data_dir: Path
    model_dir: Path
    taxonomy_dir: Path | None
    shared_data_dir: Path | None
    outbox_dir: Path
    export_dir: Path
    log_level: str = "INFO"
    referral_reminder_days: int = 7
    # Which embedding backend workers use: auto (the backend that passes the quality gate,
    # currently torch), torch, onnx (int8, faster), or fake (trigram hashing; tests only).
    encoder: str = "auto"
    # Share (0–1) of every match list kept for the best brancheskift suggestions.
    cross_industry_share: float = 0.2
    # Where mail goes: "outbox" (.eml files in outbox_dir) or "smtp" (smtp_url).
    mail_backend: str = "outbox"
    smtp_url: str | None = field(default=None, repr=False)  # may carry a password
    mail_from: str = DEFAULT_MAIL_FROM
    # Public address of the portal, without a trailing slash: links in e-mails are absolute.
    base_url: str = DEFAULT_BASE_URL
    # Hours a finished job-fair export can be downloaded before its file is deleted.
    export_ttl_hours: int = DEFAULT_EXPORT_TTL_HOURS
    # A portal session ends after this many minutes without a request, and this many hours
    # after the login however busy it is.
    session_idle_minutes: int = DEFAULT_SESSION_IDLE_MINUTES
    session_absolute_hours: int = DEFAULT_SESSION_ABSOLUTE_HOURS
    # Retention periods overriding the defaults of matching.rules.retention (None: the rule's
    # default): months after leaving the register until a person is anonymised, days an
    # uploaded CV draft is kept, days an import's file is kept after it ran (0: at once), and
    # years the audit log is reported as kept (it is never deleted by Jobbro).
    retention_left_months: int | None = None
    retention_cv_draft_days: int | None = None
    retention_import_file_days: int | None = None
    retention_audit_years: int | None = None
    # Reverse proxies in front of the portal whose X-Forwarded-For/-Proto are believed (0: none,
    # the connecting address is the client).
    trusted_proxies: int = 0
    # Secret keys being retired (JOBBRO_SECRET_KEY_PREVIOUS): sessions, CSRF tokens and e-mail
    # links signed with them are still accepted; everything new is signed with secret_key.
    secret_key_previous: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def signing_keys(self) -> tuple[str, ...]:
        """Keys for itsdangerous: every one verifies, the last (``secret_key``) signs."""
        return (*self.secret_key_previous, self.secret_key)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def redis_embedded(self) -> bool:
        return self.redis_url is None

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default: the process environment).

        Unset database URL → SQLite under ``var/``; unset Redis URL → embedded Redis server.
        In production the database, Redis, secret key and CPR key must be given explicitly, and
        so must mail that is really delivered (``JOBBRO_MAIL_BACKEND=smtp`` with
        ``JOBBRO_SMTP_URL``) and the public https:// address used in its links
        (``JOBBRO_BASE_URL``): without them invitation and password-reset mails never arrive,
        or point at a wrong or unencrypted address.
        """
        env = os.environ if environ is None else environ
        problems: list[str] = []

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None or value.strip() == "":
                return None
            return value.strip()

        mode = get("JOBBRO_ENV") or "development"
        if mode not in ENVIRONMENTS:
            problems.append(f"JOBBRO_ENV must be one of {', '.join(ENVIRONMENTS)}, got {mode!r}")
            mode = "development"
        production = mode == "production"

        def required_in_production(name: str, check: Callable[[str], str | None]) -> str | None:
            """The variable's value, checked; unset is a problem only in production."""
            value = get(name)
            if value is None:
                if production:
                    problems.append(f"{name} is required when JOBBRO_ENV=production")
                return None
            problem = check(value)
            if problem:
                problems.append(f"{name} {problem}")
            return value

        data_dir = Path(get("JOBBRO_DATA_DIR") or PROJECT_ROOT / "var").expanduser().resolve()

        database_url = required_in_production("JOBBRO_DATABASE_URL", _check_database_url)
        if database_url is None:
            database_url = f"sqlite:///{data_dir / 'jobbro.sqlite3'}"

        redis_url = required_in_production("JOBBRO_REDIS_URL", _check_redis_url)

        secret_key = required_in_production(
            "JOBBRO_SECRET_KEY", lambda key: _check_secret_key(key, allow_known=mode == "test")
        )
        if secret_key is None:
            # Development (`make run`): a random key kept in the data folder, so every process
            # of this installation signs alike and nothing can be forged with a published key.
            secret_key = "" if production else _data_dir_secret_key(data_dir)
        # During a rotation of the secret key: the keys being replaced, still accepted.
        secret_key_previous: list[str] = []
        for number, key in enumerate((get("JOBBRO_SECRET_KEY_PREVIOUS") or "").split(","), 1):
            key = key.strip()
            if not key or key == secret_key or key in secret_key_previous:
                continue
            problem = _check_secret_key(key, allow_known=mode == "test")
            if problem:
                problems.append(f"JOBBRO_SECRET_KEY_PREVIOUS (key {number}) {problem}")
            else:
                secret_key_previous.append(key)

        cpr_key_text = get("JOBBRO_CPR_KEY")
        cpr_key = b""
        if cpr_key_text is None:
            if production:
                problems.append(
                    "JOBBRO_CPR_KEY is required when JOBBRO_ENV=production "
                    "(32 random bytes, urlsafe base64; see docs/privacy.md)"
                )
            # Development: derive a stable key from the secret (the data folder's own when none
            # is given) so demo data stays readable as long as the data folder is kept.
            cpr_key = hashlib.sha256(b"jobbro-cpr:" + secret_key.encode()).digest()
        else:
            try:
                cpr_key = base64.urlsafe_b64decode(cpr_key_text.encode())
            except (ValueError, TypeError):
                cpr_key = b""
            if len(cpr_key) != 32:
                problems.append("JOBBRO_CPR_KEY must be 32 bytes encoded as urlsafe base64")
        # During `jobbro keys rotate-cpr`: the key being replaced, still read (docs/operations.md).
        previous_cpr_keys: list[bytes] = []
        previous_text = get("JOBBRO_CPR_KEY_PREVIOUS")
        if previous_text is not None:
            previous_key = decode_key(previous_text)
            if previous_key is None:
                problems.append(
                    "JOBBRO_CPR_KEY_PREVIOUS must be 32 bytes encoded as urlsafe base64"
                )
            else:
                previous_cpr_keys.append(previous_key)

        model_dir = Path(get("JOBBRO_MODEL_DIR") or data_dir / "models").expanduser().resolve()
        taxonomy_env = get("JOBBRO_TAXONOMY_DIR")
        taxonomy_dir = Path(taxonomy_env).expanduser().resolve() if taxonomy_env else None
        if taxonomy_dir is not None and not taxonomy_dir.is_dir():
            problems.append(f"JOBBRO_TAXONOMY_DIR {taxonomy_dir} is not a directory")

        shared_env = get("JOBBRO_SHARED_DATA_DIR")
        if shared_env:
            shared_data_dir: Path | None = Path(shared_env).expanduser().resolve()
            if not shared_data_dir.is_dir():
                problems.append(f"JOBBRO_SHARED_DATA_DIR {shared_data_dir} is not a directory")
        else:
            candidate = PROJECT_ROOT.parent / "shared" / "data"
            shared_data_dir = candidate if candidate.is_dir() else None

        log_level = (get("JOBBRO_LOG_LEVEL") or "INFO").upper()
        if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append("JOBBRO_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")

        reminder_days = _positive_int(get("JOBBRO_REFERRAL_REMINDER_DAYS"), 7)
        if reminder_days is None:
            problems.append("JOBBRO_REFERRAL_REMINDER_DAYS must be a positive whole number")
            reminder_days = 7

        export_ttl_hours = _positive_int(get("JOBBRO_EXPORT_TTL_HOURS"), DEFAULT_EXPORT_TTL_HOURS)
        if export_ttl_hours is None or export_ttl_hours > MAX_EXPORT_TTL_HOURS:
            problems.append(
                "JOBBRO_EXPORT_TTL_HOURS must be a whole number of hours from 1 to "
                f"{MAX_EXPORT_TTL_HOURS}"
            )
            export_ttl_hours = DEFAULT_EXPORT_TTL_HOURS

        session_idle = _positive_int(
            get("JOBBRO_SESSION_IDLE_MINUTES"), DEFAULT_SESSION_IDLE_MINUTES
        )
        if session_idle is None or session_idle > 24 * 60:
            problems.append("JOBBRO_SESSION_IDLE_MINUTES must be a whole number from 1 to 1440")
            session_idle = DEFAULT_SESSION_IDLE_MINUTES
        session_absolute = _positive_int(
            get("JOBBRO_SESSION_ABSOLUTE_HOURS"), DEFAULT_SESSION_ABSOLUTE_HOURS
        )
        if session_absolute is None or session_absolute > 24:
            problems.append("JOBBRO_SESSION_ABSOLUTE_HOURS must be a whole number from 1 to 24")
            session_absolute = DEFAULT_SESSION_ABSOLUTE_HOURS

        retention: dict[str, int | None] = {}
        for name, low, high in RETENTION_VARIABLES:
            text = get(name)
            retention[name] = None
            if text is not None:
                number = int(text) if text.isdigit() else -1
                if not low <= number <= high:
                    problems.append(f"{name} must be a whole number from {low} to {high}")
                else:
                    retention[name] = number

        cross_share_text = get("JOBBRO_CROSS_INDUSTRY_SHARE") or "0.2"
        try:
            cross_industry_share = float(cross_share_text)
        except ValueError:
            cross_industry_share = -1.0
        if not 0 <= cross_industry_share <= 1:
            problems.append(
                "JOBBRO_CROSS_INDUSTRY_SHARE must be a number from 0 to 1, "
                f"got {cross_share_text!r}"
            )
            cross_industry_share = 0.2

        encoder = (get("JOBBRO_ENCODER") or "auto").lower()
        if encoder not in ENCODERS:
            problems.append(f"JOBBRO_ENCODER must be one of {', '.join(ENCODERS)}, got {encoder!r}")
        elif encoder == "fake" and mode != "test":
            problems.append("JOBBRO_ENCODER=fake is only allowed with JOBBRO_ENV=test")

        mail_backend = (get("JOBBRO_MAIL_BACKEND") or "outbox").lower()
        smtp_url = get("JOBBRO_SMTP_URL")
        if mail_backend not in MAIL_BACKENDS:
            problems.append(
                f"JOBBRO_MAIL_BACKEND must be one of {', '.join(MAIL_BACKENDS)}, "
                f"got {mail_backend!r}"
            )
        elif production and mail_backend != "smtp":
            problems.append(
                "JOBBRO_MAIL_BACKEND=smtp (with JOBBRO_SMTP_URL) is required when "
                "JOBBRO_ENV=production: the outbox only writes files, so invitation and "
                "password-reset mails would never be delivered"
            )
        elif mail_backend == "smtp" and smtp_url is None:
            problems.append("JOBBRO_SMTP_URL is required when JOBBRO_MAIL_BACKEND=smtp")
        if smtp_url is not None:
            problem = _check_smtp_url(smtp_url)
            if problem:
                problems.append(f"JOBBRO_SMTP_URL {problem}")

        mail_from = get("JOBBRO_MAIL_FROM") or DEFAULT_MAIL_FROM
        if "@" not in parseaddr(mail_from)[1]:
            problems.append(
                f"JOBBRO_MAIL_FROM must be an address such as {DEFAULT_MAIL_FROM!r}, "
                f"got {mail_from!r}"
            )

        base_url_env = get("JOBBRO_BASE_URL")
        base_url = (base_url_env or DEFAULT_BASE_URL).rstrip("/")
        base_parts = urlsplit(base_url)
        if base_url_env is None and production:
            problems.append(
                "JOBBRO_BASE_URL is required when JOBBRO_ENV=production: the public https:// "
                "address of the portal, used for the links in e-mails"
            )
        elif base_parts.scheme not in ("http", "https") or not base_parts.hostname:
            problems.append(
                f"JOBBRO_BASE_URL must be an http:// or https:// address, got {base_url!r}"
            )
        elif production and base_parts.scheme != "https":
            problems.append(
                "JOBBRO_BASE_URL must be an https:// address when JOBBRO_ENV=production "
                f"(links in e-mails carry sign-in tokens), got {base_url!r}"
            )

        trusted_proxies = _positive_int(get("JOBBRO_TRUSTED_PROXIES"), 0, allow_zero=True)
        if trusted_proxies is None or trusted_proxies > MAX_TRUSTED_PROXIES:
            problems.append(
                "JOBBRO_TRUSTED_PROXIES must be the number of reverse proxies in front of the "
                f"portal, from 0 to {MAX_TRUSTED_PROXIES}"
            )
            trusted_proxies = 0

        if problems:
            raise ConfigError(problems)

        return cls(
            env=mode,
            database_url=database_url,
            redis_url=redis_url,
            secret_key=secret_key,
            secret_key_previous=tuple(secret_key_previous),
            cpr_key=CprKey(cpr_key, previous_cpr_keys),
            data_dir=data_dir,
            model_dir=model_dir,
            taxonomy_dir=taxonomy_dir,
            shared_data_dir=shared_data_dir,
            outbox_dir=data_dir / "outbox",
            export_dir=data_dir / "exports",
            log_level=log_level,
            referral_reminder_days=reminder_days,
            encoder=encoder,
            cross_industry_share=cross_industry_share,
            mail_backend=mail_backend,
            smtp_url=smtp_url,
            mail_from=mail_from,
            base_url=base_url,
            export_ttl_hours=export_ttl_hours,
            session_idle_minutes=session_idle,
            session_absolute_hours=session_absolute,
            retention_left_months=retention["JOBBRO_RETENTION_LEFT_MONTHS"],
            retention_cv_draft_days=retention["JOBBRO_RETENTION_CV_DRAFT_DAYS"],
            retention_import_file_days=retention["JOBBRO_RETENTION_IMPORT_FILE_DAYS"],
            retention_audit_years=retention["JOBBRO_RETENTION_AUDIT_YEARS"],
            trusted_proxies=trusted_proxies,
        )


def _positive_int(value: str | None, default: int, *, allow_zero: bool = False) -> int | None:
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number > 0 or (allow_zero and number == 0) else None


def _check_database_url(url: str) -> str | None:
    """Return a problem description, or None if the URL is usable."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"is not a database URL: {_redact(url)!r}"
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        return f"must point at PostgreSQL or SQLite, got {backend!r}"
    if backend == "postgresql" and not parsed.database:
        return "names no database"
    return None


def _check_secret_key(key: str, *, allow_known: bool = False) -> str | None:
    if key in KNOWN_SECRET_KEYS and not allow_known:
        return (
            "is a published example key: anyone could sign sessions and links with it. "
            "Set a random one, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            " (or leave it unset outside production to get one generated in JOBBRO_DATA_DIR)"
        )
    if len(key) < MIN_SECRET_KEY_CHARS:
        return f"must be at least {MIN_SECRET_KEY_CHARS} characters long"
    return None


def _data_dir_secret_key(data_dir: Path) -> str:
    """The data folder's own secret key, generated (48 random bytes, owner-only file) on first
    use. Processes starting together agree: the file is created exclusively, and a process
    that loses the race reads the winner's key."""
    path = data_dir / SECRET_KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the winner may not have written it yet
            key = path.read_text().strip()
            if key:
                break
            time.sleep(0.02)
        if len(key) < MIN_SECRET_KEY_CHARS or key in KNOWN_SECRET_KEYS:
            raise ConfigError(
                [f"JOBBRO_SECRET_KEY is unset and {path} holds no usable key: delete the file"]
            ) from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _check_server_url(url: str, schemes: tuple[str, ...], expected: str) -> str | None:
    """A problem with a server URL (scheme among ``schemes``, a host unless a unix socket, a
    valid port), or None."""
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        return f"must start with {expected}, got {_redact(url)!r}"
    if parts.scheme != "unix" and not parts.hostname:
        return "names no host"
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "has an invalid port"
    return None


def _check_redis_url(url: str) -> str | None:
    return _check_server_url(url, REDIS_SCHEMES, "redis://, rediss:// or unix://")


def _check_smtp_url(url: str) -> str | None:
    return _check_server_url(url, SMTP_SCHEMES, "smtp:// (STARTTLS) or smtps:// (TLS)")


def _redact(url: str) -> str:
    """Hide a password in a URL before it reaches a message or a log."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
