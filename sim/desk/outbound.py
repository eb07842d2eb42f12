"""Outbound work (return visits, call-backs, dunning reminders) and a deadline-aware queue.

``OutboundTask`` follows the API contract: ``ready_s`` (earliest start), ``due_s`` (deadline), ``kind``,
``talk_s`` (agent seconds incl. ACW) and ``on_done(finish_s, agent_role)``. ``OutboundQueue`` keeps tasks
not yet ready aside and serves ready ones earliest ``due_s`` first. ``next_work`` is the blending rule an
agent applies when it becomes free: inbound first, outbound only when no inbound call waits.
``SimpleOutboundExecutor`` runs N outbound-only agents in a SimPy env for stand-alone runs and tests.
"""
from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Callable

import simpy


@dataclass(eq=False)
class OutboundTask:
    ready_s: float
    due_s: float
    kind: str                       # return_visit | callback | dunning_reminder
    talk_s: float
    on_done: Callable[[float, str], None]
    ticket_id: int = -1
    id: int = -1
    submitted_s: float | None = None
    start_s: float | None = None
    finish_s: float | None = None
    role: str | None = None
    outcome: str | None = None      # set by the desk layer in on_done (reached / unreached / ...)
    caller_id: int | None = None    # the resident called (call-backs count against first-call resolution)
    extra: dict = field(default_factory=dict)


class OutboundQueue:
    """EDF queue with release times. ``push``; ``pop_ready(now)`` returns the ready task with the earliest
    ``due_s`` (ties: submission order) or None; ``next_ready_s()`` is when the next held task becomes ready."""

    def __init__(self):
        self._held: list = []      # (ready_s, n, task)
        self._ready: list = []     # (due_s, n, task)
        self._n = itertools.count()

    def __len__(self) -> int:
        return len(self._held) + len(self._ready)

    def push(self, task: OutboundTask) -> None:
        heapq.heappush(self._held, (task.ready_s, next(self._n), task))

    def _release(self, now: float) -> None:
        while self._held and self._held[0][0] <= now:
            _, n, task = heapq.heappop(self._held)
            heapq.heappush(self._ready, (task.due_s, n, task))

    def ready_count(self, now: float) -> int:
        self._release(now)
        return len(self._ready)

    def pop_ready(self, now: float) -> OutboundTask | None:
        self._release(now)
        return heapq.heappop(self._ready)[2] if self._ready else None

    def next_ready_s(self) -> float | None:
        return self._held[0][0] if self._held else None


def next_work(inbound_waiting: int, queue: OutboundQueue, now: float) -> str | OutboundTask | None:
    """Blending rule for a free agent: 'inbound' when any inbound call waits (inbound priority), else the most
    urgent ready outbound task, else None (idle)."""
    if inbound_waiting > 0:
        return "inbound"
    return queue.pop_ready(now)


class SimpleOutboundExecutor:
    """N agents serving outbound tasks earliest-deadline-first in ``env`` (stand-alone stand-in for the call
    model). ``available(t) -> bool`` restricts when agents work (default always); ``inbound_waiting() -> int``
    lets a caller emulate inbound priority. Tasks are recorded in ``done``."""

    def __init__(self, env: simpy.Environment, agents: int = 2, available: Callable[[float], bool] | None = None,
                 next_available: Callable[[float], float] | None = None,
                 inbound_waiting: Callable[[], int] | None = None, role: str = "agent"):
        if agents < 0:
            raise ValueError(f"outbound agents must be >= 0, got {agents}")
        self.env = env
        self.queue = OutboundQueue()
        self.available = available or (lambda t: True)
        self.next_available = next_available
        self.inbound_waiting = inbound_waiting or (lambda: 0)
        self.role = role
        self.done: list[OutboundTask] = []
        self.busy_s = 0.0
        self._wake = env.event()
        for _ in range(agents):
            env.process(self._agent())

    def submit(self, task: OutboundTask) -> None:
        if task.submitted_s is None:
            task.submitted_s = self.env.now
        self.queue.push(task)
        self._kick()

    def _kick(self) -> None:
        if not self._wake.triggered:
            self._wake.succeed()
        self._wake = self.env.event()

    def _agent(self):
        env = self.env
        while True:
            now = env.now
            if not self.available(now):
                nxt = self.next_available(now) if self.next_available else now + 60.0
                yield env.timeout(max(nxt - now, 1e-6))
                continue
            work = next_work(self.inbound_waiting(), self.queue, now)
            if work is None or work == "inbound":
                waits = [self._wake]
                nr = self.queue.next_ready_s()
                if nr is not None and nr > now:
                    waits.append(env.timeout(nr - now))
                if work == "inbound":
                    waits.append(env.timeout(1.0))
                yield env.any_of(waits)
                continue
            work.start_s = now
            yield env.timeout(work.talk_s)
            self.busy_s += work.talk_s
            work.finish_s, work.role = env.now, self.role
            self.done.append(work)
            work.on_done(env.now, self.role)
