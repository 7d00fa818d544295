"""Quality room: job quality settings, gold scores, contests and corrections, quality removals, peer review
(items, reviews, disputes), agreement snapshots and per-task aggregates; and the partial index of gold tasks
on `tasks` that gold claims walk (declared by the quality room, like the work engine's claim index).

down_revision is the work engine's migration (0006): gold scores and review items reference assignments.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_quality_settings',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('is_rule_enabled', sa.Boolean(), nullable=False),
    sa.Column('min_accuracy', sa.Float(), nullable=False),
    sa.Column('min_gold_items', sa.Integer(), nullable=False),
    sa.Column('gold_window', sa.Integer(), nullable=True),
    sa.Column('return_text', sa.Text(), nullable=False),
    sa.Column('iou_threshold', sa.Float(), nullable=False),
    sa.Column('rating_tolerance', sa.Float(), nullable=False),
    sa.Column('reviewer_qualification', sa.String(length=80), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('gold_window IS NULL OR gold_window >= min_gold_items', name=op.f('ck_job_quality_settings_window')),
    sa.CheckConstraint('iou_threshold > 0 AND iou_threshold <= 1', name=op.f('ck_job_quality_settings_iou_threshold')),
    sa.CheckConstraint('min_accuracy > 0 AND min_accuracy <= 1', name=op.f('ck_job_quality_settings_min_accuracy')),
    sa.CheckConstraint('min_gold_items >= 1', name=op.f('ck_job_quality_settings_min_gold_items')),
    sa.CheckConstraint('rating_tolerance >= 0', name=op.f('ck_job_quality_settings_rating_tolerance')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_quality_settings_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_job_quality_settings'))
    )
    op.create_table('quality_restrictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('rule', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('how_to_return', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lift_kind', sa.String(length=16), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("lift_kind IS NULL OR lift_kind IN ('rescore', 'manual', 'appeal', 'qualification')", name=op.f('ck_quality_restrictions_lift_kind')),
    sa.CheckConstraint("status = 'active' OR lift_reason <> ''", name=op.f('ck_quality_restrictions_lifted_in_writing')),
    sa.CheckConstraint("status IN ('active', 'lifted')", name=op.f('ck_quality_restrictions_status')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_quality_restrictions_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_quality_restrictions_lifted_by_id_users')),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_quality_restrictions_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_restrictions'))
    )
    with op.batch_alter_table('quality_restrictions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_restrictions_worker_id'), ['worker_id'], unique=False)
        batch_op.create_index('ux_quality_restrictions_active', ['job_id', 'worker_id'], unique=True, postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))

    op.create_table('quality_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_answer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('n_answers', sa.Integer(), nullable=False),
    sa.Column('n_tasks', sa.Integer(), nullable=False),
    sa.Column('alpha', sa.Float(), nullable=True),
    sa.Column('alpha_note', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_quality_snapshots_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_snapshots'))
    )
    with op.batch_alter_table('quality_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_quality_snapshots_job', ['job_id', 'computed_at'], unique=False)

    op.create_table('task_aggregates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('n_answers', sa.Integer(), nullable=False),
    sa.Column('is_tie', sa.Boolean(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_task_aggregates_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_task_aggregates_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_aggregates')),
    sa.UniqueConstraint('task_id', 'method', name=op.f('uq_task_aggregates_task_id_method'))
    )
    with op.batch_alter_table('task_aggregates', schema=None) as batch_op:
        batch_op.create_index('ix_task_aggregates_job', ['job_id', 'method', 'task_id'], unique=False)

    op.create_table('review_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('assignment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('is_known', sa.Boolean(), nullable=False),
    sa.Column('expected_decision', sa.String(length=8), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(is_known AND expected_decision IN ('accept', 'reject') AND answer IS NOT NULL) OR (NOT is_known AND assignment_id IS NOT NULL)", name=op.f('ck_review_items_known_or_real')),
    sa.CheckConstraint("status IN ('open', 'claimed', 'done', 'closed')", name=op.f('ck_review_items_status')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_review_items_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_items_author_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_review_items_created_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_review_items_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_review_items_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_items')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_review_items_assignment_id'))
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_queue', ['job_id', 'is_known', 'status', 'id'], unique=False)

    op.create_table('peer_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('reserved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decision', sa.String(length=8), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('corrected_answer', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("decision IS NULL OR decision <> 'correct' OR corrected_answer IS NOT NULL", name=op.f('ck_peer_reviews_correction_given')),
    sa.CheckConstraint("decision IS NULL OR decision = 'accept' OR reason <> ''", name=op.f('ck_peer_reviews_reason_written')),
    sa.CheckConstraint("decision IS NULL OR decision IN ('accept', 'reject', 'correct')", name=op.f('ck_peer_reviews_decision')),
    sa.CheckConstraint("status <> 'done' OR decision IS NOT NULL", name=op.f('ck_peer_reviews_done_has_decision')),
    sa.CheckConstraint("status IN ('reserved', 'done', 'expired')", name=op.f('ck_peer_reviews_status')),
    sa.ForeignKeyConstraint(['item_id'], ['review_items.id'], name=op.f('fk_peer_reviews_item_id_review_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_peer_reviews_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_peer_reviews_reviewer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_reviews')),
    sa.UniqueConstraint('item_id', 'reviewer_id', name=op.f('uq_peer_reviews_item_id_reviewer_id'))
    )
    with op.batch_alter_table('peer_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_reviews_reviewer_id'), ['reviewer_id'], unique=False)

    op.create_table('gold_scores',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('assignment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('peer_review_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rescored_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(source = 'answer' AND assignment_id IS NOT NULL) OR (source = 'review' AND peer_review_id IS NOT NULL)", name=op.f('ck_gold_scores_source_row')),
    sa.CheckConstraint("source IN ('answer', 'review')", name=op.f('ck_gold_scores_source')),
    sa.CheckConstraint('score >= 0 AND score <= 1', name=op.f('ck_gold_scores_score_range')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_gold_scores_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_gold_scores_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['peer_review_id'], ['peer_reviews.id'], name=op.f('fk_gold_scores_peer_review_id_peer_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_gold_scores_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_gold_scores_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gold_scores')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_gold_scores_assignment_id')),
    sa.UniqueConstraint('peer_review_id', name=op.f('uq_gold_scores_peer_review_id'))
    )
    with op.batch_alter_table('gold_scores', schema=None) as batch_op:
        batch_op.create_index('ix_gold_scores_job_worker', ['job_id', 'worker_id', 'source', 'scored_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_gold_scores_task_id'), ['task_id'], unique=False)
        batch_op.create_index('ix_gold_scores_worker', ['worker_id', 'source'], unique=False)

    op.create_table('review_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status = 'open' OR decision_reason <> ''", name=op.f('ck_review_disputes_decided_in_writing')),
    sa.CheckConstraint("status IN ('open', 'upheld', 'overturned')", name=op.f('ck_review_disputes_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_review_disputes_decided_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_review_disputes_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['peer_reviews.id'], name=op.f('fk_review_disputes_review_id_peer_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_review_disputes_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_disputes')),
    sa.UniqueConstraint('review_id', name=op.f('uq_review_disputes_review_id'))
    )
    with op.batch_alter_table('review_disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_disputes_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_disputes_worker_id'), ['worker_id'], unique=False)

    op.create_table('gold_contests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('score_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('responder_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status = 'open' OR response <> ''", name=op.f('ck_gold_contests_decided_in_writing')),
    sa.CheckConstraint("status IN ('open', 'upheld', 'corrected')", name=op.f('ck_gold_contests_status')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_gold_contests_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responder_id'], ['users.id'], name=op.f('fk_gold_contests_responder_id_users')),
    sa.ForeignKeyConstraint(['score_id'], ['gold_scores.id'], name=op.f('fk_gold_contests_score_id_gold_scores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_gold_contests_task_id_tasks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['users.id'], name=op.f('fk_gold_contests_worker_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gold_contests')),
    sa.UniqueConstraint('score_id', name=op.f('uq_gold_contests_score_id'))
    )
    with op.batch_alter_table('gold_contests', schema=None) as batch_op:
        batch_op.create_index('ix_gold_contests_job_status', ['job_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_gold_contests_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gold_contests_worker_id'), ['worker_id'], unique=False)

    op.create_table('gold_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=True),
    sa.Column('old_gold', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('new_gold', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('n_rescored', sa.Integer(), nullable=False),
    sa.Column('n_changed', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_gold_corrections_actor_id_users')),
    sa.ForeignKeyConstraint(['contest_id'], ['gold_contests.id'], name=op.f('fk_gold_corrections_contest_id_gold_contests'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_gold_corrections_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_gold_corrections_task_id_tasks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gold_corrections'))
    )
    with op.batch_alter_table('gold_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gold_corrections_task_id'), ['task_id'], unique=False)

    op.create_index('ix_tasks_gold', 'tasks', ['job_id', 'seq'], unique=False,
                    postgresql_where=sa.text('gold IS NOT NULL'), sqlite_where=sa.text('gold IS NOT NULL'))



def downgrade():
    op.drop_index('ix_tasks_gold', table_name='tasks')

    with op.batch_alter_table('gold_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gold_corrections_task_id'))

    op.drop_table('gold_corrections')
    with op.batch_alter_table('gold_contests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gold_contests_worker_id'))
        batch_op.drop_index(batch_op.f('ix_gold_contests_task_id'))
        batch_op.drop_index('ix_gold_contests_job_status')

    op.drop_table('gold_contests')
    with op.batch_alter_table('review_disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_disputes_worker_id'))
        batch_op.drop_index(batch_op.f('ix_review_disputes_job_id'))

    op.drop_table('review_disputes')
    with op.batch_alter_table('gold_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_gold_scores_worker')
        batch_op.drop_index(batch_op.f('ix_gold_scores_task_id'))
        batch_op.drop_index('ix_gold_scores_job_worker')

    op.drop_table('gold_scores')
    with op.batch_alter_table('peer_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_reviews_reviewer_id'))

    op.drop_table('peer_reviews')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_queue')

    op.drop_table('review_items')
    with op.batch_alter_table('task_aggregates', schema=None) as batch_op:
        batch_op.drop_index('ix_task_aggregates_job')

    op.drop_table('task_aggregates')
    with op.batch_alter_table('quality_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_snapshots_job')

    op.drop_table('quality_snapshots')
    with op.batch_alter_table('quality_restrictions', schema=None) as batch_op:
        batch_op.drop_index('ux_quality_restrictions_active', postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_quality_restrictions_worker_id'))

    op.drop_table('quality_restrictions')
    op.drop_table('job_quality_settings')
