"""How often a gold task is mixed into a trainer's queue: a rate that decays with experience, decided per slot.

The rate after n tasks of experience is

    rate(n) = floor + (start - floor) * 2 ** (-n / half_life)

so a newcomer sees about `start` (1 in 10) gold items, the excess over `floor` halves every `half_life` tasks, and
an experienced trainer settles at about `floor` (1 in 50). The curve is smooth (no step where behaviour could be
gamed) and never reaches zero: everyone keeps being checked, just less often.

Whether slot `position` of a trainer's sequence on a job is gold is decided by an HMAC of (job, trainer, position)
under a server secret: the same slot always gets the same answer (a reload or retry cannot reroll it, and tests
can replay it), but without the secret nobody can tell which slots are gold, so gold tasks stay indistinguishable.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from typing import Any, Mapping

_TWO_64 = float(2 ** 64)


@dataclass(frozen=True)
class GoldSchedule:
    """The decay curve's three knobs; see the module docstring for the formula."""

    start: float = 0.10       # rate for a trainer with no experience: about 1 in 10
    floor: float = 0.02       # long-run rate: about 1 in 50
    half_life: float = 200.0  # tasks after which the rate is halfway from start to floor

    def __post_init__(self):
        if not 0 < self.floor <= self.start <= 1:
            raise ValueError("gold rates must satisfy 0 < floor <= start <= 1")
        if not self.half_life > 0:
            raise ValueError("gold rate half-life must be a positive number of tasks")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "GoldSchedule":
        """Read QUALITY_GOLD_RATE_START / _FLOOR / QUALITY_GOLD_HALF_LIFE from a Flask config (defaults if unset)."""
        d = cls()
        return cls(start=float(config.get("QUALITY_GOLD_RATE_START", d.start)),
                   floor=float(config.get("QUALITY_GOLD_RATE_FLOOR", d.floor)),
                   half_life=float(config.get("QUALITY_GOLD_HALF_LIFE", d.half_life)))

    def rate(self, experience: int) -> float:
        """Probability that the next task is gold for a trainer with `experience` tasks done."""
        if experience < 0:
            raise ValueError("experience cannot be negative")
        return self.floor + (self.start - self.floor) * 2.0 ** (-experience / self.half_life)

    def expected_gold(self, n_tasks: int, experience: int = 0) -> float:
        """Expected number of gold items in the next n_tasks slots (a geometric series, in closed form)."""
        if n_tasks <= 0:
            return 0.0
        q = 2.0 ** (-1.0 / self.half_life)
        excess = (self.start - self.floor) * q ** experience * (1 - q ** n_tasks) / (1 - q)
        return self.floor * n_tasks + excess

    def describe(self) -> str:
        """Plain words for the job page, e.g. "about 1 in 10 tasks at first, easing to about 1 in 50"."""
        first, last = round(1 / self.start), round(1 / self.floor)
        if first == last:
            return f"about 1 in {first} tasks is a known-answer check"
        return (f"about 1 in {first} tasks is a known-answer check at first, easing to about 1 in {last} "
                f"(halfway after {int(self.half_life)} tasks)")


def slot_draw(secret: bytes | str, job_id: Any, trainer_id: Any, position: int) -> float:
    """A uniform number in [0, 1) fixed by (job, trainer, position) and the secret: stable, not predictable."""
    if isinstance(secret, str):
        secret = secret.encode()
    if not secret:
        # An empty key would make every slot predictable to anyone who reads this file.
        raise ValueError("a non-empty secret is required to place gold tasks")
    msg = f"gold-slot:{job_id}:{trainer_id}:{int(position)}".encode()
    digest = hmac.new(secret, msg, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / _TWO_64


def is_gold_slot(secret: bytes | str, job_id: Any, trainer_id: Any, position: int,
                 experience: int | None = None, schedule: GoldSchedule | None = None) -> bool:
    """Should slot `position` (0-based) of this trainer's sequence on this job be a gold task?

    `experience` defaults to `position` (tasks done on this job); pass a trainer's total across jobs if
    experience elsewhere should count.
    """
    schedule = schedule or GoldSchedule()
    n = position if experience is None else experience
    return slot_draw(secret, job_id, trainer_id, position) < schedule.rate(n)


def rate_from_decisions(decisions: list[bool]) -> float:
    """Observed share of gold slots (for tests and the admin's sanity check of the live mix)."""
    return sum(decisions) / len(decisions) if decisions else math.nan
