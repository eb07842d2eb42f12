"""Night duty (spec §Duty roster): the on-call technician logs night calls; urgent repairs and major complaints
causing ongoing damage (``ongoing_damage.night_major_share``) are acted on at once (the technician goes out, the
security guard covers the desk meanwhile: the phone stays answered, the time is recorded),
everything else is handed over at the morning shift change and becomes a ticket then (its response clock
starts at the hand-over). A night call that ends after the shift change (answered at 08:27, ended 08:37) is
handed over at once: it belongs to that morning's hand-over, not the next day's. Items still held when the run
ends are reported as pending (``held``; the layer writes them to the store's ``pending_handover`` table).
Times in seconds.
"""
from __future__ import annotations

import simpy


class NightDuty:
    def __init__(self, layer):
        self.layer = layer
        self.env: simpy.Environment = layer.env
        self.technician = simpy.Resource(self.env, capacity=1)
        self.held: list[dict] = []
        self.handed_over = 0
        self.env.process(self._handover_loop())

    def on_call(self, call: dict):
        """A call logged by night duty: urgent repair or ongoing damage -> ticket and action now; after the
        morning shift change -> handed over now; else held for the hand-over."""
        lay, now = self.layer, self.env.now
        ttype = lay.ticket_type_of(call)
        if ttype == "repair":
            urgent = call.get("urgent")
            if urgent is None:
                urgent = bool(lay.rng_night.random() < lay.rules.repairs.night_urgent_share)
            if urgent:
                return lay.ticket_from_call(call, now, "night_urgent", urgent=True)
        if not lay.cal.is_night(now):     # the morning shift change has passed: hand over now
            self.handed_over += 1
            return lay.ticket_from_call(call, now, "night_handover",
                                        log={"night_call_s": round(now), "late_handover": True})
        if ttype == "complaint":          # classified now: ongoing damage cannot wait for the morning
            call.update({k: v for k, v in lay._attrs("complaint", call).items() if k not in call})
            damage = lay.rng_night.random() < lay.rules.ongoing_damage.night_major_share   # drawn for every call
            if call["severity"] == "major" and damage and not call.get("invalid"):   # invalid: explained, closed
                tk = lay.ticket_from_call(call, now, "night_urgent", log={"ongoing_damage": True})
                if tk is not None:
                    self.env.process(self.damage_action(tk))
                return tk
        self.held.append(dict(call, logged_s=now))
        return None

    def _handover_loop(self):
        env, cal = self.env, self.layer.cal
        while True:
            nxt = cal.next_handover(env.now)
            if nxt <= env.now:
                nxt += 86400.0
            yield env.timeout(nxt - env.now)
            self.handover()

    def handover(self) -> None:
        """Morning shift change: every held night call becomes a ticket now."""
        held, self.held = self.held, []
        for call in held:
            self.layer.ticket_from_call(call, self.env.now, "night_handover",
                                        log={"night_call_s": round(call["logged_s"])})
            self.handed_over += 1

    def damage_action(self, tk):
        """SimPy process: ongoing damage of a major complaint at night: the technician goes out at once (the
        security guard covers the desk meanwhile); the complaint itself is handled as usual."""
        lay, env = self.layer, self.env
        tk.set_deadline("ongoing_damage_action", lay.cal.deadline(env.now, lay.rules.deadlines.ongoing_damage_action))
        with self.technician.request() as req:
            yield req
            tk.meet("ongoing_damage_action", env.now)
            start = env.now
            yield env.timeout(lay.work_time(lay.rules.ongoing_damage.action_mean_s))
        if tk.is_open:
            tk.note("damage_stopped", env.now, guard_covered_desk_s=round(env.now - start))

    def urgent_visit(self, tk):
        """SimPy process: the on-call technician goes at once (queueing only behind another urgent visit)."""
        lay, env = self.layer, self.env
        tk.transition("assigned", env.now, department="night_duty")
        with self.technician.request() as req:
            yield req
            tk.transition("in_progress", env.now)
            tk.meet("urgent_repair_dispatch", env.now)
            start = env.now
            yield env.timeout(lay.work_time(lay.rules.repairs.night_visit_mean_s))
        tk.transition("resolved", env.now, guard_covered_desk_s=round(env.now - start))
        lay.after_resolved(tk)
