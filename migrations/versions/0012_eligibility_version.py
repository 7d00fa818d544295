"""Eligibility facts cache: users.eligibility_version, bumped by triggers on every row eligibility reads about a
person (sanctions, requester blocks, languages, expertise, qualifications, quality removals, content-warning
acceptances, and country withdrawals for everyone in the country). The claim path reuses a trainer's facts
while the version stands still (the assignment room's facts_cache.py holds the same trigger text; migrations
never import app code).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

DEPENDENCIES = {
    "sanctions": "user_id",
    "requester_blocks": "trainer_id",
    "trainer_languages": "user_id",
    "trainer_expertise": "user_id",
    "trainer_qualifications": "user_id",
    "quality_restrictions": "worker_id",
    "content_warning_acceptances": "user_id",
    "country_withdrawals": "country",
}


def _statements(dialect):
    out = []
    for table, column in DEPENDENCIES.items():
        target = "country" if column == "country" else "id"
        bump = "UPDATE users SET eligibility_version = eligibility_version + 1 WHERE {target} = {row}.{column};"
        if dialect == "postgresql":
            out.append(
                f"CREATE OR REPLACE FUNCTION facts_bump_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP <> 'INSERT' THEN {bump.format(target=target, row='OLD', column=column)} END IF; "
                f"IF TG_OP <> 'DELETE' THEN {bump.format(target=target, row='NEW', column=column)} END IF; "
                f"RETURN NULL; END $$")
            out.append(f"DROP TRIGGER IF EXISTS facts_{table} ON {table}")
            out.append(f"CREATE TRIGGER facts_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION facts_bump_{table}()")
        else:
            for op_name, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
                body = " ".join(bump.format(target=target, row=row, column=column) for row in rows)
                out.append(f"CREATE TRIGGER IF NOT EXISTS facts_{table}_{op_name.lower()} AFTER {op_name} ON {table} "
                           f"FOR EACH ROW BEGIN {body} END")
    return out


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('eligibility_version', sa.Integer(), nullable=False, server_default='0'))
    for statement in _statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in DEPENDENCIES:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS facts_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS facts_bump_{table}()")
        else:
            for op_name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS facts_{table}_{op_name}")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('eligibility_version')
