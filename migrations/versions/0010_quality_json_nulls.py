"""Quality: tasks without a gold answer (or metadata) hold SQL NULL, never the JSON value null.

Before 0007 the jobs room stored a missing gold answer as JSON null; since then `Task.gold` is
JSON(none_as_null=True) and every reader of gold (the gold claim's partial index and filter `gold IS NOT NULL`,
the dashboard's count of gold tasks, the task list's gold filter) means SQL NULL. A database upgraded from
before 0007 could still hold JSON null there, and the claim would then hand out ordinary tasks as gold past the
job's overlap. This rewrites them to SQL NULL. Data only: the downgrade has nothing to undo.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = ("gold", "meta")


def normalise(connection) -> int:
    """Rewrite JSON null to SQL NULL in tasks.gold and tasks.meta; returns how many cells changed."""
    changed = 0
    for column in COLUMNS:
        # PostgreSQL's json type has no equality operator: compare its text. SQLite stores the text itself.
        cell = f"{column}::text" if connection.dialect.name == "postgresql" else column
        changed += connection.execute(sa.text(
            f"UPDATE tasks SET {column} = NULL WHERE {column} IS NOT NULL AND {cell} = 'null'")).rowcount
    return changed


def upgrade():
    normalise(op.get_bind())


def downgrade():
    pass
