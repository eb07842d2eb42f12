"""Return visits (spec §Return visits): who is eligible, sampling at the configured rate, deadline rule, performer.

Complaints: at least ``complaint_rate`` (spec: >= 50 %) of eligible complaints per reporting period, due 3 days after
resolution; never for anonymous complaints, complaints resolved on the spot, sensitive cases, complaints where a
higher office only asks for a written reply, invalid complaints, or residents who refused return visits
(do-not-visit flag, set when a reached resident refuses).
Repairs: rate ``repair_rate`` (default 100 %), due 2 days (safety), 3 days after the leak test (leak), 2 days
(other). After a reopen the return visit is always made (a dissatisfied resident must be called again).
"""
from __future__ import annotations

import math

import numpy as np

from sim.desk.config import ReturnVisitRules

PERFORMER = {"minor": "assistant", "important": "supervisor", "major": "manager"}


def exclusion(ticket, do_not_visit: frozenset | set = frozenset()) -> str | None:
    """Reason this ticket may not get a return visit, or None if eligible. Only complaints and repairs get
    return visits ('not_applicable' for other types). ``do_not_visit``: caller ids of residents who refused
    return visits (never called again for them)."""
    if ticket.type not in ("complaint", "repair"):
        return "not_applicable"
    if ticket.type == "complaint":
        if ticket.invalid:
            return "not_applicable"
        if ticket.anonymous:
            return "anonymous"
        if ticket.on_spot:
            return "on_spot"
        if ticket.sensitive:
            return "sensitive"
        if ticket.written_reply:
            return "written_reply"
    if ticket.caller_id is not None and ticket.caller_id in do_not_visit:
        return "do_not_visit"
    return None


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
    """Decides which eligible tickets get a return visit.

    'period_minimum' (default): a rate is a minimum per reporting period (``calendar.month_days`` days, by
    resolution time). The decision is taken at the daily selection (``ReturnVisitRules.selection_time``): with
    n eligible tickets of a type resolved in the period so far and s already chosen, ceil(rate * n) - s of the
    waiting ones are chosen at random, the rest are not visited. Every period thus ends with at least
    ceil(rate * n) visits (exactly that many unless reopened tickets add forced ones). A visit is due days after
    resolution, so the choice cannot wait for the period's total; deciding daily keeps it random and the
    minimum exact. Rates 0 and 1 are decided at once.
    'bernoulli': each ticket independently with the rate (meets it only on average);
    'systematic': the k-th eligible ticket of a type is chosen when floor(k*rate) increases."""

    def __init__(self, rules: ReturnVisitRules, rng: np.random.Generator):
        self.rules, self.rng = rules, rng
        self._count: dict[str, int] = {}
        self._seen: dict[tuple[str, int], int] = {}        # (type, period) -> eligible decided
        self._chosen: dict[tuple[str, int], int] = {}      # (type, period) -> chosen
        self._waiting: dict[tuple[str, int], list] = {}    # (type, period) -> [(ticket, resolved_s)]

    def rate(self, ticket_type: str) -> float:
        return {"complaint": self.rules.complaint_rate, "repair": self.rules.repair_rate}.get(ticket_type, 0.0)

    def offer(self, ticket, resolved_s: float, period: int) -> bool | None:
        """Decision now (True/False) or None: wait for the next daily selection (``draw``)."""
        p = self.rate(ticket.type)
        if self.rules.sampling != "period_minimum":
            return self.select(ticket)
        if p >= 1.0 or p <= 0.0:
            return p >= 1.0
        self._waiting.setdefault((ticket.type, period), []).append((ticket, resolved_s))
        return None

    @property
    def waiting(self) -> int:
        return sum(len(v) for v in self._waiting.values())

    def draw(self) -> list[tuple[object, float, bool]]:
        """Daily selection: (ticket, resolved_s, chosen) for every waiting ticket."""
        out = []
        for key in sorted(self._waiting):
            waiting = self._waiting[key]
            n = self._seen.get(key, 0) + len(waiting)
            need = math.ceil(self.rate(key[0]) * n - 1e-9) - self._chosen.get(key, 0)
            need = min(max(need, 0), len(waiting))
            chosen = set(self.rng.choice(len(waiting), size=need, replace=False).tolist()) if need else set()
            out += [(tk, t, i in chosen) for i, (tk, t) in enumerate(waiting)]
            self._seen[key] = n
            self._chosen[key] = self._chosen.get(key, 0) + need
        self._waiting = {}
        return out

    def select(self, ticket) -> bool:
        """Immediate decision of the 'bernoulli' and 'systematic' modes."""
        p = self.rate(ticket.type)
        if self.rules.sampling == "bernoulli":
            return bool(self.rng.random() < p)
        k = self._count.get(ticket.type, 0) + 1
        self._count[ticket.type] = k
        return math.floor(k * p + 1e-9) > math.floor((k - 1) * p + 1e-9)
