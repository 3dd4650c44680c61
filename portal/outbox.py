"""The development outbox (/udbakke): the e-mails Jobbro would have sent.

With ``JOBBRO_MAIL_BACKEND=outbox`` mail is written to files instead of sent; these pages show
them, so password-reset and invitation links of a demo can be followed without a mail server.
They need no login for the same reason, and therefore exist only in development and test, only
with the outbox backend, and only for requests from this machine (a loopback address): for
anyone else every URL here is a 404, since the links in those mails log their reader in.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request

from matching.core.mail import outbox_names, read_outbox, read_outbox_message
from matching.core.paging import Page
from matching.core.settings import Settings
from portal.listing import page_arg

bp = Blueprint("outbox", __name__)

PER_PAGE = 25
OUTBOX_ENVIRONMENTS = ("development", "test")
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")


def outbox_available(settings: Settings) -> bool:
    """Whether the viewer is switched on for these settings."""
    return settings.mail_backend == "outbox" and settings.env in OUTBOX_ENVIRONMENTS


def outbox_reachable() -> bool:
    """Whether the current request may see the viewer: switched on, and from this machine."""
    settings: Settings = current_app.extensions["jobbro_settings"]
    return outbox_available(settings) and request.remote_addr in LOOPBACK_ADDRESSES


def _outbox_dir() -> Path:
    if not outbox_reachable():
        abort(404)
    settings: Settings = current_app.extensions["jobbro_settings"]
    return settings.outbox_dir


@bp.get("/udbakke")
def messages():  # noqa: ANN201 - Flask view
    """The outbox, newest first, 25 per page."""
    directory = _outbox_dir()
    number = page_arg()
    total = len(outbox_names(directory))
    items = read_outbox(directory, PER_PAGE, offset=(number - 1) * PER_PAGE)
    page = Page(items=items, total=total, page=number, per_page=PER_PAGE)
    return render_template("accounts/outbox.html", page=page)


@bp.get("/udbakke/<name>")
def message(name: str):  # noqa: ANN201 - Flask view
    """One message as plain text; only names that the outbox directory lists are served."""
    found = read_outbox_message(_outbox_dir(), name)
    if found is None:
        abort(404)
    return render_template("accounts/outbox_message.html", message=found)
