"""WSGI entry point for gunicorn: ``gunicorn portal.wsgi:app``.

Settings come from the environment (``JOBBRO_*``); start-up fails with a clear message if the
configuration is invalid or the database cannot be reached.
"""

from portal.app import create_app

app = create_app()
