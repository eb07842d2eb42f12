"""Scenario section ``[agents]``: headcount or shifts, absenteeism, adherence, hand-over, shrinkage."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.config import Section, clock_seconds, weekday_index

Role = Literal["agent", "night_duty"]


class BreakSpec(Section):
    """A break inside a shift: clock start time and length. The agent finishes the call in hand first."""

    start: str = Field(description="clock time 'HH:MM' (after the shift start)")
    minutes: float = Field(gt=0, le=600, description="break length, minutes (0 < m <= 600)")
    paid: bool = Field(default=False, description="paid break (counts in cost)")

    @field_validator("start")
    @classmethod
    def _clock(cls, v):
        clock_seconds(v)
        return v


class ShiftSpec(Section):
    """``count`` identical shifts from ``start`` to ``end`` (end <= start: ends next day)."""

    name: str = "shift"
    start: str = Field(description="clock time 'HH:MM'")
    end: str = Field(description="clock time 'HH:MM' (<= start means the next day)")
    count: int = Field(default=1, ge=1, le=100000, description="agents working this shift")
    days: str | list[str | int] = Field(
        default="all", description="'all', 'weekdays', 'weekends' or a list of weekday names")
    day: int | None = Field(default=None, ge=0, description="one horizon day index (0-based) instead of 'days'")
    breaks: list[BreakSpec] = Field(default_factory=list)
    role: Role = "agent"
    group: str | None = Field(default=None, description="skill group of these agents (routing.groups)")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v):
        clock_seconds(v)
        return v

    @field_validator("days")
    @classmethod
    def _days(cls, v):
        if isinstance(v, str):
            if v not in ("all", "weekdays", "weekends"):
                raise ValueError(f"days must be 'all', 'weekdays', 'weekends' or a list of weekdays, got {v!r}")
        else:
            if not v:
                raise ValueError("days list must not be empty")
            for d in v:
                weekday_index(d)
        return v

    @model_validator(mode="after")
    def _breaks_inside(self):
        start, length = self.start_s, self.length_s
        for b in self.breaks:
            offset = (clock_seconds(b.start) - start) % 86400
            if offset + b.minutes * 60 > length:
                raise ValueError(f"shift '{self.name}': break at {b.start} (+{b.minutes} min) is not inside "
                                 f"{self.start}-{self.end}")
        windows = sorted(((clock_seconds(b.start) - start) % 86400, b.minutes * 60, b.start) for b in self.breaks)
        for (off1, len1, at1), (off2, _, at2) in zip(windows, windows[1:]):
            if off2 < off1 + len1:
                what = "is given twice" if off1 == off2 else f"overlaps the break at {at2}"
                raise ValueError(f"shift '{self.name}': the break at {at1} (+{len1 / 60:g} min) {what}; breaks "
                                 "within a shift must not overlap")
        return self

    @property
    def start_s(self) -> int:
        return clock_seconds(self.start)

    @property
    def length_s(self) -> int:
        """Shift length, seconds (a shift whose end equals its start lasts 24 h)."""
        length = (clock_seconds(self.end) - self.start_s) % 86400
        return length or 86400

    def weekdays(self) -> set[int]:
        if self.days == "all":
            return set(range(7))
        if self.days == "weekdays":
            return set(range(5))
        if self.days == "weekends":
            return {5, 6}
        return {weekday_index(d) for d in self.days}

    def break_windows(self) -> list[tuple[float, float, bool]]:
        """(offset from shift start, duration, paid) in seconds, in time order."""
        out = [((clock_seconds(b.start) - self.start_s) % 86400, b.minutes * 60.0, b.paid) for b in self.breaks]
        return sorted(out)


class Agents(Section):
    """Who answers the phones. Give exactly one of headcount, headcount_per_interval, shifts, rota."""

    headcount: int | None = Field(default=None, ge=0, le=200000, description="agents on duty all the time")
    headcount_per_interval: list[int] | None = Field(
        default=None, description="agents on duty per reporting interval: one day (repeated) or the whole horizon")
    shifts: list[ShiftSpec] | None = None
    rota: str | None = Field(default=None, description="per-person rota CSV (staffing.roster's rota.csv), "
                                                       "relative to the scenario file: one agent per person")
    absenteeism: float = Field(default=0.0, ge=0, lt=1, description="P(a scheduled agent-shift is absent), [0, 1)")
    adherence: float = Field(default=1.0, gt=0, le=1, description="share of scheduled ready time actually ready")
    aux_episode_minutes: float = Field(default=10.0, ge=0.5, le=240,
                                       description="length of one not-ready episode (non-adherence), minutes")
    handover_minutes: float = Field(default=0.0, ge=0, le=120,
                                    description="paid time before each shift, not on the phones, minutes")
    shrinkage: float = Field(default=0.0, ge=0, lt=1, description="planned shrinkage for staffing, [0, 1)")
    shrinkage_on_call: bool = Field(default=True, description="apply shrinkage also in on-call (night-duty) "
                                                              "hours; false: heads = agents needed there")

    @model_validator(mode="after")
    def _one_source(self):
        given = [n for n in ("headcount", "headcount_per_interval", "shifts", "rota") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of headcount, headcount_per_interval, shifts, rota "
                             f"(got {given or 'none'})")
        if self.headcount_per_interval is not None and any(not 0 <= h <= 200000 for h in self.headcount_per_interval):
            raise ValueError("headcount_per_interval values must be in 0..200000")
        return self
