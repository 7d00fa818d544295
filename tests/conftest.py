"""Test fixtures: one fresh database per run (SQLite file, or PostgreSQL when TEST_DATABASE_URL is set),
emptied after every test; an app, a client, and helpers to log in."""
from __future__ import annotations

import contextvars
import warnings
import os
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("FAIRTRAIN_INSTANCE", tempfile.mkdtemp(prefix="fairtrain-test-instance-"))

from config import TestConfig, normalise_database_url  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.extensions import db as _db  # noqa: E402
from marketplace.extensions import limiter  # noqa: E402


def pytest_report_header(config):
    return f"database: {'PostgreSQL (' + os.environ['TEST_DATABASE_URL'] + ')' if os.environ.get('TEST_DATABASE_URL') else 'SQLite'}"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Debian's Chromium through Playwright")
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL (skipped on SQLite)")
    config.addinivalue_line("markers", "slow: deep variants, run with --deep")


def pytest_addoption(parser):
    parser.addoption("--deep", action="store_true", help="run deep variants (long hypothesis runs, big data)")


def pytest_collection_modifyitems(config, items):
    deep = config.getoption("--deep")
    on_pg = bool(os.environ.get("TEST_DATABASE_URL"))
    for item in items:
        if "slow" in item.keywords and not deep:
            item.add_marker(pytest.mark.skip(reason="deep variant: run with --deep"))
        if "postgres_only" in item.keywords and not on_pg:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL"))


class Database:
    """A throwaway database for this test run: created at the start, dropped at the end."""

    def __init__(self):
        base = os.environ.get("TEST_DATABASE_URL")
        self.is_postgres = bool(base)
        if base:
            base = normalise_database_url(base)
            self.name = f"fairtrain_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            self.admin_url = sa.engine.make_url(base)
            self.url = self.admin_url.set(database=self.name).render_as_string(hide_password=False)
            engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
            engine.dispose()
        else:
            self.dir = tempfile.mkdtemp(prefix="fairtrain-test-db-")
            self.url = f"sqlite:///{self.dir}/test.sqlite3"

    def drop(self):
        if self.is_postgres:
            engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            try:
                with engine.connect() as conn:
                    # DROP DATABASE waits for a checkpoint; on a busy machine that can take a while, but a test run
                    # must never hang or fail on tidying up a throwaway database.
                    conn.exec_driver_sql("SET statement_timeout = '120s'")
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            except Exception as exc:  # leave it behind, say so, and let the run report its real result
                warnings.warn(f"could not drop test database {self.name}: {exc}")
            finally:
                engine.dispose()


@pytest.fixture(scope="session")
def database():
    database = Database()
    yield database
    database.drop()


class IsolatedClient(FlaskClient):
    """A test client whose requests run in their own app context, like real requests.

    Tests hold an app context for direct database work; without this, requests would share the test's
    `g` (Flask-Login caches the user there) and its database session. The test's pending work is
    committed first (a request can only see committed rows) and its objects are expired afterwards.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            _db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            _db.session.commit()
            _db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(database):
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database.url, SECRET_KEY="test-secret-key-" + "x" * 32)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean(request, app):
    """Each test starts with empty tables and a fresh rate limiter, inside an app context."""
    limiter.reset()
    ctx = app.app_context()
    ctx.push()
    yield
    _db.session.rollback()
    _db.session.remove()
    empty_tables()
    app.extensions.pop("payments_gateway", None)  # ids restart, so a simulated gateway's idempotency keys must too
    app.extensions.pop("assignment.facts_cache", None)  # so do person and job ids (and frozen clocks repeat)
    ctx.pop()


def empty_tables():
    """Empty every table a test wrote to. On PostgreSQL, one query finds the non-empty tables and only
    those are truncated (TRUNCATE has a fixed cost per table, which dominated the run)."""
    tables = [t for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            probe = " UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables)
            dirty = [row[0] for row in conn.exec_driver_sql(probe)] if tables else []
            if dirty:
                names = ", ".join(f'"{name}"' for name in dirty)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """Log a user into the test client without going through the (throttled) login form."""
    def _login(user, test_client=None):
        target = test_client or client
        with target.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return target
    return _login


@pytest.fixture
def csrf_app(app):
    """Turn CSRF protection on for one test."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False
