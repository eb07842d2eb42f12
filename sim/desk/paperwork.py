"""Move-in, renovation and fee-collection flows (frontdesk.md, "Rules sharpened or added"), a mixin of
``DeskLayer``.

- Move-in: appointment at the reception desk (documents, agreement, keys, inspection). Defects found
  (``move_in.defect_prob``; 1 + Poisson(defects_mean - 1) of them) become repair work orders (tickets of type
  'repair', source 'move_in_inspection', each with its own repair flow and return visit); when all are resolved
  the reception re-inspects and signs off, then the move-in ticket is resolved.
- Renovation: appointment at the reception desk; structural changes first wait for outside approval
  (exponential, ``renovation.approval_mean_days``); then permit (deadline ``renovation_permit``), worker passes
  and rubbish-removal fee, and a notice to maintenance (their time) and security.
- Fees: a share of fee calls book a home fee-collection appointment (billing staff time incl. travel).
Times in seconds.
"""
from __future__ import annotations

from sim.desk import deadlines as dl
from sim.desk.calendar import DAY_S
from sim.desk.tickets import Ticket


class PaperworkFlows:
    """Mixin: needs ``env``, ``rules``, ``cal``, ``depts``, ``rng_paper``, ``work_time``, ``new_ticket``,
    ``start``, ``resolved_event`` and ``after_resolved``."""

    def _appointment(self, tk: Ticket, dept_name: str, lead_mean_s: float, slot_s: int, **detail):
        """Agreed slot at ``dept_name`` after an exponential lead; the ticket is assigned now."""
        dept = self.depts[dept_name]
        lead = float(self.rng_paper.exponential(lead_mean_s)) if lead_mean_s > 0 else 0.0
        slot = dept.next_slot(self.env.now + lead, slot_s)
        tk.transition("assigned", self.env.now, department=dept_name, slot_s=round(slot), **detail)
        if slot > self.env.now:
            yield self.env.timeout(slot - self.env.now)
        return dept

    def _move_in(self, tk: Ticket):
        flow, r = self.rules.flows["move_in"], self.rules.move_in
        dept = yield from self._appointment(tk, flow.department, flow.lead_mean_s, flow.slot_s)
        yield from dept.work(self.work_time(flow.work_mean_s), on_start=lambda t: tk.transition("in_progress", t))
        n = 0
        if self.rng_paper.random() < r.defect_prob:
            n = 1 + int(self.rng_paper.poisson(max(r.defects_mean - 1.0, 0.0)))
        tk.note("inspected", self.env.now, defects=n)
        if n:
            waits = []
            for _ in range(n):
                rep = self.new_ticket("repair", self.env.now, "move_in_inspection", {"parent": tk.id},
                                      caller_id=tk.caller_id, **self._attrs("repair", {}))
                waits.append(self.resolved_event(rep))
                self.start(rep, False)
            yield self.env.all_of(waits)
            yield from dept.work(self.work_time(r.reinspection_s))
            tk.note("reinspected", self.env.now, signed_off=True)
        tk.transition("resolved", self.env.now)
        self.after_resolved(tk)

    def _renovation(self, tk: Ticket):
        flow, r = self.rules.flows["renovation"], self.rules.renovation
        structural = bool(self.rng_paper.random() < r.structural_share)
        dept = yield from self._appointment(tk, flow.department, flow.lead_mean_s, flow.slot_s, structural=structural)
        start = self.env.now
        if structural:
            tk.note("outside_approval_requested", self.env.now)
            yield self.env.timeout(float(self.rng_paper.exponential(r.approval_mean_days * DAY_S)))
            tk.note("outside_approval", self.env.now)
            start = self.env.now
        tk.set_deadline("renovation_permit", dl.rule_due(self.rules, self.cal, "renovation_permit", start))
        yield from dept.work(self.work_time(flow.work_mean_s), on_start=lambda t: tk.transition("in_progress", t))
        tk.note("permit", self.env.now)
        tk.meet("renovation_permit", self.env.now)
        yield from dept.work(self.work_time(r.passes_s))
        tk.note("worker_passes", self.env.now, rubbish_fee=True)
        yield from self.depts["maintenance"].work(self.work_time(r.notice_s))
        tk.note("notice", self.env.now, to="maintenance,security")
        tk.transition("resolved", self.env.now)
        self.after_resolved(tk)

    def _home_collection(self, tk: Ticket):
        r = self.rules.fees
        dept_name = self.rules.flows["fee"].department
        dept = yield from self._appointment(tk, dept_name, r.lead_mean_days * DAY_S, 3600, how="home_collection")
        yield from dept.work(self.work_time(r.home_collection_s), on_start=lambda t: tk.transition("in_progress", t))
        tk.transition("resolved", self.env.now, how="home_collection")
        tk.transition("closed", self.env.now, outcome="paid_at_home")
