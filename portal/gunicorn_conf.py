"""gunicorn settings for the portal (``gunicorn -c python:portal.gunicorn_conf portal.wsgi:app``).

Threaded workers: a connection that is open but idle (a browser's keep-alive, a user reading a
page) waits in the worker's poller instead of holding a whole process, so a few processes serve
many users. Pages are short database reads and template rendering; the embedding model never
runs here. Command-line options (``--bind``, ``--workers``) override these.
"""

from gunicorn import glogging

from portal.access_log import redact_gunicorn_atoms

worker_class = "gthread"
workers = 4
threads = 8
keepalive = 5  # seconds an idle keep-alive connection is kept
timeout = 30
graceful_timeout = 5


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, but access lines carry no tokens, query strings (search text) or
    Referer queries: see ``portal.access_log``."""

    def atoms(self, resp, req, environ, request_time):  # noqa: ANN001, ANN201 - gunicorn's API
        return redact_gunicorn_atoms(super().atoms(resp, req, environ, request_time))


logger_class = RedactingLogger
