"""Access-log lines without secrets or personal data.

A request line is written to the access log of gunicorn (``portal.gunicorn_conf``) and of the
development server. Its path may carry a sign-in token (invitation, role invitation, password
reset, sign-up and e-mail confirmation links) and its query string what a counsellor searched
for (names), and the Referer of the next request repeats both. Before a line is written, query
strings are dropped and token-like path segments replaced, so the log holds neither. Plain
module: gunicorn imports it without the app.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

REDACTED = "[skjult]"
QUERY_REDACTED = "?" + REDACTED
# Signed links (itsdangerous tokens, random nonces) are long runs of URL-safe characters; no
# page path of the portal has a segment like that.
TOKEN_SEGMENT = re.compile(r"[A-Za-z0-9_.~%=-]{20,}")
# A segment after one of these is a link's token whatever it looks like.
TOKEN_ROUTES = frozenset(
    {"invitation", "rolle", "nulstil-adgangskode", "bekraeft", "verificer", "opret-virksomhed"}
)
# ``METHOD target PROTOCOL``: the request line as both servers log it.
REQUEST_LINE = re.compile(r"^(?P<method>[A-Z]+) (?P<target>\S+)(?P<rest> HTTP/[0-9.]+)?$")


def redact_path(path: str) -> str:
    """``path`` with token segments replaced (no query string)."""
    segments = path.split("/")
    kept = []
    for index, segment in enumerate(segments):
        after_route = index > 0 and segments[index - 1] in TOKEN_ROUTES and segment != "rolle"
        secret = segment and (after_route or TOKEN_SEGMENT.fullmatch(segment))
        kept.append(REDACTED if secret else segment)
    return "/".join(kept)


def redact_target(target: str) -> str:
    """A request target or Referer URL without its query string and with tokens replaced."""
    if target in ("", "-"):
        return target
    parts = urlsplit(target)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    query = QUERY_REDACTED if parts.query or target.endswith("?") else ""
    return origin + redact_path(parts.path) + query


def redact_request_line(line: str) -> str:
    """``GET /nulstil-adgangskode/<token>?x=y HTTP/1.1`` → ``GET /nulstil-adgangskode/[skjult]
    HTTP/1.1``; a line that is not a request line is redacted as a whole target."""
    match = REQUEST_LINE.match(line)
    if match is None:
        return redact_target(line)
    return f"{match['method']} {redact_target(match['target'])}{match['rest'] or ''}"


class RedactRequestLines(logging.Filter):
    """For the development server's logger (``werkzeug``): its access lines are
    ``'"%s" %s %s' % (request line, status, size)``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (redact_request_line(record.args[0]), *record.args[1:])
        return True


_FILTER = RedactRequestLines()


def redact_werkzeug_log() -> None:
    """Install the filter on the development server's request log (once)."""
    logger = logging.getLogger("werkzeug")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)


# Atoms of gunicorn's access-log format that can hold a path, a query string or a Referer.
GUNICORN_TARGET_ATOMS = ("U", "f", "{referer}i", "{raw_uri}e", "{path_info}e", "{http_referer}e")
GUNICORN_QUERY_ATOMS = ("q", "{query_string}e")


def redact_gunicorn_atoms(atoms: dict[str, object]) -> dict[str, object]:
    """gunicorn's access-log atoms with the request line, paths, queries and Referer redacted."""
    if isinstance(atoms.get("r"), str):
        atoms["r"] = redact_request_line(atoms["r"])
    for key in GUNICORN_TARGET_ATOMS:
        if isinstance(atoms.get(key), str):
            atoms[key] = redact_target(atoms[key])
    for key in GUNICORN_QUERY_ATOMS:
        if atoms.get(key):
            atoms[key] = REDACTED
    return atoms
