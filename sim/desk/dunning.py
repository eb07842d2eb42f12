"""Fee dunning (spec §Fees and dunning) as tickets of type 'dunning' (source 'billing' or 'backlog').

Monthly billing on ``billing_day`` of each month (``calendar.month_days`` days; bills of months before the
horizon count when they fall overdue inside it); ``grace_days`` later a Binomial(households, overdue_share)
number of accounts is overdue. Each case: reminder (SMS share without
agent time, else an outbound call; unreached calls retried, then SMS) -> paid within the letter period with
``pay_after_reminder`` -> else formal letter ``letter_after_days`` after the phone notice -> paid with
``pay_after_letter`` -> else home visit (residents on site, a department visit) -> paid with
``pay_after_home_visit`` -> else legal channel. Outcomes: paid_after_reminder / paid_after_letter /
paid_after_home_visit / legal; open at the end = still overdue. Times in seconds.
"""
from __future__ import annotations

import math

from sim.desk import deadlines as dl
from sim.desk.calendar import DAY_S


class Dunning:
    def __init__(self, layer):
        self.layer = layer
        self.env = layer.env
        self.r = layer.rules.dunning
        self.rng = layer.rng_dun
        if self.r.households > 0 and self.r.overdue_share > 0:
            self.env.process(self._billing())
        if self.r.initial_overdue > 0:
            self.env.process(self._backlog())

    def _billing(self):
        """Monthly cohorts; bills issued before the horizon whose accounts become overdue inside it count too."""
        env, month = self.env, self.layer.rules.calendar.month_days
        m = -math.ceil((self.r.billing_day + self.r.grace_days) / month)
        while True:
            t = (m * month + self.r.billing_day + self.r.grace_days) * DAY_S
            m += 1
            if t < env.now:
                continue
            yield env.timeout(t - env.now)
            for _ in range(int(self.rng.binomial(self.r.households, self.r.overdue_share))):
                env.process(self._case(self.layer.new_ticket("dunning", env.now, "billing")))

    def _backlog(self):
        yield self.env.timeout(0)
        for _ in range(self.r.initial_overdue):
            age = float(self.rng.uniform(0, 180 * DAY_S))
            tk = self.layer.new_ticket("dunning", self.env.now, "backlog")
            self.env.process(self._case(tk, notice_s=-age))

    def _reminder(self, tk, attempt: int, done_evt) -> None:
        lay, r = self.layer, self.r
        now = self.env.now
        if attempt == 1 and self.rng.random() < r.sms_share:
            tk.note("reminder", now, channel="sms")
            done_evt.succeed(now)
            return
        due = tk.due.get("dunning_reminder", now)
        ready = lay.cal.next_working_time(now)

        def on_done(task, finish_s):
            reached = bool(lay.rng_out.random() < r.reach_prob)
            task.outcome = "reached" if reached else "unreached"
            if reached:
                tk.note("reminder", finish_s, channel="phone", attempt=attempt)
                done_evt.succeed(finish_s)
            elif attempt >= r.max_attempts:
                tk.note("reminder", finish_s, channel="sms", attempt=attempt, after="unreached")
                done_evt.succeed(finish_s)
            else:
                nxt = lay.cal.next_working_time(finish_s + DAY_S)
                self.env.process(self._retry(tk, attempt + 1, done_evt, nxt))

        lay.submit(tk, "dunning_reminder", ready, due, lay.work_time(r.talk_s), on_done, attempt=attempt)

    def _retry(self, tk, attempt, done_evt, at):
        yield self.env.timeout(max(0.0, at - self.env.now))
        self._reminder(tk, attempt, done_evt)

    def _case(self, tk, notice_s: float | None = None):
        env, r, lay = self.env, self.r, self.layer
        tk.transition("assigned", env.now, stage="reminder" if notice_s is None else "backlog")
        if notice_s is None:
            tk.set_deadline("dunning_reminder", dl.rule_due(lay.rules, lay.cal, "dunning_reminder", env.now))
            if lay.rng_resident.random() < r.key_resident_share:     # key resident: a visit, not a call
                tk.note("key_resident", env.now)
                yield from lay.depts[r.home_visit_department].work(lay.work_time(r.home_visit_s))
                tk.note("reminder", env.now, channel="visit")
                notice_s = env.now
            else:
                done = env.event()
                self._reminder(tk, 1, done)
                notice_s = yield done
            tk.meet("dunning_reminder", notice_s)
            tk.transition("in_progress", env.now, stage="reminded")
            if self.rng.random() < r.pay_after_reminder:
                yield env.timeout(min(self.rng.exponential(r.pay_delay_mean_days * DAY_S),
                                      0.99 * r.letter_after_days * DAY_S))
                return self._close(tk, "paid_after_reminder")
        else:
            tk.transition("in_progress", env.now, stage="reminded", notice_s=round(notice_s))
        letter_s = notice_s + r.letter_after_days * DAY_S
        if letter_s >= env.now:
            yield env.timeout(letter_s - env.now)
            tk.note("letter", env.now, channel="express_mail")
            if self.rng.random() < r.pay_after_letter:
                yield env.timeout(min(self.rng.exponential(r.pay_delay_mean_days * DAY_S),
                                      0.99 * r.home_visit_after_days * DAY_S))
                return self._close(tk, "paid_after_letter")
        visit_s = max(letter_s + r.home_visit_after_days * DAY_S, env.now)
        yield env.timeout(visit_s - env.now)
        if self.rng.random() < r.on_site_share:
            yield from lay.depts[r.home_visit_department].work(lay.work_time(r.home_visit_s))
            tk.note("home_visit", env.now)
            if self.rng.random() < r.pay_after_home_visit:
                return self._close(tk, "paid_after_home_visit")
        tk.note("legal", env.now)
        return self._close(tk, "legal")

    def _close(self, tk, outcome: str) -> None:
        now = self.env.now
        if outcome != "legal":
            tk.note("paid", now)
        tk.outcome = outcome
        tk.transition("resolved", now, outcome=outcome)
        tk.transition("closed", now, outcome=outcome)
