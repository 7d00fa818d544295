"""Money effects of pay facts (core/events.py): the pay room announces, this room moves money, in one transaction.

- `escrow.balance` (job_id): answer with the job's escrow, for the pay room's budget guarantee.
- `timesheet.settled`: approved work leaves the job's escrow; the trainer's payable gets the pay and the platform
  the fee ON TOP (the trainer earns the full rate: jobs/budget.py and pay/calculations.py). If the escrow ever
  falls short (it should not: sessions start only on reserved escrow), the rest comes from the requester's
  funds and then from the platform, so approved time is always paid.
- `bonus.awarded`: services.pay_bonus (from escrow or funds; it audits and tells the trainer).
- `onboarding.recorded`: services.pay_onboarding, key `onboarding:<attempt id>` (once per attempt).
"""
from __future__ import annotations

import logging

from ..core.events import subscribe
from . import country_payouts  # noqa: F401 (registers moderation's country-withdrawal hook: pay out in full)
from . import ledger, services

log = logging.getLogger(__name__)


@subscribe("escrow.balance")
def escrow_balance(job_id: int) -> int:
    return services.escrow_balance(job_id)


@subscribe("timesheet.settled")
def post_earnings(timesheet, pay_cents: int, fee_cents: int, idempotency_key: str, actor=None,
                  description: str = "") -> None:
    if ledger.find(idempotency_key) is not None:
        return  # this settlement was already posted
    total = pay_cents + fee_cents
    requester_id = timesheet.job.requester_id
    from_escrow = min(total, max(0, services.escrow_balance(timesheet.job_id)))
    from_funds = min(total - from_escrow, max(0, ledger.balance(ledger.requester_funds(requester_id))))
    from_platform = total - from_escrow - from_funds
    if from_platform or from_funds:
        log.warning("timesheet %s: escrow short by %s cents; %s from funds, %s guaranteed by the platform",
                    timesheet.id, total - from_escrow, from_funds, from_platform)
    entries = [(ledger.trainer_payable(timesheet.trainer_id), pay_cents),
               (ledger.PLATFORM_FEES, fee_cents - from_platform)]
    if from_escrow:
        ledger.ensure_account(ledger.job_escrow(timesheet.job_id), user_id=requester_id)
        entries.append((ledger.job_escrow(timesheet.job_id), -from_escrow))
    if from_funds:
        entries.append((ledger.requester_funds(requester_id), -from_funds))
    ledger.post(idempotency_key, entries, kind="earning", actor=actor,
                data={"job_id": timesheet.job_id, "trainer_id": timesheet.trainer_id, "timesheet_id": timesheet.id,
                      "gross_cents": total, "fee_cents": fee_cents, "pay_cents": pay_cents,
                      "from_funds_cents": from_funds, "platform_guarantee_cents": from_platform},
                description=f"Approved time: {description}" if description else "Approved time")


@subscribe("bonus.awarded")
def pay_bonus(bonus, requester, trainer, job) -> None:
    services.pay_bonus(requester, trainer, bonus.amount_cents, bonus.reason, f"bonus:{bonus.idempotency_key}",
                       job_id=job.id if bonus.source == "escrow" else None)


@subscribe("onboarding.recorded")
def pay_onboarding(session, trainer, amount_cents: int, idempotency_key: str, attempt_id: int) -> None:
    services.pay_onboarding(trainer, amount_cents, idempotency_key,
                            description=f"Paid assessment time (attempt #{attempt_id})")
