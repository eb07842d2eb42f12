"""Clock times of day ('HH:MM'), shared by scenario files, shift rules and the front-desk calendar."""
from __future__ import annotations


def clock_seconds(value: str) -> int:
    """'HH:MM' (00:00..24:00) -> seconds after midnight; ValueError naming the bad value."""
    try:
        hh, mm = str(value).strip().split(":")
        h, m = int(hh), int(mm)
    except ValueError:
        raise ValueError(f"time of day must be 'HH:MM', got {value!r}") from None
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m != 0):
        raise ValueError(f"time of day must be between 00:00 and 24:00, got {value!r}")
    return h * 3600 + m * 60


def clock_minutes(value: str) -> int:
    """'HH:MM' (00:00..24:00) -> minutes after midnight."""
    return clock_seconds(value) // 60


def check_divides_day(value: int, name: str, per_day: int = 1440, unit: str = "min") -> int:
    """``value`` if it splits a day into whole steps (minutes by default); else ValueError naming ``name``."""
    if value <= 0 or per_day % value:
        raise ValueError(f"{name} must divide a day ({per_day} {unit}) evenly, got {value}")
    return value
