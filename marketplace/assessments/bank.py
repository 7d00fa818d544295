"""Importing assessment files into the item bank: all or nothing, and safe to repeat.

Re-importing an assessment key updates the bank in place: changed items get a new version, items missing
from the file are retired (never deleted), new ones are added. Attempts keep the copies they drew, so a
re-import never changes a past or running attempt; only a gold correction re-grades, deliberately.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from ..core import audit
from ..core.errors import ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from .importing import ImportProblems, ParsedFile, parse_json, validate
from .models import Assessment, AssessmentItem, Qualification

DATA_DIR = Path(__file__).resolve().parent / "data"
ITEM_FIELDS = ("kind", "prompt", "question", "options", "answer", "explanation", "rationale_required", "tags")
ASSESSMENT_SETTINGS = ("title", "description", "content_warning", "items_per_attempt", "pass_mark_percent",
                       "time_limit_minutes", "max_attempts", "cooldown_hours", "requires_review")


@dataclass
class ImportSummary:
    assessment_key: str
    qualification_key: str
    created: bool
    items_added: list[str] = field(default_factory=list)
    items_changed: list[str] = field(default_factory=list)
    items_retired: list[str] = field(default_factory=list)
    items_unchanged: int = 0
    settings_changed: list[str] = field(default_factory=list)
    retired_assessments: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.items_added or self.items_changed or self.items_retired
                    or self.settings_changed or self.retired_assessments)

    def describe(self) -> str:
        if self.created:
            return f"Created {self.assessment_key} with {len(self.items_added)} items."
        if not self.changed:
            return f"{self.assessment_key} is already up to date ({self.items_unchanged} items)."
        parts = [f"{len(self.items_added)} added", f"{len(self.items_changed)} changed",
                 f"{len(self.items_retired)} retired", f"{self.items_unchanged} unchanged"]
        text = f"Updated {self.assessment_key}: " + ", ".join(parts) + "."
        if self.settings_changed:
            text += " Settings changed: " + ", ".join(self.settings_changed) + "."
        return text


def problems_error(exc: ImportProblems) -> ValidationFailed:
    count = len(exc.problems)
    return ValidationFailed(f"The file was not imported: {count} problem{'s' if count != 1 else ''} found. "
                            "Nothing was changed.", errors=exc.problems)


def import_bytes(raw: bytes | str, *, actor=None) -> ImportSummary:
    """Validate and import a file's contents; ValidationFailed (with every problem) leaves the bank untouched."""
    try:
        parsed = validate(parse_json(raw))
    except ImportProblems as exc:
        raise problems_error(exc) from exc
    return import_parsed(parsed, actor=actor)


def import_path(path: Path | str, *, actor=None) -> ImportSummary:
    return import_bytes(Path(path).read_bytes(), actor=actor)


def import_parsed(parsed: ParsedFile, *, actor=None) -> ImportSummary:
    """Create or update the qualification, the assessment and its items in the caller's transaction."""
    now = utcnow()
    qualification = _upsert_qualification(parsed.qualification, now)
    spec = parsed.assessment
    assessment = db.session.scalar(sa.select(Assessment).where(Assessment.key == spec["key"]))
    summary = ImportSummary(assessment_key=spec["key"], qualification_key=qualification.key,
                            created=assessment is None)
    if assessment is None:
        assessment = Assessment(key=spec["key"], qualification_id=qualification.id, created_at=now, bank_version=1,
                                **{name: spec[name] for name in ASSESSMENT_SETTINGS})
        db.session.add(assessment)
        db.session.flush()
    else:
        if assessment.qualification_id != qualification.id:
            raise ValidationFailed(f"assessment: {spec['key']} belongs to another qualification; import it under "
                                   "a new assessment key instead.", errors=[
                                       f"assessment: key {spec['key']!r} already grants a different qualification."])
        for name in ASSESSMENT_SETTINGS:
            if getattr(assessment, name) != spec[name]:
                summary.settings_changed.append(name)
                setattr(assessment, name, spec[name])
        if not assessment.is_active:
            assessment.is_active = True
            summary.settings_changed.append("is_active")
    _sync_items(assessment, parsed, summary, now)
    # One active assessment per qualification: a new key for the same qualification replaces the old test.
    for other in db.session.scalars(sa.select(Assessment).where(
            Assessment.qualification_id == qualification.id, Assessment.id != assessment.id,
            Assessment.is_active.is_(True))):
        other.is_active = False
        summary.retired_assessments.append(other.key)
    if summary.changed and not summary.created:
        assessment.bank_version += 1
        assessment.updated_at = now
    db.session.flush()
    if summary.changed:
        audit.record("assessment.imported", actor=actor, subject=assessment, reason=summary.describe(),
                     data={"added": summary.items_added, "changed": summary.items_changed,
                           "retired": summary.items_retired, "settings": summary.settings_changed,
                           "bank_version": assessment.bank_version})
    return summary


def _upsert_qualification(spec: dict, now) -> Qualification:
    qualification = db.session.scalar(sa.select(Qualification).where(Qualification.key == spec["key"]))
    if qualification is None:
        qualification = Qualification(key=spec["key"], created_at=now)
        db.session.add(qualification)
    for name in ("name", "kind", "description", "validity_days"):
        if getattr(qualification, name) != spec[name]:
            setattr(qualification, name, spec[name])
            qualification.updated_at = now
    db.session.flush()
    return qualification


def _sync_items(assessment: Assessment, parsed: ParsedFile, summary: ImportSummary, now) -> None:
    existing = {item.key: item for item in db.session.scalars(
        sa.select(AssessmentItem).where(AssessmentItem.assessment_id == assessment.id))}
    seen = set()
    for position, spec in enumerate(parsed.items, 1):
        seen.add(spec.key)
        values = {"kind": spec.kind, "prompt": spec.prompt, "question": spec.question, "options": spec.options,
                  "answer": spec.answer, "explanation": spec.explanation,
                  "rationale_required": spec.rationale_required, "tags": spec.tags}
        item = existing.get(spec.key)
        if item is None:
            db.session.add(AssessmentItem(assessment_id=assessment.id, key=spec.key, position=position,
                                          content_hash=spec.content_hash, version=1, is_active=True,
                                          updated_at=now, **values))
            summary.items_added.append(spec.key)
            continue
        differs = any(getattr(item, name) != values[name] for name in ITEM_FIELDS) or not item.is_active
        item.position = position
        if differs:
            for name, value in values.items():
                setattr(item, name, value)
            item.content_hash = spec.content_hash
            item.version += 1
            item.is_active = True
            item.updated_at = now
            summary.items_changed.append(spec.key)
        else:
            summary.items_unchanged += 1
    for key, item in existing.items():
        if key not in seen and item.is_active:
            item.is_active = False
            item.updated_at = now
            summary.items_retired.append(key)


def bundled_files() -> list[Path]:
    """The assessment files shipped with the code (loaded by `flask demo seed`)."""
    return sorted(DATA_DIR.glob("*.json"))
