"""The moderation room's public verbs and queries, for its own views and for every room above it.

Importing this module registers the appealable kinds "sanction" and "requester_block" and the My record sections.
Rooms above plug in with:
- appeals.register_appealable(kind, resolver, label=..., lister=...)  (see appeals.Decision)
- hooks.on_platform_suspension(fn) / hooks.on_country_withdrawal_effective(fn)
- standing_for(user, now, job_id=, requester_id=), is_blocked_by_requester(), country_status(), exposure_policy()
"""
from __future__ import annotations

from . import record as _record  # noqa: F401  (registers the My record sections)
from .appeals import (AppealFigures, Decision, appeal_for, appealable_now, appeals_by, check_can_appeal,
                      decide_appeal, escalate_due_appeals, figures as appeal_figures, file_appeal, get_appeal,
                      kind_label, kinds as appealable_kinds, open_decisions_for, queue as appeal_queue,
                      register_appealable, resolve as resolve_decision, unregister_appealable)
from .blocks import (active_block, block_trainer, blocks_by, blocks_of, get_block, is_blocked_by_requester,
                     lift_block, requester_name)
from .conduct import (all_versions, current_clauses, current_version, editable_text, get_version, load_data_file,
                      publish_version)
from .countries import (CountryStatus, announce_withdrawal, apply_due_withdrawals, cancel_withdrawal, country_status,
                        get_withdrawal, live_withdrawal, mark_country_payouts_settled, pending_country_payouts,
                        withdrawals)
from .exposure import ExposurePolicy, exposure_policy, update_exposure
from .hooks import on_country_withdrawal_effective, on_platform_suspension
from .record import person_label
from .sanctions import (clauses_without_prior_warning, expire_due_sanctions, get_sanction, issue_sanction,
                        lift_sanction, recent_sanctions, sanctions_of, scope_label, title as sanction_title)
from .standing import Standing, standing_for

__all__ = [
    "AppealFigures", "CountryStatus", "Decision", "ExposurePolicy", "Standing", "active_block", "all_versions",
    "announce_withdrawal", "appeal_figures", "appeal_for", "appeal_queue", "appealable_kinds", "appealable_now",
    "appeals_by", "apply_due_withdrawals", "block_trainer", "blocks_by", "blocks_of", "cancel_withdrawal",
    "check_can_appeal", "clauses_without_prior_warning", "country_status", "current_clauses", "current_version",
    "decide_appeal", "editable_text", "escalate_due_appeals", "expire_due_sanctions", "exposure_policy",
    "file_appeal", "get_appeal", "get_block", "get_sanction", "get_version", "get_withdrawal",
    "is_blocked_by_requester", "issue_sanction", "kind_label", "lift_block", "lift_sanction", "live_withdrawal",
    "load_data_file", "mark_country_payouts_settled", "on_country_withdrawal_effective", "on_platform_suspension",
    "open_decisions_for", "pending_country_payouts", "person_label", "publish_version", "recent_sanctions",
    "register_appealable", "requester_name", "resolve_decision", "sanction_title", "sanctions_of", "scope_label",
    "standing_for", "unregister_appealable", "update_exposure", "withdrawals",
]
