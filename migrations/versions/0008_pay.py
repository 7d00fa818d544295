"""Pay room: work sessions (one open job session per trainer, never across two pay weeks), weekly timesheets,
session disputes, bonuses and weekly pay statements.

down_revision is the work engine's migration (0006): sessions and timesheets reference jobs and attempts.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-26 10:51:48.591792

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pay_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('worked_seconds', sa.Integer(), nullable=False),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('paid', 'held')", name=op.f('ck_pay_statements_outcome')),
    sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_pay_statements_trainer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pay_statements')),
    sa.UniqueConstraint('trainer_id', 'week_start', name=op.f('uq_pay_statements_trainer_id_week_start'))
    )
    op.create_table('bonuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('escrow', 'funds')", name=op.f('ck_bonuses_source')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_bonuses_positive')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_bonuses_has_reason')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_bonuses_job_id_jobs')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_bonuses_requester_id_users')),
    sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_bonuses_trainer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bonuses')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_bonuses_idempotency_key'))
    )
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bonuses_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonuses_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bonuses_trainer_id'), ['trainer_id'], unique=False)

    op.create_table('timesheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('fee_basis_points', sa.Integer(), nullable=False),
    sa.Column('recorded_seconds', sa.Integer(), nullable=False),
    sa.Column('settled_seconds', sa.Integer(), nullable=False),
    sa.Column('settled_pay_cents', sa.BigInteger(), nullable=False),
    sa.Column('settled_fee_cents', sa.BigInteger(), nullable=False),
    sa.Column('rate_cents', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status <> 'approved' OR approved_at IS NOT NULL", name=op.f('ck_timesheets_approved_has_time')),
    sa.CheckConstraint("status IN ('open', 'submitted', 'approved')", name=op.f('ck_timesheets_status')),
    sa.CheckConstraint('settled_seconds >= 0 AND settled_pay_cents >= 0 AND settled_fee_cents >= 0', name=op.f('ck_timesheets_settled_not_negative')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_timesheets_approved_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_timesheets_job_id_jobs')),
    sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_timesheets_trainer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timesheets')),
    sa.UniqueConstraint('trainer_id', 'job_id', 'week_start', name=op.f('uq_timesheets_trainer_id_job_id_week_start'))
    )
    with op.batch_alter_table('timesheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timesheets_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_timesheets_status_due', ['status', 'review_due_at'], unique=False)
        batch_op.create_index('ix_timesheets_trainer_week', ['trainer_id', 'week_start'], unique=False)

    op.create_table('work_sessions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('timesheet_id', sa.Integer(), nullable=True),
    sa.Column('week_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=16), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.Column('idle_seconds', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'assessment') = (attempt_id IS NOT NULL)", name=op.f('ck_work_sessions_attempt_for_assessment')),
    sa.CheckConstraint("close_reason IS NULL OR close_reason IN ('idle', 'stopped', 'switched', 'week_end', 'attempt')", name=op.f('ck_work_sessions_close_reason')),
    sa.CheckConstraint("kind = 'assessment' OR (job_id IS NOT NULL AND timesheet_id IS NOT NULL)", name=op.f('ck_work_sessions_job_work_has_timesheet')),
    sa.CheckConstraint("kind IN ('job', 'review', 'assessment')", name=op.f('ck_work_sessions_kind')),
    sa.CheckConstraint('closed_at IS NULL OR closed_at >= last_activity_at', name=op.f('ck_work_sessions_closed_after_activity')),
    sa.CheckConstraint('last_activity_at >= started_at', name=op.f('ck_work_sessions_activity_after_start')),
    sa.CheckConstraint('seconds >= 0 AND idle_seconds >= 0', name=op.f('ck_work_sessions_seconds_not_negative')),
    sa.ForeignKeyConstraint(['attempt_id'], ['assessment_attempts.id'], name=op.f('fk_work_sessions_attempt_id_assessment_attempts')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_work_sessions_job_id_jobs')),
    sa.ForeignKeyConstraint(['timesheet_id'], ['timesheets.id'], name=op.f('fk_work_sessions_timesheet_id_timesheets')),
    sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_work_sessions_trainer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_sessions')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_work_sessions_attempt_id'))
    )
    with op.batch_alter_table('work_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_work_sessions_job_week', ['job_id', 'week_start'], unique=False)
        batch_op.create_index('ix_work_sessions_open', ['last_activity_at'], unique=False, postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_work_sessions_timesheet_id'), ['timesheet_id'], unique=False)
        batch_op.create_index('ix_work_sessions_trainer_start', ['trainer_id', 'started_at'], unique=False)
        batch_op.create_index('ix_work_sessions_week_trainer', ['week_start', 'trainer_id', 'seconds'], unique=False)
        batch_op.create_index('uq_work_sessions_one_open', ['trainer_id'], unique=True, postgresql_where=sa.text("closed_at IS NULL AND kind <> 'assessment'"), sqlite_where=sa.text("closed_at IS NULL AND kind <> 'assessment'"))

    op.create_table('session_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('timesheet_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recorded_seconds', sa.Integer(), nullable=False),
    sa.Column('proposed_seconds', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trainer_answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('admin_id', sa.Integer(), nullable=True),
    sa.Column('admin_reason', sa.Text(), nullable=True),
    sa.Column('decided_seconds', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'accepted', 'contested', 'escalated', 'withdrawn', 'upheld', 'rejected', 'reversed')", name=op.f('ck_session_disputes_status')),
    sa.CheckConstraint("status NOT IN ('upheld', 'rejected') OR (admin_reason IS NOT NULL AND decided_at IS NOT NULL)", name=op.f('ck_session_disputes_decision_has_reason')),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_session_disputes_has_reason')),
    sa.CheckConstraint('proposed_seconds >= 0 AND proposed_seconds < recorded_seconds', name=op.f('ck_session_disputes_proposal_shortens')),
    sa.ForeignKeyConstraint(['admin_id'], ['users.id'], name=op.f('fk_session_disputes_admin_id_users')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_session_disputes_requester_id_users')),
    sa.ForeignKeyConstraint(['session_id'], ['work_sessions.id'], name=op.f('fk_session_disputes_session_id_work_sessions')),
    sa.ForeignKeyConstraint(['timesheet_id'], ['timesheets.id'], name=op.f('fk_session_disputes_timesheet_id_timesheets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_disputes')),
    sa.UniqueConstraint('session_id', name=op.f('uq_session_disputes_session_id'))
    )
    with op.batch_alter_table('session_disputes', schema=None) as batch_op:
        batch_op.create_index('ix_session_disputes_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_disputes_timesheet_id'), ['timesheet_id'], unique=False)



def downgrade():
    with op.batch_alter_table('session_disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_disputes_timesheet_id'))
        batch_op.drop_index('ix_session_disputes_status')

    op.drop_table('session_disputes')
    with op.batch_alter_table('work_sessions', schema=None) as batch_op:
        batch_op.drop_index('uq_work_sessions_one_open', postgresql_where=sa.text("closed_at IS NULL AND kind <> 'assessment'"), sqlite_where=sa.text("closed_at IS NULL AND kind <> 'assessment'"))
        batch_op.drop_index('ix_work_sessions_week_trainer')
        batch_op.drop_index('ix_work_sessions_trainer_start')
        batch_op.drop_index(batch_op.f('ix_work_sessions_timesheet_id'))
        batch_op.drop_index('ix_work_sessions_open', postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index('ix_work_sessions_job_week')

    op.drop_table('work_sessions')
    with op.batch_alter_table('timesheets', schema=None) as batch_op:
        batch_op.drop_index('ix_timesheets_trainer_week')
        batch_op.drop_index('ix_timesheets_status_due')
        batch_op.drop_index(batch_op.f('ix_timesheets_job_id'))

    op.drop_table('timesheets')
    with op.batch_alter_table('bonuses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bonuses_trainer_id'))
        batch_op.drop_index(batch_op.f('ix_bonuses_requester_id'))
        batch_op.drop_index(batch_op.f('ix_bonuses_job_id'))

    op.drop_table('bonuses')
    op.drop_table('pay_statements')
