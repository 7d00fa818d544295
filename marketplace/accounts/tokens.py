"""Personal API tokens: created (shown once), listed, revoked; only a SHA-256 of each token is stored."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from ..core import audit
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.time import as_utc, utcnow
from ..extensions import db
from .models import ApiToken, User

TOKEN_PREFIX = "ft_"
# What a token may do. A session (a person in the browser) may do everything their role allows.
SCOPES = {
    "jobs:read": "Read your jobs, their tasks, imports and progress",
    "jobs:write": "Create, edit, publish, pause and close jobs; upload tasks",
    "work": "Trainers: list eligible jobs, claim, save and submit tasks",
}
ROLE_SCOPES = {"requester": ("jobs:read", "jobs:write"), "worker": ("work",), "admin": ()}
MAX_TOKENS_PER_USER = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write per token per minute


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def scopes_for_role(role: str) -> tuple[str, ...]:
    return ROLE_SCOPES.get(role, ())


def create_token(user: User, *, name: str, scopes: list[str], expires_in_days: int | None = None
                 ) -> tuple[ApiToken, str]:
    """Create a token; returns (row, the token itself). The token is never stored and cannot be shown again.

    Rules: a name; scopes that the person's role may hold; at most MAX_TOKENS_PER_USER live tokens.
    Side effect: audit row `api.token_created`.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the token a name, e.g. the script that will use it.", field="name")
    allowed = scopes_for_role(user.role)
    scopes = sorted(set(scopes or []))
    if not scopes:
        raise ValidationFailed("Choose at least one permission for the token.", field="scopes")
    refused = [s for s in scopes if s not in allowed]
    if refused:
        raise ValidationFailed(f"A {user.role_label} cannot hold the permission {refused[0]}.", field="scopes")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValidationFailed("A token may last from 1 day to 10 years.", field="expires_in_days")
    live = db.session.scalar(sa.select(sa.func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if live >= MAX_TOKENS_PER_USER:
        raise Conflict(f"You have {live} tokens; revoke one you no longer use first.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user_id=user.id, name=name[:100], prefix=raw[:10], token_hash=hash_token(raw), scopes=scopes,
                     created_at=now, expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None)
    db.session.add(token)
    db.session.flush()
    audit.record("api.token_created", actor=user, subject_user=user, subject=token,
                 reason=f"API token “{token.name}” created with {', '.join(scopes)}.")
    return token, raw


def revoke_token(token: ApiToken, actor: User) -> None:
    """Revoke a token at once (compare-and-set, so two clicks revoke once). Audited."""
    if token.user_id != actor.id and not actor.is_admin:
        raise NotFound("No such token.")
    revoked = db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
                                 .values(revoked_at=utcnow())).rowcount
    if not revoked:
        raise Conflict("This token was already revoked.")
    audit.record("api.token_revoked", actor=actor, subject_user=token.user_id, subject=token,
                 reason=f"API token “{token.name}” revoked.")


def tokens_of(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user_id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())))


_BY_HASH = (sa.select(ApiToken).options(sa.orm.joinedload(ApiToken.user))
            .where(ApiToken.token_hash == sa.bindparam("token_hash")))  # built once: every API request


def authenticate(raw: str, now=None) -> ApiToken | None:
    """The live token for a raw token string, or None (unknown, revoked or expired)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    # The person comes in the same query (every API request loads them next, from the identity map).
    token = db.session.scalar(_BY_HASH, {"token_hash": hash_token(raw)})
    now = now or utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and as_utc(token.expires_at) <= now):
        return None
    if token.last_used_at is None or now - as_utc(token.last_used_at) > LAST_USED_RESOLUTION:
        # Recorded in its own short transaction so a failed API call still shows the token was used. The read
        # above is ended first: on SQLite a transaction that has read cannot take the write lock once another
        # writer has committed ("database is locked", no busy wait), while one that starts by writing waits.
        token_id = token.id  # read before the commit expires it: the UPDATE must be the first statement
        db.session.commit()
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        db.session.commit()
    return token
