"""FairTrain: create_app() registers extensions, rooms, error handlers and CLI. No DB work at start-up."""
from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sqlite3
import uuid

from flask import Flask, g, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from werkzeug.exceptions import HTTPException

from .core import sqlite_writers
from .core.time import for_reader
from .extensions import csrf, db, limiter, login_manager, migrate

# Rooms in dependency order (lowest first); each may have views.py (bp) and cli.py (cli).
ROOMS = ("core", "accounts", "moderation", "assessments", "jobs", "assignment", "quality", "pay", "payments",
         "admin", "api", "demo")

log = logging.getLogger(__name__)

# Settings page entries: (endpoint, label, roles), shown once their room exists.
SETTINGS_ITEMS = [
    ("api.tokens", "API tokens", ("requester", "worker")),
    ("payments.payout_account", "Payout account", ("worker",)),
    ("moderation.exposure_settings", "Harmful-content protection", ("worker",)),
]

# Navigation per role: (endpoint, label). Items appear only when their room is installed.
NAV = {
    "worker": [("assignment.my_work", "My work"), ("quality.my_quality", "Quality"),
               ("assessments.index", "Assessments"), ("pay.timesheets", "Timesheets"), ("earnings.dashboard", "Earnings"),
               ("payments.wallet", "Wallet"), ("moderation.my_appeals", "Appeals")],
    "requester": [("jobs.my_jobs", "My jobs"), ("pay.timesheets", "Timesheets"), ("pay_spend.spend", "Spend"),
                  ("payments.funds", "Funds"), ("moderation.requester_blocks", "Blocked trainers")],
    "admin": [("admin.dashboard", "Admin"), ("assessments.review_queue", "Reviews"),
              ("moderation.admin_appeals", "Appeals"), ("pay.timesheets", "Time disputes"),
              ("payments.admin_overview", "Money"), ("admin.audit_log", "Audit log")],
}


def create_app(config_object=None, **overrides) -> Flask:
    import config as config_module

    config_class = config_object or config_module.config_from_env()
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR), instance_relative_config=True)
    app.config.from_object(config_class)
    app.config["SECRET_KEY"] = overrides.pop("SECRET_KEY", None) or config_class.load_secret_key()
    app.config.update(overrides)
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if hasattr(config_class, "check"):
        config_class.check(app.config)

    _configure_logging(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in to see that page."
    login_manager.login_message_category = "info"

    from . import models  # noqa: F401  (every room's models, for relationships by name)
    from .accounts.services import load_user_for_session

    login_manager.user_loader(load_user_for_session)
    _register_rooms(app)
    _register_request_id(app)
    _register_error_handlers(app)
    _register_template_helpers(app)
    _register_health(app)
    from .scheduler import cli as scheduler_cli

    app.cli.add_command(scheduler_cli)
    return app


def _register_rooms(app: Flask) -> None:
    """Register each room's blueprints (from `views.py` and any `views_<part>.py`) and its `cli.py` group."""
    for room in ROOMS:
        spec = importlib.util.find_spec(f"marketplace.{room}")
        if spec is None:
            continue
        parts = sorted(info.name for info in pkgutil.iter_modules(spec.submodule_search_locations)
                       if info.name == "views" or info.name.startswith("views_"))
        for part in parts:
            module = importlib.import_module(f"marketplace.{room}.{part}")
            for blueprint in getattr(module, "blueprints", None) or [module.bp]:
                app.register_blueprint(blueprint)
        if importlib.util.find_spec(f"marketplace.{room}.subscribers"):
            importlib.import_module(f"marketplace.{room}.subscribers")  # event handlers (core/events.py)
        if importlib.util.find_spec(f"marketplace.{room}.cli"):
            app.cli.add_command(importlib.import_module(f"marketplace.{room}.cli").cli)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, WAL for concurrent readers, wait on locks; let SQLAlchemy own BEGIN."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None  # SQLAlchemy's documented recipe: we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """On SQLite, begin explicitly; a connection flagged `begin_immediate` takes the write lock at once
    (claims and other compare-and-set writes), so two writers queue instead of failing to upgrade."""
    if conn.dialect.name == "sqlite":
        if conn.info.pop("begin_immediate", False):
            sqlite_writers.begin_immediate(conn)  # queued behind this app's other writers (core/sqlite_writers.py)
        else:
            conn.exec_driver_sql("BEGIN")


@event.listens_for(Engine, "commit")
def _sqlite_commit(conn):
    if conn.dialect.name == "sqlite":
        sqlite_writers.end(conn, commit=True)


@event.listens_for(Engine, "rollback")
def _sqlite_rollback(conn):
    if conn.dialect.name == "sqlite":
        sqlite_writers.end(conn, commit=False)


@event.listens_for(Pool, "checkin")
def _sqlite_checkin(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        sqlite_writers.release_dbapi(dbapi_connection, connection_record)


@event.listens_for(Pool, "close")
def _sqlite_close(dbapi_connection, connection_record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        sqlite_writers.release_dbapi(dbapi_connection, connection_record)


def _configure_logging(app: Flask) -> None:
    class RequestIdFilter(logging.Filter):
        def filter(self, record):
            try:
                record.request_id = g.get("request_id", "-")
            except RuntimeError:
                record.request_id = "-"
            return True

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger("marketplace")
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def _register_request_id(app: Flask) -> None:
    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming[:40] if incoming.isascii() and incoming.replace("-", "").isalnum() else uuid.uuid4().hex[:16]

    @app.after_request
    def expose_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, extra: dict | None = None):
    """One error shape for the API, a friendly page for people."""
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if extra:
            body["error"].update(extra)
        return jsonify(body), status
    return render_template("errors/error.html", status=status, code=code, message=message), status


ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 422: "validation_failed",
               429: "rate_limited", 500: "internal_error"}

FRIENDLY = {
    400: "The request could not be understood.",
    401: "Log in (or send a valid API token) to use this.",
    403: "You do not have permission to see this page.",
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    413: "That upload is too large.",
    429: "Too many requests. Wait a minute, then try again.",
    500: "Something went wrong on our side. It has been logged; please try again.",
}


def _register_error_handlers(app: Flask) -> None:
    from .core.errors import DomainError

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        db.session.rollback()
        return error_response(400, "csrf_failed", "The form had expired or did not come from this site. "
                                                  "Reload the page and try again.")

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        extra = {"field": exc.field} if exc.field else None
        errors = getattr(exc, "errors", None)
        if errors:
            extra = dict(extra or {}, details=errors)
        return error_response(exc.status, exc.code, exc.message, extra)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        default_description = type(exc).description
        message = exc.description if exc.description and exc.description != default_description else None
        return error_response(status, ERROR_CODES.get(status, "error"), message or FRIENDLY.get(status, exc.name))

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return error_response(500, "internal_error", FRIENDLY[500])


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from .core import notices
    from .core.money import format_cents

    app.jinja_env.filters["cents"] = format_cents

    @app.template_filter("hours")
    def hours(minutes_or_none):
        if minutes_or_none is None:
            return "—"
        return f"{minutes_or_none / 60:.1f} h"

    @app.template_filter("a_or_an")
    def a_or_an(number) -> str:
        """The article before a number said aloud: "an 8-minute task", "an 11-minute task", "a 5-minute task"."""
        digits = str(number)
        return "an" if digits.startswith("8") or (len(digits) % 3 == 2 and digits[:2] in ("11", "18")) else "a"

    @app.template_filter("dt")
    def format_datetime(value, tz: str | None = None):
        if value is None:
            return "—"
        zone = tz or (current_user.timezone if current_user.is_authenticated and not current_user.is_anonymous else "UTC")
        return for_reader(value, zone, "%-d %b %Y, %H:%M")

    @app.template_global("nav_items")
    def nav_items(user):
        """Navigation for a role; an item shows once the room that serves it exists."""
        items = []
        for endpoint, label in NAV.get(user.role, ()):
            if endpoint in app.view_functions:
                items.append({"url": url_for(endpoint), "label": label, "endpoint": endpoint})
        return items

    @app.template_global("settings_items")
    def settings_items(user):
        items = []
        for endpoint, label, roles in SETTINGS_ITEMS:
            if user.role in roles and endpoint in app.view_functions:
                items.append({"url": url_for(endpoint), "label": label})
        return items

    from .core.taxonomy import country_name, expertise_name, language_name

    app.jinja_env.globals.update(language_name=language_name, country_name=country_name,
                                 expertise_name=expertise_name)

    @app.context_processor
    def navigation_context():
        context = {"demo_mode": not app.config.get("STRIPE_SECRET_KEY")}
        if current_user.is_authenticated:
            context["unread_notices"] = notices.unread_count(current_user.id)
            context["banner_notices"] = notices.banners(current_user.id)
        return context


def _register_health(app: Flask) -> None:
    from sqlalchemy import text

    @app.route("/healthz")
    @limiter.exempt
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as exc:  # report, do not raise: load balancers read the status
            log.error("health check failed: %s", exc)
            return jsonify({"status": "error", "database": "unreachable"}), 503
        return jsonify({"status": "ok", "database": "ok"})
