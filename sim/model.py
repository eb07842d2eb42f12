"""The SimPy call-centre model: one process per call attempt, agents as availability events.

Flow of a call (seconds): arrival → trunk (all busy: busy signal, maybe redial) → [IVR: rings, menu,
self-service] → queue (priority, FIFO; callers abandon when patience runs out, maybe redial) → agent
(longest idle) → talk + hold (+ consult if transferred) → caller leaves → ACW → agent free. Unresolved
callers call again later (repeat call) — except where the front desk calls them back instead (an inquiry with
``[desk]``); transferred calls go to another department or queue for tier 2.
Only what changes agent availability is an event; hold and ACW components are drawn and recorded.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from sim.agents import Agent, AgentGroup, OutboundLog
from sim.calllog import ABANDONED, BLOCKED, FIRST, HANDLED, IVR, REDIAL, REPEAT, CallLog, PeriodLog
from sim.distributions import Bernoulli
from sim.schedule import DRAIN_S, ShiftInstance, expand_schedule
from sim.scenario import Scenario

STREAMS = ("arrivals", "schedule", "patience", "service", "coins", "redial", "ivr", "tier2", "centre", "desk")


def rng_streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """Independent generators per purpose (common random numbers across scenario variants)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return {name: np.random.Generator(np.random.PCG64(child)) for name, child in zip(STREAMS, ss.spawn(len(STREAMS)))}


def arrival_stream(sc: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Non-homogeneous Poisson first attempts (or exact counts when ``arrivals.poisson`` is false), uniform
    inside each interval: (sorted times in s, call-type codes)."""
    rates = sc.arrival_rates()
    shares = np.array([ct.share for ct in sc.call_types.values()])
    interval = float(sc.horizon.interval_s)
    counts = rng.poisson(rates) if sc.arrivals.poisson else np.rint(rates).astype(np.int64)
    total = int(counts.sum())
    starts = np.repeat(np.arange(rates.size) * interval, counts)
    times = starts + rng.random(total) * interval
    types = rng.choice(shares.size, size=total, p=shares / shares.sum()).astype(np.int8)
    order = np.argsort(times, kind="stable")
    return times[order], types[order]


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


class CallCentreModel:
    """Build with a validated scenario and a seed; ``run()`` returns the event logs."""

    def __init__(self, scenario: Scenario, seed: int | np.random.SeedSequence, desk=None):
        self.sc = scenario
        self.rng = rng_streams(seed)
        self.env = simpy.Environment()
        self.log = CallLog(capacity=max(1024, int(scenario.arrival_rates().sum() * 1.3)))
        self.ready_log = PeriodLog()
        self.outbound_log = OutboundLog()
        svc = self.rng["service"]
        self.types = [
            _TypeParams(ct.priority, ct.talk.sampler(svc), ct.hold.sampler(svc), ct.hold_prob,
                        ct.acw.sampler(svc) if ct.acw is not None else None, ct.transfer_prob, ct.fcr,
                        ct.repeat_delay.sampler(self.rng["redial"]), ct.ivr_self_service)
            for ct in scenario.call_types.values()]
        priorities = [t.priority for t in self.types]
        self.group = AgentGroup(self.env, priorities, self.ready_log, self.outbound_log)
        self.tier2 = AgentGroup(self.env, priorities, PeriodLog(), self.outbound_log)
        self.coin = Bernoulli(self.rng["coins"])
        cal = scenario.callers
        self.patience = cal.patience.sampler(self.rng["patience"]) if cal.patience is not None else None
        self.redial_delay = cal.redial_delay.sampler(self.rng["redial"])
        tel = scenario.telephony
        self.ivr_time = tel.ivr_time.sampler(self.rng["ivr"]) if tel.ivr else None
        tr = scenario.transfers
        self.consult = tr.consult.sampler(self.rng["service"])
        self.tier2_talk = tr.tier2_talk.sampler(self.rng["tier2"])
        self.trunks = tel.trunks
        self.trunks_busy = 0
        self.horizon_end = scenario.horizon.length_s
        self.desk = desk
        self.calls_back = self._desk_call_backs(desk)
        self.agents: list[Agent] = []
        self.instances = expand_schedule(scenario, self.rng["schedule"])
        self._next_caller = 0

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
                agent = Agent(len(self.agents), inst.role, group)
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

    def _arrivals(self, times: np.ndarray, types: np.ndarray):
        env, start_call = self.env, self._start_call
        now = 0.0
        for t, ctype in zip(times.tolist(), types.tolist()):
            yield env.timeout(t - now)
            now = t
            start_call(self._new_caller(), 0, FIRST, ctype)

    def _new_caller(self) -> int:
        self._next_caller += 1
        return self._next_caller

    def _start_call(self, caller: int, attempt: int, origin: int, ctype: int) -> None:
        cid = self.log.new(caller, attempt, origin, ctype, self.env.now)
        self.env.process(self._call(cid, ctype))

    def _later(self, delay: float, caller: int, attempt: int, origin: int, ctype: int) -> None:
        """Start another attempt after ``delay`` s, if it still falls inside the horizon."""
        if self.env.now + delay < self.horizon_end:
            self.env.timeout(delay).callbacks.append(
                lambda _e: self._start_call(caller, attempt, origin, ctype))

    def _maybe_redial(self, cid: int, ctype: int, p: float) -> None:
        log = self.log
        attempt = log.attempt[cid] if log.origin[cid] == REDIAL else 0
        if attempt < self.sc.callers.max_redials and p > 0 and self.coin(p):
            self._later(self.redial_delay(), log.caller[cid], attempt + 1, REDIAL, ctype)

    # ------------------------------------------------------------------ one call attempt
    def _call(self, cid: int, ctype: int):
        env, log, tp = self.env, self.log, self.types[ctype]
        if self.trunks is not None and self.trunks_busy >= self.trunks:
            log.outcome[cid] = BLOCKED
            self._maybe_redial(cid, ctype, self.sc.callers.redial_prob_busy)
            return
        self.trunks_busy += 1
        tel = self.sc.telephony
        if self.ivr_time is not None:
            pickup = tel.ivr_pickup_rings * tel.ring_cycle_s
            yield env.timeout(pickup + self.ivr_time())
            log.ivr_end[cid] = env.now
            log.rings[cid] = tel.ivr_pickup_rings
            if tp.ivr_self_service and self.coin(tp.ivr_self_service):
                log.outcome[cid] = IVR
                self.trunks_busy -= 1
                return
        enqueue = env.now
        log.enqueue[cid] = enqueue
        patience = self.patience() if self.patience is not None else math.inf
        # Without an IVR the phone rings at least ``pickup_rings`` times before anyone can pick up; the agent
        # who will answer is claimed at once (so no outbound work slips in while the caller rings).
        earliest = enqueue + tel.pickup_rings * tel.ring_cycle_s if self.ivr_time is None else enqueue
        agent = self.group.take_idle()
        if agent is None:
            log.queued[cid] = 1
            event = self.group.wait(tp.priority)
            if patience < math.inf:
                timer = env.timeout(patience)
                timer.callbacks.append(lambda _e: self.group.abandon(event))
            agent = yield event
            if agent is None:
                self._abandoned(cid, ctype)
                return
        if env.now < earliest:
            if enqueue + patience <= earliest:  # hangs up while it still rings
                yield env.timeout(enqueue + patience - env.now)
                self._abandoned(cid, ctype)
                self.group.free(agent)
                return
            yield env.timeout(earliest - env.now)
        answer = env.now
        log.answer[cid] = answer
        log.agent[cid] = agent.idx
        if self.ivr_time is None:
            log.rings[cid] = math.ceil((answer - log.arrive[cid]) / tel.ring_cycle_s - 1e-9)
        talk = tp.talk()
        hold = tp.hold() if tp.hold_prob and self.coin(tp.hold_prob) else 0.0
        transferred = bool(tp.transfer_prob) and self.coin(tp.transfer_prob)
        consult = self.consult() if transferred else 0.0
        yield env.timeout(talk + hold + consult)
        end = env.now
        log.talk[cid] = talk + consult
        log.hold[cid] = hold
        log.talk_end[cid] = end
        log.outcome[cid] = HANDLED
        resolved = tp.fcr >= 1.0 or self.coin(tp.fcr)
        log.resolved[cid] = resolved
        if transferred:
            log.transferred[cid] = 1
            if self.sc.transfers.destination == "tier2":
                env.process(self._tier2(cid, tp.priority))
            else:
                self.trunks_busy -= 1
        else:
            self.trunks_busy -= 1
        if not resolved and not self.calls_back[ctype]:   # one or the other: a repeat call or the call-back
            self._later(tp.repeat_delay(), log.caller[cid], 0, REPEAT, ctype)
        if self.desk is not None:
            self.desk.on_call_handled(self._desk_record(cid, agent, resolved))
        acw = tp.acw() if tp.acw is not None else 0.0
        log.acw[cid] = acw
        if acw > 0:
            yield env.timeout(acw)
        log.acw_end[cid] = env.now
        self.group.free(agent)

    def _abandoned(self, cid: int, ctype: int) -> None:
        self.log.abandon[cid] = self.env.now
        self.log.outcome[cid] = ABANDONED
        self.trunks_busy -= 1
        self._maybe_redial(cid, ctype, self.sc.callers.redial_prob_abandon)

    def _tier2(self, cid: int, priority: int):
        """Transferred caller waits for a tier-2 agent (keeps the trunk until done)."""
        env, log = self.env, self.log
        log.t2_enqueue[cid] = env.now
        agent = self.tier2.take_idle()
        if agent is None:
            event = self.tier2.wait(priority)
            if self.patience is not None:
                env.timeout(self.patience()).callbacks.append(lambda _e: self.tier2.abandon(event))
            agent = yield event
            if agent is None:
                log.t2_end[cid] = env.now
                self.trunks_busy -= 1
                return
        log.t2_answer[cid] = env.now
        yield env.timeout(self.tier2_talk())
        log.t2_end[cid] = env.now
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
        times, types = arrival_stream(self.sc, self.rng["arrivals"])
        self._next_caller = 0
        self._schedule_agents()
        self.env.process(self._arrivals(times, types))
        self.env.run(until=self.horizon_end + DRAIN_S)
        self.group.close(self.agents)
        return ModelOutput(self.log, self.ready_log, self.outbound_log, self.instances,
                           [a.role for a in self.agents])
