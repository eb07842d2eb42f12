"""Make a rota: assign a shift plan's jobs to named people (entry point :func:`make_rota`).

The plan (``ScheduleResult.roster`` or a roster CSV) is repeated over ``weeks`` weeks from ``start_date``;
the assignment model (:mod:`staffing.roster.model`) is solved by HiGHS. Outcomes:

* every rule holds and every job is assigned -> a :class:`Rota` with no lost coverage;
* every rule holds but some jobs found nobody -> a :class:`Rota` whose ``lost`` lists them (coverage lost
  is reported per interval by :func:`staffing.roster.outputs.coverage_after`);
* some rule must bend -> :class:`RotaInfeasibleError` naming people, days and rules.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import pandas as pd
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from staffing.roster.explain import Conflict, RotaInfeasibleError, explain_slacks, precheck, why_lost
from staffing.roster.fairness import duty_counts, spreads
from staffing.roster.jobs import Job, JobSet, plan_jobs
from staffing.roster.model import build_assignment
from staffing.roster.staff import StaffFile, StaffMember
from staffing.shifts.rules import ShiftRules


@dataclass
class Rota:
    """Who works which job. ``assignment``: job index -> person index; ``lost``: unassigned job indices."""

    jobs: JobSet
    staff: list[StaffMember]
    assignment: dict[int, int]
    lost: list[int]
    objective: float
    status: str
    solve_time_s: float
    notes: list[str] = field(default_factory=list)

    def person_jobs(self, p: int) -> list[Job]:
        return sorted((self.jobs.jobs[j] for j, q in self.assignment.items() if q == p), key=lambda j: j.start)

    def duty_counts(self) -> dict[str, dict[str, int]]:
        return duty_counts(self.assignment, self.jobs.jobs, self.staff)

    def spreads(self) -> dict[str, int]:
        return spreads(self.assignment, self.jobs.jobs, self.staff)

    def hours(self) -> pd.DataFrame:
        """Paid hours and working days per person and week."""
        rows = []
        for p, person in enumerate(self.staff):
            for w in range(self.jobs.n_days // 7):
                js = [j for j in self.person_jobs(p) if j.week == w]
                rows.append({"agent": person.name, "week": w + 1, "hours": round(sum(j.paid_hours for j in js), 2),
                             "days": len(js), "min_hours": person.min_hours, "max_hours": person.max_hours,
                             "min_days": person.days_range[0], "max_days": person.days_range[1]})
        return pd.DataFrame(rows)

    def summary(self) -> str:
        n = len(self.jobs.jobs)
        lines = [f"rota: {len(self.staff)} people, {n - len(self.lost)} of {n} shifts assigned over "
                 f"{self.jobs.n_days} days from {self.jobs.start_date.isoformat()}"
                 f"{' (cyclic)' if self.jobs.cyclic else ''}; status {self.status}; solve {self.solve_time_s:.2f} s"]
        if self.lost:
            lines.append(f"LOST: {len(self.lost)} shift(s) found nobody (coverage lost, see notes and coverage)")
        sp = self.spreads()
        if sp:
            lines.append("fairness spread (max - min count within comparable people): "
                         + ", ".join(f"{k}={v}" for k, v in sp.items()))
        return "\n".join(lines + [f"note: {x}" for x in self.notes])


def make_rota(plan: pd.DataFrame, plan_days: int, staff: StaffFile, *, start_date: dt.date, weeks: int = 1,
              shift_rules: ShiftRules | None = None, cyclic: bool = True, threads: int | None = None) -> Rota:
    """Assign the plan's shifts to the people of ``staff`` over ``weeks`` weeks (see module docstring)."""
    js = plan_jobs(plan, plan_days, start_date=start_date, weeks=weeks, rules=shift_rules, cyclic=cyclic)
    people = staff.staff
    precheck(js, people)
    am = build_assignment(js, people, staff.rota)
    # every cost term is a multiple of the smallest positive weight when weights are multiples of each other
    # (defaults: 10, 50, 250 per quarter hour lost): an absolute gap below it proves optimality
    weights = [w for w in (staff.rota.fairness_weight, staff.rota.preference_weight) if w > 0]
    abs_gap = 0.99 * min(weights) if weights else 1e-6
    opts = dict(time_limit=float(staff.rota.time_limit_s), rel_gap=1e-9, abs_gap=abs_gap, tee=False,
                raise_exception_on_nonoptimal_result=False, load_solutions=False)
    if threads:
        opts["threads"] = int(threads)
    t0 = time.perf_counter()
    res = Highs().solve(am.model, **opts)
    elapsed = time.perf_counter() - t0
    if res.incumbent_objective is None:
        raise RuntimeError(f"HiGHS stopped ({res.termination_condition.name}) after {elapsed:.1f} s without a "
                           "rota; raise rota.time_limit_s in the agents file")
    res.solution_loader.load_vars()
    values = [v.value for v in am.model.slack.values()]
    conflicts = explain_slacks(values, am.slack, js, people)
    if conflicts:
        raise RotaInfeasibleError(conflicts)
    assignment = {j: p for (p, j), v in am.y.items() if (v.value or 0) > 0.5}
    lost = [j.idx for j in js.jobs if j.idx not in assignment]
    reasons = [why_lost(js, people, assignment, j, staff.rota.min_rest_hours, staff.rota.max_consecutive_days)
               for j in lost]
    if lost and not staff.rota.allow_lost:
        raise RotaInfeasibleError([Conflict("", js.jobs[j].date.isoformat(), "coverage", "shift nobody can take: "
                                            + r) for j, r in zip(lost, reasons)])
    tc = res.termination_condition
    bound = res.objective_bound if res.objective_bound is not None else float("nan")
    gap = float(res.incumbent_objective) - bound
    status = (f"optimal within {abs_gap:g} (cost gap {gap:g})" if tc == TerminationCondition.convergenceCriteriaSatisfied
              else f"{tc.name}: best rota found, cost gap {gap:g} to the bound")
    return Rota(jobs=js, staff=people, assignment=assignment, lost=lost, objective=float(res.incumbent_objective),
                status=status, solve_time_s=elapsed, notes=[f"lost {r}" for r in reasons])
