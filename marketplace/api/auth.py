"""API authentication and request handling: bearer tokens or the session with CSRF, scopes, one error shape,
and Idempotency-Key on creating POSTs (the stored response is replayed; the record commits with the effect)."""
from __future__ import annotations

import hashlib
import json
from functools import wraps

import sqlalchemy as sa
from flask import Response, abort, g, jsonify, request
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..accounts import tokens
from ..accounts.models import IdempotencyRecord, User
from ..core.errors import DomainError, ValidationFailed
from ..core.schema import schema_errors
from ..core.time import utcnow
from ..extensions import csrf, db, login_manager
from ..payments.provider import begin_write

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@login_manager.request_loader
def load_user_from_token(req):
    """`Authorization: Bearer ft_...` authenticates API requests (never HTML pages)."""
    if not req.path.startswith("/api/"):
        return None
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    token = tokens.authenticate(header[7:].strip())
    if token is None:
        g.api_token_refused = True
        return None
    g.api_token = token
    return db.session.get(User, token.user_id)


def api_view(*, roles: tuple[str, ...] = (), scope: str | None = None, good_standing: bool = False,
             moves_money: bool = False):
    """Guard an API view: 401 without a valid token or session; 403 for the wrong role or a missing scope;
    CSRF for session-authenticated writes. The view returns (body, status) or a Response; this commits."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                message = ("That API token is not valid: it may be revoked or expired."
                           if g.get("api_token_refused") else None)
                abort(401, description=message) if message else abort(401)
            token = g.get("api_token")
            if token is None and request.method not in SAFE_METHODS:
                csrf.protect()  # a browser session must prove the request came from our pages
            if roles and current_user.role not in roles:
                abort(403, description=f"This endpoint is for {' and '.join(roles)} accounts.")
            if scope and token is not None and scope not in token.scopes:
                abort(403, description=f"This token lacks the {scope} permission; create one that has it.")
            if good_standing and not current_user.in_good_standing:
                abort(403, description="Your account is suspended: new work is blocked. Read the notice in your "
                                       "inbox to see why and how to appeal.")
            if moves_money:  # SQLite: take the write lock before reading what the money change will change
                begin_write()
            result = view(*args, **kwargs)
            db.session.commit()
            for callback in g.pop("after_commit", []):
                callback()
            return result
        wrapped.requires_good_standing = good_standing  # seen by the suspended-person permission sweep
        # Exempt from the global CSRF check, per view (never a whole blueprint): a bearer token needs none, and
        # the session case is checked above with csrf.protect().
        return csrf.exempt(wrapped)
    return decorator


def after_commit(callback) -> None:
    """Run `callback` once the view's transaction has committed (e.g. start a queued import)."""
    g.setdefault("after_commit", []).append(callback)


def json_body(schema: dict) -> dict:
    """The request's JSON object, checked against `schema` (422 with every problem listed)."""
    data = request.get_json(silent=True)
    if data is None:
        raise ValidationFailed("Send a JSON object with Content-Type: application/json.",
                               errors={"body": "is not JSON"})
    errors = schema_errors(schema, data)
    if errors:
        field, sentence = next(iter(errors.items()))
        raise ValidationFailed(f"{field} {sentence}.", errors=errors)
    return data


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}?{request.query_string.decode()}".encode())
    if request.mimetype == "application/json":
        digest.update(request.get_data(cache=True))
    else:  # uploads can be large; their length and type identify a retry well enough
        digest.update(f"{request.content_length}:{request.content_type}".encode())
    return digest.hexdigest()


def idempotent(view):
    """Honour `Idempotency-Key` on a creating POST: the first response is stored with the effect (same
    transaction) and replayed for the same key; the same key with a different request is refused (422)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not key.strip() or len(key) > 200 or not key.isprintable():
            raise ValidationFailed("Idempotency-Key must be 1 to 200 printable characters.",
                                   errors={"Idempotency-Key": "is not a valid key"})
        fingerprint = _fingerprint()
        stored = _stored(key)
        if stored is not None:
            return _replay(stored, fingerprint)
        record = IdempotencyRecord(user_id=current_user.id, key=key, request_fingerprint=fingerprint,
                                   status_code=0, response_body="", created_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:  # another request with this key got there first
            db.session.rollback()
            stored = _stored(key)
            if stored is None or stored.status_code == 0:
                raise DomainError("A request with this Idempotency-Key is still being processed; retry shortly.",
                                  code="idempotency_in_progress", status=409) from None
            return _replay(stored, fingerprint)
        body, status = view(*args, **kwargs)
        record.status_code, record.response_body = status, json.dumps(body)
        return jsonify(body), status
    return wrapped


def _stored(key: str) -> IdempotencyRecord | None:
    return db.session.scalar(sa.select(IdempotencyRecord).where(IdempotencyRecord.user_id == current_user.id,
                                                                IdempotencyRecord.key == key))


def _replay(stored: IdempotencyRecord, fingerprint: str):
    if stored.request_fingerprint != fingerprint:
        raise ValidationFailed("This Idempotency-Key was used for a different request; use a new key.",
                               code="idempotency_key_reused", errors={"Idempotency-Key": "was used before"})
    response = Response(stored.response_body, status=stored.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response
