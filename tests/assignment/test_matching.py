"""Matching (pure): every rule that keeps a trainer from a job, each with its own message and remedy; the
ranking of eligible jobs; and the explanation of an empty queue."""
from datetime import datetime, timezone

import pytest

from marketplace.assignment.matching import (RankKey, TaskSupply, WeeklyHours, explain_empty, hours_text,
                                             match_score, rank, work_exclusions)
from marketplace.jobs.eligibility import JobRules, QualificationInfo, TrainerFacts

AMARA = TrainerFacts(languages={"en": "native", "fr": "professional"}, expertise=frozenset({"trust_and_safety"}),
                     country="NG", qualifications=frozenset({"hate-speech-en"}))
CATALOGUE = {"hate-speech-en": QualificationInfo("hate-speech-en", "Hate-speech judgement (English)", "task_skill",
                                                 "Hate-speech judgement (English)"),
             "lang-ja-professional": QualificationInfo("lang-ja-professional", "Japanese (professional)", "language",
                                                       "Japanese reading (professional)")}
OPEN = TaskSupply(True, True)


def codes(found):
    return [e.code for e in found]


def test_trainer_meeting_every_rule_with_work_left_may_start():
    job = JobRules(required_languages=(("en", "professional"),), required_expertise=("trust_and_safety",),
                   required_qualifications=("hate-speech-en",), allowed_countries=("NG", "GH"),
                   country_reason="the posts are Nigerian and Ghanaian")
    assert work_exclusions(AMARA, job, WeeklyHours(20 * 60, 5 * 60, 10 * 60, 60), OPEN, CATALOGUE) == []


# (trainer changes, job rules, hours, supply) -> (code, words in the message, words in the remedy)
TABLE = [
    ({"in_good_standing": False, "standing": "suspended"}, {}, WeeklyHours(), OPEN,
     "standing", "Your account is suspended, so new work is blocked.", "how to appeal"),
    ({"country_withdrawn": True, "country_withdrawal_reason": "a sanctions review"}, {}, WeeklyHours(), OPEN,
     "country_withdrawn", "Work from Nigeria is on hold: a sanctions review", "notice in your inbox"),
    ({"in_good_standing": False, "standing": "deactivated"}, {}, WeeklyHours(), OPEN,
     "standing", "Your account is deactivated, so new work is blocked.", "how to appeal"),
    ({"barred_code": "job_sanction", "barred_reason": "Suspended from this job until 3 May: copied answers."}, {},
     WeeklyHours(), OPEN, "job_sanction", "You cannot take this job: Suspended from this job until 3 May",
     "decision on your record"),
    ({"barred_code": "requester_sanction", "barred_reason": "Suspended from Acme Lab's jobs: abuse in a note."}, {},
     WeeklyHours(), OPEN, "requester_sanction", "You cannot take this job: Suspended from Acme Lab's jobs",
     "how to appeal"),
    ({"barred_code": "requester_block", "barred_reason": "Acme Lab blocked you from their jobs: spam."}, {},
     WeeklyHours(), OPEN, "requester_block", "You cannot take this job: Acme Lab blocked you", "how to appeal"),
    ({}, {"allowed_countries": ("JP",), "country_reason": "the data may not leave Japan"}, WeeklyHours(), OPEN,
     "country", "limited to Japan because the data may not leave Japan", "cannot be taken from Nigeria"),
    ({}, {"required_languages": (("ja", "professional"),)}, WeeklyHours(), OPEN,
     "language", "Requires Japanese (professional or better).", "Take the Japanese reading (professional) assessment."),
    ({}, {"required_languages": (("fr", "native"),)}, WeeklyHours(), OPEN,
     "language", "Requires French (native or better); your profile says professional.",
     "If your French is now native or better, update your profile."),
    ({}, {"required_expertise": ("medicine",)}, WeeklyHours(), OPEN,
     "expertise", "Requires expertise in Medicine.", "Add Medicine to your profile"),
    ({"qualifications": frozenset()}, {"required_qualifications": ("hate-speech-en",)}, WeeklyHours(), OPEN,
     "qualification", "Requires the Hate-speech judgement (English) qualification.",
     "Take the Hate-speech judgement (English) assessment."),
    ({}, {"status": "paused", "paused_reason": "budget"}, WeeklyHours(), OPEN,
     "job_paused_budget", "This job is paused: its budget is used up for now.", "requester adds funds"),
    ({}, {"status": "paused", "paused_reason": "requester"}, WeeklyHours(), OPEN,
     "job_paused", "paused by its requester", "resumes it"),
    ({}, {"status": "closed"}, WeeklyHours(), OPEN, "job_closed", "This job is closed.", "will not reopen"),
    ({}, {"status": "draft"}, WeeklyHours(), OPEN, "job_draft", "not published yet", "publishes it"),
    ({}, {}, WeeklyHours(trainer_cap_minutes=20 * 60, trainer_week_minutes=20 * 60), OPEN,
     "weekly_cap", "You have reached your weekly cap of 20 hours.", "Monday 00:00 UTC"),
    ({}, {}, WeeklyHours(trainer_cap_minutes=0), OPEN,
     "weekly_cap", "Your weekly cap is 0 hours", "raise your cap on your profile"),
    ({}, {}, WeeklyHours(job_limit_minutes=90, job_week_minutes=95), OPEN,
     "job_weekly_limit", "You have worked this job's limit of 1.5 hours per trainer this week.",
     "Other jobs are not affected."),
    ({}, {}, WeeklyHours(), TaskSupply(False, False),
     "no_tasks", "Every task of this job is answered or being worked on by other trainers.", "look again later"),
    ({}, {}, WeeklyHours(), TaskSupply(True, False),
     "done_all", "You have worked on every task of this job that still needs answers.", "other trainers"),
]


@pytest.mark.parametrize("trainer, rules, hours, supply, code, message, remedy", TABLE,
                         ids=[f"{row[4]}-{i}" for i, row in enumerate(TABLE)])
def test_each_rule_excludes_with_its_own_message_and_remedy(trainer, rules, hours, supply, code, message, remedy):
    facts = TrainerFacts(**{**AMARA.__dict__, **trainer})
    found = work_exclusions(facts, JobRules(**rules), hours, supply, CATALOGUE)
    assert codes(found) == [code]
    assert message in found[0].message
    assert remedy in found[0].remedy
    assert found[0].blocking


def test_content_warning_is_a_step_to_take_not_a_block():
    found = work_exclusions(AMARA, JobRules(content_warning="Posts contain slurs."), WeeklyHours(), OPEN)
    assert codes(found) == ["content_warning"] and not found[0].blocking
    accepted = TrainerFacts(**{**AMARA.__dict__, "accepted_content_warning": True})
    assert work_exclusions(accepted, JobRules(content_warning="Posts contain slurs."), WeeklyHours(), OPEN) == []


def test_every_rule_that_applies_is_listed_not_only_the_first():
    facts = TrainerFacts(**{**AMARA.__dict__, "in_good_standing": False, "standing": "suspended"})
    found = work_exclusions(facts, JobRules(required_expertise=("law",), status="paused", paused_reason="budget"),
                            WeeklyHours(trainer_cap_minutes=60, trainer_week_minutes=60), OPEN)
    assert codes(found) == ["job_paused_budget", "standing", "expertise", "weekly_cap"]


def test_task_supply_is_not_mentioned_when_another_rule_already_blocks():
    found = work_exclusions(AMARA, JobRules(required_expertise=("law",)), WeeklyHours(), TaskSupply(False, False))
    assert codes(found) == ["expertise"]


def test_the_limit_with_the_least_time_left_gives_the_hours_available():
    assert WeeklyHours().minutes_left is None
    assert WeeklyHours(trainer_cap_minutes=600, trainer_week_minutes=100).minutes_left == 500
    assert WeeklyHours(600, 100, job_limit_minutes=120, job_week_minutes=30).minutes_left == 90
    assert WeeklyHours(600, 700).minutes_left == 0
    assert hours_text(90) == "1.5 hours" and hours_text(60) == "1 hour"


def when(day):
    return datetime(2026, 11, day, tzinfo=timezone.utc)


def test_eligible_jobs_rank_by_priority_then_best_match_then_oldest():
    keys = [RankKey(1, priority=0, score=0, published_at=when(1)),
            RankKey(2, priority=0, score=3, published_at=when(5)),
            RankKey(3, priority=5, score=0, published_at=when(9)),
            RankKey(4, priority=0, score=3, published_at=when(2)),
            RankKey(5, priority=0, score=0, published_at=when(3))]
    assert rank(keys) == [3, 4, 2, 1, 5]


def test_a_job_that_needs_more_of_what_the_trainer_has_is_a_better_match():
    generic = JobRules()
    languages = JobRules(required_languages=(("en", "professional"),))
    specialist = JobRules(required_languages=(("en", "professional"),), required_expertise=("trust_and_safety",),
                          required_qualifications=("hate-speech-en",))
    assert match_score(AMARA, generic) < match_score(AMARA, languages) < match_score(AMARA, specialist)


def test_an_empty_queue_always_says_why():
    assert "suspended" not in explain_empty(True, [], in_good_standing=False)[0]  # generic words, no status leak
    assert "not in good standing" in explain_empty(True, [], in_good_standing=False)[0]
    assert "No jobs are published right now" in explain_empty(False, [], in_good_standing=True)[0]
    language = work_exclusions(AMARA, JobRules(required_languages=(("ja", "professional"),)), WeeklyHours(), OPEN)
    budget = work_exclusions(AMARA, JobRules(status="paused", paused_reason="budget"), WeeklyHours(), OPEN)
    cap = work_exclusions(AMARA, JobRules(), WeeklyHours(60, 60), OPEN)
    reasons = explain_empty(True, [language, budget, cap], in_good_standing=True, languages=["English", "French"])
    assert reasons[0] == "No work is published for your languages (English, French) at the level the jobs ask for."
    assert any("paused because their budget is used up" in r for r in reasons)
    assert any("reached your weekly cap" in r for r in reasons)
    assert explain_empty(True, [[]], in_good_standing=True)  # never an empty list
