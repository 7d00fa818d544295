"""Pure due-process rules (no database, no Flask): minimum lengths, levels, scopes, evidence parsing, standing."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

# The schema repeats these numbers in CHECK constraints (models.py and migration 0004): change both together.
SANCTION_REASON_MIN_CHARS = 50
WRITTEN_REASON_MIN_CHARS = 20  # appeal texts and decisions, lifts, blocks, severity, country withdrawals

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the schema; anything larger names nothing

LEVELS = ("warning", "temporary", "permanent")
LEVEL_LABELS = {"warning": "Warning", "temporary": "Temporary suspension", "permanent": "Permanent deactivation"}
SCOPES = ("platform", "job", "requester")
SANCTION_STATUSES = ("active", "expired", "lifted", "overturned")
APPEAL_STATUSES = ("open", "upheld", "overturned")
BLOCK_STATUSES = ("active", "lifted", "overturned")
WITHDRAWAL_STATUSES = ("scheduled", "effective", "cancelled")

# Evidence links: web addresses or paths on this site (never javascript:, data: or //other-host).
_URL = re.compile(r"^(https?://\S+|/(?!/)\S*)$")


def written_enough(text: str | None, minimum: int) -> bool:
    return len((text or "").strip()) >= minimum


@dataclass(frozen=True)
class EvidenceItem:
    url: str | None
    description: str


def parse_evidence(text: str) -> list[EvidenceItem]:
    """One evidence item per non-empty line: an optional link first (http(s):// or a site path), then words.

    `https://x/tasks/9 gold item failed twice` -> url + description; a line of words alone is a description.
    """
    items = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        first, _, rest = line.partition(" ")
        if _URL.match(first):
            items.append(EvidenceItem(url=first[:500], description=rest.strip()))
        else:
            items.append(EvidenceItem(url=None, description=line))
    return items


def is_safe_evidence_url(url: str | None) -> bool:
    return url is None or bool(_URL.match(url))


def is_blocking_level(level: str) -> bool:
    """Warnings inform; suspensions and deactivations take rights away."""
    return level in ("temporary", "permanent")


def platform_status(active_levels: list[str]) -> str:
    """A person's User.status from the levels of their active platform-wide sanctions."""
    if "permanent" in active_levels:
        return "deactivated"
    if "temporary" in active_levels:
        return "suspended"
    return "active"


def appeal_window_closes(decided_at: datetime, window_days: int) -> datetime:
    return decided_at + timedelta(days=window_days)


def appeal_deadline(filed_at: datetime, decision_days: int) -> datetime:
    return filed_at + timedelta(days=decision_days)


def needs_escalation(deadline_at: datetime, now: datetime, warn_hours: int) -> bool:
    """An open appeal is escalated once its deadline is within `warn_hours` (or already past)."""
    return deadline_at - now <= timedelta(hours=warn_hours)

