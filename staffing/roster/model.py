"""The assignment model (pyomo, solved by HiGHS): which named person works which job.

Variables:
  y[p, j]  binary   person p works job j (only for eligible pairs: skill/role, allowed shift types, available
                    for the whole shift including the hand-over)
  lost[j]  >= 0     job j stays unassigned (its coverage is lost; reported, never silent)
  z[p,w,q] binary   person p takes the days-off block starting on weekday-position q of week w
  slack    >= 0     one elastic variable per person and rule instance (hours, days, rest, consecutive days,
                    days-off block, fixed assignment); any non-zero slack makes the input infeasible and names
                    the person, the days and the rule (see :mod:`staffing.roster.explain`)

Constraints (p person, j job, d day, w week):
  every job:        sum_p y[p,j] + lost[j] = 1
  one shift a day:  sum_{j on d} y[p,j] <= 1                         (work[p,d] is this sum)
  rest:             y[p,j] + sum_{k on day e, too close after j} y[p,k] <= 1 + slack   (wraps when cyclic)
  contract hours:   min_hours - slack <= sum_{j in w} paid_hours_j y[p,j] <= max_hours + slack
  days per week:    min_days - slack <= sum_{d in w} work[p,d] <= max_days + slack
  consecutive days: sum of work over any max_consecutive+1 days in a row <= max_consecutive + slack
  days-off block:   sum_q z[p,w,q] = 1;  work[p,d] + sum_{q: d off in q} z[p,w,q] <= 1 + slack
  fixed:            sum_{j matching} y[p,j] >= 1 - slack
Objective: RULE_COST * slacks + LOST_COST * lost paid hours + fairness spreads + worked preferred days off.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyomo.environ as pe

from staffing.roster.fairness import add_fairness
from staffing.roster.jobs import JobSet
from staffing.roster.staff import RotaRules, StaffMember, parse_fixed

RULE_COST = 1e5
"""Objective cost per unit of rule slack: larger than any lost job, so rules bend only when nothing else works."""
LOST_COST = 1e3
"""Objective cost per paid hour of an unassigned job: larger than any fairness or preference cost."""


@dataclass
class SlackInfo:
    """What one slack variable relaxes (for the explanation)."""

    rule: str
    person: int
    days: tuple[int, int]          # first and last horizon day concerned
    detail: str = ""
    unit: str = ""


@dataclass
class AssignmentModel:
    model: pe.ConcreteModel
    y: dict
    slack: list[SlackInfo]
    eligible: dict[int, list[int]] = field(default_factory=dict)   # job -> eligible people


def eligible(person: StaffMember, job, js: JobSet) -> bool:
    """Skill/role, allowed shift types, and available from the hand-over to the shift end."""
    if job.role not in person.skills:
        return False
    if person.shift_types and job.template not in person.shift_types:
        return False
    lo, hi = job.start - js.handover_minutes, job.end
    for day in range(lo // 1440, (hi - 1) // 1440 + 1):
        for a, b in person.unavailable_minutes(js.date(day)):
            if a + day * 1440 < hi and b + day * 1440 > lo:
                return False
    return True


def fixed_matches(person: StaffMember, js: JobSet) -> list[tuple[str, list[int]]]:
    """Per fixed entry of ``person``: (entry, indices of plan jobs on that date matching template or start)."""
    out = []
    for entry in person.fixed:
        date, what = parse_fixed(entry)
        hits = [j.idx for j in js.jobs if j.date == date and (j.template == what or j.clock()[0] == what)]
        out.append((entry, hits))
    return out


def build_assignment(js: JobSet, staff: list[StaffMember], rules: RotaRules) -> AssignmentModel:
    """Build the pyomo model (see module docstring)."""
    jobs, P, D = js.jobs, range(len(staff)), js.n_days
    m = pe.ConcreteModel(name="rota")
    pairs = [(p, j.idx) for j in jobs for p in P if eligible(staff[p], j, js)]
    m.y = pe.Var(pairs, domain=pe.Binary)
    y = {k: m.y[k] for k in pairs}
    m.lost = pe.Var(range(len(jobs)), domain=pe.NonNegativeReals, bounds=(0, 1))
    slack: list[SlackInfo] = []
    m.slack = pe.VarList(domain=pe.NonNegativeReals)
    m.z = pe.VarList(domain=pe.Binary)

    def new_slack(rule, p, days, detail="", unit=""):
        slack.append(SlackInfo(rule, p, days, detail, unit))
        return m.slack.add()

    by_pd: dict[tuple[int, int], list] = defaultdict(list)
    elig: dict[int, list[int]] = defaultdict(list)
    for p, j in pairs:
        by_pd[p, jobs[j].day].append(j)
        elig[j].append(p)
    work = {(p, d): pe.quicksum(y[p, j] for j in by_pd.get((p, d), ())) for p in P for d in range(D)}

    m.c = pe.ConstraintList()
    for j in jobs:
        m.c.add(pe.quicksum(y[p, j.idx] for p in elig.get(j.idx, ())) + m.lost[j.idx] == 1)
    for (p, d), js_pd in by_pd.items():
        if len(js_pd) > 1:
            m.c.add(pe.quicksum(y[p, j] for j in js_pd) <= 1)

    # rest between shifts (conflict sets depend on the person's rest hours)
    conflicts: dict[float, dict[int, dict[int, list[int]]]] = {}
    for p in P:
        rest = staff[p].min_rest_hours if staff[p].min_rest_hours is not None else rules.min_rest_hours
        if rest not in conflicts:
            table: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
            for a, b in js.rest_conflicts(rest):
                table[a][jobs[b].day].append(b)
            conflicts[rest] = table
        for a, per_day in conflicts[rest].items():
            if (p, a) not in y:
                continue
            for e, ks in per_day.items():
                ks = [k for k in ks if (p, k) in y]
                if ks:
                    s = new_slack("rest", p, (jobs[a].day, e), f"{rest:g} h minimum rest", "shift pairs")
                    m.c.add(y[p, a] + pe.quicksum(y[p, k] for k in ks) <= 1 + s)

    weeks = D // 7
    for p, person in enumerate(staff):
        for w in range(weeks):
            days = range(7 * w, 7 * w + 7)
            hours = pe.quicksum(jobs[j].paid_hours * y[p, j] for d in days for j in by_pd.get((p, d), ()))
            if person.min_hours > 0:
                m.c.add(hours + new_slack("min_hours", p, (days[0], days[-1]), f"{person.min_hours:g} h", "h")
                        >= person.min_hours)
            m.c.add(hours - new_slack("max_hours", p, (days[0], days[-1]), f"{person.max_hours:g} h", "h")
                    <= person.max_hours)
            n_work = pe.quicksum(work[p, d] for d in days)
            lo, hi = person.days_range
            span = (days[0], days[-1])
            if lo > 0:
                m.c.add(n_work + new_slack("days_short", p, span, f"{lo} days", "days") >= lo)
            if hi < 7:
                m.c.add(n_work - new_slack("days_over", p, span, f"{hi} days", "days") <= hi)
            off = 7 - hi
            if rules.consecutive_days_off and lo == hi and 1 < off < 7:
                zs = [m.z.add() for _ in range(7)]        # block starts on week day q
                s = new_slack("days_off_block", p, (days[0], days[-1]), f"{off} days off in one block", "days")
                m.c.add(pe.quicksum(zs) == 1)
                for i, d in enumerate(days):
                    covering = [zs[q] for q in range(7) if (i - q) % 7 < off]
                    m.c.add(work[p, d] + pe.quicksum(covering) <= 1 + s)
        k = person.max_consecutive_days or rules.max_consecutive_days
        if k < D:
            starts = range(D) if js.cyclic else range(D - k)
            for a in starts:
                window = [(a + i) % D for i in range(k + 1)]
                s = new_slack("consecutive", p, (a, (a + k) % D), f"at most {k} days in a row", "days")
                m.c.add(pe.quicksum(work[p, d] for d in window) <= k + s)
        for entry, hits in fixed_matches(person, js):
            ok = [j for j in hits if (p, j) in y]
            if not hits:
                raise ValueError(f"staff '{person.name}': fixed entry {entry!r} matches no shift of the plan "
                                 "on that date (check the date, template name or start time)")
            day = jobs[hits[0]].day
            s = new_slack("fixed", p, (day, day), entry, "shifts")
            m.c.add(pe.quicksum(y[p, j] for j in ok) + s >= 1)

    spread = add_fairness(m, y, jobs, staff)
    pref = pe.quicksum(y[p, j] for (p, j) in pairs if staff[p].prefers_off(jobs[j].date))
    m.obj = pe.Objective(expr=RULE_COST * pe.quicksum(m.slack.values())
                         + LOST_COST * pe.quicksum(jobs[j].paid_hours * m.lost[j] for j in range(len(jobs)))
                         + rules.fairness_weight * spread + rules.preference_weight * pref, sense=pe.minimize)
    return AssignmentModel(model=m, y=y, slack=slack, eligible=dict(elig))
