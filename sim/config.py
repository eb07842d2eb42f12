"""Scenario sections (pydantic): horizon, arrivals, call types, telephony, callers, costs, targets.

Everything a planner writes in a scenario file is validated here; invalid values raise one error that names
the field and the allowed range. Durations are seconds unless a field name says ``_minutes``.
"""
from __future__ import annotations

import datetime
import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.distributions import Distribution
from staffing.timeofday import check_divides_day, clock_seconds  # noqa: F401 - clock_seconds re-exported

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ALIASES = {name[:3]: i for i, name in enumerate(WEEKDAYS)} | {name: i for i, name in enumerate(WEEKDAYS)}


def weekday_index(value: str | int) -> int:
    """0 = Monday … 6 = Sunday, from a name ('mon', 'Monday') or an int."""
    if isinstance(value, bool):
        raise ValueError(f"weekday must be a name (monday..sunday) or 0..6, got {value!r}")
    if isinstance(value, int):
        if 0 <= value <= 6:
            return value
        raise ValueError(f"weekday index must be 0 (Monday) .. 6 (Sunday), got {value}")
    key = str(value).strip().lower()
    if key not in _WEEKDAY_ALIASES:
        raise ValueError(f"unknown weekday {value!r}; use monday..sunday (or mon..sun)")
    return _WEEKDAY_ALIASES[key]


MAX_MONEY = 1e9        # largest cost figure in any currency unit (per hour, day or recruit)
MAX_CALLS_PER_HOUR = 1e6


class Section(BaseModel):
    """Base of every scenario section: unknown keys, NaN and infinity are errors, not silently accepted."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Horizon(Section):
    """Simulated period and reporting intervals."""

    days: int = Field(default=1, ge=1, le=3660, description="simulated days (1..3660)")
    interval_minutes: int = Field(default=30, ge=1, le=1440, description="reporting interval, minutes")
    start_weekday: int = Field(default=0, description="weekday of day 0 (monday..sunday or 0..6)")
    warmup_minutes: float = Field(default=0.0, ge=0, le=3660 * 1440,
                                  description="calls arriving before this are not reported (< the horizon)")
    start_date: datetime.date | None = Field(default=None, description="calendar date of day 0 (ISO 'YYYY-MM-DD'); "
                                                                       "sets start_weekday")

    @field_validator("start_weekday", mode="before")
    @classmethod
    def _weekday(cls, v):
        return weekday_index(v)

    @model_validator(mode="before")
    @classmethod
    def _weekday_from_date(cls, data):
        """A start_date fixes the weekday; a start_weekday given as well must agree with it."""
        if isinstance(data, dict) and data.get("start_date") is not None:
            try:
                day = datetime.date.fromisoformat(str(data["start_date"]))
            except ValueError:
                raise ValueError(f"start_date must be an ISO date 'YYYY-MM-DD', got {data['start_date']!r}") from None
            given = data.get("start_weekday")
            if given is not None and weekday_index(given) != day.weekday():
                raise ValueError(f"start_weekday {given!r} disagrees with start_date {day} "
                                 f"(a {WEEKDAYS[day.weekday()]})")
            data = {**data, "start_date": day, "start_weekday": day.weekday()}
        return data

    @field_validator("interval_minutes")
    @classmethod
    def _divides_day(cls, v):
        return check_divides_day(v, "interval_minutes")

    @model_validator(mode="after")
    def _warmup_inside(self):
        if self.warmup_minutes >= self.days * 1440:
            raise ValueError(f"warmup_minutes ({self.warmup_minutes}) must be shorter than the horizon "
                             f"({self.days * 1440} min)")
        return self

    @property
    def interval_s(self) -> int:
        return self.interval_minutes * 60

    @property
    def intervals_per_day(self) -> int:
        return 1440 // self.interval_minutes

    @property
    def n_intervals(self) -> int:
        return self.days * self.intervals_per_day

    @property
    def length_s(self) -> float:
        return self.days * 86400.0

    @property
    def warmup_s(self) -> float:
        return self.warmup_minutes * 60.0

    # ------------------------------------------- per-interval volumes (arrivals, counter visits): checks, rates
    def check_per_interval(self, name: str, values) -> None:
        """``values`` (one per interval) covers one day (repeated) or the whole horizon; ValueError naming ``name``."""
        n = self.intervals_per_day
        if values is not None and len(values) not in (n, self.n_intervals):
            raise ValueError(f"{name} has {len(values)} values; expected {n} (one day of "
                             f"{self.interval_minutes}-min intervals) or {self.n_intervals} (the whole horizon)")

    def check_weekday_lengths(self, name: str, profile: dict | None) -> None:
        """Each day of a weekday profile has one value per interval of a day."""
        for day, values in (profile or {}).items():
            if len(values) != self.intervals_per_day:
                raise ValueError(f"{name}.{day} has {len(values)} values; expected {self.intervals_per_day}")

    def check_weekdays_covered(self, name: str, profile: dict | None) -> None:
        """A weekday profile without 'default' names every weekday the horizon has."""
        if profile is not None and "default" not in profile:
            have = {weekday_index(k) for k in profile}
            missing = sorted({(self.start_weekday + d) % 7 for d in range(self.days)} - have)
            if missing:
                raise ValueError(f"{name} lacks " + ", ".join(WEEKDAYS[m] for m in missing)
                                 + " (add them or a 'default' profile)")

    def per_interval(self, values) -> np.ndarray:
        """Values per interval over the horizon: one day's values repeated, or the horizon's as given."""
        arr = np.asarray(values, dtype=float)
        if arr.size == self.intervals_per_day:
            arr = np.tile(arr, self.days)
        return arr

    def weekday_rates(self, profile: dict) -> np.ndarray:
        """Values per interval over the horizon from a profile per weekday name (or 'default')."""
        by_day = {("default" if k == "default" else weekday_index(k)): np.asarray(v, float)
                  for k, v in profile.items()}
        return np.concatenate([by_day.get((self.start_weekday + d) % 7, by_day.get("default"))
                               for d in range(self.days)])


class Arrivals(Section):
    """Expected first-attempt calls, all call types together. Give exactly one of the four sources."""

    calls_per_hour: float | None = Field(default=None, ge=0, le=MAX_CALLS_PER_HOUR,
                                        description="constant rate, calls per hour (0..1e6)")
    calls_per_interval: list[float] | None = Field(
        default=None, description="expected calls per reporting interval: one day (repeated) or the whole horizon")
    weekday_profile: dict[str, list[float]] | None = Field(
        default=None, description="per weekday name (or 'default'): expected calls per interval of that day")
    csv: str | None = Field(default=None, description="CSV with a 'calls' column, one row per interval "
                                                      "(a day, repeated, or the whole horizon)")
    csv_column: str = "calls"
    scale: float = Field(default=1.0, ge=0, le=1000, description="multiplies every volume (what-if), 0..1000")
    weekday_factor: dict[str, float] = Field(
        default_factory=dict, description="multiplier per weekday name, default 1.0")
    poisson: bool = Field(default=True, description="draw Poisson counts around the volumes; false: the volumes "
                                                    "are exact counts (whole numbers), e.g. observed first attempts")

    @model_validator(mode="after")
    def _one_source(self):
        given = [n for n in ("calls_per_hour", "calls_per_interval", "weekday_profile", "csv")
                 if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of calls_per_hour, calls_per_interval, weekday_profile, csv "
                             f"(got {given or 'none'})")
        for name, values in ([("calls_per_interval", self.calls_per_interval)] if self.calls_per_interval else []) + \
                [(f"weekday_profile.{k}", v) for k, v in (self.weekday_profile or {}).items()]:
            if any((not math.isfinite(x)) or x < 0 or x > MAX_CALLS_PER_HOUR * 24 for x in values):
                raise ValueError(f"{name}: calls per interval must be finite, >= 0 and <= 2.4e7")
        for key in list(self.weekday_profile or {}) :
            if key != "default":
                weekday_index(key)
        for key, factor in self.weekday_factor.items():
            weekday_index(key)
            if factor < 0 or not math.isfinite(factor) or factor > 100:
                raise ValueError(f"weekday_factor.{key} must be in [0, 100], got {factor}")
        return self


class CallType(Section):
    """Behaviour of one call type (the type's name is data: inquiry, repair, complaint, …)."""

    share: float = Field(ge=0, le=1, description="fraction of arrivals of this type (all shares sum to 1)")
    priority: int = Field(default=0, ge=0, le=9, description="queue priority, higher is served first (0..9)")
    talk: Distribution = Field(description="talk time excluding hold, seconds")
    hold_prob: float = Field(default=0.0, ge=0, le=1, description="probability the agent puts the caller on hold")
    hold: Distribution = Field(default=Distribution(family="deterministic", mean=1.0) , description="hold time")
    acw: Distribution | None = Field(default=None, description="after-call work, seconds (none = 0)")
    transfer_prob: float = Field(default=0.0, ge=0, le=1, description="probability the call is transferred")
    fcr: float = Field(default=1.0, ge=0, le=1,
                       description="probability the problem is solved on the call (behaviour: otherwise the "
                                   "caller calls again, or with [desk] an inquiry gets a call-back); the fcr "
                                   "metric is measured from the call log, not from this input")
    repeat_delay: Distribution = Field(
        default=Distribution(family="exponential", mean=86400.0),
        description="delay before an unresolved caller calls again, seconds")
    ivr_self_service: float = Field(default=0.0, ge=0, le=1,
                                    description="probability the IVR completes the call (needs telephony.ivr)")


class Telephony(Section):
    """Trunks, ringing and IVR."""

    trunks: int | None = Field(default=None, ge=1, le=1000000, description="trunk lines; all busy -> busy signal (none = unlimited)")
    ring_cycle_s: float = Field(default=6.0, ge=1, le=60, description="length of one ring, seconds (1..60)")
    pickup_rings: int = Field(default=0, ge=0, le=20,
                              description="rings before an agent can pick up (0 = at once); without IVR")
    ivr: bool = Field(default=False, description="an IVR answers every call first")
    ivr_pickup_rings: int = Field(default=1, ge=0, le=20, description="rings before the IVR answers")
    ivr_time: Distribution = Field(default=Distribution(family="deterministic", mean=30.0),
                                   description="time in the IVR menu, seconds")


class Callers(Section):
    """Caller patience and redial behaviour."""

    patience: Distribution | None = Field(default=None, description="time a caller waits before hanging up "
                                                                    "(none = never abandons)")
    redial_prob_abandon: float = Field(default=0.0, ge=0, le=1, description="P(call again after abandoning)")
    redial_prob_busy: float = Field(default=0.0, ge=0, le=1, description="P(call again after a busy signal)")
    redial_delay: Distribution = Field(default=Distribution(family="exponential", mean=300.0),
                                       description="delay before a redial, seconds")
    max_redials: int = Field(default=3, ge=0, le=100, description="redials per caller after abandon/busy")


class Transfers(Section):
    """Where transferred calls go: a second tier of agents in the centre, or another department (leaves)."""

    destination: Literal["department", "tier2"] = "department"
    consult: Distribution = Field(default=Distribution(family="deterministic", mean=30.0),
                                  description="first agent's time to hand the caller over, seconds")
    tier2_agents: int = Field(default=0, ge=0, le=200000, description="tier-2 agents on duty the whole horizon")
    tier2_talk: Distribution = Field(default=Distribution(family="exponential", mean=300.0),
                                     description="tier-2 talk time, seconds")

    @model_validator(mode="after")
    def _tier2_staffed(self):
        if self.destination == "tier2" and self.tier2_agents < 1:
            raise ValueError("transfers.destination = 'tier2' needs tier2_agents >= 1")
        return self


class Costs(Section):
    """Centre costs for cost per call (currency units)."""

    currency: str = "CNY"
    agent_hourly: float = Field(default=40.0, ge=0, le=MAX_MONEY, description="paid hour of a customer-service agent")
    night_duty_hourly: float = Field(default=25.0, ge=0, le=MAX_MONEY,
                                     description="paid hour of the night-duty technician")
    tier2_hourly: float = Field(default=60.0, ge=0, le=MAX_MONEY, description="paid hour of a tier-2 agent")
    line_daily: float = Field(default=2.0, ge=0, le=MAX_MONEY, description="cost of one trunk line per day")
    fixed_daily: float = Field(default=300.0, ge=0, le=MAX_MONEY, description="fixed centre cost per day")


class Quality(Section):
    """QA monitoring: sampled calls per agent per month and their scores (0..100)."""

    monitored_per_agent_month: float = Field(default=4.5, ge=0, le=1000)
    score_mean: float = Field(default=85.0, gt=0, lt=100)
    score_sd: float = Field(default=8.0, ge=0, lt=50)

    @model_validator(mode="after")
    def _beta_possible(self):
        # scores are drawn from a beta distribution on 0..100: its sd is below sqrt(m (100 - m))
        limit = math.sqrt(self.score_mean * (100.0 - self.score_mean))
        if self.score_sd >= limit:
            raise ValueError(f"quality.score_sd ({self.score_sd:g}) must be below sqrt(score_mean x (100 - "
                             f"score_mean)) = {limit:.3g} for scores on 0..100")
        return self


class Attrition(Section):
    """Agent turnover for long-horizon planning and cost."""

    annual_rate: float = Field(default=0.25, ge=0, le=5, description="leavers per full-time head per year")
    recruit_cost: float = Field(default=7000.0, ge=0, le=MAX_MONEY, description="cost to recruit and train one agent")


class MetricOptions(Section):
    """How metrics are computed."""

    service_level_threshold_s: float = Field(default=20.0, ge=0, le=86400,
                                             description="X of 'answered within X s' (0..86400)")
    short_abandon_s: float = Field(default=20.0, ge=0, le=86400,
                                   description="abandons after <= this wait are 'short' (0..86400 s)")
    exclude_short_abandons: bool = Field(default=True, description="drop short abandons from abandonment "
                                                                   "rate and service-level denominators")
    repeat_window_days: float = Field(default=7.0, gt=0, le=366,
                                      description="FCR: a repeat contact within this many days after a handled "
                                                  "call makes it unresolved (0 < days <= 366)")
    answer_within_rings: int = Field(default=3, ge=1, le=20, description="N of 'share answered within N rings' "
                                                                         "(1..20)")


class Target(Section):
    """A bound on a run metric: ``min`` and/or ``max``."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _some_bound(self):
        if self.min is None and self.max is None:
            raise ValueError("a target needs 'min' and/or 'max'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"target min ({self.min}) is above max ({self.max})")
        return self
