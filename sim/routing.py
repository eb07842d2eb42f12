"""Skills-based routing: agent groups with skills, target groups per call type with overflow delays.

``SkillRouter`` stands in for the model's one ``AgentGroup`` when the scenario has ``[routing]`` (see
``sim.skills_config`` for the syntax). It keeps the group's public API (``take_idle``, ``wait``, ``abandon``,
``free``, ``submit``, availability changes), so other work sent to the agents keeps working, and adds the
routed path for calls:

1. A call of type *t* joins the queue: the longest-idle agent of the first group of *t*'s route that may answer
   at once (``after_s`` = 0) and has one idle takes it; else the call waits in *t*'s FIFO queue.
2. Each later target group becomes eligible ``after_s`` seconds after the call queued (one timer per step, only
   for calls still waiting): an idle agent of that group takes the call then.
3. An agent who frees up takes, among the calls whose route has reached its group, the one of the type it has
   the best skill level for, then of the higher call-type priority, then the one waiting longest. With none,
   it serves outbound work (earliest deadline first) or goes idle.

Invariant: an agent is idle only while no waiting call may go to its group (every call that becomes eligible
takes an idle agent at once), so an idle agent may always take outbound work. Calls sent with the plain
``wait(priority, on_agent)`` (not typed) may go to every group at skill level 1.
"""
from __future__ import annotations

import heapq
import itertools
from collections import deque
from functools import partial

import numpy as np

from sim.agents import Agent, AgentGroup, Waiter
from sim.skills_config import RoutingPlan, routing_plan

GENERIC_PRIORITIES = range(-1, 11)   # CallType.priority 0..9 and the counter's one below / above (sim.counter):
#                                     untyped waiters get a pseudo type per priority


class SkilledAgent(Agent):
    """An agent of one skill group (``pool``: the group's index)."""

    __slots__ = ("pool",)

    def __init__(self, idx: int, role: str, group: "SkillRouter", pool: int):
        super().__init__(idx, role, group)
        self.pool = pool


class RoutedWaiter(Waiter):
    """A waiting call of pseudo type ``ctype`` that joined the queue at ``since`` s."""

    __slots__ = ("ctype", "since", "seq")

    def __init__(self, on_agent, ctype: int, since: float, seq: int):
        super().__init__(on_agent)
        self.ctype = ctype
        self.since = since
        self.seq = seq


def assign_groups(sc, instances: list, headcount_instances) -> list:
    """Shift instances with their skill group: the default group for those naming none, plus each group's
    ``headcount`` agents on duty the whole horizon."""
    routing = sc.routing
    by_person = _rota_groups(sc) if sc.agents.rota is not None else {}
    for inst in instances:
        if not inst.group:
            inst.group = by_person.get(inst.person) or routing.default_group or ""
        if not inst.group:
            from sim.errors import ScenarioError
            raise ScenarioError(f"agents.rota: {inst.person} has no group; add a 'group' column to the rota or set "
                                "routing.default_group")
    for name, spec in routing.groups.items():
        if spec.headcount:
            extra = headcount_instances(sc, np.full(sc.horizon.n_intervals, spec.headcount, dtype=int))
            for inst in extra:
                inst.group = name
            instances = instances + extra
    return instances


def _rota_groups(sc) -> dict[str, str]:
    """Person -> group from the rota CSV's optional ``group`` column (one group per person; empty = default)."""
    from pathlib import Path

    import pandas as pd

    from sim.errors import ScenarioError

    path = Path(sc.agents.rota)
    path = path if path.is_absolute() else sc.base_dir / path
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "group" not in frame.columns:
        return {}
    out: dict[str, str] = {}
    for person, group in zip(frame["agent"], frame["group"]):
        if not group:
            continue
        if group not in sc.routing.groups:
            raise ScenarioError(f"agents.rota: {path}: column 'group': unknown group {group!r} for {person} "
                                f"(groups: {', '.join(sc.routing.groups)})")
        if out.setdefault(person, group) != group:
            raise ScenarioError(f"agents.rota: {path}: column 'group': {person} is in {out[person]!r} and "
                                f"{group!r}; one group per person")
    return out


class SkillRouter(AgentGroup):
    """Agent groups with skills behind the ``AgentGroup`` API (see the module docstring)."""

    def __init__(self, env, scenario, priorities: list[int], ready_log, outbound_log):
        super().__init__(env, priorities, ready_log, outbound_log)
        plan: RoutingPlan = routing_plan(scenario.routing, scenario.type_names())
        self.plan = plan
        n_types = len(plan.route)
        self.type_priority = [-p for p in priorities[:n_types]] + [-p for p in GENERIC_PRIORITIES]
        self.generic_type = {p: n_types + i for i, p in enumerate(GENERIC_PRIORITIES)}
        self.pool_idle: list[deque] = [deque() for _ in plan.groups]
        self.pool_n_idle = [0] * len(plan.groups)
        self.typed: list[deque] = [deque() for _ in range(n_types + len(GENERIC_PRIORITIES))]
        self.serves = [list(s) for s in plan.serves]
        self._generic_used: set[int] = set()
        self._wseq = itertools.count()

    # ------------------------------------------------------------------ agents
    def new_agent(self, idx: int, role: str, group: str) -> SkilledAgent:
        return SkilledAgent(idx, role, self, self.plan.groups.index(group))

    def agent_groups(self, agents: list[Agent]) -> list[str]:
        return [self.plan.groups[a.pool] for a in agents]

    def _take_from(self, pool: int) -> Agent | None:
        """The longest-idle agent of group ``pool``, now busy; None if nobody there is idle."""
        if not self.pool_n_idle[pool]:
            return None
        idle = self.pool_idle[pool]
        while True:
            token, agent, _ = idle.popleft()
            if agent.token == token:
                self.pool_n_idle[pool] -= 1
                self.n_idle -= 1
                agent.token += 1
                agent.busy = True
                return agent

    def take_idle(self) -> Agent | None:
        """The longest-idle agent of any group (for untyped work), now busy."""
        best = None
        for pool, idle in enumerate(self.pool_idle):
            while idle and idle[0][1].token != idle[0][0]:
                idle.popleft()
            if idle and (best is None or idle[0][2] < self.pool_idle[best][0][2]):
                best = pool
        return self._take_from(best) if best is not None else None

    # ------------------------------------------------------------------ calls
    def take_for(self, ctype: int) -> Agent | None:
        """The longest-idle agent of the first group on ``ctype``'s route that may answer at once, now busy; None
        if none is idle."""
        for pool, after in self.plan.route[ctype]:
            if after > 0:
                break
            agent = self._take_from(pool)
            if agent is not None:
                return agent
        return None

    def queue_for(self, ctype: int, priority: int, on_agent) -> RoutedWaiter:
        """A call of type ``ctype`` waits in its queue (``priority`` is the type's own); each later group on its
        route becomes eligible ``after_s`` after now (``on_agent(agent)`` when taken, ``(None)`` on abandon)."""
        waiter = self._join(ctype, on_agent)
        for pool, after in self.plan.route[ctype]:
            if after > 0:
                self.env.timeout(after).callbacks.append(partial(self._overflow, waiter, pool))
        return waiter

    def wait(self, priority: int, on_agent) -> Waiter:
        """Untyped work (same API as ``AgentGroup.wait``): any group may take it, at skill level 1."""
        ctype = self.generic_type[priority]
        if ctype not in self._generic_used:
            self._generic_used.add(ctype)
            for serves in self.serves:
                serves.append((ctype, 1, 0.0))
        return self._join(ctype, on_agent)

    def _join(self, ctype: int, on_agent) -> RoutedWaiter:
        waiter = RoutedWaiter(on_agent, ctype, self.env.now, next(self._wseq))
        self.typed[ctype].append(waiter)
        self.n_waiting += 1
        return waiter

    def _overflow(self, waiter: RoutedWaiter, pool: int, _event=None) -> None:
        """The call's route reaches group ``pool``: an idle agent there takes it."""
        if waiter.waiting:
            agent = self._take_from(pool)
            if agent is not None:
                waiter.waiting = False
                self.n_waiting -= 1
                waiter.on_agent(agent)

    def _next_waiting(self, agent: SkilledAgent) -> RoutedWaiter | None:
        """The waiting call ``agent`` takes: for its group, best skill level, higher priority, longest wait."""
        if not self.n_waiting:
            return None
        now, best, best_key = self.env.now, None, None
        for ctype, level, after in self.serves[agent.pool]:
            q = self.typed[ctype]
            while q and not q[0].waiting:
                q.popleft()
            if not q or q[0].since + after > now:
                continue
            head = q[0]
            key = (level, self.type_priority[ctype], head.since, head.seq)
            if best_key is None or key < best_key:
                best, best_key = head, key
        if best is None:
            return None
        self.typed[best.ctype].popleft()
        best.waiting = False
        self.n_waiting -= 1
        return best

    # ------------------------------------------------------------------ availability
    def _park(self, agent: SkilledAgent) -> None:
        """``agent`` (its token just renewed) joins its group's idle pool, stamped with the time it went idle
        (``free``, shared with ``AgentGroup``, decides that it goes idle)."""
        self.pool_idle[agent.pool].append((agent.token, agent, self.env.now))
        self.pool_n_idle[agent.pool] += 1
        self.n_idle += 1

    def _start_unavailable(self, agent: SkilledAgent, duration: float | None) -> None:
        if agent.unavailable == 0 and not agent.busy:
            self.pool_n_idle[agent.pool] -= 1
        super()._start_unavailable(agent, duration)

    def _outbound_ready(self, task) -> None:
        heapq.heappush(self.outbound, (task.due_s, next(self._seq), task))
        agent = self.take_idle()   # an idle agent has no eligible call waiting (module invariant)
        if agent is not None:
            self._serve_outbound(agent)
