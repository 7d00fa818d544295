"""Work interfaces: code_runs (each "Run tests" on a code-review task, so the answer carries a result the server
produced), and the "harmful" return reason (a trainer flags a task; the requester is told).

Revision ID: 0009
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
REASONS_BEFORE = "'unclear', 'broken', 'upsetting', 'no_time', 'other'"
REASONS_AFTER = "'unclear', 'broken', 'harmful', 'upsetting', 'no_time', 'other'"
RUN_STATUSES = "'passed', 'failed', 'error', 'timeout', 'cpu_limit', 'killed_memory', 'output_truncated'"


def _return_reasons(values: str) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table with the new one.
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_assignments_return_reason'), type_='check')
        batch_op.create_check_constraint('return_reason', f"return_reason IS NULL OR return_reason IN ({values})")


def upgrade():
    op.create_table('code_runs',
    sa.Column('id', BigId, nullable=False),
    sa.Column('assignment_id', BigId, nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.CheckConstraint(f"status IN ({RUN_STATUSES})", name=op.f('ck_code_runs_status')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_code_runs_assignment_id_assignments'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_code_runs_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_runs'))
    )
    with op.batch_alter_table('code_runs', schema=None) as batch_op:
        batch_op.create_index('ix_code_runs_assignment', ['assignment_id', 'id'], unique=False)
    _return_reasons(REASONS_AFTER)


def downgrade():
    op.execute("UPDATE assignments SET return_reason = 'broken' WHERE return_reason = 'harmful'")
    _return_reasons(REASONS_BEFORE)
    with op.batch_alter_table('code_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_code_runs_assignment')
    op.drop_table('code_runs')
