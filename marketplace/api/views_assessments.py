"""/api/v1 assessment endpoints: list, start, save answers, submit, read the result. Same services as the pages.

Nothing of an item's gold answer or explanation is in any response before the attempt is submitted:
responses are built only from assessments.presenters.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from ..assessments import presenters, services
from ..core.errors import Conflict, ValidationFailed
from ..core.permissions import good_standing_required
from ..extensions import db

bp = Blueprint("api_assessments", __name__, url_prefix="/api/v1")


def _user():
    if not current_user.is_authenticated:
        abort(401)
    return current_user._get_current_object()


def _trainer():
    user = _user()
    if not user.is_worker:
        abort(403, description="Only trainers take assessments.")
    return user


def _standing(standing) -> dict:
    return {"code": standing.code, "can_start": standing.can_start, "message": standing.message,
            "attempts_used": standing.attempts_used, "attempts_left": standing.attempts_left,
            "retake_at": standing.retake_at.isoformat() if standing.retake_at else None,
            "attempt_id": standing.attempt_id}


def _assessment(card) -> dict:
    a = card.assessment
    return {"key": a.key, "title": a.title, "description": a.description, "content_warning": a.content_warning,
            "qualification": {"key": a.qualification.key, "name": a.qualification.name,
                              "kind": a.qualification.kind, "validity_days": a.qualification.validity_days},
            "items_per_attempt": a.items_per_attempt, "time_limit_minutes": a.time_limit_minutes,
            "pass_mark_percent": a.pass_mark_percent, "max_attempts": a.max_attempts,
            "cooldown_hours": a.cooldown_hours, "requires_review": a.requires_review,
            "standing": _standing(card.standing)}


def _attempt(attempt) -> dict:
    body = presenters.attempt_summary(attempt)
    if attempt.status == "in_progress":
        body["items"] = [presenters.public_item(i) for i in attempt.items]
    else:
        body["result_url"] = f"/api/v1/attempts/{attempt.id}/result"
    return body


@bp.route("/assessments")
def list_assessments():
    """Every active assessment with where the caller stands (may they start, and if not, why)."""
    trainer = _trainer()
    return jsonify({"assessments": [_assessment(c) for c in services.assessments_overview(trainer.id)]})


@bp.route("/qualifications/mine")
def my_qualifications():
    trainer = _trainer()
    return jsonify({"qualifications": [
        {"key": q.qualification.key, "name": q.qualification.name, "kind": q.qualification.kind, "state": q.state,
         "why": q.why, "since": q.since.isoformat() if q.since else None,
         "expires_at": q.expires_at.isoformat() if q.expires_at else None}
        for q in services.my_qualifications(trainer.id)]})


@bp.route("/assessments/<key>/attempts", methods=["POST"])
@good_standing_required
def start_attempt(key: str):
    """Start an attempt (201), or get the one already in progress (200): repeating the call is safe."""
    trainer = _trainer()
    assessment = services.assessment_by_key(key)
    if assessment is None:
        abort(404, description=f"No assessment has the key {key!r}.")
    attempt, created = services.start_attempt(assessment, trainer)
    db.session.commit()
    return jsonify(_attempt(attempt)), 201 if created else 200


@bp.route("/attempts/<int:attempt_id>")
def read_attempt(attempt_id: int):
    attempt = services.attempt_for(attempt_id, _user())
    return jsonify(_attempt(attempt))


def _answers(body) -> dict[int, services.Answer]:
    """Parse {"answers": [{"item": 1, "selected": ["a"], "rationale": "..."}]}; refuse anything else clearly."""
    if not isinstance(body, dict) or not isinstance(body.get("answers"), list):
        raise ValidationFailed('Send JSON like {"answers": [{"item": 1, "selected": ["a"], "rationale": "..."}]}.',
                               code="bad_body")
    answers: dict[int, services.Answer] = {}
    for index, entry in enumerate(body["answers"], 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("item"), int) or isinstance(entry.get("item"), bool):
            raise ValidationFailed(f"Answer {index}: 'item' must be the item's number in the attempt.",
                                   code="bad_body")
        selected, rationale = entry.get("selected"), entry.get("rationale")
        if selected is not None and (not isinstance(selected, list) or not all(isinstance(s, str) for s in selected)):
            raise ValidationFailed(f"Answer {index}: 'selected' must be a list of option keys.", code="bad_body")
        if rationale is not None and not isinstance(rationale, str):
            raise ValidationFailed(f"Answer {index}: 'rationale' must be text.", code="bad_body")
        if entry["item"] in answers:
            raise ValidationFailed(f"Answer {index}: item {entry['item']} is answered twice.", code="bad_body")
        answers[entry["item"]] = services.Answer(selected=selected, rationale=rationale)
    return answers


@bp.route("/attempts/<int:attempt_id>/answers", methods=["PUT", "PATCH"])
def save_answers(attempt_id: int):
    """Save some or all answers; items not listed keep their saved answers."""
    trainer = _trainer()
    attempt = services.attempt_for(attempt_id, trainer)
    answers = _answers(request.get_json(silent=True))
    changed = services.save_answers(attempt, trainer, answers)
    db.session.commit()
    return jsonify({"changed": changed, "saved_at": attempt.last_saved_at.isoformat()})


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
def submit_attempt(attempt_id: int):
    """Submit once (answers may come along); the response is the result."""
    trainer = _trainer()
    attempt = services.attempt_for(attempt_id, trainer)
    body = request.get_json(silent=True)
    answers = _answers(body) if isinstance(body, dict) and "answers" in body else None
    services.submit_attempt(attempt, trainer, answers=answers)
    db.session.commit()
    return jsonify(presenters.attempt_result(attempt))


@bp.route("/attempts/<int:attempt_id>/result")
def read_result(attempt_id: int):
    attempt = services.attempt_for(attempt_id, _user())
    if attempt.status == "in_progress":
        raise Conflict("The attempt is still in progress: the result, expected answers and explanations are "
                       "shown only after it is submitted.", code="not_submitted")
    return jsonify(presenters.attempt_result(attempt))
