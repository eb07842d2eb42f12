"""Virtual hold: a queued caller is offered a call-back, hangs up, and an agent calls the resident back later.

The procedure (scenario ``[callbacks]``, ``sim.callbacks_config``; seconds):

1. A caller joins the agent queue. If the expected wait on entry exceeds ``offer_if_expected_wait_s`` the
   offer is made at once; otherwise, if ``offer_after_s`` is set, when the caller has waited that long and is
   still waiting. One offer per call attempt. Expected wait = (callers waiting, this one included) × the
   scenario's mean handle time ÷ agents logged in and ready (``expected_wait``).
2. The caller accepts with ``accept_prob``: it leaves the queue (its patience deadline is dropped unseen), the
   trunk is released, the call attempt's outcome is ``callback`` and ``cb_request`` is now.
3. The call-back is outbound work of the same agent group (``AgentGroup.submit``): ready at once, due at
   ``cb_request + deadline_s``; tasks are served earliest due first = first requested first. With
   ``priority = "near_deadline"`` a task ``urgent_before_s`` before its due time goes before waiting inbound
   callers, else only agents with no inbound caller waiting take it.
4. An agent dials: the resident answers with ``answer_prob`` (then ``cb_connect`` = start + ``dial_s``; the
   agent's time is dial + talk + hold + ACW drawn as for an inbound call of the same type) or not (the agent
   spends ``no_answer_s``; the next attempt is ready ``retry_delay_s`` later, same due time), at most
   ``attempts`` dial attempts. ``cb_attempts`` counts the attempts; each attempt is a row of the outbound log
   (kind ``virtual_hold``, with the agent's start and end).

Every draw comes from the model's own ``callbacks`` stream (the last of ``sim.model.STREAMS``), so scenarios
without ``[callbacks]`` are bit-identical to the model without this module. A connected call-back does not
start a repeat call, a desk ticket or count as an agent call-back for FCR (it is the handling of the caller's
request, not a further contact).
"""
from __future__ import annotations

import math

from sim.agents import Waiter
from sim.calllog import CALLBACK
from sim.callbacks_config import Callbacks
from sim.distributions import Bernoulli
from sim.patience import PatienceClock

KIND = "virtual_hold"
"""Outbound-log kind of a call-back dial attempt."""


class CallbackTask:
    """One dial attempt of a call-back (the ``AgentGroup.submit`` task protocol); seconds."""

    __slots__ = ("ready_s", "due_s", "urgent_s", "kind", "talk_s", "on_done", "caller_id", "cid", "attempt",
                 "answered")

    def __init__(self, ready_s, due_s, urgent_s, talk_s, on_done, caller_id, cid, attempt, answered):
        self.ready_s, self.due_s, self.urgent_s = ready_s, due_s, urgent_s
        self.kind = KIND
        self.talk_s, self.on_done, self.caller_id = talk_s, on_done, caller_id
        self.cid, self.attempt, self.answered = cid, attempt, answered


class _OfferDue:
    """Stands in for the agent group in a ``PatienceClock``: at the offer time ``abandon(waiter)`` makes the
    offer (the clock calls it only for a caller still waiting)."""

    __slots__ = ("vh", "cid", "ctype")

    def __init__(self, vh: "VirtualHold", cid: int, ctype: int):
        self.vh, self.cid, self.ctype = vh, cid, ctype

    def abandon(self, waiter: Waiter) -> None:
        self.vh.offer(self.cid, self.ctype, waiter)


class VirtualHold:
    """Call-back offers and call-backs for ``model`` (a ``sim.model.CallCentreModel``)."""

    def __init__(self, model, cfg: Callbacks):
        self.model = model
        self.cfg = cfg
        rng = model.rng["callbacks"]
        self.coin = Bernoulli(rng)
        self.samplers = [(ct.talk.sampler(rng), ct.hold.sampler(rng), ct.hold_prob,
                          ct.acw.sampler(rng) if ct.acw is not None else None)
                         for ct in model.sc.call_types.values()]
        self.handle_s = model.sc.mean_handle_time_s()
        self.offer_clock = PatienceClock(model.env) if cfg.offer_after_s is not None else None
        if cfg.priority == "near_deadline":
            model.group.urgent_outbound = True

    # ------------------------------------------------------------------ offers
    def expected_wait(self) -> float:
        """Expected wait of the caller who just joined the queue, s: callers waiting (it included) × mean handle
        time ÷ agents logged in and ready (busy or idle); infinite with no ready agent."""
        ready = sum(1 for agent in self.model.agents if agent.unavailable == 0)
        return self.model.group.n_waiting * self.handle_s / ready if ready else math.inf

    def on_queued(self, cid: int, ctype: int, waiter: Waiter) -> bool:
        """The caller ``cid`` just joined the queue as ``waiter``: offer now, or arm the offer timer. True when
        the caller accepted at once (it has left the queue)."""
        cfg = self.cfg
        if cfg.offer_if_expected_wait_s is not None and self.expected_wait() > cfg.offer_if_expected_wait_s:
            return self.offer(cid, ctype, waiter)
        if self.offer_clock is not None:
            self.offer_clock.add(self.model.env.now + cfg.offer_after_s, waiter, _OfferDue(self, cid, ctype))
        return False

    def offer(self, cid: int, ctype: int, waiter: Waiter) -> bool:
        """Offer a call-back to the waiting caller; True if it accepted (and left the queue)."""
        model, log = self.model, self.model.log
        if not waiter.waiting:
            return False
        log.cb_offered[cid] = 1
        if not self.coin(self.cfg.accept_prob) or not model.group.withdraw(waiter):
            return False
        now = model.env.now
        log.outcome[cid] = CALLBACK
        log.cb_request[cid] = now
        model.trunks_busy -= 1   # the caller hangs up
        self._submit(cid, ctype, 1, now, now + self.cfg.deadline_s)
        return True

    # ------------------------------------------------------------------ call-backs
    def _submit(self, cid: int, ctype: int, attempt: int, ready: float, due: float) -> None:
        """Dial attempt ``attempt`` of caller ``cid``'s call-back, ready at ``ready`` s, due at ``due`` s."""
        cfg = self.cfg
        answered = self.coin(cfg.answer_prob)
        if answered:
            talk, hold, hold_prob, acw = self.samplers[ctype]
            agent_s = cfg.dial_s + talk() + (hold() if hold_prob and self.coin(hold_prob) else 0.0)
            agent_s += acw() if acw is not None else 0.0
        else:
            agent_s = cfg.no_answer_s
        task = CallbackTask(ready, due, due - cfg.urgent_before_s, agent_s, None, self.model.log.caller[cid], cid,
                            attempt, answered)
        task.on_done = lambda end, _role, task=task, ctype=ctype: self._attempt_done(task, ctype, end)
        self.model.group.submit(task)

    def _attempt_done(self, task: CallbackTask, ctype: int, end: float) -> None:
        log, cid = self.model.log, task.cid
        log.cb_attempts[cid] = task.attempt
        if task.answered:
            log.cb_connect[cid] = end - task.talk_s + self.cfg.dial_s
        elif task.attempt < self.cfg.attempts:
            self._submit(cid, ctype, task.attempt + 1, end + self.cfg.retry_delay_s, task.due_s)
