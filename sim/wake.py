"""Wake-ups: one reusable SimPy event for a chain of wake-ups that never overlap.

Some things in the model wait for one moment at a time — the next first-call arrival, the end of the call an
agent has in hand (talk + ACW). Each such moment as a new ``simpy.Timeout`` costs an event object and a
callback wrapper per call; a ``Wake`` is one event, re-armed after it fired: ``at(delay)`` schedules it
``delay`` s from now through ``Environment.schedule`` with the priority of a timeout, exactly where a
``env.timeout(delay)`` made at that point would be in SimPy's queue (same time ``now + delay``, same priority,
next event id), so results do not change. It must not be re-armed while it is still pending (an error).
"""
from __future__ import annotations

from collections.abc import Callable

import simpy
from simpy.events import NORMAL


class Wake(simpy.events.Event):
    """``at(delay)``: ``callback(self)`` ``delay`` s from now (seconds), like a timeout made then."""

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.events.Event], None]):
        super().__init__(env)
        self.callbacks = None      # not pending (SimPy sets it to None once an event has been processed)
        self._ok = True            # a wake-up succeeds with the value None, as a timeout does
        self._value = None
        self._then = [callback]
        self._schedule = env.schedule

    def at(self, delay: float) -> None:
        if self.callbacks is not None:
            raise RuntimeError("a Wake is re-armed only after it fired")
        self.callbacks = self._then
        self._schedule(self, NORMAL, delay)
