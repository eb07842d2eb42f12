"""The ``[counter]`` scenario section: residents who walk in to the front desk instead of calling.

Visitors arrive by a time-varying profile (like ``[arrivals]``: a constant rate, one day of intervals, the whole
horizon, or a profile per weekday) and bring one *purpose* each (move-in paperwork, renovation permit, fee
payment …, each with its share and service-time distribution). They queue physically: long patience (none =
they wait until served) and *balking* — a visitor who finds ``balk_queue_length`` or more people waiting turns
away, and each person waiting ahead makes him turn away with ``balk_prob_per_person``.

The counter is served by the desk staff who answer the phone (the main agent group). ``policy`` says who goes
first when a staff member is free:

- ``counter_first``: a visitor waiting at the counter before any caller (the phone rings on);
- ``phone_first``: callers before visitors (a visitor is served by whoever is free and no caller waits);
- ``phone_reserved``: like ``counter_first``, but at most (staff ready − ``phone_reserve``) serve the counter
  at once, so ``phone_reserve`` staff stay on the phone while the counter is busy.

Durations are seconds unless the name says ``_minutes``; no service is interrupted (a visitor's service is
never pre-empted by a ringing phone, nor a call by a visitor).
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.config import Section, weekday_index
from sim.desk.config import TICKET_TYPES
from sim.distributions import Distribution

POLICIES = ("counter_first", "phone_first", "phone_reserved")
MAX_VISITS_PER_HOUR = 1e5


class CounterPurpose(Section):
    """Why a resident comes to the counter (the purpose's name is data: move_in, fee_payment …)."""

    share: float = Field(ge=0, le=1, description="fraction of visitors with this purpose (all shares sum to 1)")
    service: Distribution = Field(description="time at the counter once served, seconds")
    fcr: float = Field(default=1.0, ge=0, le=1, description="probability the request is settled at the counter "
                                                            "(for the [desk] ticket: resolved on the spot)")
    ticket_type: Literal[TICKET_TYPES] | None = Field(  # type: ignore[valid-type]
        default=None, description="[desk] ticket type of the visit (default: the purpose's name mapped like a "
                                  "call type, desk.call_type_map)")


class Counter(Section):
    """Walk-in visitors served by the phone staff; see the module docstring."""

    visits_per_hour: float | None = Field(default=None, ge=0, le=MAX_VISITS_PER_HOUR,
                                          description="constant rate, visitors per hour (0..1e5)")
    visits_per_interval: list[float] | None = Field(
        default=None, description="expected visitors per reporting interval: one day (repeated) or the horizon")
    weekday_profile: dict[str, list[float]] | None = Field(
        default=None, description="per weekday name (or 'default'): expected visitors per interval of that day")
    scale: float = Field(default=1.0, ge=0, le=1000, description="multiplies every volume (what-if), 0..1000")
    purposes: dict[str, CounterPurpose] = Field(min_length=1, description="purpose name -> share and service")
    patience: Distribution | None = Field(default=None, description="time a visitor waits before leaving, "
                                                                    "seconds (none = waits until served)")
    balk_queue_length: int | None = Field(default=None, ge=1, le=10000,
                                          description="visitors turn away when this many or more are waiting "
                                                      "(1..10000; none = no limit)")
    balk_prob_per_person: float = Field(default=0.0, ge=0, le=1,
                                        description="P(turn away) per person waiting ahead (0..1): "
                                                    "P(balk) = 1 - (1 - p)^ahead")
    policy: Literal[POLICIES] = Field(default="counter_first",  # type: ignore[valid-type]
                                      description="who is served first: counter_first, phone_first, "
                                                  "phone_reserved")
    phone_reserve: int = Field(default=1, ge=1, le=1000,
                               description="phone_reserved: staff kept on the phone while the counter is busy")
    wait_target_minutes: float = Field(default=10.0, gt=0, le=1440,
                                       description="N of 'visitors served within N minutes' (0 < N <= 1440)")

    @model_validator(mode="after")
    def _check(self):
        given = [n for n in ("visits_per_hour", "visits_per_interval", "weekday_profile") if getattr(self, n)
                 is not None]
        if len(given) != 1:
            raise ValueError("counter: give exactly one of visits_per_hour, visits_per_interval, weekday_profile "
                             f"(got {given or 'none'})")
        lists = ([("visits_per_interval", self.visits_per_interval)] if self.visits_per_interval is not None
                 else []) + [(f"weekday_profile.{k}", v) for k, v in (self.weekday_profile or {}).items()]
        for name, values in lists:
            if any(x < 0 or x > MAX_VISITS_PER_HOUR * 24 for x in values):
                raise ValueError(f"counter.{name}: visitors per interval must be >= 0 and <= 2.4e6")
        for key in self.weekday_profile or {}:
            if key != "default":
                weekday_index(key)
        total = sum(p.share for p in self.purposes.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"counter.purposes shares must sum to 1 (got {total:.6g})")
        return self

    def check_horizon(self, horizon) -> None:
        """The profile fits the horizon's intervals (ValueError naming the field otherwise)."""
        horizon.check_per_interval("counter.visits_per_interval", self.visits_per_interval)
        horizon.check_weekday_lengths("counter.weekday_profile", self.weekday_profile)
        horizon.check_weekdays_covered("counter.weekday_profile", self.weekday_profile)

    def rates(self, horizon) -> np.ndarray:
        """Expected visitors per reporting interval over the horizon."""
        if self.visits_per_hour is not None:
            rates = np.full(horizon.n_intervals, self.visits_per_hour * horizon.interval_s / 3600.0)
        elif self.visits_per_interval is not None:
            rates = horizon.per_interval(self.visits_per_interval)
        else:
            rates = horizon.weekday_rates(self.weekday_profile)
        return rates * self.scale

    def mean_service_s(self) -> float:
        """Share-weighted expected service time of a visitor, seconds."""
        return sum(p.share * p.service.expected() for p in self.purposes.values())

    def resolved(self, base) -> "Counter":
        """Copy with empirical CSV distributions read into memory (relative to ``base``)."""
        purposes = {n: p.model_copy(update={"service": p.service.resolved(base)}) for n, p in self.purposes.items()}
        patience = self.patience.resolved(base) if self.patience is not None else None
        return self.model_copy(update={"purposes": purposes, "patience": patience})
