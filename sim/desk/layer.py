"""``DeskLayer``: turns handled calls into tickets and processes them end to end inside a SimPy env (complaint
flows in ``complaints.py``, call-backs and return visits in ``visits.py``).

``DeskLayer(env, rules, rng, store, outbound)``; the call model calls ``on_call_handled(call)`` (keys per the
API contract: call_id, caller_id, call_type, arrive_s, answer_s, talk_end_s, resolved, role; optional
overrides complaint_class, severity, anonymous, sensitive, online, repair_kind, urgent; ``problem_id`` names
the resident's problem: a complaint about a problem that already has an open complaint ticket, by any channel,
is recorded once, as a duplicate contact; without ``problem_id`` every call is a new problem). Outbound work
(return visits, call-backs, dunning reminders) goes to ``outbound.submit(task)``; with ``outbound=None`` a
``SimpleOutboundExecutor`` with ``rules.outbound.agents`` agents working day-desk hours is used. Call
``finish()`` after ``env.run(until=horizon)``: final batch + conservation check. Times in seconds.
"""
from __future__ import annotations

from bisect import bisect_right

import numpy as np
import simpy

from sim.desk import deadlines as dl
from sim.desk.calendar import DAY_S, Calendar
from sim.desk.config import SEVERITIES, DeskRules
from sim.desk.complaints import ComplaintFlows
from sim.desk.departments import Department
from sim.desk.dunning import Dunning
from sim.desk.night_duty import NightDuty
from sim.desk.outbound import OutboundTask, SimpleOutboundExecutor
from sim.desk.return_visits import Sampler
from sim.desk.accounting import call_accounting
from sim.desk.store import ConservationError, TicketStore
from sim.desk.paperwork import PaperworkFlows
from sim.desk.routine import ScheduledWork
from sim.desk.tickets import Ticket
from sim.desk.visits import VisitFlows


def _cdf(probs) -> list[float]:
    """Cumulative probabilities as ``Generator.choice(n, p=probs)`` computes them (after its own check of
    ``probs``, which raises as choice would)."""
    p = np.asarray(probs, dtype=float)
    np.random.default_rng(0).choice(len(p), p=p)
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf.tolist()


def _pick(rng: np.random.Generator, cdf: list[float]) -> int:
    """Index drawn as ``rng.choice(len(cdf), p=p)`` draws it: one uniform, the first cumulative probability above
    it (same number of draws, same result)."""
    return bisect_right(cdf, rng.random())


class DeskLayer(ComplaintFlows, VisitFlows, PaperworkFlows):
    def __init__(self, env: simpy.Environment, rules: DeskRules | None, rng: np.random.Generator,
                 store: TicketStore | None, outbound=None, start_weekday: int = 0):
        self.env = env
        self.rules = rules = rules or DeskRules()
        self.cal = Calendar(rules.calendar, start_weekday)
        (self.rng_attr, self.rng_work, self.rng_rv, self.rng_dun, self.rng_night, self.rng_out,
         self.rng_online, rng_added) = rng.spawn(8)
        # streams of the rules added in the second reading (the first seven are unchanged by their presence)
        self.rng_paper, self.rng_notice, self.rng_resident, self.rng_routine = rng_added.spawn(4)
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
        self._open_problem: dict[int, Ticket] = {}     # problem id -> its open complaint (duplicates)
        self._problem_of: dict[int, int] = {}
        self.duplicates = 0
        self.calls_received: list[int] = []
        self.visits_received = self.visit_duplicates = 0    # walk-in counter visits (on_visit_served)
        self._resolved_events: dict[int, simpy.Event] = {}
        self.do_not_visit: set[int] = set()            # caller ids of residents who refused return visits
        # category draws by their cumulative probabilities (``_pick``: the draw of Generator.choice(n, p=p), at a
        # twentieth of its cost)
        self._cdf = {"class": _cdf(rules.complaints.class_probs), "severity": _cdf(rules.complaints.severity_probs),
                     "repair": _cdf(list(rules.repairs.repair_kind_probs.values()))}
        self._repair_kinds = list(rules.repairs.repair_kind_probs)
        self.night = NightDuty(self)
        self.dunning = Dunning(self)
        self.scheduled = ScheduledWork(self)
        env.process(self._flusher())
        if rules.return_visits.sampling == "period_minimum":
            env.process(self._daily_selection())
        if rules.complaints.online_per_day > 0:
            env.process(self._online_complaints())

    # ---- bookkeeping -------------------------------------------------------------------------------------
    def _sink(self, ev, ticket: Ticket) -> None:
        self._dirty[ticket.id] = ticket
        if ev is not None:
            self._events.append(ev)
            if ev.to_state == "resolved":
                if "general_manager_resolved" in ticket.due:
                    ticket.meet("general_manager_resolved", ev.t_s)
                evt = self._resolved_events.pop(ticket.id, None)
                if evt is not None:
                    evt.succeed(ev.t_s)

    def resolved_event(self, tk: Ticket) -> simpy.Event:
        """Event fired when ``tk`` is next resolved."""
        return self._resolved_events.setdefault(tk.id, self.env.event())

    def new_ticket(self, ttype: str, t: float, source: str, log: dict | None = None, **attrs) -> Ticket:
        """Create and log a ticket (first event 'logged', ``log`` added to its detail) with its initial
        deadlines."""
        tk = Ticket(id=len(self.tickets) + 1, type=ttype, created_s=float(t), source=source, sink=self._sink,
                    watch=self._watch_deadline if self.rules.escalate_overdue else None, **attrs)
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
        """A return visit made by the supervisor / manager in person (their department's time, else
        customer_service) instead of a phone agent."""
        if task.ready_s > self.env.now:
            yield self.env.timeout(task.ready_s - self.env.now)
        task.start_s = self.env.now
        yield from self.depts[who if who in self.depts else "customer_service"].work(task.talk_s)
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

    def finish(self, handled_call_ids=None) -> dict:
        """Write the final batch and the pending hand-over items, check conservation (in memory, in the store, and
        against the handled calls: ``handled_call_ids``, default the calls this layer received), mark the store
        complete. Raises ConservationError on any violation."""
        self.flush()
        n_open = sum(t.is_open for t in self.tickets.values())
        n_closed = len(self.tickets) - n_open
        rep = {"created": len(self.tickets), "closed": n_closed, "open": n_open, "ok": True}
        ids = self.calls_received if handled_call_ids is None else [int(c) for c in handled_call_ids]
        if not self.rules.enabled:
            ids = []
        if self.store is not None:
            self.store.write_pending([(None if c.get("call_id") is None else int(c["call_id"]),
                                       None if c.get("caller_id") is None else int(c["caller_id"]),
                                       str(c["call_type"]), float(c["logged_s"])) for c in self.night.held])
            acc = call_accounting(self.store.rows(), ids, raise_on_error=True)
            rep = self.store.finish(self.env.now)
            if (rep["created"], rep["closed"]) != (len(self.tickets), n_closed):
                raise ConservationError(f"store holds {rep['created']} tickets ({rep['closed']} closed) but the "
                                        f"run created {len(self.tickets)} ({n_closed} closed)")
            rep["calls_unaccounted"] = acc["unaccounted"]
            rep["calls_handled"] = acc["handled_calls"]
        rep["pending_handover"] = len(self.night.held)
        if self.visits_received:
            counter_tickets = sum(t.source == "counter" for t in self.tickets.values())
            if counter_tickets + self.visit_duplicates != self.visits_received:
                raise ConservationError(f"{self.visits_received} counter visits served but {counter_tickets} "
                                        f"counter tickets and {self.visit_duplicates} duplicate contacts")
            rep["counter_visits"] = self.visits_received
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
            a["complaint_class"] = int(call.get("complaint_class") or 1 + _pick(r, self._cdf["class"]))
            a["severity"] = call.get("severity") or SEVERITIES[_pick(r, self._cdf["severity"])]
            a["anonymous"] = bool(call.get("anonymous", r.random() < cr.anonymous_share))
            a["sensitive"] = bool(call.get("sensitive", r.random() < cr.sensitive_share))
            a["online"] = bool(call.get("online", False))
            res, rr = self.rng_resident, c.residents
            a["invalid"] = bool(call.get("invalid", res.random() < rr.invalid_share))
            a["written_reply"] = bool(call.get("written_reply", res.random() < rr.written_reply_share))
            # on the spot only for minor complaints the centre itself can settle: class 2 (developer) needs a
            # written notice, whatever was said on the call
            a["on_spot"] = (bool(call.get("resolved", False)) and a["severity"] == "minor"
                            and a["complaint_class"] != 2 and not a["invalid"])
        elif ttype == "repair":
            a["repair_kind"] = call.get("repair_kind") or self._repair_kinds[_pick(r, self._cdf["repair"])]
        return a

    # ---- entry point from the call model ---------------------------------------------------------------------
    def on_call_handled(self, call: dict) -> Ticket | None:
        """A call ended (agent or night duty). Creates the ticket now, or holds it for the morning hand-over."""
        if not self.rules.enabled:
            return None
        if call.get("call_id") is not None:
            self.calls_received.append(int(call["call_id"]))
        night = call.get("role") == "night_duty" if "role" in call else self.cal.is_night(self.env.now)
        if night:
            return self.night.on_call(call)
        return self.ticket_from_call(call, self.env.now, "call")

    def on_visit_served(self, visit: dict) -> Ticket | None:
        """A resident was served at the walk-in counter (``sim.counter``; keys as a call's, ``call_id`` None,
        plus ``visit_id``): a ticket with channel (source) ``counter``, made like a call's ticket."""
        if not self.rules.enabled:
            return None
        self.visits_received += 1
        tk = self.ticket_from_call(visit, self.env.now, "counter", log={"visit_id": int(visit["visit_id"])})
        if tk is None:
            self.visit_duplicates += 1
        return tk

    def ticket_type_of(self, call: dict) -> str:
        """Ticket type of a call, drawn once (``call_type_split``) and kept in the call record."""
        if "ticket_type" not in call:
            ct = str(call["call_type"])
            u = float(self.rng_paper.random()) if ct in self.rules.call_type_split else None
            call["ticket_type"] = self.rules.ticket_type(ct, u)
        return call["ticket_type"]

    def ticket_from_call(self, call: dict, t: float, source: str, urgent: bool = False,
                         log: dict | None = None) -> Ticket | None:
        ttype = self.ticket_type_of(call)
        caller = call.get("caller_id")
        caller = None if caller is None else int(caller)          # numpy ints -> int (sqlite binding)
        call_id = None if call.get("call_id") is None else int(call["call_id"])
        problem = call.get("problem_id")
        problem = None if problem is None else int(problem)
        if ttype == "complaint" and self.rules.complaints.dedupe_repeat and problem is not None:
            prev = self._open_problem.get(problem)
            if prev is not None and prev.is_open:
                prev.note("duplicate_contact", t, call_id=call_id, **(log or {}))
                self.duplicates += 1
                return None
        tk = self.new_ticket(ttype, t, source, log, call_id=call_id, caller_id=caller, urgent=urgent,
                             **self._attrs(ttype, call))
        if ttype == "complaint" and problem is not None and not tk.anonymous:
            self._open_problem[problem] = tk
            self._problem_of[tk.id] = problem
        self.start(tk, bool(call.get("resolved", False)))
        return tk

    def start(self, tk: Ticket, resolved_on_call: bool) -> None:
        t = self.env.now
        if tk.type == "complaint":
            if tk.invalid:
                self.env.process(self._invalid_complaint(tk))
            elif tk.on_spot:
                for rule in dl.response_rules(tk):
                    tk.meet(rule, t)
                tk.note("responded", t, how="on_spot")
                tk.meet(dl.resolution_rule(tk), t)
                tk.transition("resolved", t, how="on_spot")
                tk.note("result_notice", t, how="on_call")
                self.after_resolved(tk)
            else:
                self.env.process(self._complaint(tk))
        elif tk.type == "inquiry":
            if resolved_on_call:
                tk.transition("resolved", t, how="on_call")
                tk.transition("closed", t, outcome="answered")
            else:
                self._callback(tk)
        elif tk.type == "fee" and self.rng_paper.random() < self.rules.fees.home_collection_share:
            self.env.process(self._home_collection(tk))
        elif tk.type == "fee" and resolved_on_call:
            tk.transition("resolved", t, how="on_call")
            tk.transition("closed", t, outcome="paid")
        elif tk.type == "move_in":
            self.env.process(self._move_in(tk))
        elif tk.type == "renovation":
            self.env.process(self._renovation(tk))
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
