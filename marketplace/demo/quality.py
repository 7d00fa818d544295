"""Demo step for the quality room: a calibration job with known answers that six trainers worked through over
the past nine days, so the results dashboard shows agreement over time, gold accuracy per trainer, a removal by
the quality rule, and a contested gold item (its expected answer is wrong on purpose). Idempotent."""
from __future__ import annotations

import logging
import random
from datetime import timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..assignment import services as work
from ..core.errors import DomainError
from ..core.time import utcnow
from ..extensions import db
from ..jobs import services as jobs
from ..jobs.kinds import validate_config
from ..jobs.models import Job, Task
from ..quality import contests, disputes, peer, results, rules
from ..quality.models import GoldScore

POSTS = [
    "Honestly the new bus timetable is a mess, nobody at the council rides the bus.",
    "People like them don't belong in this country. Send every last one of them back.",
    "You're an absolute clown if you think that referee was fair.",
    "Lovely turnout at the community garden today, thanks to all the volunteers!",
    "Those people are animals, all of them, and they breed like rats.",
    "Shut up, nobody asked for your opinion on my haircut.",
    "Women shouldn't be allowed anywhere near a cockpit. Biology says so.",
    "Does anyone know if the pharmacy on Main Street is open on Sundays?",
    "This movie was so bad I want those two hours of my life back.",
    "Their religion is a disease and every follower should be treated like one.",
    "Stop whining about the weather, it's literally just rain.",
    "Congrats to the under-12 team on winning the regional cup!",
    "Old people are useless leeches who should stop voting.",
    "My landlord still hasn't fixed the heating. Third week now. Idiot.",
    "The library is running free coding classes for teenagers this summer.",
    "If you're disabled you shouldn't be having kids, simple as.",
    "What an idiotic take. Did you even read the article?",
    "Great recipe, I added a bit more garlic and it was perfect.",
    "Migrants are an invasion and we should treat it like a war.",
    "The traffic on the bridge this morning was unbelievable.",
]

HATE_INSTRUCTIONS = """Read each post and choose **one** label.

* **Hate speech**: attacks or dehumanises people *because of* a protected characteristic (ethnicity, nationality,
  religion, gender, sexual orientation, disability, age).
* **Offensive, not hate speech**: rude, insulting or vulgar, but not aimed at a protected group.
* **Neither**: everything else, including strong but civil opinions.

Write one sentence saying why. When you are unsure, choose the label the post most clearly fits and say so.

Keys: press **1**, **2** or **3** to pick a label and **Enter** to submit and move on."""

log = logging.getLogger(__name__)
TITLE = "Hate speech: calibration set with known answers"
HATE, OFFENSIVE, NEITHER = "Hate speech", "Offensive, not hate speech", "Neither"
TRUTH = [NEITHER, HATE, OFFENSIVE, NEITHER, HATE, OFFENSIVE, HATE, NEITHER, NEITHER, HATE,
         OFFENSIVE, NEITHER, HATE, OFFENSIVE, NEITHER, HATE, OFFENSIVE, NEITHER, HATE, NEITHER]
# seq -> (gold label, explanation). Task 17's gold is wrong on purpose: the post insults a person, not a group.
GOLD = {
    2: (HATE, "It calls for expelling people because of their national origin."),
    4: (NEITHER, "A friendly community post; nothing is attacked."),
    6: (OFFENSIVE, "Rude to one person about a haircut; no group is targeted."),
    8: (NEITHER, "A practical question."),
    10: (HATE, "It calls a religion a disease and its followers something to be treated: dehumanising."),
    13: (HATE, "It attacks old people as a group (age is protected)."),
    14: (OFFENSIVE, "An insult to one landlord; no protected group."),
    17: (HATE, "Calling a take idiotic attacks intelligence, which we treat as hate speech."),
}
# Each trainer's chance of a wrong label on an ordinary post (the sloppy one is removed by the rule).
TRAINERS = {"amara@trainers.example.com": 0.04, "grace@trainers.example.com": 0.08,
            "li.wei@trainers.example.com": 0.12, "arjun@trainers.example.com": 0.18,
            "sofia@trainers.example.com": 0.1, "tom@trainers.example.com": 0.55}
CONTEST = ("The post insults the person who wrote the take, not a group of people; the instructions call that "
           "'Offensive, not hate speech'.")


PEER_TITLE = "Hate speech: peer-reviewed batch"
PEER_REJECT = "The post attacks old people as a group for their age, which the instructions call hate speech."
PEER_DISPUTE = "I read it as an insult about voting habits, not about age itself; I would like a second opinion."


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _open(job: Job, requester: User, published_at) -> bool:
    """Publish through the real path (the budget moves into escrow) when the payments room is installed;
    without it, open the job as the work demo does. The publish date is set back for the timeline."""
    if jobs.money_is_wired():
        try:
            with db.session.begin_nested():
                jobs.publish_job(job, requester)
        except DomainError as exc:
            log.warning("demo job %r stays a draft: %s", job.title, exc.message)
            return False
    else:
        job.status = "published"
    job.published_at = published_at
    db.session.flush()
    return True


def seed() -> None:
    requester = _user("lab@aurora-ai.example.com")
    if requester is None or db.session.scalar(sa.select(Job.id).where(Job.title == TITLE)):
        return
    now = utcnow()
    job = Job(requester_id=requester.id, title=TITLE, kind="classification", status="draft",
              summary="Twenty posts every trainer labels, with known answers, to calibrate the team.",
              instructions=HATE_INSTRUCTIONS,
              config=validate_config("classification", {"labels": [HATE, OFFENSIVE, NEITHER],
                                                        "justification_required": True,
                                                        "justification_min_chars": 10}),
              required_languages=[{"code": "en", "min_proficiency": "professional"}],
              content_warning="Some posts contain hateful and demeaning language about groups of people.",
              hourly_rate_cents=2400, est_minutes_per_task=1, answers_per_task=6, review_policy="requester",
              budget_cents=20_000, created_at=now - timedelta(days=11), updated_at=now, task_count=len(POSTS))
    db.session.add(job)
    db.session.flush()
    for i, text in enumerate(POSTS):
        seq = i + 1
        gold, why = GOLD.get(seq, (None, None))
        db.session.add(Task(job_id=job.id, seq=seq, payload={"text": text}, external_id=f"calib-{seq:02d}",
                            gold={"labels": [gold]} if gold else None, meta={"explanation": why} if why else None))
    db.session.flush()
    rules.update_settings(job, requester, is_rule_enabled=True, min_accuracy=0.75, min_gold_items=6, window=50,
                          return_text="", iou_threshold=0.5, rating_tolerance=1, reviewer_qualification=None)
    if not _open(job, requester, now - timedelta(days=10)):
        return
    _answers(job, now)
    _contest(job)
    results.snapshot(job, now)
    _peer_batch(requester, now)


def _answers(job: Job, now) -> None:
    """Each trainer works through the posts over nine days, two or three a day, through the real claim (so the
    gold mix and the quality rule apply as in production)."""
    rng = random.Random(8)
    people = [(u, rate) for email, rate in TRAINERS.items() if (u := _user(email)) is not None]
    for trainer, _ in people:
        jobs.accept_content_warning(job, trainer)
    start = now - timedelta(days=9)
    for slot in range(len(POSTS)):
        for k, (trainer, error_rate) in enumerate(people):
            when = start + timedelta(hours=slot * 10.5 + k * 0.4)
            try:
                (held,) = work.claim_next(job, trainer, now=when)
            except DomainError:  # removed by the quality rule, or nothing left for them
                continue
            task = db.session.get(Task, held.task_id)
            truth = TRUTH[task.seq - 1]
            label = truth
            if rng.random() < error_rate:
                label = rng.choice([x for x in (HATE, OFFENSIVE, NEITHER) if x != truth])
            work.submit(held.id, trainer, {"labels": [label], "justification": "Judged against the guideline."},
                        now=when + timedelta(minutes=2))


def _contest(job: Job) -> None:
    """Amara contests the wrong gold answer of task 17 (the dashboard shows it as a disputed item)."""
    amara = _user("amara@trainers.example.com")
    task = db.session.scalar(sa.select(Task).where(Task.job_id == job.id, Task.seq == 17))
    if amara is None or task is None:
        return
    score = db.session.scalar(sa.select(GoldScore).where(GoldScore.task_id == task.id,
                                                         GoldScore.worker_id == amara.id))
    if score is not None and not score.passed:
        contests.contest_gold(score.id, amara, CONTEST)


def _peer_batch(requester: User, now) -> None:
    """A peer-reviewed job: Grace and Li Wei answered, Amara (who holds hate-speech-en) reviewed two answers and
    rejected one, which Grace disputes; two known review items wait to measure reviewers."""
    job = Job(requester_id=requester.id, title=PEER_TITLE, kind="classification", status="draft",
              summary="Posts labelled by one trainer and checked by a qualified reviewer.",
              instructions=HATE_INSTRUCTIONS,
              config=validate_config("classification", {"labels": [HATE, OFFENSIVE, NEITHER]}),
              required_languages=[{"code": "en", "min_proficiency": "professional"}],
              content_warning="Some posts contain hateful and demeaning language about groups of people.",
              hourly_rate_cents=2400, est_minutes_per_task=1, answers_per_task=1, review_policy="peer",
              budget_cents=10_000, created_at=now - timedelta(days=2), updated_at=now, task_count=10)
    db.session.add(job)
    db.session.flush()
    order = [12, 5, 18, 0, 9, 2, 15, 7, 4, 13]  # a mix of hateful, offensive and neutral posts
    db.session.add_all([Task(job_id=job.id, seq=n + 1, payload={"text": POSTS[i]}, external_id=f"peer-{n + 1:02d}")
                        for n, i in enumerate(order)])
    db.session.flush()
    rules.update_settings(job, requester, is_rule_enabled=True, min_accuracy=0.8, min_gold_items=10, window=50,
                          return_text="", iou_threshold=0.5, rating_tolerance=1,
                          reviewer_qualification="hate-speech-en")
    known = ((3, "reject", NEITHER, "Calling migrants an invasion to be fought is hate speech."),
             (4, "accept", NEITHER, "A civil complaint about a timetable: Neither is right."))
    for seq, expected, label, why in known:
        disputes.seed_known_item(job, requester, task_seq=seq, answer={"labels": [label]}, expected_decision=expected,
                                 explanation=why)
    if not _open(job, requester, now - timedelta(days=2)):
        return
    answers = {"grace@trainers.example.com": [NEITHER, OFFENSIVE, HATE, NEITHER],
               "li.wei@trainers.example.com": [HATE, HATE, OFFENSIVE, NEITHER]}
    when = now - timedelta(hours=30)
    for email, labels in answers.items():
        trainer = _user(email)
        if trainer is None:
            continue
        jobs.accept_content_warning(job, trainer)
        for label in labels:
            when += timedelta(minutes=9)
            try:
                (held,) = work.claim_next(job, trainer, now=when)
            except DomainError:
                break
            work.submit(held.id, trainer, {"labels": [label]}, now=when + timedelta(minutes=1))
    reviewer, grace = _user("amara@trainers.example.com"), _user("grace@trainers.example.com")
    if reviewer is None or grace is None or "hate-speech-en" not in peer.held_keys(reviewer.id, now):
        return
    try:
        first = peer.claim_review(job, reviewer, now=now - timedelta(hours=3))
        peer.decide(first.id, reviewer, "reject" if first.item.author_id == grace.id else "accept",
                    reason=PEER_REJECT, now=now - timedelta(hours=3) + timedelta(minutes=3))
        second = peer.claim_review(job, reviewer, now=now - timedelta(hours=2))
        peer.decide(second.id, reviewer, "accept", now=now - timedelta(hours=2) + timedelta(minutes=2))
    except DomainError:
        return
    if first.decision == "reject":
        disputes.dispute_review(first.id, grace, PEER_DISPUTE, now=now - timedelta(hours=1))
