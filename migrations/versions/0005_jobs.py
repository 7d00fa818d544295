"""Jobs: jobs, tasks, task import runs, content-warning acceptances; API tokens and idempotent responses
(the requester API's access tables live in accounts, created here with the room that first needs them).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 10:28:39.957195

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('idempotency_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_records_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_idempotency_records_user_id_key'))
    )

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paused_reason', sa.String(length=16), nullable=True),
    sa.Column('required_languages', sa.JSON(), nullable=False),
    sa.Column('required_expertise', sa.JSON(), nullable=False),
    sa.Column('required_qualifications', sa.JSON(), nullable=False),
    sa.Column('allowed_countries', sa.JSON(), nullable=False),
    sa.Column('country_reason', sa.Text(), nullable=False),
    sa.Column('content_warning', sa.Text(), nullable=False),
    sa.Column('hourly_rate_cents', sa.Integer(), nullable=False),
    sa.Column('est_minutes_per_task', sa.Integer(), nullable=False),
    sa.Column('weekly_limit_minutes', sa.Integer(), nullable=True),
    sa.Column('budget_cents', sa.Integer(), nullable=False),
    sa.Column('answers_per_task', sa.Integer(), nullable=False),
    sa.Column('review_policy', sa.String(length=16), nullable=False),
    sa.Column('review_window_hours', sa.Integer(), nullable=False),
    sa.Column('reservation_minutes', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('task_count', sa.Integer(), nullable=False),
    sa.Column('tasks_done', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('classification', 'bounding_boxes', 'writing', 'pairwise_preference', 'rating', 'code_review')", name=op.f('ck_jobs_kind')),
    sa.CheckConstraint("paused_reason IS NULL OR paused_reason IN ('requester', 'budget')", name=op.f('ck_jobs_paused_reason')),
    sa.CheckConstraint("review_policy IN ('auto', 'requester', 'peer')", name=op.f('ck_jobs_review_policy')),
    sa.CheckConstraint("status IN ('draft', 'published', 'paused', 'closed')", name=op.f('ck_jobs_status')),
    sa.CheckConstraint('answers_per_task BETWEEN 1 AND 10', name=op.f('ck_jobs_answers_per_task')),
    sa.CheckConstraint('budget_cents >= 0', name=op.f('ck_jobs_budget_not_negative')),
    sa.CheckConstraint('est_minutes_per_task BETWEEN 1 AND 600', name=op.f('ck_jobs_est_minutes')),
    sa.CheckConstraint('hourly_rate_cents > 0', name=op.f('ck_jobs_rate_positive')),
    sa.CheckConstraint('task_count >= 0 AND tasks_done >= 0', name=op.f('ck_jobs_counters')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_jobs_requester_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)

    op.create_table('content_warning_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('warning_text', sa.Text(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_content_warning_acceptances_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_content_warning_acceptances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_warning_acceptances')),
    sa.UniqueConstraint('job_id', 'user_id', name=op.f('uq_content_warning_acceptances_job_id_user_id'))
    )
    with op.batch_alter_table('content_warning_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_warning_acceptances_user_id'), ['user_id'], unique=False)

    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('file_format', sa.String(length=8), nullable=False),
    sa.Column('original_name', sa.String(length=300), nullable=False),
    sa.Column('file_key', sa.String(length=300), nullable=False),
    sa.Column('images_key', sa.String(length=300), nullable=True),
    sa.Column('total_bytes', sa.BigInteger(), nullable=False),
    sa.Column('bytes_read', sa.BigInteger(), nullable=False),
    sa.Column('rows_seen', sa.Integer(), nullable=False),
    sa.Column('rows_imported', sa.Integer(), nullable=False),
    sa.Column('rows_invalid', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('errors_preview', sa.JSON(), nullable=False),
    sa.Column('error_report_key', sa.String(length=300), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("file_format IN ('jsonl', 'csv')", name=op.f('ck_import_runs_file_format')),
    sa.CheckConstraint("mode IN ('all_or_nothing', 'skip_invalid')", name=op.f('ck_import_runs_mode')),
    sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f('ck_import_runs_status')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_import_runs_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_import_runs_requester_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_runs_status'), ['status'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('gold', sa.JSON(), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('import_run_id', sa.Integer(), nullable=True),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('answers_done', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_run_id'], ['import_runs.id'], name=op.f('fk_tasks_import_run_id_import_runs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_tasks_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('job_id', 'seq', name=op.f('uq_tasks_job_id_seq'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_job_external', ['job_id', 'external_id'], unique=False)
        batch_op.create_index('ix_tasks_job_open', ['job_id', 'is_open'], unique=False)


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_job_open')
        batch_op.drop_index('ix_tasks_job_external')

    op.drop_table('tasks')
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_runs_status'))
        batch_op.drop_index(batch_op.f('ix_import_runs_job_id'))

    op.drop_table('import_runs')
    with op.batch_alter_table('content_warning_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_warning_acceptances_user_id'))

    op.drop_table('content_warning_acceptances')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_jobs_requester_id'))

    op.drop_table('jobs')

    op.drop_table('idempotency_records')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
