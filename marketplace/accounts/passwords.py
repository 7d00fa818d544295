"""Password rules and hashing (argon2); pure apart from reading the common-password list once."""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
_hasher = PasswordHasher()
_COMMON = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a password is not acceptable, or None. The rule: 10+ characters, not common, not the e-mail."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if password.lower() in common_passwords():
        return "This password is among the most common passwords; choose another."
    local = email.split("@")[0].lower()
    if local and len(local) >= 4 and local in password.lower():
        return "Do not use your e-mail address in your password."
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


# A fixed hash to verify against when an e-mail is unknown, so response time does not reveal accounts.
@lru_cache(maxsize=1)
def dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-used-for-timing")
