"""Complaint handling (spec §Complaints) and the escalation ladder, as a mixin of ``DeskLayer``.

A complaint is assigned to customer service (class 2: the developer liaison writes to the developer), escalated
on reception by severity (major -> director, important -> department head), answered, resolved after a
severity-dependent delay (a written reply first when a higher office asked for one); the resident is told the
result the same day (``_result_notice``, an outbound call) before the return-visit decision. Invalid complaints
are explained and closed without handling. Escalation (``escalate``) only climbs the ladder of ``deadlines.LADDER``; every
deadline set on any ticket is watched and moves its ticket one level up when it passes unmet. Times in seconds.
"""
from __future__ import annotations

from simpy.core import URGENT
from simpy.events import Event

from sim.desk import deadlines as dl
from sim.desk.calendar import DAY_S
from sim.desk.tickets import Ticket


class Soon(Event):
    """An event processed at the current instant before the ordinary ones, as SimPy starts a process
    (``simpy.events.Initialize``: already triggered, priority URGENT); ``callback(event)`` runs then."""

    def __init__(self, env, callback):
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._ok = True
        env.schedule(self, URGENT)


class ComplaintFlows:
    """Mixin: needs ``env``, ``rules``, ``cal``, ``depts``, ``rng_work``, ``rng_notice``, ``work_time``, ``submit``
    and ``after_resolved``."""

    def _complaint(self, tk: Ticket):
        env, cr = self.env, self.rules.complaints
        home = "developer_liaison" if tk.complaint_class == 2 else "customer_service"
        tk.transition("assigned", env.now, department=home, complaint_class=tk.complaint_class)
        for target, rule in dl.escalations(tk):
            env.process(self._escalate(tk, target, rule))
        cs = self.depts["customer_service"]
        yield from cs.work(self.work_time(self.rules.flows["complaint"].work_mean_s),
                           on_start=lambda t: tk.transition("in_progress", t))
        tk.note("responded", env.now)
        for rule in dl.response_rules(tk):
            tk.meet(rule, env.now)
        yield from self._complaint_resolution(tk, first=True)

    def _complaint_resolution(self, tk: Ticket, first: bool):
        env, cr = self.env, self.rules.complaints
        if tk.complaint_class == 2:
            yield from self.depts["developer_liaison"].work(self.work_time(1800.0))
            tk.note("developer_notified", env.now)
            yield env.timeout(float(self.rng_work.exponential(cr.class2_developer_days * DAY_S)))
        elif tk.complaint_class == 3:
            tk.note("reported_external", env.now)
        scale = 1.0 if first else 0.5
        yield env.timeout(float(self.rng_work.exponential(cr.resolve_mean_days[tk.severity] * DAY_S * scale)))
        yield from self.depts["customer_service"].work(self.work_time(900.0))
        if tk.written_reply:
            yield from self.depts["customer_service"].work(self.work_time(self.rules.residents.written_reply_s))
            tk.note("written_reply", env.now)
        tk.meet(dl.resolution_rule(tk), env.now)
        tk.transition("resolved", env.now)
        self._result_notice(tk, force_visit=not first)

    def _result_notice(self, tk: Ticket, force_visit: bool) -> None:
        """Same-day result notice (outbound call; SMS after an unreached call), then the return-visit decision.
        Anonymous complainants cannot be told."""
        resolved_s = self.env.now
        if not self.rules.result_notice.enabled or tk.anonymous:
            self.after_resolved(tk, force_visit)
            return
        due = dl.rule_due(self.rules, self.cal, "result_notice", resolved_s)
        tk.set_deadline("result_notice", due)

        def on_done(task, finish_s):
            reached = bool(self.rng_notice.random() < self.rules.return_visits.reach_prob)
            task.outcome = "reached" if reached else "unreached"
            tk.note("result_notice", finish_s, how="call" if reached else "sms_after_call")
            tk.meet("result_notice", finish_s)
            self.after_resolved(tk, force_visit, resolved_s=resolved_s)

        self.submit(tk, "result_notice", self.cal.next_day_desk(resolved_s), due,
                    self.work_time(self.rules.result_notice.talk_s), on_done)

    def _invalid_complaint(self, tk: Ticket):
        """Invalid complaint: explained and closed without handling (outcome 'invalid', counted separately)."""
        env = self.env
        tk.transition("assigned", env.now, department="customer_service", invalid=True)
        yield from self.depts["customer_service"].work(self.work_time(self.rules.residents.explain_s),
                                                       on_start=lambda t: tk.transition("in_progress", t))
        tk.note("responded", env.now, how="explanation")
        for rule in dl.response_rules(tk):
            tk.meet(rule, env.now)
        tk.transition("resolved", env.now, how="invalid")
        self.after_resolved(tk)

    def _escalate(self, tk: Ticket, target: str, rule: str):
        """Reception escalation (major -> director, important -> department head) once a handler does it."""
        yield from self.depts["customer_service"].work(
            float(self.rng_work.exponential(self.rules.complaints.escalation_work_s)))
        if tk.is_open:
            self.escalate(tk, target, rule, self.env.now)
            tk.meet(rule, self.env.now)

    def escalate(self, tk: Ticket, target: str | None, rule: str, t: float) -> bool:
        """Move ``tk`` up to ``target`` (None: the next level) if that is higher than where it is; a ticket
        reaching the general manager gets his deadline. Returns whether it moved."""
        to = dl.climb(tk.level, target)
        if to is None:
            return False
        tk.level = to
        tk.note("escalated", t, to=to, rule=rule)
        if to == "general_manager":
            tk.set_deadline("general_manager_resolved", dl.rule_due(self.rules, self.cal,
                                                                    "general_manager_resolved", t))
        return True

    def _watch_deadline(self, tk: Ticket, name: str, due: float) -> None:
        """Every deadline with an owner: when it passes unmet the ticket goes one level up (``_overdue``). Two
        events, as the SimPy process this was scheduled them (its start, first at this instant, then the wait),
        without the process: same order of events, ~1 000 fewer processes a week of the example."""
        env = self.env
        Soon(env, lambda _e: env.timeout(max(0.0, due - env.now)).callbacks.append(
            lambda _t: self._overdue(tk, name)))

    def _overdue(self, tk: Ticket, name: str) -> None:
        if tk.is_open and name not in tk.met:
            if not self.escalate(tk, None, f"overdue:{name}", self.env.now):
                tk.note("overdue_at_top", self.env.now, rule=name, level=tk.level)


    # ---- online complaints --------------------------------------------------------------------------------------
    def _online_complaints(self):
        rate = self.rules.complaints.online_per_day / DAY_S
        while True:
            yield self.env.timeout(float(self.rng_online.exponential(1.0 / rate)))
            call = {"call_type": "complaint", "online": True, "caller_id": None, "call_id": None}
            self.ticket_from_call(call, self.env.now, "online")

