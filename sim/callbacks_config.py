"""Scenario section ``[callbacks]``: virtual hold — queued callers are offered a call-back instead of waiting.

When an offer is made (seconds; one offer per call attempt):

- ``offer_if_expected_wait_s``: on entering the queue, when the *expected wait* exceeds this. The expected wait
  is estimated the way a simple ACD announces it: (callers already waiting + 1) × the scenario's mean handle
  time (mix-weighted talk + hold + ACW, ``Scenario.mean_handle_time_s``) ÷ agents logged in and ready (busy
  or idle; no ready agent: infinite);
- ``offer_after_s``: after waiting this long (if no offer was made on entry and the caller still waits).

The caller accepts with ``accept_prob``; an accepted caller hangs up (leaves the queue, patience timer
cancelled) and is called back by an agent as outbound work, first requested first served (every call-back
has the same ``deadline_s`` after its request, so earliest deadline = first request). ``priority`` decides
between call-backs and inbound callers: ``when_idle`` — a call-back only when no inbound caller waits;
``near_deadline`` — also before waiting inbound callers once its deadline is ``urgent_before_s`` away or
passed. A dial attempt reaches the resident with ``answer_prob`` (after ``dial_s`` of ringing; talk, hold and
ACW as an inbound call of the same type); an unanswered attempt costs the agent ``no_answer_s`` and is
retried ``retry_delay_s`` later, ``attempts`` dial attempts in all. Call-backs past their deadline are still
made (late), never dropped.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.config import Section


class Callbacks(Section):
    """Virtual hold (call-back offers to queued callers). Times in seconds."""

    offer_after_s: float | None = Field(default=None, gt=0, le=86400,
                                        description="offer after this wait in the queue, s (0 < x <= 86400)")
    offer_if_expected_wait_s: float | None = Field(
        default=None, ge=0, le=86400,
        description="offer on entry when the expected wait exceeds this, s (0 <= y <= 86400)")
    accept_prob: float = Field(default=0.5, ge=0, le=1, description="P(the caller accepts an offer), [0, 1]")
    deadline_s: float = Field(default=3600.0, gt=0, le=7 * 86400,
                              description="call back within this time of the request, s (0 < d <= 604800)")
    priority: Literal["when_idle", "near_deadline"] = Field(
        default="when_idle", description="when_idle: only when no inbound caller waits; near_deadline: also "
                                         "before inbound callers once the deadline is urgent_before_s away")
    urgent_before_s: float = Field(default=600.0, ge=0, le=7 * 86400,
                                   description="near_deadline: urgent this long before the deadline, s (>= 0)")
    attempts: int = Field(default=3, ge=1, le=20, description="dial attempts per call-back (1..20)")
    retry_delay_s: float = Field(default=600.0, gt=0, le=86400,
                                 description="wait before the next attempt after no answer, s (0 < x <= 86400)")
    answer_prob: float = Field(default=0.8, ge=0, le=1,
                               description="P(the resident answers a dial attempt), [0, 1]")
    dial_s: float = Field(default=15.0, ge=0, le=600,
                          description="ringing before the resident answers, s (0..600; agent time)")
    no_answer_s: float = Field(default=30.0, gt=0, le=600,
                               description="agent time of an unanswered attempt, s (0 < x <= 600)")

    @model_validator(mode="after")
    def _some_offer_rule(self):
        if self.offer_after_s is None and self.offer_if_expected_wait_s is None:
            raise ValueError("give offer_after_s and/or offer_if_expected_wait_s (when a queued caller is "
                             "offered a call-back)")
        if self.urgent_before_s > self.deadline_s:
            raise ValueError(f"urgent_before_s ({self.urgent_before_s:g}) must be <= deadline_s "
                             f"({self.deadline_s:g})")
        return self
