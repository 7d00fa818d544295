"""Requester blocks: a written reason the trainer reads, one active block per pair, appealable to an admin."""
import pytest
import sqlalchemy as sa

from marketplace.core.errors import Conflict, Forbidden, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from marketplace.moderation import services
from marketplace.moderation.models import RequesterBlock
from tests.factories import make_admin, make_requester, make_trainer

REASON = "Copied the same caption into 30 different images on our captioning job."


def test_requester_blocks_a_trainer_from_the_page_and_the_trainer_reads_why(client, db, login):
    requester, trainer = make_requester(organisation="Aurora AI Lab"), make_trainer()
    login(requester)
    response = client.post("/requester/blocks", data={"trainer_id": trainer.id, "reason": REASON})
    assert response.status_code == 302
    assert services.is_blocked_by_requester(trainer.id, requester.id)
    assert not services.is_blocked_by_requester(trainer.id, make_requester().id)
    assert trainer.status == "active" and services.standing_for(trainer).ok  # not a platform sanction
    standing = services.standing_for(trainer, requester_id=requester.id)
    assert standing.code == "requester_block" and REASON in standing.reason and "Aurora AI Lab" in standing.reason
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id))
    assert "Aurora AI Lab" in notice.subject and REASON in notice.body and "appeal" in notice.body
    page = client.get("/requester/blocks").get_data(as_text=True)
    assert trainer.display_name in page and REASON in page
    login(trainer)
    assert REASON in client.get(notice.link).get_data(as_text=True)
    assert client.get("/requester/blocks").status_code == 403


@pytest.mark.parametrize("trainer_id, reason, message", [
    (None, REASON, "Give the trainer&#39;s ID"),
    (999_999, REASON, "no trainer with ID 999999"),
    (99_999_999_999, REASON, "no trainer with that ID"),
    ("self", REASON, "no trainer with ID"),
    ("trainer", "lazy", "at least 20 characters"),
])
def test_bad_block_input_gets_a_clear_error(client, db, login, trainer_id, reason, message):
    requester, trainer = make_requester(), make_trainer()
    trainer_id = {"self": requester.id, "trainer": trainer.id}.get(trainer_id, trainer_id)
    login(requester)
    data = {"reason": reason} | ({"trainer_id": trainer_id} if trainer_id else {})
    response = client.post("/requester/blocks", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(RequesterBlock.id))) == 0


def test_one_active_block_per_pair_in_the_service_and_the_schema(db):
    requester, trainer = make_requester(), make_trainer()
    services.block_trainer(requester, trainer.id, reason=REASON)
    db.session.commit()
    with pytest.raises(Conflict, match="already blocked"):
        services.block_trainer(requester, trainer.id, reason=REASON)
    db.session.rollback()
    db.session.add(RequesterBlock(requester_id=requester.id, trainer_id=trainer.id, reason=REASON))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    block = services.blocks_by(requester.id)[0]
    services.lift_block(block, requester)
    db.session.commit()
    again = services.block_trainer(requester, trainer.id, reason=REASON)  # a new block after a lift is fine
    assert again.id != block.id


def test_only_the_requester_who_blocked_or_an_admin_lifts_it(db):
    requester, trainer = make_requester(), make_trainer()
    block = services.block_trainer(requester, trainer.id, reason=REASON)
    with pytest.raises(Forbidden):
        services.lift_block(block, make_requester())
    with pytest.raises(Forbidden):
        services.lift_block(block, trainer)
    services.lift_block(block, requester)
    assert not services.is_blocked_by_requester(trainer.id, requester.id)
    assert db.session.scalar(sa.select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == \
        "requester_block.lifted"


def test_trainer_appeals_a_block_and_an_admin_overturns_it(db):
    requester, trainer, admin = make_requester(organisation="Aurora AI Lab"), make_trainer(), make_admin()
    block = services.block_trainer(requester, trainer.id, reason=REASON)
    appeal = services.file_appeal(trainer, "requester_block", block.id,
                                  "Each image really was the same product photo; the captions were correct.")
    assert appeal.decision_maker_id == requester.id
    services.decide_appeal(appeal, admin, outcome="overturned",
                           reason="The 30 images are identical product shots, so identical captions are right.")
    db.session.commit()
    assert block.status == "overturned" and not services.is_blocked_by_requester(trainer.id, requester.id)
    assert "Aurora AI Lab's jobs again" in appeal.restored_summary


def test_only_requesters_block(db):
    with pytest.raises(Forbidden):
        services.block_trainer(make_trainer(), make_trainer().id, reason=REASON)
    with pytest.raises(ValidationFailed):
        services.block_trainer(make_requester(), make_admin().id, reason=REASON)
