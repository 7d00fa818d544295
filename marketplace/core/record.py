"""My record: rooms register sections (sanctions, grades, blocks ...) that the record page and its downloads show.

A section provider takes a user id and returns RecordItems, newest first. The audit log is always shown too,
so a room without a section still appears through its audit rows.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True)
class RecordItem:
    when: datetime
    what: str  # "Temporary suspension (platform-wide)"
    decided_by: str  # "Ada Admin (admin)", or "FairTrain (automatic rule)"
    reason: str
    outcome: str = ""  # "Overturned on appeal on 3 Dec 2026: ..." or "Active until ..."
    link: str | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["when"] = self.when.isoformat()
        return data


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    provider: Callable[[int], list[RecordItem]]
    order: int = 100


_SECTIONS: dict[str, Section] = {}


def register_section(key: str, title: str, provider: Callable[[int], list[RecordItem]], *, order: int = 100) -> None:
    _SECTIONS[key] = Section(key, title, provider, order)


def sections_for(user_id: int) -> list[tuple[Section, list[RecordItem]]]:
    return [(s, s.provider(user_id)) for s in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))]
