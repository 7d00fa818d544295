"""Demo seed steps. Each step is idempotent: running the seed twice changes nothing the second time."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..accounts import services as accounts
from ..accounts.models import User
from ..extensions import db
from . import payments as payments_demo

DEMO_PASSWORD = "fairtrain-demo-2026"


@dataclass
class DemoTrainer:
    email: str
    name: str
    country: str
    timezone: str
    languages: list[tuple[str, str]]
    expertise: dict[str, list[str]] = field(default_factory=dict)
    goal_hours: int | None = None
    cap_hours: int | None = None


ADMINS = [("admin@fairtrain.example.com", "Ada Admin"), ("admin2@fairtrain.example.com", "Bo Second-Admin")]
REQUESTERS = [("lab@aurora-ai.example.com", "Priya Raman", "Aurora AI Lab"),
              ("data@shinkansen-data.example.com", "Kenji Watanabe", "Shinkansen Data K.K.")]
TRAINERS = [
    DemoTrainer("amara@trainers.example.com", "Amara Okafor", "NG", "Africa/Lagos", [("en", "native"), ("fr", "professional")],
                {"trust_and_safety": [], "journalism": []}, 20, 30),
    DemoTrainer("yuki@trainers.example.com", "Yuki Tanaka", "JP", "Asia/Tokyo", [("ja", "native"), ("en", "professional")],
                {"linguistics": [], "creative_writing": []}, 15, 25),
    DemoTrainer("minjun@trainers.example.com", "Min-jun Park", "KR", "Asia/Seoul", [("ko", "native"), ("en", "fluent")],
                {"software_engineering": ["python", "typescript"]}, 10, 20),
    DemoTrainer("nurul@trainers.example.com", "Nurul Aisyah", "MY", "Asia/Kuala_Lumpur",
                [("ms", "native"), ("en", "fluent"), ("zh", "basic")], {"education": [], "linguistics": []}, 12, 20),
    DemoTrainer("arjun@trainers.example.com", "Arjun Mehta", "IN", "Asia/Kolkata", [("hi", "native"), ("en", "fluent")],
                {"software_engineering": ["python", "java", "sql"], "mathematics": []}, 25, 40),
    DemoTrainer("li.wei@trainers.example.com", "Li Wei", "SG", "Asia/Singapore", [("zh", "native"), ("en", "fluent"), ("ms", "professional")],
                {"chemistry": [], "biology": []}, 15, 30),
    DemoTrainer("sofia@trainers.example.com", "Sofía García", "MX", "America/Mexico_City", [("es", "native"), ("en", "professional")],
                {"medicine": [], "biology": []}, None, 15),
    DemoTrainer("tom@trainers.example.com", "Tom Becker", "DE", "Europe/Berlin", [("de", "native"), ("en", "fluent")],
                {"law": [], "finance": []}, 8, 10),
    DemoTrainer("grace@trainers.example.com", "Grace Mensah", "GH", "Africa/Accra", [("en", "native")],
                {"image_annotation": [], "trust_and_safety": []}, 30, 40),
]


def _existing(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def seed_accounts() -> list[tuple[str, str, str]]:
    """Create the demo admin(s), requesters and trainers; returns (role, email, name) for the login table."""
    logins = []
    for email, name in ADMINS:
        if not _existing(email):
            accounts.create_admin(email, DEMO_PASSWORD, display_name=name)
        logins.append(("admin", email, name))
    for email, name, org in REQUESTERS:
        if not _existing(email):
            accounts.register_user(email=email, password=DEMO_PASSWORD, role="requester", display_name=name,
                                   organisation=org)
        logins.append(("requester", email, f"{name}, {org}"))
    for t in TRAINERS:
        user = _existing(t.email)
        if not user:
            user = accounts.register_user(email=t.email, password=DEMO_PASSWORD, role="worker", display_name=t.name,
                                          country=t.country, timezone=t.timezone)
            accounts.update_trainer_profile(
                user, display_name=t.name, country=t.country, timezone=t.timezone,
                languages_=[accounts.LanguageEntry(c, p) for c, p in t.languages], expertise=t.expertise,
                weekly_goal_minutes=t.goal_hours * 60 if t.goal_hours else None,
                weekly_cap_minutes=t.cap_hours * 60 if t.cap_hours else None)
        logins.append(("trainer", t.email, f"{t.name} ({', '.join(c for c, _ in t.languages)})"))
    db.session.flush()
    return logins


# Steps run in order: accounts, then each room's demo data (a room's step may rely on the ones before it).
from . import assessments as _assessments  # noqa: E402
from . import moderation as _moderation  # noqa: E402

STEPS = [seed_accounts, _moderation.seed, _assessments.seed, payments_demo.seed]

from .jobs import seed as seed_jobs  # noqa: E402  (requester jobs of every kind, with tasks)

STEPS.append(seed_jobs)

from . import work as _work  # noqa: E402  (a room's step, appended in order)

STEPS.append(_work.seed)

from . import quality as _quality  # noqa: E402  (a room's step, appended in order)

STEPS.append(_quality.seed)

from . import pay as _pay  # noqa: E402  (the pay room's step: sessions, timesheets, a dispute, a payday)

STEPS.append(_pay.seed)


def seed_all() -> list[tuple[str, str, str]]:
    logins: list[tuple[str, str, str]] = []
    for step in STEPS:
        result = step()
        if step is seed_accounts:
            logins = result
        db.session.commit()
    return logins
