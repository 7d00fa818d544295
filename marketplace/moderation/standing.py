"""Standing checks for rooms above: may this person take new work now, on this job, for this requester?"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core.time import utcnow
from ..extensions import db, execute
from . import links
from .blocks import ACTIVE_BLOCK_WHERE, active_block, requester_name
from .countries import LIVE_WITHDRAWAL_WHERE, country_status
from .models import Sanction
from .rules import LEVEL_LABELS
from .sanctions import scope_label


@dataclass(frozen=True)
class Standing:
    ok: bool
    code: str = "ok"  # ok | suspended | deactivated | job_sanction | requester_sanction | requester_block | country
    reason: str = ""  # the written reason the person reads
    until: datetime | None = None
    link: str | None = None  # the decision's page (with the appeal button)


OK = Standing(ok=True)


_BLOCKING_WHERE = (
    Sanction.user_id == sa.bindparam("user_id"), Sanction.status == "active",
    Sanction.level.in_(("temporary", "permanent")),
    sa.or_(Sanction.ends_at.is_(None), Sanction.ends_at > sa.bindparam("now")),
    sa.or_(Sanction.scope == "platform",
           sa.and_(Sanction.scope == "job", Sanction.scope_id == sa.bindparam("job_id")),
           sa.and_(Sanction.scope == "requester", Sanction.scope_id == sa.bindparam("requester_id"))))
_BLOCKING = sa.select(Sanction).where(*_BLOCKING_WHERE)

# The common case in one Core statement (every claim): is there anything at all that could stand in the way? A
# sanction that binds now, a withdrawal of the person's country that is not cancelled, a requester's block. Only
# when something is found are the rows loaded and weighed below (the same rules; this only skips them when
# there is nothing to weigh).
_ANYTHING = sa.select(sa.exists().where(*_BLOCKING_WHERE), sa.exists().where(*LIVE_WITHDRAWAL_WHERE),
                      sa.exists().where(*ACTIVE_BLOCK_WHERE))


def _blocking_by_scope(user_id: int, job_id: int | None, requester_id: int | None,
                       now: datetime) -> dict[str, Sanction]:
    """The binding sanction of each scope (platform, this job, this requester), in ONE query since this runs
    at every claim: an active suspension or deactivation that has not passed its end date."""
    # Built once (this runs at every claim); a scope left out binds None, which matches no row.
    rows = db.session.scalars(_BLOCKING, {"user_id": user_id, "job_id": job_id, "requester_id": requester_id,
                                          "now": now})
    binding: dict[str, Sanction] = {}
    for sanction in rows:
        # A deactivation outranks a suspension; among suspensions, the one ending last (no end: last of all).
        rank = (sanction.level == "permanent", sanction.ends_at is None, sanction.ends_at or now)
        current = binding.get(sanction.scope)
        if current is None or rank > (current.level == "permanent", current.ends_at is None,
                                      current.ends_at or now):
            binding[sanction.scope] = sanction
    return binding


def _from_sanction(code: str, sanction: Sanction) -> Standing:
    return Standing(ok=False, code=code, until=sanction.ends_at, link=links.sanction(sanction.id),
                    reason=f"{LEVEL_LABELS[sanction.level]} {scope_label(sanction)}: {sanction.reason}")


def standing_for(user: User, now: datetime | None = None, job_id: int | None = None,
                 requester_id: int | None = None) -> Standing:
    """Whether `user` may start new work at `now`, and if not, the written reason and the decision's page.

    Checks, in order: platform-wide suspension or deactivation; the country's status (work stops at the end of a
    withdrawal's notice); a sanction on `job_id`; a sanction on `requester_id`'s jobs; that requester's block.
    A temporary suspension past its end date no longer blocks, even before the scheduled job records it.
    """
    now = now or utcnow()
    if not any(execute(_ANYTHING, {"user_id": user.id, "trainer_id": user.id, "job_id": job_id,
                                   "requester_id": requester_id, "now": now, "country": user.country}).one()):
        return OK
    binding = _blocking_by_scope(user.id, job_id, requester_id, now)
    platform = binding.get("platform")
    if platform is not None:
        return _from_sanction("deactivated" if platform.level == "permanent" else "suspended", platform)
    country = country_status(user.country, now)
    if not country.is_open:
        return Standing(ok=False, code="country", until=None, link="/standing",
                        reason=f"FairTrain stopped operating in your country on {country.closes_at:%-d %B %Y}: "
                               f"{country.reason}")
    if job_id is not None:
        found = binding.get("job")
        if found is not None:
            return _from_sanction("job_sanction", found)
    if requester_id is not None:
        found = binding.get("requester")
        if found is not None:
            return _from_sanction("requester_sanction", found)
        block = active_block(user.id, requester_id)
        if block is not None:
            return Standing(ok=False, code="requester_block", link=links.block(block.id),
                            reason=f"{requester_name(block.requester)} blocked you from their jobs: {block.reason}")
    return OK
