"""Controlled vocabularies kept in one place: expertise areas, proficiency levels, languages, countries."""
from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

import pycountry

# Proficiency levels, strongest first; rank is used to compare "at least professional".
PROFICIENCY_LEVELS = ["native", "fluent", "professional", "basic"]
PROFICIENCY_RANK = {level: len(PROFICIENCY_LEVELS) - i for i, level in enumerate(PROFICIENCY_LEVELS)}

EXPERTISE_AREAS: dict[str, str] = {
    "mathematics": "Mathematics",
    "physics": "Physics",
    "chemistry": "Chemistry",
    "biology": "Biology",
    "medicine": "Medicine",
    "law": "Law",
    "finance": "Finance and accounting",
    "software_engineering": "Software engineering",
    "data_science": "Data science and statistics",
    "creative_writing": "Creative writing",
    "journalism": "Journalism and fact-checking",
    "education": "Education",
    "linguistics": "Linguistics and translation",
    "history": "History",
    "philosophy": "Philosophy and ethics",
    "trust_and_safety": "Trust and safety / content moderation",
    "image_annotation": "Image annotation",
}

PROGRAMMING_LANGUAGES: dict[str, str] = {
    "python": "Python", "javascript": "JavaScript", "typescript": "TypeScript", "java": "Java",
    "c": "C", "cpp": "C++", "csharp": "C#", "go": "Go", "rust": "Rust", "ruby": "Ruby",
    "php": "PHP", "kotlin": "Kotlin", "swift": "Swift", "sql": "SQL", "r": "R",
}

# Languages offered first in pickers (the rest of ISO 639-1 follows alphabetically).
COMMON_LANGUAGES = ["en", "es", "fr", "de", "pt", "ja", "ko", "zh", "hi", "ms", "id", "ar", "ru", "it",
                    "tl", "vi", "th", "sw", "bn", "ur", "tr", "pl", "nl"]


@lru_cache(maxsize=1)
def languages() -> dict[str, str]:
    """ISO 639-1 code -> English name, common languages first."""
    names = {lang.alpha_2: lang.name for lang in pycountry.languages if hasattr(lang, "alpha_2")}
    ordered = {code: names[code] for code in COMMON_LANGUAGES if code in names}
    ordered.update(dict(sorted(((c, n) for c, n in names.items() if c not in ordered), key=lambda kv: kv[1])))
    return ordered


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> name, sorted by name."""
    return dict(sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda kv: kv[1]))


@lru_cache(maxsize=1)
def timezones() -> list[str]:
    return sorted(tz for tz in available_timezones() if "/" in tz and not tz.startswith(("Etc/", "SystemV/")))


def language_name(code: str) -> str:
    return languages().get(code, code)


def country_name(code: str | None) -> str:
    return countries().get(code or "", code or "")


def expertise_name(key: str) -> str:
    return EXPERTISE_AREAS.get(key, key)


def proficiency_at_least(actual: str, minimum: str) -> bool:
    return PROFICIENCY_RANK.get(actual, 0) >= PROFICIENCY_RANK.get(minimum, 99)
