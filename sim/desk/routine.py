"""Scheduled desk work that no call starts (frontdesk.md, "Rules sharpened or added"): routine work, custodial-home
patrols and community-event return visits. Each piece of work is a ticket, so its staff time, deadlines and
outcome are in the store like any other.

- Routine (type 'routine', ``routine.department``'s time): a daily check of the day's complaints and repairs at
  ``daily_check_at`` (fixed part + per ticket logged in the last 24 h); a weekly return-visit report (Mondays);
  the monthly complaint summary, started on ``monthly_summary_day`` and due before the 25th (deadline
  ``monthly_summary``); the monthly summary of repair return visits.
- Custodial homes (type 'custodial_patrol', ``custodial.department``'s time): every home patrolled weekly (home i
  on weekday i mod 7) and all homes the day after a heavy-rain day (Poisson, ``heavy_rain_per_month``).
- Community events (type 'community_event'): Poisson events; ceil(``return_visit_rate`` x participants)
  participants get a return-visit call by the agents (kind 'event_return_visit') within ``within_days``
  (deadline ``community_return_visit``), released evenly over the first two thirds of the window.
Times in seconds.
"""
from __future__ import annotations

import math

from sim.desk import deadlines as dl
from sim.desk.calendar import DAY_S
from sim.desk.config import clock_s


class ScheduledWork:
    def __init__(self, layer):
        self.layer, self.env = layer, layer.env
        self.rng = layer.rng_routine
        r = layer.rules
        if r.routine.enabled:
            self.env.process(self._daily())
        if r.custodial.homes > 0:
            self.env.process(self._weekly_patrols())
            if r.custodial.heavy_rain_per_month > 0:
                self.env.process(self._heavy_rain())
        if r.community.events_per_month > 0:
            self.env.process(self._events())

    # ---- generic: one ticket = one piece of staff work ------------------------------------------------------
    def _job(self, ttype: str, source: str, dept: str, seconds: float, deadline: tuple[str, float] | None = None,
             **detail):
        lay = self.layer
        tk = lay.new_ticket(ttype, self.env.now, source, detail)
        if deadline is not None:
            tk.set_deadline(*deadline)
        tk.transition("assigned", self.env.now, department=dept)
        yield from lay.depts[dept].work(lay.work_time(seconds) if seconds > 0 else 0.0,
                                        on_start=lambda t: tk.transition("in_progress", t))
        if deadline is not None:
            tk.meet(deadline[0], self.env.now)
        tk.transition("resolved", self.env.now)
        tk.transition("closed", self.env.now, outcome="done")

    def _at_clock(self, clock: str):
        """Wait until the next ``clock`` time of day; returns the day index."""
        at = clock_s(clock)
        d = self.layer.cal.day_of(self.env.now)
        nxt = d * DAY_S + at
        if nxt <= self.env.now:
            nxt += DAY_S
        yield self.env.timeout(nxt - self.env.now)
        return self.layer.cal.day_of(self.env.now)

    # ---- routine work -------------------------------------------------------------------------------------
    def _daily(self):
        lay, r = self.layer, self.layer.rules.routine
        month = lay.rules.calendar.month_days
        while True:
            day = yield from self._at_clock(r.daily_check_at)
            since = self.env.now - DAY_S
            n = sum(1 for t in lay.tickets.values() if t.type in ("complaint", "repair") and t.created_s >= since)
            self.env.process(self._job("routine", "daily_check", r.department,
                                       r.daily_check_s + n * r.daily_check_per_ticket_s, tickets=n))
            if lay.cal.weekday(day) == 0:
                self.env.process(self._job("routine", "weekly_return_visit_report", r.department, r.weekly_report_s))
            if day % month == r.monthly_summary_day:
                start = (day // month) * month * DAY_S
                due = dl.rule_due(lay.rules, lay.cal, "monthly_summary", start)
                self.env.process(self._job("routine", "monthly_complaint_summary", r.department,
                                           r.monthly_summary_s, ("monthly_summary", due), month=day // month))
                self.env.process(self._job("routine", "monthly_repair_visit_summary", r.department,
                                           r.repair_summary_s, month=day // month))

    # ---- custodial homes ----------------------------------------------------------------------------------
    def _patrol(self, home: int, source: str):
        c = self.layer.rules.custodial
        yield from self._job("custodial_patrol", source, c.department, c.patrol_s, home=home)

    def _weekly_patrols(self):
        c, lay = self.layer.rules.custodial, self.layer
        dept = lay.depts[c.department]
        while True:
            day = lay.cal.day_of(self.env.now)
            opening = dept.window(day * DAY_S)[0]
            if opening > self.env.now:
                yield self.env.timeout(opening - self.env.now)
            for home in range(c.homes):
                if home % 7 == lay.cal.weekday(day):
                    self.env.process(self._patrol(home, "weekly"))
            yield self.env.timeout((day + 1) * DAY_S - self.env.now)

    def _heavy_rain(self):
        c, lay = self.layer.rules.custodial, self.layer
        rate = c.heavy_rain_per_month / lay.rules.calendar.month_days / DAY_S
        while True:
            yield self.env.timeout(float(self.rng.exponential(1.0 / rate)))
            day = lay.cal.day_of(self.env.now)
            yield self.env.timeout((day + 1) * DAY_S - self.env.now)          # patrols the day after
            for home in range(c.homes):
                self.env.process(self._patrol(home, "heavy_rain"))

    # ---- community events ---------------------------------------------------------------------------------
    def _events(self):
        ev, lay = self.layer.rules.community, self.layer
        rate = ev.events_per_month / lay.rules.calendar.month_days / DAY_S
        while True:
            yield self.env.timeout(float(self.rng.exponential(1.0 / rate)))
            participants = int(self.rng.poisson(ev.participants_mean))
            self._event(participants)

    def _event(self, participants: int) -> None:
        ev, lay = self.layer.rules.community, self.layer
        now = self.env.now
        n = math.ceil(ev.return_visit_rate * participants - 1e-9)
        tk = lay.new_ticket("community_event", now, "event", {"participants": participants, "visits": n})
        due = dl.rule_due(lay.rules, lay.cal, "community_return_visit", now)
        tk.transition("assigned", now, department="desk")
        if n == 0:
            tk.transition("in_progress", now)
            tk.transition("resolved", now)
            tk.transition("closed", now, outcome="no_visit_needed")
            return
        tk.set_deadline("community_return_visit", due)
        left = [n]

        def on_done(task, finish_s):
            reached = bool(self.rng.random() < lay.rules.return_visits.reach_prob)
            task.outcome = "reached" if reached else "unreached"
            if tk.state == "assigned":
                tk.transition("in_progress", finish_s)
            left[0] -= 1
            if left[0] == 0:
                tk.meet("community_return_visit", finish_s)
                tk.transition("resolved", finish_s)
                tk.transition("closed", finish_s, outcome="visited")

        span = (due - now) * 2 / 3
        for i in range(n):
            ready = lay.cal.next_day_desk(now + DAY_S + span * i / n)
            lay.submit(tk, "event_return_visit", ready, due, lay.work_time(ev.talk_s), on_done)
