"""Time, in one place: the store keeps naive UTC datetimes; tests pass their own clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: A function returning "now" as a naive UTC datetime.
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (how the store keeps every timestamp)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """A stored UTC timestamp as the computer's local time, for display."""
    return moment.replace(tzinfo=UTC).astimezone()
