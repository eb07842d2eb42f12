"""Tickets and their lifecycle: an explicit transition table; an illegal transition raises.

Lifecycle:  logged -> assigned -> in_progress -> resolved -> return_visit -> closed
            logged -> resolved (answered on the call);  resolved -> closed (no return visit)
            return_visit -> reopened -> assigned (dissatisfied resident)
Every transition and every note (escalation, response, hand-over, ...) is an ``Event`` with its simulated time
(seconds). Deadlines are kept on the ticket: ``due[rule] = due_s`` and ``met[rule] = first time met``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

STATES = ("logged", "assigned", "in_progress", "resolved", "return_visit", "reopened", "closed")
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"logged"}),
    "logged": frozenset({"assigned", "resolved"}),
    "assigned": frozenset({"in_progress"}),
    "in_progress": frozenset({"resolved"}),
    "resolved": frozenset({"return_visit", "closed"}),
    "return_visit": frozenset({"closed", "reopened"}),
    "reopened": frozenset({"assigned"}),
    "closed": frozenset(),
}
OPEN_STATES = frozenset(STATES) - {"closed"}


class IllegalTransition(ValueError):
    """A ticket was asked to move along an edge that is not in ``TRANSITIONS``."""


@dataclass(slots=True)
class Event:
    ticket_id: int
    seq: int
    t_s: float
    kind: str              # 'transition' or a note kind ('escalated', 'responded', ...)
    from_state: str | None
    to_state: str | None
    detail: str            # short free text 'key=value;...'


@dataclass(slots=True)
class Ticket:
    id: int
    type: str
    created_s: float
    source: str = "call"           # call | counter | night_urgent | night_handover | online | billing | backlog
    call_id: int | None = None
    caller_id: int | None = None
    complaint_class: int | None = None
    severity: str | None = None
    anonymous: bool = False
    on_spot: bool = False
    sensitive: bool = False
    online: bool = False
    repair_kind: str | None = None
    urgent: bool = False
    invalid: bool = False          # invalid complaint: explained and closed (outcome 'invalid')
    written_reply: bool = False    # a higher office only asks for a written reply (no return visit)
    state: str | None = None
    closed_s: float | None = None
    outcome: str | None = None
    reopens: int = 0
    escalations: int = 0
    seq: int = 0
    level: str | None = None       # current escalation level (deadlines.LADDER); kept in 'escalated' events
    due: dict[str, float] = field(default_factory=dict)
    met: dict[str, float] = field(default_factory=dict)
    sink: object = None            # callable(Event) receiving every event (the layer's store buffer)
    watch: object = None           # callable(ticket, rule_name, due_s) told of every new deadline

    def _emit(self, t: float, kind: str, frm, to, detail: dict) -> Event:
        self.seq += 1
        ev = Event(self.id, self.seq, float(t), kind, frm, to,
                   ";".join([f"{k}={v}" for k, v in detail.items()]) if detail else "")
        if self.sink is not None:
            self.sink(ev, self)
        return ev

    def transition(self, to: str, t: float, **detail) -> Event:
        """Move to state ``to`` at time ``t``; IllegalTransition if the table forbids it."""
        if to not in TRANSITIONS.get(self.state, ()):
            raise IllegalTransition(f"ticket {self.id} ({self.type}): illegal transition {self.state} -> {to} "
                                    f"at t={t:.0f}s; allowed: {sorted(TRANSITIONS.get(self.state, ()))}")
        frm, self.state = self.state, to
        if "outcome" in detail:
            self.outcome = str(detail["outcome"])
        if to == "closed":
            self.closed_s = float(t)
        elif to == "reopened":
            self.reopens += 1
        return self._emit(t, "transition", frm, to, detail)

    def note(self, kind: str, t: float, **detail) -> Event:
        """Record a non-state event (escalation, response, ...); not allowed before logging or after closing."""
        if self.state not in OPEN_STATES:
            raise IllegalTransition(f"ticket {self.id}: cannot record {kind!r} in state {self.state}")
        if kind == "escalated":
            self.escalations += 1
        return self._emit(t, kind, self.state, self.state, detail)

    def set_deadline(self, rule: str, due_s: float) -> None:
        """Add a deadline (a rule applies at most once per ticket; a reopened ticket reuses 'rule#2'...)."""
        name, k = rule, 1
        while name in self.due:
            k += 1
            name = f"{rule}#{k}"
        self.due[name] = float(due_s)
        if self.sink is not None:
            self.sink(None, self)
        if self.watch is not None:
            self.watch(self, name, float(due_s))

    def meet(self, rule: str, t: float) -> None:
        """Mark the latest open occurrence of ``rule`` met at ``t`` (first time only)."""
        names = [n for n in self.due if (n == rule or n.startswith(rule + "#")) and n not in self.met]
        if names:
            self.met[names[-1]] = float(t)
            if self.sink is not None:
                self.sink(None, self)

    @property
    def is_open(self) -> bool:
        return self.state != "closed"
