"""The SimPy call-centre model: a call attempt is a chain of callbacks on SimPy events; agents as availability
events.

Flow of a call (seconds): arrival → trunk (all busy: busy signal, maybe redial) → [IVR: rings, menu,
self-service] → queue (priority, FIFO; callers abandon when patience runs out, maybe redial) → agent
(longest idle) → talk + hold (+ consult if transferred) → caller leaves → ACW → agent free. Unresolved
callers call again later (repeat call) — except where the front desk calls them back instead (an inquiry with
``[desk]``); transferred calls go to another department or queue for tier 2. With ``[callbacks]`` a queued
caller may accept a call-back instead of waiting (virtual hold, ``sim.callbacks``).
Only what changes agent availability is an event; hold and ACW components are drawn and recorded.
With ``[counter]`` walk-in visitors (``sim.counter``) are served by the same agent group.

The hot path is kept lean without a second copy of the call flow: a call answered at once is one chain of
plain method calls (``_start_call`` → ``_enqueue`` → ``_pick_up``) with the current time passed down; what a
feature needs is skipped by one test of a value fixed at build (no trunk limit: no trunk bookkeeping; no IVR,
desk or tier 2: talk end and ACW decided at the answer). The next first attempt and the end of an agent's call
are re-armed ``sim.wake.Wake`` events (no event object per call), samplers and coins are C-level callables.
"""
from __future__ import annotations

import heapq
import math
from functools import partial
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.agents import Agent, AgentGroup, OutboundLog
from sim.arrivals import arrival_days, arrival_stream  # noqa: F401 - arrival_stream: sim.model's API
from sim.counter import WalkInCounter, counter_priorities
from sim.callbacks import VirtualHold
from sim.calllog import ABANDONED, BLOCKED, FIRST, HANDLED, IVR, REDIAL, REPEAT, CallLog, PeriodLog
from sim.distributions import Bernoulli
from sim.patience import PatienceClock
from sim.schedule import DRAIN_S, ShiftInstance, expand_schedule
from sim.scenario import Scenario
from sim.wake import Wake

STREAMS = ("arrivals", "schedule", "patience", "service", "coins", "redial", "ivr", "tier2", "centre", "desk",
           "counter", "callbacks")   # new streams go at the end: the earlier ones (and results without them) stay the same


def rng_streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """Independent generators per purpose (common random numbers across scenario variants)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return {name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(STREAMS, ss.spawn(len(STREAMS)))}


@dataclass
class _TypeParams:
    priority: int
    talk: Callable[[], float]
    hold: Callable[[], float]
    hold_prob: float
    acw: Callable[[], float] | None
    transfer_prob: float
    fcr: float
    repeat_delay: Callable[[], float]
    ivr_self_service: float


@dataclass
class ModelOutput:
    """Everything a replication produced, before metrics."""

    calls: CallLog
    ready: PeriodLog
    outbound: OutboundLog
    instances: list[ShiftInstance]
    agent_roles: list[str]
    agent_groups: list[str] = field(default_factory=list)   # skill group per agent ([routing]; else empty)
    visits: object = None          # sim.counter.VisitLog with [counter], else None


class CallCentreModel:
    """Build with a validated scenario and a seed; ``run()`` returns the event logs. ``call_log``: where call
    attempts are written (default a ``CallLog`` holding every attempt; ``sim.streaming.StreamingCallLog`` folds
    finished calls into the metrics' sums instead)."""

    def __init__(self, scenario: Scenario, seed: int | np.random.SeedSequence, desk=None,
                 call_log: CallLog | None = None):
        self.sc = scenario
        self.rng = rng_streams(seed)
        self.env = simpy.Environment()
        self.log = call_log if call_log is not None else CallLog(
            capacity=max(1024, int(scenario.arrival_rates().sum() * 1.05)))   # first attempts + 5 %
        self.ready_log = PeriodLog()
        self.outbound_log = OutboundLog()
        svc = self.rng["service"]
        self.types = [
            _TypeParams(ct.priority, ct.talk.sampler(svc), ct.hold.sampler(svc), ct.hold_prob,
                        ct.acw.sampler(svc) if ct.acw is not None else None, ct.transfer_prob, ct.fcr,
                        ct.repeat_delay.sampler(self.rng["redial"]), ct.ivr_self_service)
            for ct in scenario.call_types.values()]
        priorities = [t.priority for t in self.types]
        queue_priorities = priorities + counter_priorities(scenario)   # the counter's visitors queue too
        self.group = AgentGroup(self.env, queue_priorities, self.ready_log, self.outbound_log)
        self.router = None
        if scenario.routing is not None:   # skill groups: the router stands in for the group (sim.routing)
            from sim.routing import SkillRouter
            self.group = self.router = SkillRouter(self.env, scenario, queue_priorities, self.ready_log,
                                                   self.outbound_log)
        self.tier2 = AgentGroup(self.env, priorities, PeriodLog(), self.outbound_log)
        self.coin = Bernoulli(self.rng["coins"])
        self.uniform = self.coin.uniform   # ``uniform() < p`` is ``coin(p)`` without its Python frame (hot path)
        self.patience_clock = PatienceClock(self.env)
        cal = scenario.callers
        self.patience = cal.patience.sampler(self.rng["patience"]) if cal.patience is not None else None
        self.redial_delay = cal.redial_delay.sampler(self.rng["redial"])
        tel = scenario.telephony
        self.ivr_time = tel.ivr_time.sampler(self.rng["ivr"]) if tel.ivr else None
        self.ivr_rings = tel.ivr_pickup_rings               # the IVR picks up after this many rings
        self.ivr_pickup = tel.ivr_pickup_rings * tel.ring_cycle_s
        self.max_redials = cal.max_redials
        tr = scenario.transfers
        self.consult = tr.consult.sampler(self.rng["service"])
        self.tier2_talk = tr.tier2_talk.sampler(self.rng["tier2"])
        self.trunks = tel.trunks
        self.ring_cycle = tel.ring_cycle_s
        # without an IVR the phone rings at least ``pickup_rings`` times before anyone can pick up
        self.pickup_wait = tel.pickup_rings * tel.ring_cycle_s if self.ivr_time is None else 0.0
        self.to_tier2 = scenario.transfers.destination == "tier2"
        self.trunk_release: list[float] = []   # talk-end times of calls whose trunk is still counted busy
        self.trunks_busy = 0                   # read (and kept right) only when ``trunks`` is set
        self.horizon_end = scenario.horizon.length_s
        self.desk = desk
        self.calls_back = self._desk_call_backs(desk)
        self.agents: list[Agent] = []
        self.instances = expand_schedule(scenario, self.rng["schedule"])
        self.counter = WalkInCounter(self, scenario.counter, self.rng["counter"]) if scenario.counter else None

        self.virtual_hold = VirtualHold(self, scenario.callbacks) if scenario.callbacks is not None else None

    # ------------------------------------------------------------------ set-up
    def _desk_call_backs(self, desk) -> list[bool]:
        """Per call type: True when the front desk answers an unresolved call by call-back (frontdesk.md: an
        inquiry the agent cannot answer is called back), so the caller does not call again as well."""
        rules = getattr(desk, "rules", None) or self.sc.desk
        if desk is None or rules is None or not rules.enabled:
            return [False] * len(self.sc.call_types)
        out = []
        for name in self.sc.type_names():
            try:
                out.append(rules.ticket_type(name) == "inquiry")
            except ValueError:
                out.append(False)
        return out

    def _schedule_agents(self) -> None:
        env, group = self.env, self.group
        persons: dict[tuple[str, str], Agent] = {}   # rota input: one agent per person (and role)
        for inst in self.instances:
            if inst.absent:
                continue
            agent = persons.get((inst.person, inst.role)) if inst.person else None
            if agent is None:
                agent = Agent(len(self.agents), inst.role, group) if self.router is None else \
                    self.router.new_agent(len(self.agents), inst.role, inst.group)
                agent.done = Wake(env, partial(group.free, agent))   # the end of the call in hand (talk + ACW)
                self.agents.append(agent)
                if inst.person:
                    persons[inst.person, inst.role] = agent
            env.timeout(inst.start).callbacks.append(lambda _e, a=agent: group.end_unavailable(a))
            for start, duration, *_ in inst.breaks + inst.aux:
                env.timeout(start).callbacks.append(
                    lambda _e, a=agent, d=duration: group.make_unavailable(a, d))
            env.timeout(inst.end).callbacks.append(lambda _e, a=agent: group.make_unavailable(a, None))
        for _ in range(self.sc.transfers.tier2_agents):
            agent = Agent(-1, "tier2", self.tier2)
            self.tier2.end_unavailable(agent)

    def _schedule_arrivals(self) -> None:
        """First attempts, one day at a time: each arrival's callback schedules the next (no process per call;
        at most one day of arrival times is held, as numpy arrays, and 4096 of them as Python floats)."""
        def slices():   # Python lists of 4096 arrivals at a time (a day as lists would cost ~32 bytes a call)
            for day_times, day_types in arrival_days(self.sc, self.rng["arrivals"]):
                for k in range(0, day_times.size, 4096):
                    yield day_times[k:k + 4096], day_types[k:k + 4096]

        days = slices()
        env, start_call = self.env, self._start_call
        times: list[float] = []
        types: list[int] = []
        pos = caller = 0

        def arrive(_e=None) -> None:
            nonlocal times, types, pos, caller
            if _e is not None:
                caller += 1                         # first attempts are callers 1, 2, ...
                start_call(caller, 0, FIRST, types[pos])
                pos += 1
            while pos >= len(times):
                chunk = next(days, None)
                if chunk is None:
                    return
                times, types, pos = chunk[0].tolist(), chunk[1].tolist(), 0
            wake.at(times[pos] - env.now)

        wake = Wake(env, arrive)   # one event object for all first attempts: one arrival is pending at a time
        arrive()

    def _after(self, delay: float, step, *args) -> None:
        """Call ``step(*args, event)`` ``delay`` s from now (one SimPy timeout, no process)."""
        self.env.timeout(delay).callbacks.append(partial(step, *args))

    def _later(self, delay: float, caller: int, attempt: int, origin: int, ctype: int) -> None:
        """Start another attempt after ``delay`` s, if it still falls inside the horizon."""
        env = self.env
        if env.now + delay < self.horizon_end:
            env.timeout(delay).callbacks.append(partial(self._start_call, caller, attempt, origin, ctype))

    def _maybe_redial(self, cid: int, ctype: int, p: float) -> None:
        log = self.log
        attempt = log.attempt[cid] if log.origin[cid] == REDIAL else 0
        if attempt < self.max_redials and p > 0 and self.coin(p):
            self._later(self.redial_delay(), log.caller[cid], attempt + 1, REDIAL, ctype)

    # ------------------------------------------------------------------ one call attempt, step by step
    # Each step is a plain method; the next step is a callback on a SimPy timeout or on the agent-wait event.
    def _start_call(self, caller: int, attempt: int, origin: int, ctype: int, _event=None) -> None:
        """A call attempt arrives: busy signal when every trunk is taken, else the IVR or the queue."""
        now = self.env.now
        cid = self.log.new(caller, attempt, origin, ctype, now)
        if self.trunks is not None:   # without a trunk limit nobody counts trunks
            release = self.trunk_release
            while release and release[0] <= now:   # trunks of calls that ended by now
                heapq.heappop(release)
                self.trunks_busy -= 1
            if self.trunks_busy >= self.trunks:
                self.log.outcome[cid] = BLOCKED
                self._maybe_redial(cid, ctype, self.sc.callers.redial_prob_busy)
                return
            self.trunks_busy += 1
        if self.ivr_time is not None:
            self.env.timeout(self.ivr_pickup + self.ivr_time()).callbacks.append(partial(self._ivr_done, cid, ctype))
        else:
            self._enqueue(cid, ctype, now)

    def _ivr_done(self, cid: int, ctype: int, _event=None) -> None:
        """The caller leaves the IVR menu: done by self-service, or on to the agent queue."""
        log, tp = self.log, self.types[ctype]
        now = self.env.now
        log.ivr_end[cid] = now
        log.rings[cid] = self.ivr_rings
        if tp.ivr_self_service and self.uniform() < tp.ivr_self_service:
            log.outcome[cid] = IVR
            self.trunks_busy -= 1
            return
        self._enqueue(cid, ctype, now)

    def _enqueue(self, cid: int, ctype: int, enqueue: float) -> None:
        """At ``enqueue`` (now), ask the agents for one who may answer at once (one pool: the longest idle; with
        skill groups along the call type's route); if nobody is idle, wait in the queue until an agent takes the
        call or patience runs out (``PatienceClock``: no timer per caller, none for callers answered)."""
        log = self.log
        log.enqueue[cid] = enqueue
        patience = self.patience() if self.patience is not None else math.inf
        # Without an IVR the phone rings at least ``pickup_rings`` times before anyone can pick up; the agent
        # who will answer is claimed at once (so no outbound work slips in while the caller rings).
        earliest = enqueue + self.pickup_wait
        agent = self.group.take_for(ctype)
        if agent is not None:
            if enqueue >= earliest:   # no rings to wait for: ``_connect`` at once
                self._pick_up(cid, ctype, agent, enqueue)
            else:
                self._connect(cid, ctype, enqueue, patience, earliest, agent)
            return
        log.queued[cid] = 1
        # the waiter's next step: a partial, not a closure (no cells for these locals on every call)
        waiter = self.group.queue_for(ctype, self.types[ctype].priority,
                                      partial(self._connect, cid, ctype, enqueue, patience, earliest))
        if self.virtual_hold is not None and self.virtual_hold.on_queued(cid, ctype, waiter):
            return   # accepted a call-back on entry (sim.callbacks): left the queue
        if patience < math.inf:
            self.patience_clock.add(enqueue + patience, waiter, self.group)

    def _connect(self, cid: int, ctype: int, enqueue: float, patience: float, earliest: float,
                 agent: Agent | None) -> None:
        """An agent took the call (``None``: the caller gave up); wait for the rings before answering."""
        if agent is None:
            self._abandoned(cid, ctype)
            return
        now = self.env.now
        if now >= earliest:
            self._pick_up(cid, ctype, agent, now)
        elif enqueue + patience <= earliest:  # hangs up while it still rings
            self._after(enqueue + patience - now, self._hung_up_ringing, cid, ctype, agent)
        else:
            self._after(earliest - now, self._answer, cid, ctype, agent)

    def _hung_up_ringing(self, cid: int, ctype: int, agent: Agent, _event=None) -> None:
        self._abandoned(cid, ctype)
        self.group.free(agent)

    def _answer(self, cid: int, ctype: int, agent: Agent, _event=None) -> None:
        """The rings are over: the agent picks up now."""
        self._pick_up(cid, ctype, agent, self.env.now)

    def _pick_up(self, cid: int, ctype: int, agent: Agent, answer: float) -> None:
        """The agent picks up at ``answer`` (now): talk, maybe hold, maybe a consult before a transfer.

        Without a ``[desk]`` hook or tier 2 nothing has to happen at the moment the caller leaves, so talk end and
        ACW are decided here: the agent's ``done`` wake-up frees it after talk + ACW (one event per answered
        call); the caller's trunk is released at talk end through ``trunk_release``, the repeat call is
        scheduled at its own time, and ``CallLog.forget_after`` clears what had not happened yet when the run
        stops mid-call. Otherwise ``_talk_done`` runs at talk end."""
        log, tp = self.log, self.types[ctype]
        log.answer[cid] = answer
        log.agent[cid] = agent.idx
        if self.ivr_time is None:
            log.rings[cid] = math.ceil((answer - log.arrive[cid]) / self.ring_cycle - 1e-9)
        talk = tp.talk()
        hold = tp.hold() if tp.hold_prob and self.uniform() < tp.hold_prob else 0.0
        transferred = bool(tp.transfer_prob) and self.uniform() < tp.transfer_prob
        consult = self.consult() if transferred else 0.0
        duration = talk + hold + consult
        talk += consult
        if self.desk is not None or (transferred and self.to_tier2):
            self.env.timeout(duration).callbacks.append(
                partial(self._talk_done, cid, ctype, agent, talk, hold, transferred))
            return
        talk_end = answer + duration
        log.talk[cid] = talk
        log.hold[cid] = hold
        log.talk_end[cid] = talk_end
        log.outcome[cid] = HANDLED
        resolved = tp.fcr >= 1.0 or self.uniform() < tp.fcr
        log.resolved[cid] = resolved
        if transferred:
            log.transferred[cid] = 1
        if self.trunks is not None:
            heapq.heappush(self.trunk_release, talk_end)
        if not resolved and not self.calls_back[ctype]:
            delay = tp.repeat_delay()
            if talk_end + delay < self.horizon_end:
                self.env.timeout(duration + delay).callbacks.append(
                    partial(self._start_call, log.caller[cid], 0, REPEAT, ctype))
        acw = tp.acw() if tp.acw is not None else 0.0
        log.acw[cid] = acw
        log.acw_end[cid] = talk_end + acw
        agent.done.at(duration + acw)

    def _talk_done(self, cid: int, ctype: int, agent: Agent, talk: float, hold: float, transferred: bool,
                   _event=None) -> None:
        """The caller leaves (or goes on to tier 2); unresolved callers call again later; then ACW."""
        log, tp = self.log, self.types[ctype]
        log.talk[cid] = talk
        log.hold[cid] = hold
        log.talk_end[cid] = self.env.now
        log.outcome[cid] = HANDLED
        resolved = tp.fcr >= 1.0 or self.uniform() < tp.fcr
        log.resolved[cid] = resolved
        if transferred:
            log.transferred[cid] = 1
        if transferred and self.to_tier2:
            self._tier2(cid, tp.priority)
        else:
            self.trunks_busy -= 1
        if not resolved and not self.calls_back[ctype]:   # one or the other: a repeat call or the call-back
            self._later(tp.repeat_delay(), log.caller[cid], 0, REPEAT, ctype)
        if self.desk is not None:
            self.desk.on_call_handled(self._desk_record(cid, agent, resolved))
        acw = tp.acw() if tp.acw is not None else 0.0
        log.acw[cid] = acw
        if acw > 0:
            self.env.timeout(acw).callbacks.append(partial(self._acw_done, cid, agent))
        else:
            self._acw_done(cid, agent)

    def _acw_done(self, cid: int, agent: Agent, _event=None) -> None:
        self.log.acw_end[cid] = self.env.now
        self.group.free(agent)

    def _abandoned(self, cid: int, ctype: int) -> None:
        self.log.abandon[cid] = self.env.now
        self.log.outcome[cid] = ABANDONED
        self.trunks_busy -= 1
        self._maybe_redial(cid, ctype, self.sc.callers.redial_prob_abandon)

    def _tier2(self, cid: int, priority: int) -> None:
        """Transferred caller waits for a tier-2 agent (keeps the trunk until done)."""
        self.log.t2_enqueue[cid] = self.env.now
        agent = self.tier2.take_idle()
        if agent is not None:
            self._tier2_answer(cid, agent)
            return
        waiter = self.tier2.wait(priority, lambda agent: self._tier2_answer(cid, agent))
        if self.patience is not None:
            self.env.timeout(self.patience()).callbacks.append(lambda _e: self.tier2.abandon(waiter))

    def _tier2_answer(self, cid: int, agent: Agent | None) -> None:
        if agent is None:  # gave up waiting for tier 2
            self.log.t2_end[cid] = self.env.now
            self.trunks_busy -= 1
            return
        self.log.t2_answer[cid] = self.env.now
        self._after(self.tier2_talk(), self._tier2_done, cid, agent)

    def _tier2_done(self, cid: int, agent: Agent, _event=None) -> None:
        self.log.t2_end[cid] = self.env.now
        self.trunks_busy -= 1
        self.tier2.free(agent)

    def _desk_record(self, cid: int, agent: Agent, resolved: bool) -> dict:
        log = self.log
        return {"call_id": cid, "caller_id": log.caller[cid], "call_type": self.sc.type_names()[log.call_type[cid]],
                "arrive_s": log.arrive[cid], "answer_s": log.answer[cid], "talk_end_s": log.talk_end[cid],
                "resolved": resolved, "role": agent.role,
                "problem_id": log.caller[cid]}   # a caller id is one resident's problem: redials and repeats keep it

    # ------------------------------------------------------------------ run
    def run(self) -> ModelOutput:
        self._schedule_agents()
        self._schedule_arrivals()
        if self.counter is not None:
            self.counter.start()
        self.env.run(until=self.horizon_end + DRAIN_S)
        self.log.forget_after(self.env.now)
        self.group.close(self.agents)
        return ModelOutput(self.log, self.ready_log, self.outbound_log, self.instances,
                           [a.role for a in self.agents],
                           self.router.agent_groups(self.agents) if self.router is not None else [],
                           self.counter.log if self.counter is not None else None)
