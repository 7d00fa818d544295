"""Aware-UTC time helpers and the UTC column type used by every model."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

UTC = timezone.utc


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (frozen by time-machine in tests)."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Treat a naive datetime as UTC (what SQLite gives back) and convert aware ones to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def for_reader(moment: datetime, zone_name: str | None, fmt: str = "%-d %B %Y, %H:%M") -> str:
    """`moment` as the person reading it sees their clock: formatted in their profile's time zone and named
    ("24 November 2026, 20:35 CET"); UTC when they have none or it is not a zone. For notices and messages
    written to one person (pages use the `dt` filter, which reads the viewer's zone)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = as_utc(moment).astimezone(zone)
    return f"{local:{fmt}} {local.tzname() or 'UTC'}"


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the pay week containing `moment` (pay weeks are UTC weeks)."""
    moment = as_utc(moment)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


class UTCDateTime(TypeDecorator):
    """Stores aware UTC datetimes; always returns aware UTC, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use core.time.utcnow()")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return as_utc(value)
