"""Call-backs and return visits (spec §Return visits) as a mixin of ``DeskLayer``: outbound call attempts with
retries, the choice of which resolved tickets get a visit (``return_visits.Sampler``, daily selection for
per-period minimums), leak tests before leak-repair visits, reopening on dissatisfaction. Times in seconds.
"""
from __future__ import annotations

from sim.desk import deadlines as dl
from sim.desk.calendar import DAY_S
from sim.desk.config import clock_s
from sim.desk.return_visits import due_rule, exclusion, performer
from sim.desk.tickets import Ticket


class VisitFlows:
    """Mixin: needs ``env``, ``rules``, ``cal``, ``sampler``, ``submit``, ``work_time``, ``rng_out`` and
    ``_rework``."""

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
                    if tk.caller_id is not None and self.rng_resident.random() < self.rules.residents.refuse_visit_prob:
                        self.do_not_visit.add(tk.caller_id)
                        tk.note("do_not_visit", finish_s, caller_id=tk.caller_id)
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

    def after_resolved(self, tk: Ticket, force_visit: bool = False, resolved_s: float | None = None) -> None:
        """Return visit (sampled, with exclusions) or close. ``resolved_s``: resolution time when earlier than
        now (a result notice came first); visit deadlines and reporting periods count from it."""
        now = self.env.now
        t = now if resolved_s is None else resolved_s
        self._forget_problem(tk)
        reason = exclusion(tk, self.do_not_visit)
        if reason == "not_applicable":
            tk.transition("closed", now, outcome="invalid" if tk.invalid else "resolved")
            return
        if reason is not None:
            tk.note("return_visit_skipped", now, reason=reason)
            tk.transition("closed", now, outcome="resolved")
            return
        if force_visit:
            self._visit(tk, t, repeat=True)
            return
        chosen = self.sampler.offer(tk, t, self.cal.month_of(t))
        if chosen is not None:
            self._decided(tk, t, chosen)

    def _forget_problem(self, tk: Ticket) -> None:
        """A resolved complaint no longer absorbs contacts about its problem."""
        pid = self._problem_of.pop(tk.id, None)
        if pid is not None and self._open_problem.get(pid) is tk:
            del self._open_problem[pid]

    def _decided(self, tk: Ticket, resolved_s: float, chosen: bool) -> None:
        if chosen:
            self._visit(tk, resolved_s, repeat=False)
        else:
            tk.note("return_visit_not_sampled", self.env.now, period=self.cal.month_of(resolved_s))
            tk.transition("closed", self.env.now, outcome="resolved")

    def _daily_selection(self):
        """Daily return-visit selection (period_minimum sampling) at ``return_visits.selection_time``."""
        at = clock_s(self.rules.return_visits.selection_time)
        while True:
            d = self.cal.day_of(self.env.now)
            nxt = d * DAY_S + at
            if nxt <= self.env.now:
                nxt += DAY_S
            yield self.env.timeout(nxt - self.env.now)
            for tk, resolved_s, chosen in self.sampler.draw():
                self._decided(tk, resolved_s, chosen)

    def _visit(self, tk: Ticket, resolved_s: float, repeat: bool) -> None:
        tk.note("return_visit_sampled", self.env.now, performer=performer(tk), repeat=repeat,
                period=self.cal.month_of(resolved_s))
        if tk.type == "repair" and tk.repair_kind == "leak":
            self.env.process(self._leak_test_then_visit(tk, resolved_s))
        else:
            self._schedule_visit(tk, resolved_s)

    def _leak_test_then_visit(self, tk: Ticket, resolved_s: float):
        yield self.env.timeout(max(0.0, resolved_s + self.rules.repairs.leak_test_delay_s - self.env.now))
        tk.note("leak_test", self.env.now)
        self._schedule_visit(tk, self.env.now)

    def _schedule_visit(self, tk: Ticket, start_s: float) -> None:
        rule = due_rule(tk)
        due = dl.rule_due(self.rules, self.cal, rule, start_s)
        tk.set_deadline(rule, due)
        tk.transition("return_visit", self.env.now)
        self._call_attempt(tk, "return_visit", self.cal.next_day_desk(self.env.now), due,
                           self.rules.return_visits.talk_s, 1)

