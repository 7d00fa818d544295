"""Which jobs a trainer may work on now, why not, and in what order (pure: no database, no Flask).

It wraps the jobs room's eligibility rules (standing, country, languages, expertise, qualifications, content
warning, job open or paused for budget) with the work rules: the weekly hour limits (the trainer's own cap
across all jobs and the job's per-trainer limit) and whether any task is left for this trainer. Minutes worked
are INPUTS: the pay room measures time; this module only compares.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Sequence

from ..jobs.eligibility import Exclusion, JobRules, QualificationInfo, TrainerFacts, exclusions

NEXT_WEEK = "Monday 00:00 UTC, when the next pay week starts"


@dataclass(frozen=True)
class WeeklyHours:
    """Time worked this pay week against the limits that apply to one job."""

    trainer_cap_minutes: int | None = None   # the trainer's own weekly cap (all jobs); None: no cap
    trainer_week_minutes: int = 0            # worked this week, all jobs
    job_limit_minutes: int | None = None     # the job's per-trainer weekly limit; None: no limit
    job_week_minutes: int = 0                # worked this week on this job

    @property
    def minutes_left(self) -> int | None:
        """Minutes the trainer may still work on the job this week (None: no limit applies)."""
        left = [limit - used for limit, used in ((self.trainer_cap_minutes, self.trainer_week_minutes),
                                                 (self.job_limit_minutes, self.job_week_minutes))
                if limit is not None]
        return max(0, min(left)) if left else None


@dataclass(frozen=True)
class TaskSupply:
    """Whether the job has a task for this trainer (None when not looked up, e.g. in lists)."""

    open_tasks: bool | None = None        # any task still needs answers and has a free slot
    open_for_trainer: bool | None = None  # ... among tasks this trainer has not had before


def hours_text(minutes: int) -> str:
    hours = minutes / 60
    text = f"{hours:.1f}".rstrip("0").rstrip(".")
    return f"{text} hour{'' if text == '1' else 's'}"


def hour_exclusions(hours: WeeklyHours) -> list[Exclusion]:
    """The weekly limits: at the cap (or the job's limit) no new task is handed out; the task in hand may be
    finished and is paid."""
    out = []
    cap = hours.trainer_cap_minutes
    if cap is not None and hours.trainer_week_minutes >= cap:
        message = ("Your weekly cap is 0 hours, so no work is handed out this week." if cap == 0 else
                   f"You have reached your weekly cap of {hours_text(cap)}.")
        out.append(Exclusion("weekly_cap", message,
                             f"New work opens {NEXT_WEEK}; or raise your cap on your profile.", subject="cap"))
    limit = hours.job_limit_minutes
    if limit is not None and hours.job_week_minutes >= limit:
        out.append(Exclusion("job_weekly_limit",
                             f"You have worked this job's limit of {hours_text(limit)} per trainer this week.",
                             f"This job opens to you again {NEXT_WEEK}. Other jobs are not affected.",
                             subject="job"))
    return out


def supply_exclusions(supply: TaskSupply) -> list[Exclusion]:
    if supply.open_tasks is False:
        return [Exclusion("no_tasks", "Every task of this job is answered or being worked on by other trainers.",
                          "Tasks come back when a reservation runs out or an answer is rejected; look again later.")]
    if supply.open_for_trainer is False:
        return [Exclusion("done_all", "You have worked on every task of this job that still needs answers.",
                          "Nothing to do: the remaining answers must come from other trainers. Thank you!")]
    return []


def work_exclusions(trainer: TrainerFacts, job: JobRules, hours: WeeklyHours,
                    supply: TaskSupply = TaskSupply(),
                    catalogue: Mapping[str, QualificationInfo] | None = None,
                    extra: Sequence[Exclusion] = ()) -> list[Exclusion]:
    """Every rule that keeps `trainer` from starting a task of `job` now (empty: they may start).

    Order: the jobs room's rules (job state, standing and moderation's sanctions and blocks, country, languages,
    expertise, qualifications, content warning), then `extra` (rules of rooms above, e.g. a quality removal from
    this job), then the weekly limits, then task supply (only when nothing else blocks, since "no task left" is
    no reason to read when the trainer could not take one anyway).
    """
    out = exclusions(trainer, job, catalogue) + list(extra) + hour_exclusions(hours)
    if not any(e.blocking for e in out):
        out += supply_exclusions(supply)
    return out


def blocking(excl: Iterable[Exclusion]) -> list[Exclusion]:
    return [e for e in excl if e.blocking]


def match_score(trainer: TrainerFacts, job: JobRules) -> int:
    """How much of what the trainer has the job asks for: qualifications 3, expertise 2, languages and a
    country limit 1 each. Jobs that need a trainer's rarer skills come first, so those skills are used where
    few others can help (an open-to-all job can be taken by anyone)."""
    score = 3 * sum(1 for q in job.required_qualifications if q in trainer.qualifications)
    score += 2 * sum(1 for a in job.required_expertise if a in trainer.expertise)
    score += sum(1 for code, _ in job.required_languages if code in trainer.languages)
    score += 1 if job.allowed_countries and trainer.country in job.allowed_countries else 0
    return score


@dataclass(frozen=True)
class RankKey:
    job_id: int
    priority: int
    score: int
    published_at: datetime | None


def rank(keys: Sequence[RankKey]) -> list[int]:
    """Job ids in the order a trainer should see them: higher priority, then best match, then oldest first
    (work waiting longest is done first); the job id settles ties so the order is stable."""
    def key(k: RankKey):
        when = k.published_at.timestamp() if k.published_at else float("inf")
        return (-k.priority, -k.score, when, k.job_id)
    return [k.job_id for k in sorted(keys, key=key)]


# Why a trainer's queue is empty, from the exclusions of every live job: the reasons people can act on.
EMPTY_REASONS = {
    "standing": "Your account is not in good standing, so new work is blocked. The notice in your inbox says "
                "why and how to appeal.",
    "weekly_cap": "You have reached your weekly cap; new work opens Monday 00:00 UTC (or raise your cap on your "
                  "profile).",
    "job_weekly_limit": "You have reached the weekly limit of the jobs you qualify for; they open again Monday "
                        "00:00 UTC.",
    "job_paused_budget": "Jobs you qualify for are paused because their budget is used up; they reopen when "
                         "the requester adds funds.",
    "job_paused": "Jobs you qualify for are paused by their requesters.",
    "no_tasks": "Every task of the jobs you qualify for is answered or being worked on; tasks come back when "
                "a reservation runs out, so look again later.",
    "done_all": "You have answered every task you can take in the jobs you qualify for.",
    "language": "No work is published for your languages at the level the jobs ask for.",
    "expertise": "Jobs open now ask for expertise that is not on your profile.",
    "qualification": "Jobs open now ask for qualifications you do not hold yet; the assessments page lists "
                     "the tests that grant them.",
    "country": "Jobs open now are limited to other countries.",
    "country_withdrawn": "Work from your country is on hold; the notice in your inbox explains.",
    "requester_block": "Requesters of the jobs open now have blocked you from their jobs; you can appeal.",
    "job_sanction": "You are barred from the jobs open now; the decisions in your record say why.",
    "requester_sanction": "You are barred from the jobs open now; the decisions in your record say why.",
    "quality_restriction": "A job's quality rule removed you from it; your quality page shows the rule, the "
                           "evidence and how to return.",
}


def explain_empty(any_live_jobs: bool, excluded: Iterable[Sequence[Exclusion]], in_good_standing: bool,
                  languages: Sequence[str] = ()) -> list[str]:
    """Sentences that say why a trainer has no job to start; never empty (an empty queue always says why)."""
    if not in_good_standing:
        return [EMPTY_REASONS["standing"]]
    if not any_live_jobs:
        return ["No jobs are published right now. New work appears here as soon as a requester publishes it."]
    seen: list[str] = []
    for job_exclusions in excluded:
        for e in blocking(job_exclusions):
            if e.code in EMPTY_REASONS and e.code not in seen:
                seen.append(e.code)
    reasons = [EMPTY_REASONS[code] for code in seen]
    if "language" in seen and languages:
        reasons[seen.index("language")] = (f"No work is published for your languages ({', '.join(languages)}) "
                                           "at the level the jobs ask for.")
    return reasons or ["None of the published jobs is open to you right now; each one below says why."]
