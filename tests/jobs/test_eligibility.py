"""Eligibility: one pure function; each rule excludes with its own code, sentence and remedy."""
import pytest

from marketplace.jobs.eligibility import JobRules, QualificationInfo, TrainerFacts, exclusions, is_eligible

YUKI = TrainerFacts(languages={"ja": "native", "en": "professional"}, expertise=frozenset({"linguistics"}),
                    country="JP", qualifications=frozenset({"hate-speech-en"}))
CATALOGUE = {
    "hate-speech-en": QualificationInfo("hate-speech-en", "Hate-speech judgement (English)", "task_skill",
                                        "Hate-speech judgement (English)"),
    "lang-ja-professional": QualificationInfo("lang-ja-professional", "Japanese (professional)", "language",
                                              "Japanese reading (professional)"),
    "python-code-review": QualificationInfo("python-code-review", "Python code review", "expertise",
                                            "Python code review"),
}


def only(trainer=YUKI, catalogue=CATALOGUE, **rules):
    found = exclusions(trainer, JobRules(**rules), catalogue)
    assert len(found) == 1, found
    return found[0]


def test_trainer_meeting_every_rule_is_eligible():
    rules = JobRules(required_languages=(("ja", "professional"),), required_expertise=("linguistics",),
                     required_qualifications=("hate-speech-en",), allowed_countries=("JP",),
                     country_reason="the data may not leave Japan")
    assert exclusions(YUKI, rules, CATALOGUE) == []
    assert is_eligible(YUKI, rules, CATALOGUE)


@pytest.mark.parametrize("rules, code, message, remedy", [
    ({"required_languages": (("ko", "professional"),)}, "language",
     "Requires Korean (professional or better).", "If you speak Korean at professional level or better, add it"),
    ({"required_languages": (("en", "fluent"),)}, "language",
     "Requires English (fluent or better); your profile says professional.",
     "If your English is now fluent or better, update your profile."),
    ({"required_expertise": ("chemistry",)}, "expertise", "Requires expertise in Chemistry.",
     "Add Chemistry to your profile if it is your field."),
    ({"required_qualifications": ("python-code-review",)}, "qualification",
     "Requires the Python code review qualification.", "Take the Python code review assessment."),
    ({"required_qualifications": ("medical-triage",)}, "qualification",
     "Requires the medical-triage qualification.", "Ask an admin how to earn it"),
    ({"allowed_countries": ("DE", "AT"), "country_reason": "the data may not leave the EU."}, "country",
     "This job is limited to Germany, Austria because the data may not leave the EU.",
     "It cannot be taken from Japan"),
    ({"status": "paused", "paused_reason": "budget"}, "job_paused_budget", "paused: its budget is used up",
     "reopens when the requester adds funds"),
    ({"status": "paused", "paused_reason": "requester"}, "job_paused", "paused by its requester",
     "resumes it"),
    ({"status": "closed"}, "job_closed", "This job is closed.", "will not reopen"),
    ({"status": "draft"}, "job_draft", "not published yet", "publishes it"),
    ({"content_warning": "Posts contain slurs and threats."}, "content_warning",
     "Content warning: Posts contain slurs and threats.", "accept it to start"),
])
def test_each_rule_excludes_with_its_message_and_remedy(rules, code, message, remedy):
    found = only(**rules)
    assert found.code == code
    assert message in found.message
    assert remedy in found.remedy


def test_language_requirement_points_at_the_language_assessment_when_one_exists():
    found = only(trainer=TrainerFacts(languages={"en": "native"}, country="GB"),
                 required_languages=(("ja", "professional"),))
    assert found.message == "Requires Japanese (professional or better)."
    assert found.remedy == "Take the Japanese reading (professional) assessment."


def test_a_language_qualification_proves_the_language_even_if_the_profile_does_not_state_it():
    trainer = TrainerFacts(languages={"en": "native"}, qualifications=frozenset({"lang-ja-professional"}))
    assert exclusions(trainer, JobRules(required_languages=(("ja", "professional"),))) == []
    assert exclusions(trainer, JobRules(required_languages=(("ja", "native"),)))[0].code == "language"


def test_suspended_trainer_is_told_to_read_the_notice():
    found = only(trainer=TrainerFacts(in_good_standing=False, standing="suspended"))
    assert found.code == "standing" and "suspended" in found.message and "appeal" in found.remedy


def test_withdrawn_country_gives_its_reason():
    found = only(trainer=TrainerFacts(country="XK", country_withdrawn=True,
                                      country_withdrawal_reason="payouts cannot reach Kosovo for now"))
    assert found.code == "country_withdrawn" and "payouts cannot reach Kosovo" in found.message


def test_trainer_without_a_country_is_told_to_add_one_for_a_country_limited_job():
    found = only(trainer=TrainerFacts(), allowed_countries=("JP",), country_reason="data stays in Japan")
    assert "no country on your profile" in found.remedy


def test_accepted_content_warning_no_longer_excludes_and_is_never_blocking():
    warned = JobRules(content_warning="Violent images.")
    found = exclusions(YUKI, warned)
    assert [e.blocking for e in found] == [False]
    assert is_eligible(YUKI, warned, ignore_warning=True) and not is_eligible(YUKI, warned)
    accepted = TrainerFacts(**{**YUKI.__dict__, "accepted_content_warning": True})
    assert exclusions(accepted, warned) == []


def test_every_failing_rule_is_listed_not_just_the_first():
    trainer = TrainerFacts(languages={"en": "basic"}, country="BR", in_good_standing=False, standing="suspended")
    rules = JobRules(status="paused", required_languages=(("en", "professional"), ("ja", "basic")),
                     required_expertise=("law",), required_qualifications=("hate-speech-en",),
                     allowed_countries=("JP",), country_reason="x", content_warning="hate speech")
    codes = [e.code for e in exclusions(trainer, rules, CATALOGUE)]
    assert codes == ["job_paused", "standing", "country", "language", "language", "expertise", "qualification",
                     "content_warning"]
