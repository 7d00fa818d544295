"""Who may work on a job, and why not: ONE pure function used by every page, the API and the work engine.

Inputs are plain data (no database, no Flask); the output lists every rule that excludes the trainer, each
with a code, a sentence saying what the rule is, and what would change it. An empty list means eligible.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..core.taxonomy import PROFICIENCY_RANK, country_name, expertise_name, language_name, proficiency_at_least


@dataclass(frozen=True)
class TrainerFacts:
    """What the platform knows about a trainer that eligibility may use (and nothing else)."""

    languages: Mapping[str, str] = field(default_factory=dict)   # ISO 639-1 code -> stated proficiency
    expertise: frozenset[str] = frozenset()
    country: str | None = None
    qualifications: frozenset[str] = frozenset()                   # keys of active qualifications
    in_good_standing: bool = True
    standing: str = "active"                                       # active | suspended | deactivated
    country_withdrawn: bool = False                                # the platform stopped work from their country
    country_withdrawal_reason: str = ""
    # A decision about this trainer that bars them from this job or requester (moderation's standing_for):
    # job_sanction | requester_sanction | requester_block, with the written reason they read.
    barred_code: str = ""
    barred_reason: str = ""
    accepted_content_warning: bool = False                         # for this job


@dataclass(frozen=True)
class JobRules:
    """A job's eligibility rules, as plain data."""

    status: str = "published"
    paused_reason: str | None = None
    required_languages: tuple[tuple[str, str], ...] = ()           # (code, minimum proficiency)
    required_expertise: tuple[str, ...] = ()
    required_qualifications: tuple[str, ...] = ()
    allowed_countries: tuple[str, ...] = ()                         # empty: every country
    country_reason: str = ""
    content_warning: str = ""


@dataclass(frozen=True)
class QualificationInfo:
    """How to talk about a qualification: its name and, when one exists, the assessment that grants it."""

    key: str
    name: str
    kind: str = ""                   # language | expertise | task_skill
    assessment_title: str | None = None


@dataclass(frozen=True)
class Exclusion:
    code: str          # stable, for programs: language, expertise, qualification, country, ...
    message: str       # the rule, in a sentence: "Requires Japanese (professional or better)."
    remedy: str        # what would change it: "Take the Japanese assessment."
    subject: str = ""  # which language / area / qualification / country the rule is about
    blocking: bool = True  # False for a step the trainer can take on the spot (accepting a content warning)

    def __str__(self) -> str:
        return f"{self.message} {self.remedy}"


LANGUAGE_QUALIFICATION_PREFIX = "lang-"


def language_qualification_level(key: str, code: str) -> str | None:
    """The proficiency a language qualification proves ("lang-ja-professional" -> "professional")."""
    prefix = f"{LANGUAGE_QUALIFICATION_PREFIX}{code}-"
    if key.startswith(prefix) and key[len(prefix):] in PROFICIENCY_RANK:
        return key[len(prefix):]
    return None


def _language_assessment(code: str, catalogue: Mapping[str, QualificationInfo]) -> QualificationInfo | None:
    for info in catalogue.values():
        if language_qualification_level(info.key, code) and info.assessment_title:
            return info
    return None


def exclusions(trainer: TrainerFacts, job: JobRules,
               catalogue: Mapping[str, QualificationInfo] | None = None) -> list[Exclusion]:
    """Every rule that keeps `trainer` from working on `job` now (empty list: they may start).

    Rules: the job is open; the trainer is in good standing; their country is not withdrawn and is allowed;
    each required language is stated (or proven by a language qualification) at the minimum proficiency;
    each expertise area is on their profile; each required qualification is active; the content warning
    (if any) was accepted. The work engine adds hour and budget rules on top.
    """
    catalogue = catalogue or {}
    out: list[Exclusion] = []
    if job.status != "published":
        out.append(_job_closed(job))
    if not trainer.in_good_standing:
        out.append(Exclusion("standing", f"Your account is {trainer.standing}, so new work is blocked.",
                             "Read the notice in your inbox: it says why, until when, and how to appeal."))
    if trainer.barred_code:
        out.append(Exclusion(trainer.barred_code, f"You cannot take this job: {trainer.barred_reason}",
                             "Read the decision on your record: it says why and how to appeal."))
    if trainer.country_withdrawn:
        out.append(Exclusion("country_withdrawn",
                             f"Work from {country_name(trainer.country)} is on hold"
                             + (f": {trainer.country_withdrawal_reason}" if trainer.country_withdrawal_reason else "."),
                             "Nothing you can change; the notice in your inbox says what happens next.",
                             subject=trainer.country or ""))
    if job.allowed_countries and trainer.country not in job.allowed_countries:
        places = ", ".join(country_name(c) for c in job.allowed_countries)
        reason = f" because {job.country_reason.rstrip('.')}" if job.country_reason else ""
        where = country_name(trainer.country) if trainer.country else "no country on your profile"
        out.append(Exclusion("country", f"This job is limited to {places}{reason}.",
                             f"It cannot be taken from {where}; if you now work from one of these countries, "
                             "update the country on your profile.", subject=trainer.country or ""))
    for code, minimum in job.required_languages:
        if not _speaks(trainer, code, minimum):
            out.append(_language_exclusion(trainer, code, minimum, catalogue))
    for area in job.required_expertise:
        if area not in trainer.expertise:
            out.append(Exclusion("expertise", f"Requires expertise in {expertise_name(area)}.",
                                 f"Add {expertise_name(area)} to your profile if it is your field.", subject=area))
    for key in job.required_qualifications:
        if key not in trainer.qualifications:
            info = catalogue.get(key) or QualificationInfo(key, key)
            remedy = (f"Take the {info.assessment_title} assessment." if info.assessment_title
                      else "Ask an admin how to earn it; no assessment grants it yet.")
            out.append(Exclusion("qualification", f"Requires the {info.name} qualification.", remedy, subject=key))
    if job.content_warning and not trainer.accepted_content_warning:
        out.append(Exclusion("content_warning", f"Content warning: {job.content_warning}",
                             "Read the warning and accept it to start; you can stop at any time.",
                             blocking=False))
    return out


def is_eligible(trainer: TrainerFacts, job: JobRules, catalogue=None, *, ignore_warning: bool = False) -> bool:
    return not [e for e in exclusions(trainer, job, catalogue) if e.blocking or not ignore_warning]


def _speaks(trainer: TrainerFacts, code: str, minimum: str) -> bool:
    stated = trainer.languages.get(code)
    if stated and proficiency_at_least(stated, minimum):
        return True
    return any((level := language_qualification_level(key, code)) and proficiency_at_least(level, minimum)
               for key in trainer.qualifications)


def _language_exclusion(trainer: TrainerFacts, code: str, minimum: str,
                        catalogue: Mapping[str, QualificationInfo]) -> Exclusion:
    name = language_name(code)
    stated = trainer.languages.get(code)
    message = f"Requires {name} ({minimum} or better)"
    message += f"; your profile says {stated}." if stated else "."
    assessment = _language_assessment(code, catalogue)
    if assessment:
        remedy = f"Take the {assessment.assessment_title} assessment."
    elif stated:
        remedy = f"If your {name} is now {minimum} or better, update your profile."
    else:
        remedy = f"If you speak {name} at {minimum} level or better, add it to your profile."
    return Exclusion("language", message, remedy, subject=code)


def _job_closed(job: JobRules) -> Exclusion:
    if job.status == "paused" and job.paused_reason == "budget":
        return Exclusion("job_paused_budget", "This job is paused: its budget is used up for now.",
                         "It reopens when the requester adds funds; it stays in your list.")
    if job.status == "paused":
        return Exclusion("job_paused", "This job is paused by its requester.",
                         "It reopens when the requester resumes it.")
    if job.status == "closed":
        return Exclusion("job_closed", "This job is closed.", "Nothing to do: it will not reopen.")
    return Exclusion("job_draft", "This job is not published yet.", "Wait until the requester publishes it.")
