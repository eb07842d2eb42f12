"""Back-office departments as SimPy resources with their own opening hours; appointment slots.

A ``Department`` has ``staff`` parallel servers working daily ``start``..``end`` (all days or working days
only). ``work(seconds)`` queues for a server and serves only inside opening hours: a job not finished at
closing time resumes at the next opening (all staff share the hours, so holding the server overnight does
not reorder the queue). Durations in seconds.
"""
from __future__ import annotations

import math
from typing import Callable

import simpy

from sim.desk.calendar import DAY_S, Calendar
from sim.desk.config import DepartmentRules, clock_s


class Department:
    def __init__(self, env: simpy.Environment, cal: Calendar, name: str, rules: DepartmentRules):
        self.env, self.cal, self.name, self.rules = env, cal, name, rules
        self.start_s, self.end_s = clock_s(rules.start), clock_s(rules.end)
        self.working_only = rules.days == "working"
        self.resource = simpy.Resource(env, capacity=rules.staff)
        self.busy_s = 0.0
        self.jobs = 0

    def window(self, t: float) -> tuple[float, float]:
        """(first open instant >= t, closing time of that window)."""
        return self.cal.next_window(t, self.start_s, self.end_s, self.working_only)

    def is_open(self, t: float) -> bool:
        return self.window(t)[0] == t

    def next_slot(self, t: float, slot_s: int) -> float:
        """First appointment slot at or after ``t``: slots every ``slot_s`` from the opening time (0 = any
        open instant)."""
        a, b = self.window(t)
        if slot_s <= 0:
            return a
        day0 = math.floor(a / DAY_S) * DAY_S + self.start_s
        k = math.ceil((a - day0) / slot_s - 1e-9)
        s = day0 + k * slot_s
        return s if s < b else self.window(b)[0]

    def work(self, seconds: float, on_start: Callable[[float], None] | None = None):
        """SimPy generator (``yield from``): queue for a server, then serve ``seconds`` of open time.
        ``on_start(t)`` is called when service begins. Returns the finish time."""
        env = self.env
        with self.resource.request() as req:
            yield req
            left, started = float(seconds), False
            while True:
                a, b = self.window(env.now)
                if a > env.now:
                    yield env.timeout(a - env.now)
                if not started:
                    started = True
                    if on_start is not None:
                        on_start(env.now)
                piece = min(left, b - env.now)
                yield env.timeout(piece)
                self.busy_s += piece
                left -= piece
                if left <= 1e-9:
                    break
        self.jobs += 1
        return env.now
