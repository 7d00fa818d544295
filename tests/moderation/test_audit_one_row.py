"""Every decision writes exactly one audit row, naming the actor, the person concerned and the written reason."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from marketplace.core.models import AuditEvent
from marketplace.moderation import services
from marketplace.moderation.rules import EvidenceItem
from tests.factories import SANCTION_REASON, SEVERITY_REASON, clause_ids, make_admin, make_requester, make_trainer, \
    publish_conduct

WRITTEN = "A written reason, long enough for the person to understand it."
LATER = datetime.now(timezone.utc) + timedelta(days=40)


def world():
    publish_conduct()
    trainer, admin, second, requester = make_trainer(country="DE"), make_admin(), make_admin(), make_requester()
    suspension = services.issue_sanction(
        trainer, admin, level="temporary", reason=SANCTION_REASON, clause_ids=clause_ids("1.1"),
        evidence=[EvidenceItem("/work/tasks/1", "proof")], ends_at=LATER, is_severe=True,
        severity_justification=SEVERITY_REASON)
    block = services.block_trainer(requester, trainer.id, reason=WRITTEN)
    appeal = services.file_appeal(trainer, "requester_block", block.id, WRITTEN)
    withdrawal = services.announce_withdrawal("FR", effective_at=LATER, reason=WRITTEN, actor=admin)
    from marketplace.extensions import db
    db.session.commit()
    return dict(trainer=trainer, admin=admin, second=second, requester=requester, suspension=suspension,
                block=block, appeal=appeal, withdrawal=withdrawal)


DECISIONS = {
    "sanction.issued": lambda w: services.issue_sanction(
        w["trainer"], w["admin"], level="warning", reason=SANCTION_REASON, clause_ids=clause_ids("3.1"),
        evidence=[EvidenceItem(None, "report")]),
    "sanction.lifted": lambda w: services.lift_sanction(w["suspension"], w["second"], reason=WRITTEN),
    "sanction.expired": lambda w: services.expire_due_sanctions(LATER + timedelta(seconds=1)),
    "appeal.filed": lambda w: services.file_appeal(w["trainer"], "sanction", w["suspension"].id, WRITTEN),
    "appeal.decided": lambda w: services.decide_appeal(w["appeal"], w["admin"], outcome="overturned", reason=WRITTEN),
    "requester_block.created": lambda w: services.block_trainer(make_requester(), w["trainer"].id, reason=WRITTEN),
    "requester_block.lifted": lambda w: services.lift_block(w["block"], w["requester"], reason=WRITTEN),
    "conduct.published": lambda w: services.publish_version(services.editable_text() + "\n9.9 New\nNew text.\n",
                                                            summary=WRITTEN, actor=w["admin"]),
    "country.withdrawal_announced": lambda w: services.announce_withdrawal("DE", effective_at=LATER, reason=WRITTEN,
                                                                          actor=w["admin"]),
    "country.withdrawal_cancelled": lambda w: services.cancel_withdrawal(w["withdrawal"], w["second"], reason=WRITTEN),
    "country.withdrawal_effective": lambda w: services.apply_due_withdrawals(LATER + timedelta(seconds=1)),
}


@pytest.mark.parametrize("action", sorted(DECISIONS))
def test_each_decision_writes_exactly_one_audit_row(db, action):
    w = world()
    before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))
    DECISIONS[action](w)
    db.session.commit()
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [r.action for r in rows] == [action]
    assert rows[0].reason.strip(), "every decision carries its written reason"
