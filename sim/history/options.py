"""Checks of the readers' options: one clear error naming the option and the allowed values."""
from __future__ import annotations

import math
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sim.history.observed import HistoryError


def check_options(*, tz: str, interval_minutes: int, **seconds: float) -> None:
    """``tz`` an IANA zone name; ``interval_minutes`` dividing a day; every other option finite and >= 0."""
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise HistoryError(f"tz must be an IANA time zone such as 'Asia/Shanghai' or 'UTC', got {tz!r}") from None
    if isinstance(interval_minutes, bool) or not isinstance(interval_minutes, int) or not (
            1 <= interval_minutes <= 1440 and 1440 % interval_minutes == 0):
        raise HistoryError(f"interval_minutes must be a whole number of minutes dividing a day (1..1440, e.g. 15, "
                           f"30, 60), got {interval_minutes!r}")
    for name, value in seconds.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
            raise HistoryError(f"{name} must be a number of seconds >= 0, got {value!r}")
    if "ring_cycle_s" in seconds and seconds["ring_cycle_s"] <= 0:
        raise HistoryError(f"ring_cycle_s must be > 0, got {seconds['ring_cycle_s']!r}")
