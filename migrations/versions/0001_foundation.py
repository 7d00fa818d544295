"""Foundation: users, trainer languages and expertise, audit log, notices, e-mail outbox, scheduler lease.

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 10:11:43.259529

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('outbound_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name=op.f('ck_outbound_emails_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_emails'))
    )
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_emails_status'), ['status'], unique=False)

    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('weekly_goal_minutes', sa.Integer(), nullable=True),
    sa.Column('weekly_cap_minutes', sa.Integer(), nullable=True),
    sa.Column('organisation', sa.String(length=200), nullable=True),
    sa.Column('billing_email', sa.String(length=320), nullable=True),
    sa.CheckConstraint("role IN ('worker', 'requester', 'admin')", name=op.f('ck_users_role')),
    sa.CheckConstraint("status IN ('active', 'suspended', 'deactivated')", name=op.f('ck_users_status')),
    sa.CheckConstraint('weekly_cap_minutes IS NULL OR weekly_cap_minutes BETWEEN 0 AND 10080', name=op.f('ck_users_weekly_cap')),
    sa.CheckConstraint('weekly_goal_minutes IS NULL OR weekly_goal_minutes BETWEEN 0 AND 10080', name=op.f('ck_users_weekly_goal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('subject_user_id', sa.Integer(), nullable=True),
    sa.Column('subject_type', sa.String(length=40), nullable=True),
    sa.Column('subject_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('request_id', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['subject_user_id'], ['users.id'], name=op.f('fk_audit_events_subject_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index('ix_audit_events_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_subject_user_id'), ['subject_user_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_banner', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_notices_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('trainer_expertise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_trainer_expertise_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trainer_expertise')),
    sa.UniqueConstraint('user_id', 'area', name=op.f('uq_trainer_expertise_user_id_area'))
    )
    with op.batch_alter_table('trainer_expertise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trainer_expertise_user_id'), ['user_id'], unique=False)

    op.create_table('trainer_languages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('proficiency', sa.String(length=16), nullable=False),
    sa.CheckConstraint("proficiency IN ('native', 'fluent', 'professional', 'basic')", name=op.f('ck_trainer_languages_proficiency')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_trainer_languages_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trainer_languages')),
    sa.UniqueConstraint('user_id', 'code', name=op.f('uq_trainer_languages_user_id_code'))
    )
    with op.batch_alter_table('trainer_languages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trainer_languages_user_id'), ['user_id'], unique=False)




def downgrade():
    
    with op.batch_alter_table('trainer_languages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainer_languages_user_id'))

    op.drop_table('trainer_languages')
    with op.batch_alter_table('trainer_expertise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trainer_expertise_user_id'))

    op.drop_table('trainer_expertise')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_user_unread')
        batch_op.drop_index(batch_op.f('ix_notices_user_id'))

    op.drop_table('notices')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_subject_user_id'))
        batch_op.drop_index('ix_audit_events_subject')
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))

    op.drop_table('users')
    op.drop_table('scheduler_leases')
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_emails_status'))

    op.drop_table('outbound_emails')

