"""Agents and agent groups: availability, longest-idle routing, priority FIFO queue, blended outbound work.

An agent is *ready* while logged in and not on break or in a not-ready (aux) episode; ``unavailable`` counts
the reasons it is not (logged out, break, aux). Changes that arrive while the agent is busy wait until the
call in hand is finished (no pre-emption). Only availability changes are events; a call waiting for an agent
is a ``Waiter`` whose callback the group calls with the agent (or with ``None`` when the caller gives up).
"""
from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable

import simpy

from sim.calllog import PeriodLog


class Agent:
    __slots__ = ("idx", "role", "group", "unavailable", "busy", "token", "pending", "ready_since", "done")

    def __init__(self, idx: int, role: str, group: "AgentGroup"):
        self.idx = idx
        self.role = role
        self.group = group
        self.unavailable = 1  # logged out until the shift starts
        self.busy = False
        self.token = 0
        self.pending: list[float | None] = []
        self.ready_since = 0.0
        self.done = None      # the model's ``sim.wake.Wake`` for the end of the call in hand (it frees the agent)


class Waiter:
    """A caller in the queue: ``on_agent`` is its next step; ``waiting`` turns False once taken or gone."""

    __slots__ = ("on_agent", "waiting")

    def __init__(self, on_agent: Callable[[Agent | None], None]):
        self.on_agent = on_agent
        self.waiting = True


class OutboundLog:
    """Outbound tasks served by agents (lists: low volume)."""

    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, kind: str, ready: float, due: float, start: float, end: float, agent: int,
            caller: int | None = None) -> None:
        """One finished task; ``caller``: who was called (for call-backs; None if unknown)."""
        self.rows.append((kind, ready, due, start, end, agent, caller))


class AgentGroup:
    """Agents sharing one queue. Inbound calls before outbound tasks (earliest deadline first) — except, with
    ``urgent_outbound``, an outbound task whose ``urgent_s`` has come (a call-back near its deadline)."""

    def __init__(self, env: simpy.Environment, priorities: list[int], ready_log: PeriodLog,
                 outbound_log: OutboundLog):
        self.env = env
        self.idle: deque[tuple[int, Agent]] = deque()
        self.n_idle = 0
        self.priorities = sorted(set(priorities), reverse=True)
        self.queues: dict[int, deque] = {p: deque() for p in self.priorities}
        self.n_waiting = 0
        self.outbound: list[tuple[float, int, object]] = []
        self._seq = itertools.count()
        self.ready_log = ready_log
        self.outbound_log = outbound_log
        self.urgent_outbound = False   # True: an outbound task past its ``urgent_s`` goes before waiting callers

    # ------------------------------------------------------------------ inbound
    def take_idle(self) -> Agent | None:
        """The longest-idle ready agent, now busy; None if nobody is idle."""
        return self.take_for(-1)

    def take_for(self, ctype: int) -> Agent | None:
        """An idle agent who may answer a call of type ``ctype`` at once, now busy (one pool: the longest idle;
        ``sim.routing.SkillRouter`` looks along the type's route)."""
        if not self.n_idle:
            return None
        idle = self.idle
        while True:
            token, agent = idle.popleft()
            if agent.token == token:
                self.n_idle -= 1
                agent.token += 1
                agent.busy = True
                return agent

    def wait(self, priority: int, on_agent: Callable[[Agent | None], None]) -> "Waiter":
        """Join the queue; ``on_agent(agent)`` is called when an agent takes the call, ``on_agent(None)`` if
        ``abandon`` is called first (directly, no SimPy event: the caller's next step runs at once)."""
        return self.queue_for(-1, priority, on_agent)

    def queue_for(self, ctype: int, priority: int, on_agent: Callable[[Agent | None], None]) -> "Waiter":
        """A call of type ``ctype`` and ``priority`` waits for an agent (one pool: the priority queue; see
        ``wait``)."""
        waiter = Waiter(on_agent)
        self.queues[priority].append(waiter)
        self.n_waiting += 1
        return waiter

    def abandon(self, waiter: "Waiter") -> bool:
        """Caller gives up waiting; False if an agent already took the call."""
        if not waiter.waiting:
            return False
        waiter.waiting = False
        self.n_waiting -= 1
        waiter.on_agent(None)
        return True

    def withdraw(self, waiter: "Waiter") -> bool:
        """Take a waiting caller out of the queue without calling its next step (it accepted a call-back,
        ``sim.callbacks``); False if an agent already took the call."""
        if not waiter.waiting:
            return False
        waiter.waiting = False
        self.n_waiting -= 1
        return True

    def _settled_first(self, agent: Agent) -> bool:
        """Before the next call (``free``): pending unavailability starts now, or a call-back near its deadline goes
        first. True if that took the agent."""
        if agent.pending:  # still counted busy here, so the agent is not taken out of the idle pool
            pending, agent.pending = agent.pending, []
            for duration in pending:
                self._start_unavailable(agent, duration)
            if agent.unavailable:
                agent.busy = False
                return True
        if self.urgent_outbound and self.urgent_task_due():
            self._serve_outbound(agent)
            return True
        return False

    def urgent_task_due(self) -> bool:
        """The first outbound task has an ``urgent_s`` (a call-back, ``sim.callbacks``) that has come."""
        urgent = getattr(self.outbound[0][2], "urgent_s", None) if self.outbound else None
        return urgent is not None and urgent <= self.env.now

    def _next_waiting(self, agent: Agent) -> "Waiter | None":
        """The waiting call ``agent`` takes next (one pool: highest priority, then longest wait); None if none."""
        if not self.n_waiting:
            return None
        for p in self.priorities:
            q = self.queues[p]
            while q:
                waiter = q.popleft()
                if waiter.waiting:
                    waiter.waiting = False
                    self.n_waiting -= 1
                    return waiter
        return None  # pragma: no cover - n_waiting guards this

    # ------------------------------------------------------------------ availability
    def free(self, agent: Agent, _event=None) -> None:
        """``agent`` finished a piece of work (or became ready): next call, outbound task, or idle. (``_event``:
        when called back by the SimPy event that ends the work.)"""
        if (agent.pending or self.urgent_outbound) and self._settled_first(agent):
            return
        if self.n_waiting:
            waiter = self._next_waiting(agent)
            if waiter is not None:
                agent.busy = True
                waiter.on_agent(agent)
                return
        if self.outbound:
            self._serve_outbound(agent)
            return
        agent.busy = False
        agent.token += 1
        self._park(agent)

    def _park(self, agent: Agent) -> None:
        """``agent`` (its token just renewed) joins the idle pool."""
        self.idle.append((agent.token, agent))
        self.n_idle += 1

    def make_unavailable(self, agent: Agent, duration: float | None) -> None:
        """Break/aux of ``duration`` s, or log-out (None); waits for the call in hand to end."""
        if agent.busy:
            agent.pending.append(duration)
        else:
            self._start_unavailable(agent, duration)

    def _start_unavailable(self, agent: Agent, duration: float | None) -> None:
        if agent.unavailable == 0:
            if not agent.busy:  # drop from the idle pool (its token goes stale)
                agent.token += 1
                self.n_idle -= 1
            self.ready_log.add(agent.idx, agent.ready_since, self.env.now)
        agent.unavailable += 1
        if duration is not None:
            self.env.timeout(duration).callbacks.append(lambda _e, a=agent: self.end_unavailable(a))

    def end_unavailable(self, agent: Agent) -> None:
        agent.unavailable -= 1
        if agent.unavailable == 0:
            agent.ready_since = self.env.now
            self.free(agent)

    def close(self, agents: list[Agent]) -> None:
        """End of run: close the ready periods still open."""
        for agent in agents:
            if agent.unavailable == 0:
                self.ready_log.add(agent.idx, agent.ready_since, self.env.now)

    # ------------------------------------------------------------------ outbound (blended)
    def submit(self, task) -> None:
        """Queue an outbound task (attributes ready_s, due_s, kind, talk_s, on_done)."""
        delay = task.ready_s - self.env.now
        if delay > 0:
            self.env.timeout(delay).callbacks.append(lambda _e, t=task: self._outbound_ready(t))
        else:
            self._outbound_ready(task)

    def _outbound_ready(self, task) -> None:
        heapq.heappush(self.outbound, (task.due_s, next(self._seq), task))
        if self.n_waiting == 0:
            agent = self.take_idle()
            if agent is not None:
                self._serve_outbound(agent)

    def _serve_outbound(self, agent: Agent) -> None:
        _, _, task = heapq.heappop(self.outbound)
        agent.busy = True
        start = self.env.now

        def done(_e, agent=agent, task=task, start=start):
            end = self.env.now
            self.outbound_log.add(task.kind, task.ready_s, task.due_s, start, end, agent.idx,
                                  getattr(task, "caller_id", None))
            task.on_done(end, agent.role)
            self.free(agent)

        self.env.timeout(task.talk_s).callbacks.append(done)
