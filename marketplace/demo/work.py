"""Demo step for the work engine: published jobs the demo trainers can (and cannot) take, with some answers
already in, so My work, the work page and the requester's progress page show real activity. Idempotent."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..assignment import services as work
from ..core.time import utcnow
from ..extensions import db
from ..jobs import services as jobs
from ..jobs.kinds import validate_config
from ..jobs.models import Job, Task
from .pay import fund_demo_escrow

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
REVIEWS_JA = [
    "配達がとても早くて、梱包も丁寧でした。また利用したいです。",
    "説明と違う色の商品が届きました。残念です。",
    "値段の割には普通です。特に良くも悪くもありません。",
    "すぐに壊れてしまいました。二度と買いません。",
    "店員さんの対応がとても親切で感動しました。",
    "サイズはぴったりでしたが、生地が少し薄いです。",
    "期待以上の品質でした。家族にも勧めたいです。",
    "問い合わせの返事が一週間以上来ません。",
]
CODE = [
    {"problem": "Return the sum of a list of integers.", "code": "def total(xs):\n    return sum(xs[1:])\n"},
    {"problem": "Return True if n is prime.", "code": "def is_prime(n):\n    if n < 2:\n        return False\n"
     "    for d in range(2, int(n ** 0.5) + 1):\n        if n % d == 0:\n            return False\n    return True\n"},
    {"problem": "Reverse a string.", "code": "def reverse(s):\n    return s[::-1]\n"},
]

HATE_INSTRUCTIONS = """Read each post and choose **one** label.

* **Hate speech**: attacks or dehumanises people *because of* a protected characteristic (ethnicity, nationality,
  religion, gender, sexual orientation, disability, age).
* **Offensive, not hate speech**: rude, insulting or vulgar, but not aimed at a protected group.
* **Neither**: everything else, including strong but civil opinions.

Write one sentence saying why. When you are unsure, choose the label the post most clearly fits and say so.

Keys: press **1**, **2** or **3** to pick a label and **Enter** to submit and move on."""

JOBS = [
    dict(title="Hate speech in English social media posts", requester="lab@aurora-ai.example.com",
         kind="classification", summary="Label short public posts for a moderation model.",
         config={"labels": ["Hate speech", "Offensive, not hate speech", "Neither"], "justification_required": True,
                 "justification_min_chars": 10},
         instructions=HATE_INSTRUCTIONS, required_languages=[{"code": "en", "min_proficiency": "professional"}],
         content_warning="Some posts contain hateful and demeaning language about groups of people.",
         hourly_rate_cents=2400, est_minutes_per_task=1, answers_per_task=3, review_policy="requester",
         priority=1, payloads=[{"text": t} for t in POSTS]),
    dict(title="Japanese product review sentiment", requester="data@shinkansen-data.example.com",
         kind="classification", summary="Is the customer happy? Read Japanese shop reviews.",
         config={"labels": ["Positive", "Neutral", "Negative"]},
         instructions="Choose the overall feeling of the review. Mixed reviews: choose what the customer would "
                      "tell a friend.", required_languages=[{"code": "ja", "min_proficiency": "fluent"}],
         hourly_rate_cents=2600, est_minutes_per_task=1, answers_per_task=2, payloads=[{"text": t} for t in REVIEWS_JA]),
    dict(title="Review AI-written Python functions", requester="lab@aurora-ai.example.com", kind="code_review",
         summary="Is the code correct? Point at the bug.", config={"language": "python"},
         instructions="Read the problem, then the code. Say whether it is correct and point at each bug by line.",
         required_expertise=["software_engineering"], hourly_rate_cents=4500, est_minutes_per_task=6,
         answers_per_task=2, payloads=CODE),
    dict(title="Spanish medical question triage", requester="lab@aurora-ai.example.com", kind="classification",
         summary="Sort patient questions by urgency.", config={"labels": ["Urgent", "Soon", "Routine"]},
         instructions="Choose how soon the person should see a clinician.",
         required_languages=[{"code": "es", "min_proficiency": "native"}], required_expertise=["medicine"],
         hourly_rate_cents=5000, est_minutes_per_task=3, status="paused", paused_reason="budget",
         payloads=[{"text": "Me duele el pecho desde hace una hora y me cuesta respirar."},
                   {"text": "¿Cada cuánto debo renovar la receta de mis gafas?"}]),
]


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def seed() -> None:
    """Create the demo jobs once (matched by title) and let two demo trainers answer a few tasks."""
    now = utcnow()
    for spec in JOBS:
        spec = dict(spec)
        requester = _user(spec.pop("requester"))
        if requester is None or db.session.scalar(sa.select(Job.id).where(Job.title == spec["title"])):
            continue
        payloads = spec.pop("payloads")
        spec.setdefault("status", "published")
        job = Job(requester_id=requester.id, budget_cents=500_000, published_at=now - timedelta(days=2),
                  created_at=now - timedelta(days=3), updated_at=now, task_count=len(payloads),
                  **{**spec, "config": validate_config(spec["kind"], spec["config"])})
        db.session.add(job)
        db.session.flush()
        db.session.add_all([Task(job_id=job.id, seq=i + 1, payload=p, external_id=f"demo-{i + 1}")
                            for i, p in enumerate(payloads)])
        db.session.flush()
        if job.status in ("published", "paused"):
            fund_demo_escrow(job)  # published jobs hold their budget in escrow (the budget guarantee)
    _some_answers(now)


def _some_answers(now) -> None:
    """Two trainers have already answered the first hate-speech posts (so progress and review show data)."""
    job = db.session.scalar(sa.select(Job).where(Job.title == JOBS[0]["title"]))
    if job is None or db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(
            Task.job_id == job.id, Task.answers_done > 0)):
        return
    labels = ["Neither", "Hate speech", "Offensive, not hate speech", "Neither", "Hate speech"]
    for email in ("grace@trainers.example.com", "li.wei@trainers.example.com"):
        trainer = _user(email)
        if trainer is None:
            continue
        jobs.accept_content_warning(job, trainer)
        for i, label in enumerate(labels):
            when = now - timedelta(hours=4 - i // 2, minutes=7 * i)
            held = work.claim_next(job, trainer, now=when)[0]
            work.submit(held.id, trainer, {"labels": [label], "justification": "Judged against the guideline."},
                        now=when + timedelta(minutes=1))
