"""The walk-in counter: residents queue physically and are served by the staff who answer the phone.

A visitor arrives (time-varying Poisson, a purpose drawn by its share), looks at the queue and turns away
(*balks*) when it is too long, else joins it. He waits — leaving only when his (long) patience runs out — until
a staff member of the main agent group takes him, is served for the purpose's service time, and leaves; the
staff member then goes back to the phone (``AgentGroup.free``: next caller, next visitor, outbound work or idle).

The counter asks the agent group for staff through its public API: ``take_idle`` when someone is idle, else a
``wait`` at the counter's priority — above every call type (``counter_first``, ``phone_reserved``) or below
(``phone_first``) — so the group's own rule "highest priority first, longest idle agent" decides between a
ringing phone and a waiting visitor. The counter keeps at most one such request per waiting visitor and
withdraws (``abandon``) requests nobody needs any more. ``phone_reserved`` lets at most (staff ready −
``phone_reserve``) serve visitors at once, checked when a staff member would start at the counter; while
visitors wait because of that limit, the counter looks again every ``RECHECK_S`` s (staff coming back from a
break do not tell the counter).

Every visitor is one row of a columnar ``VisitLog`` (times in seconds from the horizon start, NaN = did not
happen). Served visits become ``[desk]`` tickets with channel (source) ``counter``. Randomness: the model's
``counter`` stream, split into arrivals, purposes and service, patience, and balking draws.
"""
from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from sim.counter_config import Counter

OUTCOMES = ("open", "served", "balked", "left")
OPEN, SERVED, BALKED, LEFT = range(4)
RECHECK_S = 60.0
WAITING, IN_SERVICE, DONE = range(3)


def counter_priorities(scenario) -> list[int]:
    """The counter's queue priority in the main agent group (none without ``[counter]``): one above the
    highest call type for ``counter_first`` and ``phone_reserved``, one below the lowest for ``phone_first``."""
    cfg = scenario.counter
    if cfg is None:
        return []
    calls = [ct.priority for ct in scenario.call_types.values()]
    return [min(calls) - 1] if cfg.policy == "phone_first" else [max(calls) + 1]


def visitor_arrivals(cfg: Counter, horizon, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Non-homogeneous Poisson visitors, uniform inside each interval: (sorted times in s, purpose codes)."""
    rates = cfg.rates(horizon)
    counts = rng.poisson(rates)
    interval = float(horizon.interval_s)
    times = np.repeat(np.arange(rates.size) * interval, counts) + rng.random(int(counts.sum())) * interval
    shares = np.array([p.share for p in cfg.purposes.values()])
    purposes = rng.choice(shares.size, size=times.size, p=shares / shares.sum())
    order = np.argsort(times, kind="stable")
    return times[order], purposes[order].astype(np.int16)


class VisitLog:
    """One row per visitor: arrive, start (served), end (service end, or when he left or balked), purpose,
    agent (-1: none), outcome (``OUTCOMES``)."""

    def __init__(self, arrive: np.ndarray, purpose: np.ndarray):
        n = arrive.size
        self.arrive = arrive.astype(float)
        self.purpose = purpose
        self.start = np.full(n, np.nan)
        self.end = np.full(n, np.nan)
        self.agent = np.full(n, -1, dtype=np.int32)
        self.outcome = np.zeros(n, dtype=np.int8)

    def frame(self, purpose_names: list[str]) -> pd.DataFrame:
        """The visit log as a table (``purpose`` and ``outcome`` as names)."""
        return pd.DataFrame({
            "arrive": self.arrive, "start": self.start, "end": self.end,
            "purpose": pd.Categorical.from_codes(self.purpose, purpose_names),
            "agent": self.agent, "outcome": pd.Categorical.from_codes(self.outcome, OUTCOMES)})


class WalkInCounter:
    """The counter of one replication; build after the model's agent group, ``start()`` before ``env.run``."""

    def __init__(self, model, cfg: Counter, rng: np.random.Generator):
        self.env, self.group, self.cfg = model.env, model.group, cfg
        self.model = model
        rng_arrive, rng_service, rng_patience, rng_balk, rng_settled = rng.spawn(5)
        times, purposes = visitor_arrivals(cfg, model.sc.horizon, rng_arrive)
        self.log = VisitLog(times, purposes)
        self.names = list(cfg.purposes)
        self.service = [p.service.sampler(rng_service) for p in cfg.purposes.values()]
        self.settled = [p.fcr for p in cfg.purposes.values()]
        self.ticket_types = [p.ticket_type for p in cfg.purposes.values()]
        self.patience = cfg.patience.sampler(rng_patience) if cfg.patience is not None else None
        self.rng_balk, self.rng_settled = rng_balk, rng_settled
        self.priority = counter_priorities(model.sc)[0]
        self.waiting: deque[int] = deque()      # visitors in the physical queue, first come first served
        self.state = np.full(times.size, WAITING, dtype=np.int8)
        self.requests: list = []                # agent-group waiters asked for by the counter
        self.at_counter = 0                     # staff serving a visitor now
        self._recheck_due = False

    # ------------------------------------------------------------------ arrivals
    def start(self) -> None:
        """Schedule every visitor's arrival (one SimPy timeout each: visitors are few)."""
        for vid, t in enumerate(self.log.arrive.tolist()):
            self.env.timeout(t - self.env.now).callbacks.append(lambda _e, v=vid: self._arrive(v))

    def _arrive(self, vid: int) -> None:
        """A visitor looks at the queue: turns away, or joins it and waits for a staff member."""
        ahead = len(self.waiting)
        cfg = self.cfg
        balks = cfg.balk_queue_length is not None and ahead >= cfg.balk_queue_length
        if not balks and cfg.balk_prob_per_person > 0 and ahead > 0:
            balks = self.rng_balk.random() < 1.0 - (1.0 - cfg.balk_prob_per_person) ** ahead
        if balks:
            self.log.outcome[vid] = BALKED
            self.log.end[vid] = self.env.now
            self.state[vid] = DONE
            return
        self.waiting.append(vid)
        if self.patience is not None:
            self.env.timeout(self.patience()).callbacks.append(lambda _e, v=vid: self._patience_over(v))
        self._ask_for_staff()

    def _patience_over(self, vid: int) -> None:
        """The visitor gives up waiting (no effect once he is being served)."""
        if self.state[vid] != WAITING:
            return
        self.waiting.remove(vid)
        self.state[vid] = DONE
        self.log.outcome[vid] = LEFT
        self.log.end[vid] = self.env.now
        while len(self.requests) > len(self.waiting):   # a request nobody needs: withdraw the newest
            if not self.group.abandon(self.requests[-1]):   # pragma: no cover - taken requests leave the list
                break

    # ------------------------------------------------------------------ staff
    def _ready_staff(self) -> int:
        return sum(1 for a in self.model.agents if a.unavailable == 0)

    def _may_start(self, extra: int) -> bool:
        """Policy check: may one more staff member (beyond ``extra`` already asked for) serve the counter?"""
        if self.cfg.policy != "phone_reserved":
            return True
        return self.at_counter + extra + 1 <= self._ready_staff() - self.cfg.phone_reserve

    def _ask_for_staff(self) -> None:
        """One staff request per waiting visitor (as the policy allows): an idle staff member at once, else a
        place in the agent group's queue at the counter's priority."""
        while len(self.waiting) > len(self.requests) and self._may_start(len(self.requests)):
            agent = self.group.take_idle()
            if agent is not None:
                self._serve(agent)
                continue
            holder: list = []
            waiter = self.group.wait(self.priority, lambda agent, h=holder: self._staff_came(h[0], agent))
            holder.append(waiter)
            self.requests.append(waiter)
        if self.waiting and len(self.requests) < len(self.waiting) and not self._recheck_due:
            self._recheck_due = True      # phone_reserved: look again when staff may have come back
            self.env.timeout(RECHECK_S).callbacks.append(self._recheck)

    def _recheck(self, _event=None) -> None:
        self._recheck_due = False
        self._ask_for_staff()

    def _staff_came(self, waiter, agent) -> None:
        """The agent group hands the counter a staff member (``None``: the request was withdrawn)."""
        self.requests.remove(waiter)
        if agent is None:
            return
        if not self.waiting or not self._may_start(len(self.requests)):
            self.group.free(agent)           # not needed (or not allowed) here: back to the phone
            self._ask_for_staff()            # (and look again later while visitors wait)
            return
        self._serve(agent)

    def _serve(self, agent) -> None:
        vid = self.waiting.popleft()
        self.state[vid] = IN_SERVICE
        self.at_counter += 1
        log = self.log
        log.start[vid] = self.env.now
        log.agent[vid] = agent.idx
        self.env.timeout(self.service[log.purpose[vid]]()).callbacks.append(
            lambda _e, v=vid, a=agent: self._served(v, a))

    def _served(self, vid: int, agent) -> None:
        """Service ends: the visit is logged (and ticketed), the staff member goes back to the phone."""
        log = self.log
        log.end[vid] = self.env.now
        log.outcome[vid] = SERVED
        self.state[vid] = DONE
        self.at_counter -= 1
        desk = self.model.desk
        if desk is not None and hasattr(desk, "on_visit_served"):
            desk.on_visit_served(self._desk_record(vid, agent))
        self._ask_for_staff()
        self.group.free(agent)

    def _desk_record(self, vid: int, agent) -> dict:
        log, p = self.log, int(self.log.purpose[vid])
        record = {"call_id": None, "caller_id": None, "call_type": self.names[p], "arrive_s": float(log.arrive[vid]),
                  "answer_s": float(log.start[vid]), "talk_end_s": float(log.end[vid]), "role": agent.role,
                  "resolved": bool(self.settled[p] >= 1.0 or self.rng_settled.random() < self.settled[p]),
                  "visit_id": vid}
        if self.ticket_types[p] is not None:
            record["ticket_type"] = self.ticket_types[p]
        return record

    def finish(self) -> VisitLog:
        """End of run: visitors still waiting or in service stay ``open`` (censored by the horizon)."""
        return self.log

