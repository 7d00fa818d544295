"""Eligibility facts per (trainer, job), reused between claims while nothing they rest on has changed.

Every claim applies every rule (the matching table in assignment/matching.py). Applying the rules is cheap; the
facts they read (standing, country, blocks, languages, expertise, qualifications, the content warning, quality
removals) took seven statements at every claim. Those facts change only when one of their rows changes, or with
time (a qualification expiring, a country withdrawal taking effect). So:

- Every write to a row a trainer's facts rest on bumps that trainer's `users.eligibility_version`, in the
  database itself (the triggers below, created with the tables and by migration 0012), so no code path, bulk
  statement or shell session can change a fact without it; a country withdrawal bumps everyone in the country.
- A claim reads the trainer's version (one index lookup, fresh from the database even when the person was loaded
  earlier in the request) and reuses facts remembered for (trainer, job) when the version, the person's status
  and country and the job's rules are the same and the facts' `valid_until` has not passed: the first
  qualification expiry, the day a country withdrawal takes effect, and at most TTL_SECONDS.
- Only facts of a trainer in good standing are remembered (a suspension's end is a matter of time).
- The rules themselves, the weekly hours and the budget are read and applied fresh at every claim.

Remembered per process (each gunicorn worker its own), at most MAX_ENTRIES (oldest dropped first).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import User
from ..assessments import services as assessments
from ..extensions import db, execute
from ..jobs import services as jobs
from ..jobs.eligibility import Exclusion, TrainerFacts
from ..jobs.models import Job
from ..moderation.countries import live_withdrawal

TTL_SECONDS = 120
MAX_ENTRIES = 20_000

# table -> the column naming the trainer whose facts a row is about (country_withdrawals: a country).
DEPENDENCIES = {
    "sanctions": "user_id",
    "requester_blocks": "trainer_id",
    "trainer_languages": "user_id",
    "trainer_expertise": "user_id",
    "trainer_qualifications": "user_id",
    "quality_restrictions": "worker_id",
    "content_warning_acceptances": "user_id",
    "country_withdrawals": "country",
}


def trigger_sql(dialect: str) -> list[str]:
    """The statements that create the triggers (migration 0012 holds the same text: migrations never import
    app code; tests/test_migrations.py checks a migrated database has the same, word for word)."""
    statements = []
    for table, column in DEPENDENCIES.items():
        target = "country" if column == "country" else "id"
        bump = "UPDATE users SET eligibility_version = eligibility_version + 1 WHERE {target} = {row}.{column};"
        if dialect == "postgresql":
            statements.append(
                f"CREATE OR REPLACE FUNCTION facts_bump_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP <> 'INSERT' THEN {bump.format(target=target, row='OLD', column=column)} END IF; "
                f"IF TG_OP <> 'DELETE' THEN {bump.format(target=target, row='NEW', column=column)} END IF; "
                f"RETURN NULL; END $$")
            statements.append(f"DROP TRIGGER IF EXISTS facts_{table} ON {table}")
            statements.append(f"CREATE TRIGGER facts_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                              f"FOR EACH ROW EXECUTE FUNCTION facts_bump_{table}()")
        else:
            for op, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
                body = " ".join(bump.format(target=target, row=row, column=column) for row in rows)
                statements.append(f"CREATE TRIGGER IF NOT EXISTS facts_{table}_{op.lower()} AFTER {op} ON {table} "
                                  f"FOR EACH ROW BEGIN {body} END")
    return statements


def _create_triggers(target, connection, **kw) -> None:
    for statement in trigger_sql(connection.dialect.name):
        connection.exec_driver_sql(statement)


sa.event.listen(db.metadata, "after_create", _create_triggers)  # db.create_all (tests, benches, a new database)


@dataclass(frozen=True)
class _Entry:
    stamp: tuple
    facts: TrainerFacts
    extra: tuple[Exclusion, ...]
    valid_until: datetime


class _Store:
    def __init__(self):
        self.entries: OrderedDict[tuple[int, int], _Entry] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            return self.entries.get(key)

    def put(self, key, entry: _Entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)


def _store() -> _Store:
    return current_app.extensions.setdefault("assignment.facts_cache", _Store())


_VERSION = sa.select(User.eligibility_version).where(User.id == sa.bindparam("user_id"))


def _stamp(user, job: Job, version: int) -> tuple:
    # created_at: a row id reused after deletes (an emptied test database) is another person or job.
    return (version, user.created_at, user.status, user.country, job.created_at, job.requester_id,
            jobs.job_rules(job))


def facts_for(user, job: Job, now: datetime) -> tuple[TrainerFacts, list[Exclusion]]:
    """The trainer's eligibility facts for the job and the upper rooms' exclusions (quality removals): the
    remembered ones when still valid, else loaded (jobs.trainer_facts, jobs.extra_exclusions) and remembered."""
    version = execute(_VERSION, {"user_id": user.id}).scalar()
    if version is None:  # no such person in the database: nothing to remember
        return jobs.trainer_facts(user, job, now, only_for_rules=True), jobs.extra_exclusions(user, job, now)
    store, key, stamp = _store(), (user.id, job.id), _stamp(user, job, version)
    entry = store.get(key)
    if entry is not None and entry.stamp == stamp and now < entry.valid_until:
        return entry.facts, list(entry.extra)
    facts = jobs.trainer_facts(user, job, now, only_for_rules=True)
    extra = jobs.extra_exclusions(user, job, now)
    if facts.in_good_standing and not facts.country_withdrawn and not facts.barred_code:
        store.put(key, _Entry(stamp, facts, tuple(extra), _valid_until(user, now)))
    return facts, extra


def _valid_until(user, now: datetime) -> datetime:
    until = now + timedelta(seconds=TTL_SECONDS)
    expiry = assessments.next_qualification_expiry(user.id, now)
    if expiry is not None:
        until = min(until, expiry)
    withdrawal = live_withdrawal(user.country) if user.country else None
    if withdrawal is not None and withdrawal.effective_at is not None:
        until = min(until, withdrawal.effective_at)
    return until
