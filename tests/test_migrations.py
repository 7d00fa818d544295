"""Migrations: upgrading an empty database gives exactly the models' schema; downgrading to base empties it."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from config import TestConfig
from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import Database


def test_upgrade_from_empty_equals_models_and_downgrade_to_base_works():
    fresh = Database()  # its own database, so the session's schema is untouched
    try:
        app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=fresh.url, SECRET_KEY="m" * 40)
        with app.app_context():
            upgrade(revision="heads")
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            # The eligibility triggers (assignment/facts_cache.py) exist after migrating, as after create_all.
            from marketplace.assignment import facts_cache
            with db.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    triggers = set(conn.exec_driver_sql(
                        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").scalars())
                    wanted = {f"facts_{t}" for t in facts_cache.DEPENDENCIES}
                else:
                    triggers = set(conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars())
                    wanted = {f"facts_{t}_{op}" for t in facts_cache.DEPENDENCIES for op in ("insert", "update", "delete")}
            assert triggers == wanted
            downgrade(revision="base")
            with db.engine.connect() as conn:
                left = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
            assert left == set()
            db.engine.dispose()
    finally:
        fresh.drop()


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
