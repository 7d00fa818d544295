"""Assessments: qualifications, assessments and item banks, attempts with copied items, trainers'
qualifications, item contests and qualification decisions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:29:04.453855

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('qualifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('language', 'expertise', 'task_skill')", name=op.f('ck_qualifications_kind')),
    sa.CheckConstraint('validity_days IS NULL OR validity_days > 0', name=op.f('ck_qualifications_validity_days')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualifications')),
    sa.UniqueConstraint('key', name=op.f('uq_qualifications_key'))
    )
    op.create_table('assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('qualification_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('content_warning', sa.Text(), nullable=False),
    sa.Column('items_per_attempt', sa.Integer(), nullable=False),
    sa.Column('pass_mark_percent', sa.Integer(), nullable=False),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('cooldown_hours', sa.Integer(), nullable=False),
    sa.Column('requires_review', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('bank_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cooldown_hours >= 0', name=op.f('ck_assessments_cooldown')),
    sa.CheckConstraint('items_per_attempt > 0', name=op.f('ck_assessments_items_per_attempt')),
    sa.CheckConstraint('max_attempts > 0', name=op.f('ck_assessments_max_attempts')),
    sa.CheckConstraint('pass_mark_percent BETWEEN 1 AND 100', name=op.f('ck_assessments_pass_mark')),
    sa.CheckConstraint('time_limit_minutes > 0', name=op.f('ck_assessments_time_limit')),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'], name=op.f('fk_assessments_qualification_id_qualifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('key', name=op.f('uq_assessments_key'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_qualification_id'), ['qualification_id'], unique=False)

    op.create_table('assessment_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('qualification_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('bank_version', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_saved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_late', sa.Boolean(), nullable=False),
    sa.Column('is_auto_submitted', sa.Boolean(), nullable=False),
    sa.Column('time_limit_seconds', sa.Integer(), nullable=False),
    sa.Column('pass_mark_percent', sa.Integer(), nullable=False),
    sa.Column('requires_review', sa.Boolean(), nullable=False),
    sa.Column('scored_items', sa.Integer(), nullable=False),
    sa.Column('correct_items', sa.Integer(), nullable=False),
    sa.Column('paid_seconds', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('in_progress', 'pending_review', 'passed', 'failed')", name=op.f('ck_assessment_attempts_status')),
    sa.CheckConstraint('correct_items >= 0 AND correct_items <= scored_items', name=op.f('ck_assessment_attempts_score')),
    sa.CheckConstraint('paid_seconds IS NULL OR (paid_seconds >= 0 AND paid_seconds <= time_limit_seconds)', name=op.f('ck_assessment_attempts_paid_seconds')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_attempts_assessment_id_assessments')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_assessment_attempts_decided_by_id_users')),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'], name=op.f('fk_assessment_attempts_qualification_id_qualifications')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assessment_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_attempts')),
    sa.UniqueConstraint('user_id', 'qualification_id', 'number', name=op.f('uq_assessment_attempts_user_id_qualification_id_number'))
    )
    with op.batch_alter_table('assessment_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_attempts_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_attempts_qualification_id'), ['qualification_id'], unique=False)
        batch_op.create_index('ix_assessment_attempts_status_submitted', ['status', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_attempts_user_id'), ['user_id'], unique=False)

    op.create_table('assessment_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('rationale_required', sa.Boolean(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('single_choice', 'multiple_choice', 'free_text')", name=op.f('ck_assessment_items_kind')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_assessment_items_assessment_id_assessments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_items')),
    sa.UniqueConstraint('assessment_id', 'key', name=op.f('uq_assessment_items_assessment_id_key'))
    )
    with op.batch_alter_table('assessment_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_items_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('attempt_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('rationale_required', sa.Boolean(), nullable=False),
    sa.Column('selected', sa.JSON(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_correct', sa.Boolean(), nullable=True),
    sa.Column('rationale_mark', sa.String(length=16), nullable=True),
    sa.CheckConstraint("kind IN ('single_choice', 'multiple_choice', 'free_text')", name=op.f('ck_attempt_items_kind')),
    sa.CheckConstraint("rationale_mark IS NULL OR rationale_mark IN ('acceptable', 'not_acceptable')", name=op.f('ck_attempt_items_rationale_mark')),
    sa.ForeignKeyConstraint(['attempt_id'], ['assessment_attempts.id'], name=op.f('fk_attempt_items_attempt_id_assessment_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['assessment_items.id'], name=op.f('fk_attempt_items_item_id_assessment_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_items')),
    sa.UniqueConstraint('attempt_id', 'item_id', name=op.f('uq_attempt_items_attempt_id_item_id')),
    sa.UniqueConstraint('attempt_id', 'position', name=op.f('uq_attempt_items_attempt_id_position'))
    )
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_items_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_items_content_hash'), ['content_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_items_item_id'), ['item_id'], unique=False)

    op.create_table('qualification_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('qualification_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.CheckConstraint("kind IN ('passed', 'failed', 'review_approved', 'review_rejected', 'admin_grant', 'revocation', 'expiry', 'regrade')", name=op.f('ck_qualification_decisions_kind')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_qualification_decisions_actor_id_users')),
    sa.ForeignKeyConstraint(['attempt_id'], ['assessment_attempts.id'], name=op.f('fk_qualification_decisions_attempt_id_assessment_attempts')),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'], name=op.f('fk_qualification_decisions_qualification_id_qualifications')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_qualification_decisions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification_decisions'))
    )
    with op.batch_alter_table('qualification_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qualification_decisions_user_id'), ['user_id'], unique=False)

    op.create_table('trainer_qualifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('qualification_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expiry_warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.Column('cycle_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('assessment', 'admin')", name=op.f('ck_trainer_qualifications_source')),
    sa.CheckConstraint("status IN ('active', 'expired', 'revoked')", name=op.f('ck_trainer_qualifications_status')),
    sa.ForeignKeyConstraint(['attempt_id'], ['assessment_attempts.id'], name=op.f('fk_trainer_qualifications_attempt_id_assessment_attempts')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_trainer_qualifications_granted_by_id_users')),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'], name=op.f('fk_trainer_qualifications_qualification_id_qualifications')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_trainer_qualifications_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_trainer_qualifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trainer_qualifications')),
    sa.UniqueConstraint('user_id', 'qualification_id', name=op.f('uq_trainer_qualifications_user_id_qualification_id'))
    )
    with op.batch_alter_table('trainer_qualifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trainer_qualifications_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_trainer_qualifications_qualification_id'), ['qualification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trainer_qualifications_user_id'), ['user_id'], unique=False)

    op.create_table('item_contests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('previous_answer', sa.JSON(), nullable=True),
    sa.Column('corrected_answer', sa.JSON(), nullable=True),
    sa.Column('regraded_attempts', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'answered')", name=op.f('ck_item_contests_status')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_item_contests_answered_by_id_users')),
    sa.ForeignKeyConstraint(['attempt_item_id'], ['attempt_items.id'], name=op.f('fk_item_contests_attempt_item_id_attempt_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_item_contests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_contests')),
    sa.UniqueConstraint('attempt_item_id', name=op.f('uq_item_contests_attempt_item_id'))
    )
    with op.batch_alter_table('item_contests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_contests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_contests_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('item_contests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_contests_user_id'))
        batch_op.drop_index(batch_op.f('ix_item_contests_status'))

    op.drop_table('item_contests')
    with op.batch_alter_table('trainer_qualifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainer_qualifications_user_id'))
        batch_op.drop_index(batch_op.f('ix_trainer_qualifications_qualification_id'))
        batch_op.drop_index(batch_op.f('ix_trainer_qualifications_expires_at'))

    op.drop_table('trainer_qualifications')
    with op.batch_alter_table('qualification_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qualification_decisions_user_id'))

    op.drop_table('qualification_decisions')
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_items_item_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_items_content_hash'))
        batch_op.drop_index(batch_op.f('ix_attempt_items_attempt_id'))

    op.drop_table('attempt_items')
    with op.batch_alter_table('assessment_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_items_assessment_id'))

    op.drop_table('assessment_items')
    with op.batch_alter_table('assessment_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_attempts_user_id'))
        batch_op.drop_index('ix_assessment_attempts_status_submitted')
        batch_op.drop_index(batch_op.f('ix_assessment_attempts_qualification_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_attempts_assessment_id'))

    op.drop_table('assessment_attempts')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_qualification_id'))

    op.drop_table('assessments')
    op.drop_table('qualifications')
