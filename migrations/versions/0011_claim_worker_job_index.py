"""Claim path: index assignments by (worker_id, job_id), so the per-claim count of a trainer's rows on a job (the
gold-mix position) and their live reservations on it read an index, not every row the trainer ever held.

Revision ID: 0011
Revises: 0010
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_worker_job', ['worker_id', 'job_id'], unique=False)


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_worker_job')
