"""Payroll: the statements' worked time is read from the week's timesheets (recorded_seconds, one entry per trainer
and job) plus the paid assessment sessions, not by summing every session of the week again; two indexes serve it.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

ASSESSMENT = sa.text("kind = 'assessment'")


def upgrade():
    with op.batch_alter_table('timesheets', schema=None) as batch_op:
        batch_op.create_index('ix_timesheets_week_trainer', ['week_start', 'trainer_id', 'status', 'recorded_seconds'],
                              unique=False)
    with op.batch_alter_table('work_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_work_sessions_assessment_week', ['week_start', 'trainer_id', 'seconds'], unique=False,
                              postgresql_where=ASSESSMENT, sqlite_where=ASSESSMENT)


def downgrade():
    with op.batch_alter_table('work_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_work_sessions_assessment_week', postgresql_where=ASSESSMENT, sqlite_where=ASSESSMENT)
    with op.batch_alter_table('timesheets', schema=None) as batch_op:
        batch_op.drop_index('ix_timesheets_week_trainer')
