"""Vocabularies of the assessments room (pure constants shared by models and pure rule modules)."""
from __future__ import annotations

QUALIFICATION_KINDS = ("language", "expertise", "task_skill")
QUALIFICATION_KIND_LABELS = {"language": "Language", "expertise": "Expertise", "task_skill": "Task skill"}
ITEM_KINDS = ("single_choice", "multiple_choice", "free_text")
ATTEMPT_STATUSES = ("in_progress", "pending_review", "passed", "failed")
HOLDING_STATUSES = ("active", "expired", "revoked")
RATIONALE_MARKS = ("acceptable", "not_acceptable")
CONTEST_STATUSES = ("open", "answered")
# Every decision about a trainer's qualification is one row of one of these kinds (appealable later).
DECISION_KINDS = ("passed", "failed", "review_approved", "review_rejected", "admin_grant", "revocation",
                  "expiry", "regrade")
