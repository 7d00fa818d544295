"""Work engine: assignments (one trainer holding one task), the tasks' `holders` counter (in no index) and
the partial index of open tasks the claim walks.

down_revision is the jobs migration (0005) because assignments reference tasks and jobs.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:37:41.862430

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reserved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('draft', sa.JSON(), nullable=True),
    sa.Column('draft_saved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.String(length=24), nullable=True),
    sa.Column('return_note', sa.Text(), nullable=False),
    sa.CheckConstraint("return_reason IS NULL OR return_reason IN ('unclear', 'broken', 'upsetting', 'no_time', 'other')", name=op.f('ck_assignments_return_reason')),
    sa.CheckConstraint("status <> 'rejected' OR review_reason <> ''", name=op.f('ck_assignments_rejection_has_reason')),
    sa.CheckConstraint("status IN ('reserved', 'expired', 'returned') OR answer IS NOT NULL", name=op.f('ck_assignments_answered')),
    sa.CheckConstraint("status IN ('reserved', 'submitted', 'approved', 'rejected', 'expired', 'returned')", name=op.f('ck_assignments_status')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_assignments_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_assignments_reviewer_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_assignments_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_assignments_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('task_id', 'worker_id', name=op.f('uq_assignments_task_id_worker_id'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_job_status', ['job_id', 'status', 'submitted_at'], unique=False)
        batch_op.create_index('ix_assignments_reserved', ['job_id', 'expires_at'], unique=False, postgresql_where=sa.text("status = 'reserved'"), sqlite_where=sa.text("status = 'reserved'"))
        batch_op.create_index('ix_assignments_worker_status', ['worker_id', 'status'], unique=False)

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holders', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index('ix_tasks_claim', ['job_id', 'seq'], unique=False, postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))


def downgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_claim', postgresql_where=sa.text('is_open'), sqlite_where=sa.text('is_open'))
        batch_op.drop_column('holders')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_worker_status')
        batch_op.drop_index('ix_assignments_reserved', postgresql_where=sa.text("status = 'reserved'"), sqlite_where=sa.text("status = 'reserved'"))
        batch_op.drop_index('ix_assignments_job_status')

    op.drop_table('assignments')
