"""`flask demo seed` gives the results dashboard something real to show, idempotently."""
import sqlalchemy as sa

from marketplace.jobs.models import Job
from marketplace.quality.models import (GoldContest, GoldScore, PeerReview, QualityRestriction, QualitySnapshot,
                                        ReviewDispute, ReviewItem)
from marketplace.demo.quality import PEER_TITLE, TITLE


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_seed_makes_a_live_results_dashboard_and_can_run_twice(app, db, client, login):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    counts = [_count(db, m) for m in (GoldScore, GoldContest, QualityRestriction, QualitySnapshot, ReviewItem,
                                      PeerReview, ReviewDispute)]
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    db.session.expire_all()
    assert [_count(db, m) for m in (GoldScore, GoldContest, QualityRestriction, QualitySnapshot, ReviewItem,
                                    PeerReview, ReviewDispute)] == counts
    job = db.session.scalar(sa.select(Job).where(Job.title == TITLE))
    snap = db.session.scalar(sa.select(QualitySnapshot).where(QualitySnapshot.job_id == job.id))
    assert snap.alpha is not None and len(snap.data["series"]) >= 5
    assert db.session.scalar(sa.select(GoldContest)).status == "open"
    assert _count(db, QualityRestriction) >= 1
    assert _count(db, ReviewDispute) == 1
    login(job.requester)
    page = client.get(f"/jobs/{job.id}/results").get_data(as_text=True)
    assert "Disputed gold items" in page and "agreement-chart" in page
    peer_job = db.session.scalar(sa.select(Job).where(Job.title == PEER_TITLE))
    assert "Disputed peer reviews" in client.get(f"/jobs/{peer_job.id}/results").get_data(as_text=True)
