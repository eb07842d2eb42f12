"""Shift rules (pydantic): shift types, breaks with placement windows, duty windows, days off.

The defaults describe the customer's property-management service centre (frontdesk.md, "Duty roster"):

* agents start on a 30-min grid; full-time 8 h paid with an unpaid 30-60 min lunch that starts 3-5 h into
  the shift (placed by the optimiser); part-time 4 h without a break;
* staff arrive 15 min before their shift for the hand-over (paid, not on the phones);
* noon duty 12:00-13:30: at least one agent on the phones (lunches must be staggered);
* night duty 17:30-08:30 by the on-call maintenance technician (role ``night_duty``, cheaper hourly rate);
* the centre is never unattended: at least one person on the phones in every minute, 24 h;
* weekly schedules: every agent works 5 days and has 2 consecutive days off.

Shift types can also take a length range (``max_length_minutes``), be limited to weekdays, carry weekly
contract hours (``weekly_hours`` +/- ``weekly_hours_tolerance``) and weekly duty counts (``min/max_per_week``);
soft coverage can penalise over-cover (``overstaffing_penalty``).

Clock times are "HH:MM"; every duration in this module is in **minutes** (field names say so). The model
itself works on a slot grid in seconds (see :mod:`staffing.shifts.templates`).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from staffing.timeofday import check_divides_day, clock_minutes

Role = Literal["agent", "night_duty"]


def _weekday(value: str | int) -> int:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    key = str(value).strip().lower()[:3]
    if key not in names:
        raise ValueError(f"weekday must be a name (monday..sunday) or 0..6, got {value!r}")
    return names.index(key)


def hhmm(minutes: float) -> str:
    """Minutes after midnight (any value, taken modulo one day) -> 'HH:MM'."""
    m = int(round(minutes)) % 1440
    return f"{m // 60:02d}:{m % 60:02d}"


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class BreakRule(_Rules):
    """A break whose start is chosen by the optimiser inside a window measured from the shift start."""

    name: str = "break"
    minutes: list[int] = Field(default=[30], min_length=1,
                               description="allowed break lengths, minutes (each 1..240); the model picks one")
    paid: bool = Field(default=False, description="paid breaks count in the shift cost; unpaid ones lengthen it")
    window_start_minutes: int = Field(ge=0, le=1440, description="earliest break start after the shift start, min")
    window_end_minutes: int = Field(ge=0, le=1440, description="latest break start after the shift start, min")

    @field_validator("minutes")
    @classmethod
    def _lengths(cls, v):
        if any(not 1 <= m <= 240 for m in v):
            raise ValueError(f"break minutes must each be in 1..240, got {v}")
        return sorted(set(v))

    @model_validator(mode="after")
    def _window(self):
        if self.window_end_minutes < self.window_start_minutes:
            raise ValueError(f"break '{self.name}': window_end_minutes ({self.window_end_minutes}) must be >= "
                             f"window_start_minutes ({self.window_start_minutes})")
        return self


class ShiftType(_Rules):
    """A family of shift templates: one per allowed start time x break lengths x break placements."""

    name: str
    role: Role = "agent"
    length_minutes: int = Field(ge=15, le=1440, description="paid time per shift excluding hand-over, minutes "
                                                           "(paid breaks included, unpaid breaks excluded)")
    breaks: list[BreakRule] = Field(default_factory=list, description="breaks in time order, windows disjoint")
    earliest_start: str = Field(default="00:00", description="first allowed start time 'HH:MM'")
    latest_start: str = Field(default="23:59", description="last allowed start time 'HH:MM' (before earliest_start"
                                                           " means the window wraps past midnight)")
    hourly_cost: float = Field(default=40.0, ge=0, description="cost per paid hour (currency units)")
    min_per_day: int = Field(default=0, ge=0, description="at least this many shifts of this type start each day")
    max_per_day: int | None = Field(default=None, ge=0, description="at most this many shifts start each day")
    max_headcount: int | None = Field(default=None, ge=0,
                                      description="at most this many people of this type (weekly days-off model)")
    days_off: bool = Field(default=True, description="people of this type follow the days-off rule (weekly); "
                                                     "types limited to weekdays never do")
    answers_calls: bool = Field(default=True, description="counts toward the per-interval agent requirement")
    max_length_minutes: int | None = Field(default=None, ge=15, le=1440,
                                           description="length as a range: length_minutes .. this, in "
                                                       "length_step_minutes steps (the optimiser picks)")
    length_step_minutes: int = Field(default=15, ge=1, le=1440, description="step of the length range, minutes")
    weekdays: list[str | int] | None = Field(default=None, description="only on these weekdays (names or 0..6, "
                                                                       "0 = Monday); null: every day")
    weekly_hours: float | None = Field(default=None, gt=0, le=168,
                                       description="contract hours per person and week (paid, incl. hand-over; "
                                                   "days-off types, averaged over the type's people)")
    weekly_hours_tolerance: float = Field(default=0.0, ge=0, le=168, description="+/- hours around weekly_hours")
    min_per_week: int = Field(default=0, ge=0, description="at least this many shifts of this type in each week")
    max_per_week: int | None = Field(default=None, ge=0, description="at most this many shifts in each week")

    @field_validator("earliest_start", "latest_start")
    @classmethod
    def _clock(cls, v):
        clock_minutes(v)
        return v

    @model_validator(mode="after")
    def _consistent(self):
        prev_end = -1
        for b in self.breaks:
            if b.window_start_minutes <= prev_end:
                raise ValueError(f"shift type '{self.name}': break '{b.name}' window starts at "
                                 f"{b.window_start_minutes} min, before the previous break can end ({prev_end} "
                                 "min); break windows must be disjoint and in time order")
            prev_end = b.window_end_minutes + max(b.minutes)
        if self.breaks and prev_end > self.length_minutes:
            raise ValueError(f"shift type '{self.name}': the last break may end {prev_end} min after the start, "
                             f"beyond length_minutes ({self.length_minutes})")
        if self.max_length_minutes is not None:
            if self.max_length_minutes < self.length_minutes:
                raise ValueError(f"shift type '{self.name}': max_length_minutes ({self.max_length_minutes}) must be "
                                 f">= length_minutes ({self.length_minutes})")
            if (self.max_length_minutes - self.length_minutes) % self.length_step_minutes:
                raise ValueError(f"shift type '{self.name}': the length range {self.length_minutes}.."
                                 f"{self.max_length_minutes} min is not a whole number of length_step_minutes "
                                 f"({self.length_step_minutes})")
        if self.weekdays is not None:
            if not self.weekdays:
                raise ValueError(f"shift type '{self.name}': weekdays must not be empty (null: every day)")
            self.weekdays = sorted({_weekday(d) for d in self.weekdays})
        if self.max_per_week is not None and self.min_per_week > self.max_per_week:
            raise ValueError(f"shift type '{self.name}': min_per_week ({self.min_per_week}) > max_per_week "
                             f"({self.max_per_week})")
        if self.max_per_day is not None and self.min_per_day > self.max_per_day:
            raise ValueError(f"shift type '{self.name}': min_per_day ({self.min_per_day}) > max_per_day "
                             f"({self.max_per_day})")
        return self

    def lengths(self) -> list[int]:
        """Allowed paid lengths, minutes (one value unless a range is given)."""
        hi = self.max_length_minutes or self.length_minutes
        return list(range(self.length_minutes, hi + 1, self.length_step_minutes))

    @property
    def in_days_off_model(self) -> bool:
        """People of this type follow the weekly days-off patterns (not for weekday-limited types)."""
        return self.days_off and self.weekdays is None

    def on_weekday(self, weekday: int) -> bool:
        return self.weekdays is None or weekday in self.weekdays

    def variants(self) -> list[tuple[int, ...]]:
        """Every combination of break lengths (minutes), one entry per break."""
        out: list[tuple[int, ...]] = [()]
        for b in self.breaks:
            out = [v + (m,) for v in out for m in b.minutes]
        return out

    def span_minutes(self, variant: tuple[int, ...], length: int | None = None) -> int:
        """Shift start -> end (excluding hand-over) for one break-length variant: paid time + unpaid breaks."""
        return (length or self.length_minutes) + sum(m for m, b in zip(variant, self.breaks) if not b.paid)

    def start_minutes(self, granularity: int) -> list[int]:
        """Allowed start times (minutes after midnight) on the granularity grid, in window order."""
        lo, hi = clock_minutes(self.earliest_start), clock_minutes(self.latest_start)
        first = -(-lo // granularity) * granularity
        width = (hi - lo) % 1440 if hi != lo else 0
        return sorted({t % 1440 for t in range(first, lo + width + 1, granularity)})


class DutyWindow(_Rules):
    """At least ``min_on_phone`` people of ``role`` on the phones every minute between start and end (daily)."""

    name: str
    start: str = Field(description="'HH:MM'")
    end: str = Field(description="'HH:MM' (<= start: ends the next day)")
    role: Role | Literal["any"] = "any"
    min_on_phone: int = Field(default=1, ge=1, le=1000)

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, v):
        clock_minutes(v)
        return v


class DaysOffRule(_Rules):
    """Weekly pattern: ``work_days`` on, ``off_days`` consecutive off, repeating with period work+off days."""

    work_days: int = Field(default=5, ge=1, le=13)
    off_days: int = Field(default=2, ge=1, le=7)

    @property
    def cycle_days(self) -> int:
        return self.work_days + self.off_days

    def patterns(self) -> list[tuple[int, ...]]:
        """One 0/1 tuple per pattern (1 = works that day of the cycle); off block starts on each cycle day."""
        n = self.cycle_days
        out = []
        for first_off in range(n):
            off = {(first_off + k) % n for k in range(self.off_days)}
            out.append(tuple(0 if d in off else 1 for d in range(n)))
        return out


def _default_types() -> list[ShiftType]:
    return [
        ShiftType(name="full_time", length_minutes=480, earliest_start="07:00", latest_start="14:00",
                  breaks=[BreakRule(name="lunch", minutes=[30, 60], paid=False,
                                    window_start_minutes=180, window_end_minutes=300)],
                  hourly_cost=40.0),
        ShiftType(name="part_time", length_minutes=240, earliest_start="07:00", latest_start="19:00",
                  hourly_cost=40.0),
        ShiftType(name="night_duty", role="night_duty", length_minutes=900, earliest_start="17:30",
                  latest_start="17:30", hourly_cost=25.0, min_per_day=1, max_per_day=1, days_off=False),
    ]


def _default_duties() -> list[DutyWindow]:
    return [
        DutyWindow(name="noon duty", start="12:00", end="13:30", role="agent", min_on_phone=1),
        DutyWindow(name="night duty", start="17:30", end="08:30", role="night_duty", min_on_phone=1),
    ]


class ShiftRules(_Rules):
    """Everything the shift scheduler needs besides the requirement (embed as ``scenario.shifts``)."""

    start_granularity_minutes: int = Field(default=30, ge=1, le=1440, description="shift starts on this grid, min")
    handover_minutes: int = Field(default=15, ge=0, le=120,
                                  description="paid time before each shift, not on the phones, minutes")
    shift_types: list[ShiftType] = Field(default_factory=_default_types, min_length=1)
    duty_windows: list[DutyWindow] = Field(default_factory=_default_duties)
    min_on_duty: int = Field(default=1, ge=0, le=1000, description="people on the phones at every moment, 24 h")
    days_off: DaysOffRule | None = Field(default_factory=DaysOffRule,
                                         description="weekly days-off pattern (used when the horizon is a "
                                                     "whole number of cycles); null: every day independent")
    max_agents_per_day: int | None = Field(default=None, ge=0, description="shifts of role 'agent' per day")
    cyclic: bool = Field(default=True, description="the horizon repeats: shifts running past its end cover "
                                                   "its beginning (a roster for a typical day/week)")
    coverage: Literal["hard", "soft"] = Field(default="hard", description="requirement as hard constraint, or "
                                                                          "soft with understaffing_penalty")
    understaffing_penalty: float = Field(default=1000.0, ge=0,
                                         description="soft coverage: cost per missing agent per interval")
    overstaffing_penalty: float = Field(default=0.0, ge=0,
                                        description="soft coverage: cost per agent above the requirement per "
                                                    "interval (0: none)")

    @field_validator("start_granularity_minutes")
    @classmethod
    def _divides_day(cls, v):
        return check_divides_day(v, "start_granularity_minutes")

    @model_validator(mode="after")
    def _names(self):
        if self.overstaffing_penalty > 0 and self.coverage != "soft":
            raise ValueError("overstaffing_penalty applies to coverage = 'soft' only (set coverage = 'soft' or "
                             "overstaffing_penalty = 0)")
        names = [t.name for t in self.shift_types]
        if len(set(names)) != len(names):
            raise ValueError(f"shift_types names must be unique, got {names}")
        for t in self.shift_types:
            if not t.start_minutes(self.start_granularity_minutes):
                raise ValueError(f"shift type '{t.name}': no start time on the {self.start_granularity_minutes}-min "
                                 f"grid between earliest_start {t.earliest_start} and latest_start {t.latest_start}")
        roles = {t.role for t in self.shift_types}
        for w in self.duty_windows:
            if w.role != "any" and w.role not in roles:
                raise ValueError(f"duty window '{w.name}' needs role '{w.role}' but no shift type has it "
                                 f"(roles: {sorted(roles)})")
        return self

    def on_call_mask(self, interval_s: int, n_intervals: int) -> "np.ndarray":
        """True for the intervals lying wholly inside a duty window of role ``night_duty`` (on-call duty)."""
        import numpy as np

        start = (np.arange(n_intervals) * interval_s) % 86400 / 60.0
        end = start + interval_s / 60.0
        mask = np.zeros(n_intervals, dtype=bool)
        for w in self.duty_windows:
            if w.role != "night_duty":
                continue
            a, b = clock_minutes(w.start), clock_minutes(w.end)
            length = (b - a) % 1440 or 1440
            offset = (start - a) % 1440
            mask |= offset + (end - start) <= length + 1e-9
        return mask

    def type_by_name(self, name: str) -> ShiftType:
        for t in self.shift_types:
            if t.name == name:
                return t
        raise KeyError(name)

    @classmethod
    def customer_summer(cls) -> "ShiftRules":
        """Summer variant of the customer's roster: noon duty 12:00-14:00, night duty 18:00-08:30."""
        types = _default_types()
        types[2] = types[2].model_copy(update={"earliest_start": "18:00", "latest_start": "18:00",
                                               "length_minutes": 870})
        duties = [DutyWindow(name="noon duty", start="12:00", end="14:00", role="agent"),
                  DutyWindow(name="night duty", start="18:00", end="08:30", role="night_duty")]
        return cls(shift_types=types, duty_windows=duties)
