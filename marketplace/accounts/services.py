"""Account services: registration, authentication, profiles and admin creation."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from ..core import audit
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.permissions import Role
from ..core.taxonomy import (EXPERTISE_AREAS, PROFICIENCY_LEVELS, PROGRAMMING_LANGUAGES, countries,
                             languages, timezones)
from ..core.time import utcnow
from ..extensions import db
from .models import TrainerExpertise, TrainerLanguage, User
from .passwords import dummy_hash, hash_password, needs_rehash, password_problem, verify_password


def normalise_email(email: str) -> str:
    """Trim and lower-case an address so that Ana@X.org and ana@x.org are one account."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"That e-mail address is not valid: {exc}", field="email") from exc
    return checked.normalized.lower()


def find_by_email(email: str) -> User | None:
    try:
        normal = normalise_email(email)
    except ValidationFailed:
        return None
    return db.session.scalar(sa.select(User).where(User.email == normal))


def register_user(*, email: str, password: str, role: str, display_name: str, country: str | None = None,
                  timezone: str = "UTC", organisation: str | None = None) -> User:
    """Create a trainer or requester account (admins come only from the CLI).

    Rules: e-mail valid and unique regardless of case; password 10+ characters and not common;
    trainers state a valid ISO 3166 country. Side effect: an audit row `account.registered`.
    """
    if role not in (Role.WORKER, Role.REQUESTER):
        raise ValidationFailed("Choose to join as a trainer or as a requester.", field="role")
    normal = normalise_email(email)
    problem = password_problem(password, email=normal)
    if problem:
        raise ValidationFailed(problem, field="password")
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed("Tell us the name to show.", field="display_name")
    if role == Role.WORKER:
        _check_country(country)
    if country:
        _check_country(country)
    _check_timezone(timezone)
    if db.session.scalar(sa.select(User.id).where(User.email == normal)) is not None:
        raise Conflict("An account with this e-mail address already exists. Log in instead.", field="email")
    user = User(email=normal, password_hash=hash_password(password), role=str(role), display_name=display_name[:120],
                country=country or None, timezone=timezone, organisation=(organisation or None),
                billing_email=normal if role == Role.REQUESTER else None, created_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record("account.registered", actor=user, subject_user=user, subject=user,
                 reason=f"Self-registration as {user.role_label}.")
    return user


def create_admin(email: str, password: str, *, display_name: str = "Administrator") -> User:
    """Create an admin (only reachable from `flask accounts create-admin`). Audited."""
    normal = normalise_email(email)
    problem = password_problem(password, email=normal)
    if problem:
        raise ValidationFailed(problem, field="password")
    if db.session.scalar(sa.select(User.id).where(User.email == normal)) is not None:
        raise Conflict(f"An account with the e-mail {normal} already exists.")
    user = User(email=normal, password_hash=hash_password(password), role=Role.ADMIN.value,
                display_name=display_name, created_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record("account.admin_created", actor=None, subject_user=user, subject=user,
                 reason="Admin account created from the command line (flask accounts create-admin).")
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user when the password matches; None otherwise (same timing for unknown e-mails)."""
    user = find_by_email(email)
    if user is None:
        verify_password(dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Change a password; logs out every other session by bumping the session version."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed("Your current password is not correct.", field="current_password")
    problem = password_problem(new, email=user.email)
    if problem:
        raise ValidationFailed(problem, field="new_password")
    user.password_hash = hash_password(new)
    user.session_version += 1
    audit.record("account.password_changed", actor=user, subject_user=user, subject=user,
                 reason="Password changed by its owner.")


@dataclass
class LanguageEntry:
    code: str
    proficiency: str


def update_trainer_profile(user: User, *, display_name: str, country: str, timezone: str,
                           languages_: list[LanguageEntry], expertise: dict[str, list[str]],
                           weekly_goal_minutes: int | None, weekly_cap_minutes: int | None) -> None:
    """Replace a trainer's profile. Languages: ISO 639-1 with a known proficiency, each once;
    expertise keys from the controlled vocabulary; cap and goal within a week."""
    errors: dict[str, str] = {}
    if not display_name.strip():
        errors["display_name"] = "Tell us the name to show."
    if country not in countries():
        errors["country"] = "Choose your country from the list."
    if timezone not in timezones() and timezone != "UTC":
        errors["timezone"] = "Choose your time zone from the list."
    seen: set[str] = set()
    for entry in languages_:
        if entry.code not in languages():
            errors["languages"] = f"Unknown language code {entry.code!r}."
        elif entry.proficiency not in PROFICIENCY_LEVELS:
            errors["languages"] = f"Choose a proficiency for {languages()[entry.code]}."
        elif entry.code in seen:
            errors["languages"] = f"{languages()[entry.code]} is listed twice."
        seen.add(entry.code)
    if not languages_:
        errors["languages"] = "Add at least one language you work in."
    for area, detail in expertise.items():
        if area not in EXPERTISE_AREAS:
            errors["expertise"] = f"Unknown expertise area {area!r}."
        bad = [d for d in detail if d not in PROGRAMMING_LANGUAGES]
        if bad:
            errors["expertise"] = f"Unknown programming language {bad[0]!r}."
    for name, value in (("weekly_goal_minutes", weekly_goal_minutes), ("weekly_cap_minutes", weekly_cap_minutes)):
        if value is not None and not 0 <= value <= 7 * 24 * 60:
            errors[name] = "Hours per week must be between 0 and 168."
    if (weekly_goal_minutes and weekly_cap_minutes is not None and weekly_goal_minutes > weekly_cap_minutes):
        errors["weekly_goal_minutes"] = "Your goal is above your own weekly cap."
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors)
    user.display_name = display_name.strip()[:120]
    user.country = country
    user.timezone = timezone
    user.weekly_goal_minutes = weekly_goal_minutes
    user.weekly_cap_minutes = weekly_cap_minutes
    user.languages = [TrainerLanguage(code=e.code, proficiency=e.proficiency) for e in languages_]
    user.expertise = [TrainerExpertise(area=a, detail=sorted(set(d))) for a, d in expertise.items()]
    db.session.flush()


def update_requester_profile(user: User, *, display_name: str, organisation: str, billing_email: str) -> None:
    if not display_name.strip():
        raise ValidationFailed("Tell us the name to show.", field="display_name")
    user.display_name = display_name.strip()[:120]
    user.organisation = organisation.strip()[:200] or None
    user.billing_email = normalise_email(billing_email) if billing_email.strip() else None


def _check_country(country: str | None) -> None:
    if not country or country not in countries():
        raise ValidationFailed("Choose your country from the list (ISO 3166).", field="country")


def _check_timezone(timezone: str) -> None:
    if timezone != "UTC" and timezone not in timezones():
        raise ValidationFailed("Choose your time zone from the list.", field="timezone")


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    return user


def load_user_for_session(session_id: str) -> User | None:
    """Flask-Login loader: `<id>:<session_version>`; a stale version logs the session out."""
    try:
        raw_id, raw_version = session_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.session_version) != raw_version:
        return None
    return user
