"""Jobbro web portal (Flask). Start it with gunicorn ``portal.wsgi:app``; build it with
:func:`portal.app.create_app`."""
