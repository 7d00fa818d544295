"""Country rules: the platform leaves a country only after a notice period, announced at once, paying out in full."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.permissions import Role
from ..core.taxonomy import countries, country_name
from ..core.time import utcnow
from ..extensions import db
from . import hooks
from .announce import announce
from .models import CountryWithdrawal
from .rules import WRITTEN_REASON_MIN_CHARS, written_enough

LINK = "/standing"


def _trainers_in(country: str):
    return sa.and_(User.role == Role.WORKER.value, User.country == country)


def announce_withdrawal(country: str, *, effective_at: datetime, reason: str, actor: User,
                        now: datetime | None = None) -> CountryWithdrawal:
    """Announce that FairTrain stops working in `country` at `effective_at`.

    Rules: an admin decides; a known country; a written reason; at least COUNTRY_WITHDRAWAL_MIN_NOTICE_DAYS of
    notice; one live withdrawal per country. Side effects: one audit row `country.withdrawal_announced`; a
    notice (inbox, e-mail, banner) to every trainer in the country at once. Work continues until effective_at.
    """
    now = now or utcnow()
    if actor.role != Role.ADMIN:
        raise Forbidden("Only admins withdraw the platform from a country.")
    errors = {}
    if country not in countries():
        errors["country"] = "Choose a country from the list."
    if not written_enough(reason, WRITTEN_REASON_MIN_CHARS):
        errors["reason"] = f"Write the reason (at least {WRITTEN_REASON_MIN_CHARS} characters); trainers read it."
    minimum = current_app.config["COUNTRY_WITHDRAWAL_MIN_NOTICE_DAYS"]
    if effective_at is None or effective_at < now + timedelta(days=minimum):
        errors["effective_at"] = (f"Give at least {minimum} days' notice: the earliest end of notice is "
                                  f"{now + timedelta(days=minimum):%-d %B %Y}.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors)
    withdrawal = CountryWithdrawal(country=country, reason=reason.strip(), announced_at=now, announced_by_id=actor.id,
                                   effective_at=effective_at, status="scheduled")
    try:
        with db.session.begin_nested():
            db.session.add(withdrawal)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A withdrawal from {country_name(country)} is already announced.", field="country") from exc
    audit.record("country.withdrawal_announced", actor=actor, subject=withdrawal, reason=withdrawal.reason,
                 data={"country": country, "effective_at": effective_at.isoformat()})
    name = country_name(country)
    announce(_trainers_in(country), f"FairTrain will stop operating in {name} on {effective_at:%-d %B %Y}",
             f"FairTrain will stop offering work in {name} on {effective_at:%-d %B %Y, %H:%M} UTC "
             f"({(effective_at - now).days} days from today).\n\nWhy: {withdrawal.reason}\n\n"
             "Until then nothing changes: you can keep working as usual. Everything you have earned is paid out in "
             "full, before or at the end of the notice, and your record stays readable after it.",
             now=now, link=LINK, category="country", banner=True)
    return withdrawal


def cancel_withdrawal(withdrawal: CountryWithdrawal, actor: User, *, reason: str,
                      now: datetime | None = None) -> CountryWithdrawal:
    """Call off a withdrawal (or reopen the country after it). Audited; trainers there are told."""
    now = now or utcnow()
    if actor.role != Role.ADMIN:
        raise Forbidden("Only admins change country rules.")
    if not written_enough(reason, WRITTEN_REASON_MIN_CHARS):
        raise ValidationFailed(f"Write the reason (at least {WRITTEN_REASON_MIN_CHARS} characters).", field="reason")
    changed = db.session.execute(
        sa.update(CountryWithdrawal).where(CountryWithdrawal.id == withdrawal.id,
                                           CountryWithdrawal.status != "cancelled")
        .values(status="cancelled", cancelled_at=now, cancelled_by_id=actor.id, cancel_reason=reason.strip())
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict("This withdrawal was already cancelled.")
    db.session.refresh(withdrawal)
    audit.record("country.withdrawal_cancelled", actor=actor, subject=withdrawal, reason=reason.strip(),
                 data={"country": withdrawal.country})
    announce(_trainers_in(withdrawal.country), f"FairTrain stays open in {country_name(withdrawal.country)}",
             f"The withdrawal from {country_name(withdrawal.country)} is called off.\n\nWhy: {reason.strip()}",
             now=now, link=LINK, category="country")
    return withdrawal


def apply_due_withdrawals(now: datetime) -> int:
    """Make withdrawals whose notice has ended effective (compare-and-set, so idempotent), run the payout hooks,
    and tell the trainers there. One audit row `country.withdrawal_effective` each."""
    due = list(db.session.scalars(sa.select(CountryWithdrawal).where(
        CountryWithdrawal.status == "scheduled", CountryWithdrawal.effective_at <= now)))
    count = 0
    for withdrawal in due:
        changed = db.session.execute(
            sa.update(CountryWithdrawal).where(CountryWithdrawal.id == withdrawal.id,
                                               CountryWithdrawal.status == "scheduled")
            .values(status="effective", took_effect_at=now).execution_options(synchronize_session=False)).rowcount
        if not changed:
            continue
        db.session.refresh(withdrawal)
        audit.record("country.withdrawal_effective", actor=None, subject=withdrawal,
                     reason=f"Notice period ended on {withdrawal.effective_at:%-d %B %Y}.",
                     data={"country": withdrawal.country})
        hooks.run_country_hooks(withdrawal, now)
        announce(_trainers_in(withdrawal.country), f"FairTrain has stopped operating in {country_name(withdrawal.country)}",
                 "The notice period has ended, so no new work is offered where you are. Everything you earned is "
                 "being paid out in full; your record, earnings and appeals stay open to you.",
                 now=now, link=LINK, category="country", banner=True)
        count += 1
    return count


@dataclass(frozen=True)
class CountryStatus:
    is_open: bool
    reason: str = ""
    closes_at: datetime | None = None  # set while a withdrawal is announced (open) or in force (closed)


def country_status(country: str | None, now: datetime | None = None) -> CountryStatus:
    """May people in `country` take new work at `now`? Open until the end of any notice period."""
    now = now or utcnow()
    withdrawal = live_withdrawal(country) if country else None
    if withdrawal is None:
        return CountryStatus(is_open=True)
    closed = withdrawal.status == "effective" or withdrawal.effective_at <= now
    return CountryStatus(is_open=not closed, reason=withdrawal.reason, closes_at=withdrawal.effective_at)


# A withdrawal of :country that is not cancelled (standing.py's one-statement check reads it too).
LIVE_WITHDRAWAL_WHERE = (CountryWithdrawal.country == sa.bindparam("country"), CountryWithdrawal.status != "cancelled")
_LIVE_WITHDRAWAL = sa.select(CountryWithdrawal).where(*LIVE_WITHDRAWAL_WHERE)


def live_withdrawal(country: str) -> CountryWithdrawal | None:
    return db.session.scalar(_LIVE_WITHDRAWAL, {"country": country})  # built once: read at every claim


def withdrawals() -> list[CountryWithdrawal]:
    return list(db.session.scalars(sa.select(CountryWithdrawal).order_by(CountryWithdrawal.announced_at.desc())))


def get_withdrawal(withdrawal_id: int) -> CountryWithdrawal:
    found = db.session.get(CountryWithdrawal, withdrawal_id)
    if found is None:
        raise NotFound("There is no such country withdrawal.")
    return found


def pending_country_payouts() -> list[CountryWithdrawal]:
    """Withdrawals in force whose trainers' earnings are not yet confirmed paid in full (for the payments room)."""
    return list(db.session.scalars(sa.select(CountryWithdrawal).where(
        CountryWithdrawal.status == "effective", CountryWithdrawal.payouts_settled_at.is_(None))))


def mark_country_payouts_settled(withdrawal: CountryWithdrawal, now: datetime | None = None) -> bool:
    """The payments room calls this once every trainer in the country is paid in full; idempotent."""
    changed = db.session.execute(
        sa.update(CountryWithdrawal).where(CountryWithdrawal.id == withdrawal.id,
                                           CountryWithdrawal.payouts_settled_at.is_(None))
        .values(payouts_settled_at=now or utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(withdrawal)
    return bool(changed)
