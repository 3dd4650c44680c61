"""Application factory of the Jobbro portal.

``create_app()`` reads :class:`~matching.core.settings.Settings` from the environment (or takes
them), builds the engine and checks the database at start-up, so a wrong
``JOBBRO_DATABASE_URL`` stops the process with one clear message instead of failing on the first
request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, jsonify
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from matching.core import dates
from matching.core.db import check_database, make_engine, make_session_factory
from matching.core.errors import ServiceUnavailable
from matching.core.settings import Settings
from portal import access_log, transaction
from portal.listing import page_url_args
from portal.transaction import get_db

PORTAL_DIR = Path(__file__).resolve().parent
DKFDS_CSS = PORTAL_DIR / "static" / "dkfds" / "css" / "dkfds.min.css"
SESSION_LIFETIME = timedelta(hours=8)

# No inline scripts or styles anywhere: everything comes from /static.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
# Production is served over https only (JOBBRO_BASE_URL must be https://): browsers that have
# seen the portal once refuse a downgraded, interceptable http:// connection for a year.
HSTS = "max-age=31536000; includeSubDomains"

csrf = CSRFProtect()


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: Callable[[], Session] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """Build the portal.

    ``settings`` default to ``Settings.from_env()``. ``session_factory`` (tests) replaces the
    engine-backed factory, e.g. to run every request inside a test's transaction; without it an
    engine is built from the settings and the database is checked before the app is returned
    (raising :class:`~matching.core.errors.ServiceUnavailable` naming ``JOBBRO_DATABASE_URL``).
    ``config`` overrides Flask settings (e.g. ``{"WTF_CSRF_ENABLED": False}`` in tests).
    """
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    production = settings.env == "production"
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # A rotation's old keys (JOBBRO_SECRET_KEY_PREVIOUS): sessions signed with them are
        # still read, and signed again with the new key when they are sent back.
        SECRET_KEY_FALLBACKS=list(settings.secret_key_previous),
        SESSION_COOKIE_NAME="jobbro_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_TIME_LIMIT=int(SESSION_LIFETIME.total_seconds()),
        TESTING=settings.env == "test",
        JSON_AS_ASCII=False,
        DKFDS_AVAILABLE=DKFDS_CSS.is_file(),
    )
    if settings.secret_key_previous:  # forms opened before the change can still be sent
        app.config["WTF_CSRF_SECRET_KEY"] = list(settings.signing_keys)
    if config:
        app.config.update(config)
    app.extensions["jobbro_settings"] = settings

    if session_factory is None:
        engine = make_engine(settings)
        check_database(engine)
        session_factory = make_session_factory(engine)
        app.extensions["jobbro_engine"] = engine
    else:
        _check_session_factory(session_factory)
    app.extensions["jobbro_session_factory"] = session_factory

    if settings.trusted_proxies:
        # The client's address and scheme as the trusted proxies saw them: login and sign-up
        # limits and audit entries count people, not the proxy. Without proxies the headers
        # are ignored, so a client cannot pick its own address.
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    access_log.redact_werkzeug_log()

    csrf.init_app(app)
    app.after_request(_security_headers)
    transaction.init_app(app)  # after the headers: runs first, its error page gets them too
    _register_template_helpers(app)

    from portal import (
        accounts,
        approvals,
        auth,
        cv_editor,
        errors,
        exports,
        fairs,
        forwarding,
        jobseekers,
        main,
        people_admin,
        person_imports,
        person_rights,
        vacancies,
        vacancy_forms,
    )

    errors.register_error_handlers(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(jobseekers.bp)
    app.register_blueprint(vacancies.bp)
    app.register_blueprint(vacancy_forms.bp)
    app.register_blueprint(approvals.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(forwarding.bp)
    app.register_blueprint(fairs.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(people_admin.bp)
    app.register_blueprint(cv_editor.bp)
    app.register_blueprint(person_imports.bp)
    app.register_blueprint(person_rights.bp)
    app.before_request(auth.load_logged_in_user)

    @app.get("/healthz")
    def healthz():  # noqa: ANN202 - Flask view
        """Liveness and database check for load balancers and `jobbro` health probes."""
        try:
            get_db().execute(text("SELECT 1"))
        except SQLAlchemyError:
            return jsonify(status="error", database="unavailable"), 503
        return jsonify(status="ok", database="ok")

    csrf.exempt(healthz)
    return app


def _check_session_factory(factory: Callable[[], Session]) -> None:
    session = factory()
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(f"JOBBRO_DATABASE_URL: cannot query the database: {exc}") from exc
    finally:
        session.close()


def _security_headers(response):  # noqa: ANN001, ANN202 - Flask hook
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.extensions["jobbro_settings"].env == "production":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # Pages show personal data: keep them out of shared and browser caches.
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _register_template_helpers(app: Flask) -> None:
    app.add_template_filter(dates.format_date, "dato")
    app.add_template_global(dates.DATE_HINT, "DATE_HINT")
    # Every list page's pagination links (a page may pass its own under the same name).
    app.add_template_global(page_url_args, "page_url_args")

    @app.template_filter("tal")
    def format_number(value: float | int | None) -> str:
        """Danish number format: thousands separated by '.', decimals by ','."""
        if value is None:
            return "–"
        number = float(value)
        if number.is_integer():
            return f"{int(number):,}".replace(",", ".")
        return f"{number:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
