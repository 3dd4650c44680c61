"""gunicorn settings for the portal (``gunicorn -c python:portal.gunicorn_conf portal.wsgi:app``).

Threaded workers: a connection that is open but idle (a browser's keep-alive, a user reading a
page) waits in the worker's poller instead of holding a whole process, so a few processes serve
many users. Pages are short database reads and template rendering; the embedding model never
runs here. Command-line options (``--bind``, ``--workers``) override these.
"""

worker_class = "gthread"
workers = 4
threads = 8
keepalive = 5  # seconds an idle keep-alive connection is kept
timeout = 30
graceful_timeout = 5
