"""``DeskLayer``: turns handled calls into tickets and processes them end to end inside a SimPy env.

``DeskLayer(env, rules, rng, store, outbound)``; the call model calls ``on_call_handled(call)`` (keys per the
API contract: call_id, caller_id, call_type, arrive_s, answer_s, talk_end_s, resolved, role; optional
overrides complaint_class, severity, anonymous, sensitive, online, repair_kind, urgent). Outbound work
(return visits, call-backs, dunning reminders) goes to ``outbound.submit(task)``; with ``outbound=None`` a
``SimpleOutboundExecutor`` with ``rules.outbound.agents`` agents working day-desk hours is used. Call
``finish()`` after ``env.run(until=horizon)``: final batch + conservation check. Times in seconds.
"""
from __future__ import annotations

import numpy as np
import simpy

from sim.desk import deadlines as dl
from sim.desk.calendar import DAY_S, Calendar
from sim.desk.config import SEVERITIES, DeskRules
from sim.desk.departments import Department
from sim.desk.dunning import Dunning
from sim.desk.night_duty import NightDuty
from sim.desk.outbound import OutboundTask, SimpleOutboundExecutor
from sim.desk.return_visits import Sampler, due_rule, exclusion, performer
from sim.desk.store import ConservationError, TicketStore
from sim.desk.tickets import Ticket


class DeskLayer:
    def __init__(self, env: simpy.Environment, rules: DeskRules | None, rng: np.random.Generator,
                 store: TicketStore | None, outbound=None, start_weekday: int = 0):
        self.env = env
        self.rules = rules = rules or DeskRules()
        self.cal = Calendar(rules.calendar, start_weekday)
        (self.rng_attr, self.rng_work, self.rng_rv, self.rng_dun, self.rng_night, self.rng_out,
         self.rng_online) = rng.spawn(7)
        self.store = store
        if store is not None:
            store.set_meta("desk_rules", rules.model_dump_json())
            store.set_meta("start_weekday", str(start_weekday))
        self.depts = {name: Department(env, self.cal, name, d) for name, d in rules.departments.items()}
        self.sampler = Sampler(rules.return_visits, self.rng_rv)
        if outbound is None:
            outbound = SimpleOutboundExecutor(env, rules.outbound.agents,
                                              available=lambda t: not self.cal.is_night(t),
                                              next_available=self.cal.next_handover)
        self.outbound = outbound
        self.tickets: dict[int, Ticket] = {}
        self.tasks: list[OutboundTask] = []
        self._dirty: dict[int, Ticket] = {}
        self._events: list = []
        self._dirty_tasks: dict[int, OutboundTask] = {}
        self._open_complaint: dict[int, Ticket] = {}
        self.duplicates = 0
        self.night = NightDuty(self)
        self.dunning = Dunning(self)
        env.process(self._flusher())
        if rules.complaints.online_per_day > 0:
            env.process(self._online_complaints())

    # ---- bookkeeping -------------------------------------------------------------------------------------
    def _sink(self, ev, ticket: Ticket) -> None:
        self._dirty[ticket.id] = ticket
        if ev is not None:
            self._events.append(ev)

    def new_ticket(self, ttype: str, t: float, source: str, log: dict | None = None, **attrs) -> Ticket:
        """Create and log a ticket (first event 'logged', ``log`` added to its detail) with its initial
        deadlines."""
        tk = Ticket(id=len(self.tickets) + 1, type=ttype, created_s=float(t), source=source, sink=self._sink,
                    **attrs)
        self.tickets[tk.id] = tk
        tk.transition("logged", t, source=source, **(log or {}))
        for rule, due in dl.initial_deadlines(tk, self.rules, self.cal).items():
            if rule == "minor_resolved" and self.rng_attr.random() < self.rules.complaints.minor_requested_share:
                requested = t + float(self.rng_attr.exponential(self.rules.complaints.minor_requested_mean_days
                                                                * DAY_S))
                if requested > due:
                    tk.note("resident_requested_time", t, requested_s=round(requested))
                    due = requested
            tk.set_deadline(rule, due)
        return tk

    def submit(self, tk: Ticket, kind: str, ready_s: float, due_s: float, talk_s: float, on_done, **extra):
        task = OutboundTask(ready_s=float(ready_s), due_s=float(due_s), kind=kind, talk_s=float(talk_s),
                            on_done=None, ticket_id=tk.id, id=len(self.tasks) + 1, submitted_s=self.env.now,
                            extra=extra, caller_id=tk.caller_id)

        def done(finish_s: float, agent_role: str, _task=task):
            _task.finish_s, _task.role = float(finish_s), agent_role
            self._dirty_tasks[_task.id] = _task
            on_done(_task, finish_s)

        task.on_done = done
        self.tasks.append(task)
        self._dirty_tasks[task.id] = task
        if kind == "return_visit" and extra.get("performer") in self.rules.return_visits.by_department:
            self.env.process(self._desk_visit(task, extra["performer"]))
        else:
            self.outbound.submit(task)
        return task

    def _desk_visit(self, task: OutboundTask, who: str):
        """A return visit made by a supervisor/manager of customer_service instead of a phone agent."""
        if task.ready_s > self.env.now:
            yield self.env.timeout(task.ready_s - self.env.now)
        task.start_s = self.env.now
        yield from self.depts["customer_service"].work(task.talk_s)
        task.on_done(self.env.now, who)

    def flush(self) -> None:
        if self.store is not None and (self._dirty or self._events or self._dirty_tasks):
            self.store.write_batch(self.env.now, list(self._dirty.values()), self._events,
                                   list(self._dirty_tasks.values()))
        self._dirty, self._events, self._dirty_tasks = {}, [], {}

    def _flusher(self):
        while True:
            yield self.env.timeout(self.rules.flush_interval_s)
            self.flush()

    def finish(self) -> dict:
        """Write the final batch, check conservation (in memory and in the store), mark the store complete."""
        self.flush()
        n_open = sum(t.is_open for t in self.tickets.values())
        n_closed = len(self.tickets) - n_open
        rep = {"created": len(self.tickets), "closed": n_closed, "open": n_open, "ok": True}
        if self.store is not None:
            rep = self.store.finish(self.env.now)
            if (rep["created"], rep["closed"]) != (len(self.tickets), n_closed):
                raise ConservationError(f"store holds {rep['created']} tickets ({rep['closed']} closed) but the "
                                        f"run created {len(self.tickets)} ({n_closed} closed)")
        rep["pending_handover"] = len(self.night.held)
        return rep

    # ---- draws --------------------------------------------------------------------------------------------
    def work_time(self, mean_s: float) -> float:
        """Gamma work time, coefficient of variation 0.5."""
        return float(self.rng_work.gamma(4.0, mean_s / 4.0))

    def _attrs(self, ttype: str, call: dict) -> dict:
        r, c = self.rng_attr, self.rules
        a: dict = {}
        if ttype == "complaint":
            cr = c.complaints
            a["complaint_class"] = int(call.get("complaint_class") or 1 + r.choice(3, p=cr.class_probs))
            a["severity"] = call.get("severity") or SEVERITIES[r.choice(3, p=cr.severity_probs)]
            a["anonymous"] = bool(call.get("anonymous", r.random() < cr.anonymous_share))
            a["sensitive"] = bool(call.get("sensitive", r.random() < cr.sensitive_share))
            a["online"] = bool(call.get("online", False))
            a["on_spot"] = bool(call.get("resolved", False)) and a["severity"] == "minor"
        elif ttype == "repair":
            kinds = list(c.repairs.repair_kind_probs)
            a["repair_kind"] = call.get("repair_kind") or kinds[r.choice(len(kinds),
                                                                          p=list(c.repairs.repair_kind_probs.values()))]
        return a

    # ---- entry point from the call model ---------------------------------------------------------------------
    def on_call_handled(self, call: dict) -> Ticket | None:
        """A call ended (agent or night duty). Creates the ticket now, or holds it for the morning hand-over."""
        if not self.rules.enabled:
            return None
        night = call.get("role") == "night_duty" if "role" in call else self.cal.is_night(self.env.now)
        if night:
            return self.night.on_call(call)
        return self.ticket_from_call(call, self.env.now, "call")

    def ticket_from_call(self, call: dict, t: float, source: str, urgent: bool = False,
                         log: dict | None = None) -> Ticket | None:
        ttype = self.rules.ticket_type(str(call["call_type"]))
        caller = call.get("caller_id")
        caller = None if caller is None else int(caller)          # numpy ints -> int (sqlite binding)
        call_id = None if call.get("call_id") is None else int(call["call_id"])
        if ttype == "complaint" and self.rules.complaints.dedupe_repeat and caller is not None:
            prev = self._open_complaint.get(caller)
            if prev is not None and prev.is_open:
                prev.note("duplicate_contact", t, call_id=call_id, **(log or {}))
                self.duplicates += 1
                return None
        tk = self.new_ticket(ttype, t, source, log, call_id=call_id, caller_id=caller, urgent=urgent,
                             **self._attrs(ttype, call))
        if ttype == "complaint" and caller is not None and not tk.anonymous:
            self._open_complaint[caller] = tk
        self.start(tk, bool(call.get("resolved", False)))
        return tk

    def start(self, tk: Ticket, resolved_on_call: bool) -> None:
        t = self.env.now
        if tk.type == "complaint":
            if tk.on_spot:
                for rule in dl.response_rules(tk):
                    tk.meet(rule, t)
                tk.note("responded", t, how="on_spot")
                tk.meet(dl.resolution_rule(tk), t)
                tk.transition("resolved", t, how="on_spot")
                self.after_resolved(tk)
            else:
                self.env.process(self._complaint(tk))
        elif tk.type == "inquiry":
            if resolved_on_call:
                tk.transition("resolved", t, how="on_call")
                tk.transition("closed", t, outcome="answered")
            else:
                self._callback(tk)
        elif tk.type in ("fee",) and resolved_on_call:
            tk.transition("resolved", t, how="on_call")
            tk.transition("closed", t, outcome="paid")
        elif tk.type == "repair" and tk.urgent:
            self.env.process(self.night.urgent_visit(tk))
        else:
            self.env.process(self._dept_flow(tk))

    # ---- ticket flows ----------------------------------------------------------------------------------------
    def _dept_flow(self, tk: Ticket):
        """Repair / fee / move-in / other service: agreed slot, department work, resolution."""
        flow = self.rules.flows[tk.type]
        dept = self.depts[flow.department]
        lead = float(self.rng_work.exponential(flow.lead_mean_s)) if flow.lead_mean_s > 0 else 0.0
        slot = dept.next_slot(self.env.now + lead, flow.slot_s)
        extra = {}
        if tk.type == "repair":
            extra["paid"] = bool(self.rng_attr.random() < self.rules.repairs.paid_share)   # else warranty
        tk.transition("assigned", self.env.now, department=dept.name, slot_s=round(slot), **extra)
        if tk.type == "repair":
            tk.set_deadline("repair_visit_on_time", dl.rule_due(self.rules, self.cal, "repair_visit_on_time", slot))
        if slot > self.env.now:
            yield self.env.timeout(slot - self.env.now)

        def started(t):
            tk.transition("in_progress", t)
            tk.meet("repair_visit_on_time", t)

        yield from dept.work(self.work_time(flow.work_mean_s), on_start=started)
        tk.transition("resolved", self.env.now)
        self.after_resolved(tk)

    def _complaint(self, tk: Ticket):
        env, cr = self.env, self.rules.complaints
        home = "developer_liaison" if tk.complaint_class == 2 else "customer_service"
        tk.transition("assigned", env.now, department=home, complaint_class=tk.complaint_class)
        for target, rule in dl.escalations(tk):
            env.process(self._escalate(tk, target, rule))
        res_rule = dl.resolution_rule(tk)
        if self.rules.escalate_overdue:
            env.process(self._overdue_watch(tk, res_rule))
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
        tk.meet(dl.resolution_rule(tk), env.now)
        tk.transition("resolved", env.now)
        self.after_resolved(tk, force_visit=not first)

    def _rework(self, tk: Ticket):
        """Reopened ticket: assigned again and worked again."""
        tk.transition("assigned", self.env.now, reason="reopened")
        if tk.type == "complaint":
            yield from self.depts["customer_service"].work(self.work_time(900.0),
                                                           on_start=lambda t: tk.transition("in_progress", t))
            yield from self._complaint_resolution(tk, first=False)
        else:
            flow = self.rules.flows[tk.type]
            dept = self.depts[flow.department]
            slot = dept.next_slot(self.env.now + float(self.rng_work.exponential(max(flow.lead_mean_s, 1.0))),
                                  flow.slot_s)
            yield self.env.timeout(slot - self.env.now)
            yield from dept.work(self.work_time(flow.work_mean_s),
                                 on_start=lambda t: tk.transition("in_progress", t))
            tk.transition("resolved", self.env.now)
            self.after_resolved(tk, force_visit=True)

    def _escalate(self, tk: Ticket, target: str, rule: str):
        yield from self.depts["customer_service"].work(
            float(self.rng_work.exponential(self.rules.complaints.escalation_work_s)))
        if tk.is_open:
            tk.note("escalated", self.env.now, to=target, rule=rule)
            tk.meet(rule, self.env.now)

    def _overdue_watch(self, tk: Ticket, rule: str):
        due = tk.due.get(rule)
        if due is None:
            return
        yield self.env.timeout(max(0.0, due - self.env.now))
        if tk.is_open and rule not in tk.met:
            tk.note("escalated", self.env.now, to=dl.overdue_target(tk), rule=f"overdue:{rule}")

    # ---- call-backs and return visits ------------------------------------------------------------------------
    def _callback(self, tk: Ticket) -> None:
        cb = self.rules.callbacks
        t = self.env.now
        due = dl.rule_due(self.rules, self.cal, "inquiry_callback", t)
        tk.set_deadline("inquiry_callback", due)
        agreed = self.cal.next_day_desk(t + float(self.rng_work.exponential(cb.agreed_mean_s)))
        tk.note("callback_promised", t, agreed_s=round(agreed))
        tk.transition("assigned", t, department="desk")
        self._call_attempt(tk, "callback", agreed, due, cb.talk_s, 1)

    def _call_attempt(self, tk: Ticket, kind: str, ready: float, due: float, talk_mean: float, attempt: int):
        rv = self.rules.return_visits

        def on_done(task, finish_s):
            reached = bool(self.rng_out.random() < rv.reach_prob)
            task.outcome = "reached" if reached else "unreached"
            if kind == "callback":
                if reached or attempt >= rv.max_attempts:
                    tk.meet("inquiry_callback", finish_s)
                    tk.transition("in_progress", finish_s)
                    tk.transition("resolved", finish_s)
                    tk.transition("closed", finish_s, outcome="answered" if reached else "unreached")
                    return
            else:
                tk.note("return_visit_call", finish_s, attempt=attempt, reached=reached)
                if reached:
                    tk.meet(due_rule(tk), finish_s)
                    p = rv.dissatisfied_prob.get(tk.type, 0.0)
                    if self.rng_out.random() < p:
                        tk.transition("reopened", finish_s, reason="dissatisfied")
                        self.env.process(self._rework(tk))
                    else:
                        tk.transition("closed", finish_s, outcome="satisfied")
                    return
                if attempt >= rv.max_attempts:
                    tk.transition("closed", finish_s, outcome="unreached")
                    return
            nxt = self.cal.next_day_desk(finish_s + rv.retry_after_s)
            self._call_attempt(tk, kind, nxt, due, talk_mean, attempt + 1)

        self.submit(tk, kind, ready, due, self.work_time(talk_mean), on_done, attempt=attempt,
                    performer=performer(tk) if kind == "return_visit" else "agent")

    def after_resolved(self, tk: Ticket, force_visit: bool = False) -> None:
        """Return visit (sampled, with exclusions) or close."""
        t = self.env.now
        if tk.type == "complaint" and tk.caller_id is not None and self._open_complaint.get(tk.caller_id) is tk:
            del self._open_complaint[tk.caller_id]
        reason = exclusion(tk)
        if reason == "not_applicable":
            tk.transition("closed", t, outcome="resolved")
            return
        if reason is not None:
            tk.note("return_visit_skipped", t, reason=reason)
            tk.transition("closed", t, outcome="resolved")
            return
        if not force_visit and not self.sampler.select(tk):
            tk.note("return_visit_not_sampled", t)
            tk.transition("closed", t, outcome="resolved")
            return
        tk.note("return_visit_sampled", t, performer=performer(tk), repeat=force_visit)
        if tk.type == "repair" and tk.repair_kind == "leak":
            self.env.process(self._leak_test_then_visit(tk))
        else:
            self._schedule_visit(tk, t)

    def _leak_test_then_visit(self, tk: Ticket):
        yield self.env.timeout(self.rules.repairs.leak_test_delay_s)
        tk.note("leak_test", self.env.now)
        self._schedule_visit(tk, self.env.now)

    def _schedule_visit(self, tk: Ticket, start_s: float) -> None:
        rule = due_rule(tk)
        due = dl.rule_due(self.rules, self.cal, rule, start_s)
        tk.set_deadline(rule, due)
        tk.transition("return_visit", self.env.now)
        self._call_attempt(tk, "return_visit", self.cal.next_day_desk(self.env.now), due,
                           self.rules.return_visits.talk_s, 1)

    # ---- online complaints --------------------------------------------------------------------------------------
    def _online_complaints(self):
        rate = self.rules.complaints.online_per_day / DAY_S
        while True:
            yield self.env.timeout(float(self.rng_online.exponential(1.0 / rate)))
            call = {"call_type": "complaint", "online": True, "caller_id": None, "call_id": None}
            self.ticket_from_call(call, self.env.now, "online")
