"""Working calendar: working days/hours, duty periods (day / noon / night, summer timetable), deadline arithmetic.

Time is seconds from horizon start; day d covers [d*86400, (d+1)*86400) and has weekday
(start_weekday + d) % 7 (0 = Monday). Working time = office hours (``work_start``..``work_end``) on days that
are neither weekend nor holiday. "n working days" = n times the office-day length of working time, so a
complaint received Friday 16:00 with office hours 08:30-17:30 must be answered by Monday 16:00, and one
received on Saturday by Monday 17:30 (the clock starts at the next opening).
"""
from __future__ import annotations

import math

from sim.desk.config import CalendarRules, DeadlineRule, clock_s

DAY_S = 86400


class Calendar:
    """Calendar of one run (``rules`` + weekday of day 0)."""

    def __init__(self, rules: CalendarRules | None = None, start_weekday: int = 0):
        if not 0 <= int(start_weekday) <= 6:
            raise ValueError(f"start_weekday must be 0 (Monday)..6 (Sunday), got {start_weekday}")
        self.rules = rules or CalendarRules()
        self.start_weekday = int(start_weekday)
        r = self.rules
        self._weekend = frozenset(r.weekend)
        self._holidays = frozenset(r.holidays)
        self.work_start_s = clock_s(r.work_start)
        self.work_end_s = clock_s(r.work_end)
        self.work_day_s = self.work_end_s - self.work_start_s
        self.day_start_s = clock_s(r.day_start)
        self.noon_start_s = clock_s(r.noon_start)
        self._noon_end = (clock_s(r.noon_end), clock_s(r.noon_end_summer))
        self._night_start = (clock_s(r.night_start), clock_s(r.night_start_summer))

    # ---- days -------------------------------------------------------------------------------------------
    @staticmethod
    def day_of(t: float) -> int:
        return int(math.floor(t / DAY_S))

    def weekday(self, day: int) -> int:
        return (self.start_weekday + day) % 7

    def is_working_day(self, day: int) -> bool:
        return self.weekday(day) not in self._weekend and day not in self._holidays

    def is_summer(self, day: int) -> bool:
        return any(a <= day < b for a, b in self.rules.summer)

    def month_of(self, t: float) -> int:
        return self.day_of(t) // self.rules.month_days

    # ---- duty roster ------------------------------------------------------------------------------------
    def night_start(self, day: int) -> int:
        """Clock second (of ``day``) when night duty starts."""
        return self._night_start[self.is_summer(day)]

    def noon_end(self, day: int) -> int:
        return self._noon_end[self.is_summer(day)]

    def desk_role(self, t: float) -> str:
        """Who is at the desk at ``t``: 'day' (customer-service shift), 'noon' (noon duty) or 'night'."""
        d = self.day_of(t)
        c = t - d * DAY_S
        if c < self.day_start_s or c >= self.night_start(d):
            return "night"
        if self.noon_start_s <= c < self.noon_end(d):
            return "noon"
        return "day"

    def is_night(self, t: float) -> bool:
        return self.desk_role(t) == "night"

    def next_handover(self, t: float) -> float:
        """First morning shift change (night duty end, ``day_start``) at or after ``t``."""
        d = self.day_of(t)
        h = d * DAY_S + self.day_start_s
        return float(h if h >= t else h + DAY_S)

    def next_day_desk(self, t: float) -> float:
        """``t`` if day staff (day or noon duty) are at the desk, else the next morning shift change."""
        return float(t) if not self.is_night(t) else self.next_handover(t)

    # ---- opening windows ---------------------------------------------------------------------------------
    def next_window(self, t: float, start_s: int, end_s: int, working_only: bool) -> tuple[float, float]:
        """First window [a, b) of daily hours start_s..end_s (on working days only if asked) with b > t;
        returns (max(a, t), b)."""
        d = self.day_of(t)
        for _ in range(3700):
            if not working_only or self.is_working_day(d):
                a, b = d * DAY_S + start_s, d * DAY_S + end_s
                if b > t:
                    return float(max(a, t)), float(b)
            d += 1
        raise ValueError("no open window within ten years; check calendar.weekend/holidays")

    def is_working_time(self, t: float) -> bool:
        d = self.day_of(t)
        c = t - d * DAY_S
        return self.is_working_day(d) and self.work_start_s <= c < self.work_end_s

    def next_working_time(self, t: float) -> float:
        return self.next_window(t, self.work_start_s, self.work_end_s, True)[0]

    # ---- deadline arithmetic -----------------------------------------------------------------------------
    def add_working_seconds(self, t: float, seconds: float) -> float:
        """Instant after ``seconds`` of working time counted from ``t`` (clock starts at the next opening)."""
        if seconds < 0:
            raise ValueError(f"working time to add must be >= 0, got {seconds}")
        if seconds == 0:
            return float(t)
        left = float(seconds)
        while True:
            a, b = self.next_window(t, self.work_start_s, self.work_end_s, True)
            if left <= b - a:
                return a + left
            left -= b - a
            t = b

    def add_working_days(self, t: float, n: float) -> float:
        return self.add_working_seconds(t, n * self.work_day_s)

    def working_seconds_between(self, t0: float, t1: float) -> float:
        """Working time in [t0, t1] (negative if t1 < t0)."""
        if t1 < t0:
            return -self.working_seconds_between(t1, t0)
        total, t = 0.0, float(t0)
        while t < t1:
            a, b = self.next_window(t, self.work_start_s, self.work_end_s, True)
            if a >= t1:
                break
            total += min(b, t1) - a
            t = b
        return total

    def deadline(self, t: float, rule: DeadlineRule) -> float:
        """Due instant of ``rule`` started at ``t``."""
        if rule.unit == "working_days":
            return self.add_working_days(t, rule.amount)
        if rule.unit == "working_hours":
            return self.add_working_seconds(t, rule.amount * 3600)
        if rule.unit == "days":
            return float(t + rule.amount * DAY_S)
        if rule.unit == "hours":
            return float(t + rule.amount * 3600)
        if rule.unit == "same_day":
            return float((self.day_of(t) + 1 + int(rule.amount)) * DAY_S)
        raise ValueError(f"unknown deadline unit {rule.unit!r}")  # pragma: no cover (pydantic guards)
