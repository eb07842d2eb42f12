"""Patience clock: the deadlines of all callers waiting for an agent, watched by one SimPy timer.

A caller who joins the queue has a deadline (enqueue time + patience, seconds). Instead of one SimPy timeout
per waiting caller — which still fires, as a wasted event, for every caller an agent answered in time (SimPy
cannot cancel a scheduled event) — the clock keeps the deadlines in a heap and arms a timer only for the
earliest deadline of a caller who is still waiting. When it fires, every caller whose deadline has come and
who is still waiting gives up (``AgentGroup.abandon``); answered callers' deadlines are dropped unseen.
The caller gives up at exactly its deadline, as with a timer of its own.
"""
from __future__ import annotations

import heapq
import itertools

import simpy

from sim.agents import AgentGroup, Waiter


class PatienceClock:
    """``add(deadline, waiter, group)``: ``group.abandon(waiter)`` at ``deadline`` s unless answered before."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self._deadlines: list[tuple[float, int, Waiter, AgentGroup]] = []
        self._timers: list[float] = []    # times of the timers still pending (a later one may be stale)
        self._seq = itertools.count()

    def add(self, deadline: float, waiter: Waiter, group: AgentGroup) -> None:
        heapq.heappush(self._deadlines, (deadline, next(self._seq), waiter, group))
        if not self._timers or deadline < self._timers[0]:
            self._arm(deadline)

    def _arm(self, at: float) -> None:
        heapq.heappush(self._timers, at)
        self.env.timeout(at - self.env.now).callbacks.append(self._fire)

    def _fire(self, _event) -> None:
        heapq.heappop(self._timers)            # timers fire in time order: this is the earliest
        now, deadlines = self.env.now, self._deadlines
        while deadlines and (deadlines[0][0] <= now or not deadlines[0][2].waiting):
            _, _, waiter, group = heapq.heappop(deadlines)
            if waiter.waiting:
                group.abandon(waiter)
        if deadlines and (not self._timers or deadlines[0][0] < self._timers[0]):
            self._arm(deadlines[0][0])
