"""The quality room's reactions to other rooms' facts, and its plug-ins into the rooms below (hooks).

The gold mix is plugged in by setting, not here: GOLD_MIX_PROVIDER = "marketplace.quality.placement:gold_slot"."""
from __future__ import annotations

import logging

from ..assignment import hooks
from ..core.events import subscribe
from ..jobs import services as jobs
from ..moderation import services as moderation
from . import appealable, peer, removals, scoring

log = logging.getLogger(__name__)

hooks.add_review_permission(peer.may_review_as_peer)
jobs.register_exclusion_provider(removals.exclusions_for)


@subscribe("assignment.submitted")
def on_submitted(assignment, job, task, worker, now, **_):
    """Score a gold answer (and apply the job's quality rule); queue a peer-reviewed answer for review."""
    if scoring.score_answer(assignment, job, task, now) is not None:
        removals.evaluate(job, assignment.worker_id, now)
    peer.create_item(assignment, job, now)


@subscribe("qualification.granted")
def on_qualification_granted(user_id, key, now=None, **_):
    """Retaking the qualifying assessment is the way back from a quality removal."""
    removals.lift_for_qualification(user_id, key, now)


# Removals are appealable through the moderation room's registry (four eyes, written decision, restore).
moderation.register_appealable("quality_restriction", appealable.resolve, label="removal from a job (quality rule)",
                               lister=appealable.subject_ids)
