"""Moderation: code of conduct, sanctions with clauses and evidence, appeals with attachments and escalations,
requester blocks, country withdrawals, harmful-content exposure settings.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26 10:27:57.352017

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('appellant_id', sa.Integer(), nullable=False),
    sa.Column('decision_maker_id', sa.Integer(), nullable=True),
    sa.Column('decision_made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('restored_summary', sa.Text(), nullable=False),
    sa.CheckConstraint("(status = 'open' AND decided_by_id IS NULL AND decided_at IS NULL) OR (status <> 'open' AND decided_by_id IS NOT NULL AND decided_at IS NOT NULL AND length(trim(decision_reason)) >= 20)", name=op.f('ck_appeals_decided_in_writing')),
    sa.CheckConstraint("status IN ('open', 'upheld', 'overturned')", name=op.f('ck_appeals_status')),
    sa.CheckConstraint('deadline_at > filed_at', name=op.f('ck_appeals_deadline')),
    sa.CheckConstraint('decided_by_id IS NULL OR decided_by_id <> appellant_id', name=op.f('ck_appeals_not_own_appeal')),
    sa.CheckConstraint('decided_by_id IS NULL OR decision_maker_id IS NULL OR decided_by_id <> decision_maker_id', name=op.f('ck_appeals_four_eyes')),
    sa.CheckConstraint('filed_at <= window_closes_at', name=op.f('ck_appeals_within_window')),
    sa.CheckConstraint('length(trim(text)) >= 20', name=op.f('ck_appeals_text_written')),
    sa.ForeignKeyConstraint(['appellant_id'], ['users.id'], name=op.f('fk_appeals_appellant_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_appeals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['decision_maker_id'], ['users.id'], name=op.f('fk_appeals_decision_maker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
    sa.UniqueConstraint('kind', 'subject_id', name=op.f('uq_appeals_kind_subject_id'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_appellant_id'), ['appellant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_deadline_at'), ['deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_status'), ['status'], unique=False)

    op.create_table('conduct_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_conduct_versions_number_positive')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_conduct_versions_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conduct_versions')),
    sa.UniqueConstraint('number', name=op.f('uq_conduct_versions_number'))
    )
    op.create_table('country_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('announced_by_id', sa.Integer(), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('took_effect_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=False),
    sa.Column('payouts_settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'effective' OR took_effect_at IS NOT NULL", name=op.f('ck_country_withdrawals_took_effect')),
    sa.CheckConstraint("status IN ('scheduled', 'effective', 'cancelled')", name=op.f('ck_country_withdrawals_status')),
    sa.CheckConstraint('effective_at > announced_at', name=op.f('ck_country_withdrawals_notice_period')),
    sa.CheckConstraint('length(trim(reason)) >= 20', name=op.f('ck_country_withdrawals_reason_written')),
    sa.ForeignKeyConstraint(['announced_by_id'], ['users.id'], name=op.f('fk_country_withdrawals_announced_by_id_users')),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_country_withdrawals_cancelled_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_country_withdrawals'))
    )
    with op.batch_alter_table('country_withdrawals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_country_withdrawals_effective_at'), ['effective_at'], unique=False)
        batch_op.create_index('uq_country_withdrawals_live_country', ['country'], unique=True, sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))

    op.create_table('exposure_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_opted_out', sa.Boolean(), nullable=False),
    sa.Column('daily_limit_minutes', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('daily_limit_minutes IS NULL OR daily_limit_minutes BETWEEN 0 AND 1440', name=op.f('ck_exposure_settings_daily_limit')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_exposure_settings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_exposure_settings'))
    )
    op.create_table('requester_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("status = 'active' OR ended_at IS NOT NULL", name=op.f('ck_requester_blocks_ended_at')),
    sa.CheckConstraint("status IN ('active', 'lifted', 'overturned')", name=op.f('ck_requester_blocks_status')),
    sa.CheckConstraint('length(trim(reason)) >= 20', name=op.f('ck_requester_blocks_reason_written')),
    sa.CheckConstraint('requester_id <> trainer_id', name=op.f('ck_requester_blocks_not_self')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_requester_blocks_ended_by_id_users')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_requester_blocks_requester_id_users')),
    sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_requester_blocks_trainer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requester_blocks'))
    )
    with op.batch_alter_table('requester_blocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requester_blocks_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_requester_blocks_trainer_id'), ['trainer_id'], unique=False)
        batch_op.create_index('uq_requester_blocks_active_pair', ['requester_id', 'trainer_id'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('is_severe', sa.Boolean(), nullable=False),
    sa.Column('severity_justification', sa.Text(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("(level = 'temporary' AND ends_at IS NOT NULL AND ends_at > starts_at) OR (level <> 'temporary' AND ends_at IS NULL)", name=op.f('ck_sanctions_end_date')),
    sa.CheckConstraint("(scope = 'platform' AND scope_id IS NULL) OR (scope <> 'platform' AND scope_id IS NOT NULL)", name=op.f('ck_sanctions_scope_id')),
    sa.CheckConstraint("level IN ('warning', 'temporary', 'permanent')", name=op.f('ck_sanctions_level')),
    sa.CheckConstraint("scope IN ('platform', 'job', 'requester')", name=op.f('ck_sanctions_scope')),
    sa.CheckConstraint("status = 'active' OR ended_at IS NOT NULL", name=op.f('ck_sanctions_ended_at')),
    sa.CheckConstraint("status IN ('active', 'expired', 'lifted', 'overturned')", name=op.f('ck_sanctions_status')),
    sa.CheckConstraint('NOT is_severe OR length(trim(severity_justification)) >= 20', name=op.f('ck_sanctions_severity_justified')),
    sa.CheckConstraint('issued_by_id <> user_id', name=op.f('ck_sanctions_not_self')),
    sa.CheckConstraint('length(trim(reason)) >= 50', name=op.f('ck_sanctions_reason_written')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_sanctions_ended_by_id_users')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_sanctions_issued_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sanctions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctions'))
    )
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanctions_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sanctions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_sanctions_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_sanctions_user_status', ['user_id', 'status'], unique=False)

    op.create_table('appeal_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf')", name=op.f('ck_appeal_attachments_content_type')),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_appeal_attachments_size_positive')),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_appeal_attachments_appeal_id_appeals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal_attachments')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_appeal_attachments_storage_key'))
    )
    with op.batch_alter_table('appeal_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_attachments_appeal_id'), ['appeal_id'], unique=False)

    op.create_table('appeal_escalations',
    sa.Column('appeal_id', sa.Integer(), nullable=False),
    sa.Column('admin_id', sa.Integer(), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['admin_id'], ['users.id'], name=op.f('fk_appeal_escalations_admin_id_users')),
    sa.ForeignKeyConstraint(['appeal_id'], ['appeals.id'], name=op.f('fk_appeal_escalations_appeal_id_appeals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('appeal_id', 'admin_id', name=op.f('pk_appeal_escalations'))
    )
    op.create_table('conduct_clauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.CheckConstraint('length(trim(title)) > 0 AND length(trim(text)) > 0', name=op.f('ck_conduct_clauses_written')),
    sa.ForeignKeyConstraint(['version_id'], ['conduct_versions.id'], name=op.f('fk_conduct_clauses_version_id_conduct_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conduct_clauses')),
    sa.UniqueConstraint('version_id', 'number', name=op.f('uq_conduct_clauses_version_id_number'))
    )
    with op.batch_alter_table('conduct_clauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conduct_clauses_version_id'), ['version_id'], unique=False)

    op.create_table('sanction_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.CheckConstraint('url IS NOT NULL OR length(trim(description)) > 0', name=op.f('ck_sanction_evidence_not_empty')),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'], name=op.f('fk_sanction_evidence_sanction_id_sanctions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction_evidence'))
    )
    with op.batch_alter_table('sanction_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanction_evidence_sanction_id'), ['sanction_id'], unique=False)

    op.create_table('sanction_clauses',
    sa.Column('sanction_id', sa.Integer(), nullable=False),
    sa.Column('clause_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['clause_id'], ['conduct_clauses.id'], name=op.f('fk_sanction_clauses_clause_id_conduct_clauses')),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'], name=op.f('fk_sanction_clauses_sanction_id_sanctions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sanction_id', 'clause_id', name=op.f('pk_sanction_clauses'))
    )


def downgrade():
    # Dropping a table drops its indexes too; children before parents.
    for table in ("sanction_clauses", "sanction_evidence", "conduct_clauses", "appeal_escalations",
                  "appeal_attachments", "sanctions", "requester_blocks", "exposure_settings", "country_withdrawals",
                  "conduct_versions", "appeals"):
        op.drop_table(table)
