"""Migrations: upgrading an empty database gives exactly the models' schema; downgrading to base empties it."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from config import TestConfig
from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import Database


def trigger_definitions(conn) -> dict[str, str]:
    """Every trigger's full definition (and on PostgreSQL each trigger function's body), by name."""
    if conn.dialect.name == "postgresql":
        found = dict(conn.exec_driver_sql(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal").all())
        found.update(conn.exec_driver_sql(
            "SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'facts_bump_%%'").all())
        return found
    return dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all())


def test_upgrade_from_empty_equals_models_and_downgrade_to_base_works(app):
    """`app` is the session's app: its database was made by create_all, the one compared with here."""
    from marketplace.assignment import facts_cache
    fresh = Database()  # its own database, so the session's schema is untouched
    try:
        migrated_app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=fresh.url, SECRET_KEY="m" * 40)
        with migrated_app.app_context():
            upgrade(revision="heads")
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
                migrated_triggers = trigger_definitions(conn)
            assert diff == [], f"models and migrations differ: {diff}"
            downgrade(revision="base")
            with db.engine.connect() as conn:
                left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
            assert left == set()
            db.engine.dispose()
    finally:
        fresh.drop()
    # The eligibility triggers (assignment/facts_cache.py; their SQL is written twice, since migrations never
    # import app code): migration 0012 makes exactly what create_all makes, name for name and word for word.
    with app.app_context(), db.engine.connect() as conn:
        created_triggers = trigger_definitions(conn)
        postgres = conn.dialect.name == "postgresql"
    ops = ("",) if postgres else ("_insert", "_update", "_delete")
    wanted = {f"facts_{table}{op}" for table in facts_cache.DEPENDENCIES for op in ops}
    assert wanted <= set(migrated_triggers)
    assert migrated_triggers == created_triggers


def test_migration_chain_is_linear_and_numbered():
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from pathlib import Path
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parents[1] / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1, "migrations must form one chain; renumber the newest file"
    for revision in script.walk_revisions():
        assert revision.revision.isdigit() and len(revision.revision) == 4
