"""Access logs as the servers write them: no sign-in token, no search text."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from werkzeug.serving import WSGIRequestHandler

from portal import gunicorn_conf
from portal.access_log import redact_werkzeug_log

TOKEN = "eyJ1IjoxMiwibiI6ImFiYyJ9.Z3kPqA.s3cr3t-s1gn4tur3_ABCDEFGHIJ"
SHORT_TOKEN = "k9Q2xw"  # a future short link code after a token route
SEARCH = "Hemmelig Hansen"
PATHS = [
    f"/nulstil-adgangskode/{TOKEN}",
    f"/invitation/{TOKEN}",
    f"/invitation/rolle/{TOKEN}",
    f"/invitation/{SHORT_TOKEN}",
    f"/opret-virksomhed/{TOKEN}",
    f"/opret-virksomhed/{SHORT_TOKEN}",
    "/jobsoegere?q=Hemmelig+Hansen&maalgruppe=alle",
]


def _gunicorn_line(path: str, referer: str) -> str:
    """The line gunicorn's access log writes with the portal's configuration."""
    config = Config()
    for name in ("logger_class", "worker_class"):
        config.set(name, getattr(gunicorn_conf, name))
    config.set("accesslog", "-")
    logger = config.logger_class(config)
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    logger.access_log.addHandler(handler)
    target, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": target,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "test",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    request = SimpleNamespace(headers=[("REFERER", referer)])
    try:
        logger.access(response, request, environ, timedelta(milliseconds=5))
    finally:
        logger.access_log.removeHandler(handler)
    return captured.getvalue()


@pytest.mark.parametrize("path", PATHS)
def test_gunicorn_access_lines_carry_no_token_or_search_text(path: str) -> None:
    line = _gunicorn_line(path, referer=f"https://jobbro.example{path}")
    assert line.startswith("127.0.0.1 ") and '"GET /' in line and " 200 " in line
    for secret in (TOKEN, SHORT_TOKEN, "Hemmelig", "Hansen", "maalgruppe"):
        assert secret not in line, line
    assert "[skjult]" in line


def test_the_configured_format_still_names_the_route() -> None:
    line = _gunicorn_line(f"/nulstil-adgangskode/{TOKEN}", referer="-")
    assert '"GET /nulstil-adgangskode/[skjult] HTTP/1.1" 200' in line
    assert "/jobsoegere?[skjult]" in _gunicorn_line("/jobsoegere?q=x", referer="-")
    assert '"GET /login HTTP/1.1"' in _gunicorn_line("/login", referer="-")


@pytest.mark.parametrize("path", PATHS)
def test_development_server_lines_carry_no_token_or_search_text(path: str) -> None:
    redact_werkzeug_log()
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        server = SimpleNamespace()
        request_handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
        request_handler.requestline = f"GET {path} HTTP/1.1"
        request_handler.client_address = ("127.0.0.1", 1)
        request_handler.server = server
        request_handler.log_request(200, 10)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    line = captured.getvalue()
    assert "GET /" in line and "200" in line
    for secret in (TOKEN, SHORT_TOKEN, "Hemmelig", "Hansen"):
        assert secret not in line, line
