"""Return visits (spec §Return visits): who is eligible, sampling at the configured rate, deadline rule, performer.

Complaints: sample rate ``complaint_rate`` (spec: >= 50 %) of eligible complaints, due 3 days after
resolution; never for anonymous complaints, complaints resolved on the spot, or sensitive cases.
Repairs: rate ``repair_rate`` (default 100 %), due 2 days (safety), 3 days after the leak test (leak), 2 days
(other). After a reopen the return visit is always made (a dissatisfied resident must be called again).
"""
from __future__ import annotations

import math

import numpy as np

from sim.desk.config import ReturnVisitRules

PERFORMER = {"minor": "assistant", "important": "supervisor", "major": "manager"}


def exclusion(ticket) -> str | None:
    """Reason this ticket may not get a return visit, or None if eligible. Only complaints and repairs get
    return visits ('not_applicable' for other types)."""
    if ticket.type == "complaint":
        if ticket.anonymous:
            return "anonymous"
        if ticket.on_spot:
            return "on_spot"
        if ticket.sensitive:
            return "sensitive"
        return None
    if ticket.type == "repair":
        return None
    return "not_applicable"


def due_rule(ticket) -> str:
    """Name of the deadline rule of this ticket's return visit."""
    if ticket.type == "complaint":
        return "complaint_return_visit"
    if ticket.type == "repair":
        return f"repair_return_visit_{ticket.repair_kind or 'other'}"
    raise ValueError(f"ticket type {ticket.type!r} has no return visit")


def performer(ticket) -> str:
    """Who makes the visit: complaint minor/important/major -> assistant/supervisor/manager; repairs -> agent."""
    if ticket.type == "complaint":
        return PERFORMER.get(ticket.severity or "minor", "assistant")
    return "agent"


class Sampler:
    """Decides which eligible tickets get a return visit. 'bernoulli': independently with the rate;
    'systematic': the k-th eligible ticket of a type is chosen when floor(k*rate) increases (the achieved
    rate never falls below the rate by more than one ticket)."""

    def __init__(self, rules: ReturnVisitRules, rng: np.random.Generator):
        self.rules, self.rng = rules, rng
        self._count: dict[str, int] = {}

    def rate(self, ticket_type: str) -> float:
        return {"complaint": self.rules.complaint_rate, "repair": self.rules.repair_rate}.get(ticket_type, 0.0)

    def select(self, ticket) -> bool:
        p = self.rate(ticket.type)
        if self.rules.sampling == "bernoulli":
            return bool(self.rng.random() < p)
        k = self._count.get(ticket.type, 0) + 1
        self._count[ticket.type] = k
        return math.floor(k * p + 1e-9) > math.floor((k - 1) * p + 1e-9)
