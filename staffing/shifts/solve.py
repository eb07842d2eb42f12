"""Solve the shift-scheduling model with HiGHS (pyomo.contrib.solver's highspy interface) and report.

Entry point: :func:`schedule` (requirement per interval -> :class:`ScheduleResult`). Infeasible inputs raise
:class:`InfeasibleScheduleError` (a ValueError) whose message names the intervals that cannot be covered:
first from a pre-check (no template can be on the phones there, or the requirement exceeds the most people
the limits allow), otherwise from a diagnostic re-solve with penalised shortfalls.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pe
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from staffing.timeofday import check_divides_day
from staffing.shifts.model import BuiltModel, build_model, on_phone_by_slot, on_site_by_slot
from staffing.shifts.precheck import (InfeasibleScheduleError, describe_slots, interval_label,  # noqa: F401 (API)
                                      precheck, upper_bounds)
from staffing.shifts.relaxed_breaks import integer_breaks, relax_breaks
from staffing.shifts.roster import roster_from_solution
from staffing.shifts.rules import ShiftRules, hhmm
from staffing.shifts.templates import TemplateSet, generate_templates

HIGHS_OPTIONS = {"presolve": "off"}
"""HiGHS's presolve substitutes the break-link equalities into the coverage rows (back to the dense explicit-
template form), which made root cut separation 3-5x slower on weekly instances; off by default."""

LARGE_MODEL_INTEGERS = 4000
"""Above this many integer variables the defaults are warm_start="lns" and continuous breaks in the search."""

LNS_SHARE = 0.8
"""warm_start="lns": share of the time limit spent building the starting roster (staffing/shifts/lns.py)."""


class ScheduleSolveError(RuntimeError):
    """The solver stopped without any feasible roster (e.g. time limit too short)."""


@dataclass
class ScheduleResult:
    """A solved roster and its report. Times: seconds; cost in the rules' currency units."""

    roster: pd.DataFrame
    coverage: pd.DataFrame            # per requirement interval
    objective: float
    cost: float
    bound: float
    gap: float                        # relative MIP gap (objective - bound) / objective
    status: str
    solve_time_s: float
    build_time_s: float
    size: dict
    interval_s: int
    n_days: int
    rules: ShiftRules
    notes: list[str] = field(default_factory=list)

    @property
    def under_agent_intervals(self) -> float:
        return float(self.coverage["under"].sum())

    def summary(self) -> str:
        """Human-readable report: objective, gap, time, model size, under/over coverage."""
        cov = self.coverage
        s = self.size
        lines = [
            f"status: {self.status}",
            f"objective: {self.objective:,.2f}   paid cost: {self.cost:,.2f}   bound: {self.bound:,.2f}   "
            f"gap: {100 * self.gap:.3f} %",
            f"solve time: {self.solve_time_s:.2f} s   model build: {self.build_time_s:.2f} s",
            f"model: {s['integer_variables']} integer variables ({s['shift_columns']} shift columns, "
            f"{s['break_options']} break options), {s['constraints']} constraints, {s['nonzeros']} nonzeros; "
            f"{s['templates']} explicit templates; {s['slots']} slots of {s['slot_minutes']:g} min",
            f"shifts: {int(self.roster['count'].sum())} over {self.n_days} day(s) "
            + ", ".join(f"{k}={v}" for k, v in self.roster.groupby('template')['count'].sum().items()),
            f"under-coverage: {cov['under'].sum():g} agent-intervals in {(cov['under'] > 0).sum()} intervals; "
            f"over-coverage: {cov['over'].sum():g} agent-intervals",
        ]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def _solve(bm: BuiltModel, time_limit_s: float, mip_rel_gap: float, threads: int | None, tee: bool,
           highs_options: dict | None = None, warm_start: bool = False):
    t0 = time.perf_counter()
    solver = Highs()
    if warm_start:
        from staffing.shifts.warmstart import WarmHighs, lp_rounding_start
        solver = WarmHighs()
        if warm_start == "lns":
            from staffing.shifts.lns import lns_start
            solver.warm, _ = lns_start(bm, time_budget_s=time_limit_s * LNS_SHARE, threads=threads,
                                       rel_gap=mip_rel_gap)
        else:
            solver.warm = lp_rounding_start(bm, time_limit_s=max(1.0, time_limit_s / 3), threads=threads)
        time_limit_s = max(1.0, time_limit_s - (time.perf_counter() - t0))
    opts = dict(time_limit=float(time_limit_s), rel_gap=float(mip_rel_gap), tee=tee,
                raise_exception_on_nonoptimal_result=False, load_solutions=False,
                solver_options=dict(HIGHS_OPTIONS | (highs_options or {})))
    if threads:
        opts["threads"] = int(threads)
    res = solver.solve(bm.model, **opts)
    elapsed = time.perf_counter() - t0
    return res, elapsed


def _values(var) -> np.ndarray:
    return np.array([v.value or 0.0 for v in var.values()], dtype=float)


def requirement_to_slots(requirement, interval_s: int, rules: ShiftRules,
                         start_weekday: int | None = None) -> tuple[np.ndarray, int, TemplateSet]:
    """Validate the requirement (agents on the phones per interval) and return (slot array, n_days, templates)."""
    req = np.asarray(requirement, dtype=float)
    if req.ndim != 1 or req.size == 0:
        raise ValueError(f"requirement must be a non-empty 1-D array of agents per interval, got shape {req.shape}")
    if not np.all(np.isfinite(req)) or (req < 0).any():
        bad = np.flatnonzero(~np.isfinite(req) | (req < 0))[:5]
        raise ValueError(f"requirement must be finite and >= 0; bad values at intervals {bad.tolist()}")
    interval_s = check_divides_day(int(interval_s), "interval_s", per_day=86400, unit="s")
    per_day = 86400 // interval_s
    if req.size % per_day:
        raise ValueError(f"requirement has {req.size} intervals; it must cover whole days "
                         f"({per_day} intervals of {interval_s} s per day)")
    n_days = req.size // per_day
    ts = generate_templates(rules, interval_s, n_days, start_weekday or 0)
    req_int = np.ceil(req - 1e-9)   # heads are integers: 5.2 required means 6 on the phones
    return np.repeat(req_int, interval_s // ts.slot_s), n_days, ts


def schedule(requirement, interval_s: int = 1800, rules: ShiftRules | None = None, *,
             time_limit_s: float = 60.0, mip_rel_gap: float = 0.005, threads: int | None = None,
             start_weekday: int | None = None, tee: bool = False,
             highs_options: dict | None = None, breaks: str = "aykin",
             warm_start: bool | str | None = None,
             integer_breaks_in_search: bool | None = None) -> ScheduleResult:
    """Cheapest roster covering ``requirement`` (agents on the phones per interval of ``interval_s`` seconds,
    whole days; fractional values are rounded up) under ``rules`` (default: the customer's centre).

    ``breaks``: "aykin" (break-option variables) or "bj" (Bechtold-Jacobs break starts); ``warm_start``: hand
    HiGHS a starting roster first: True/"lp": the rounded, repaired and pruned LP solution
    (:mod:`staffing.shifts.warmstart`); "lns": an LP dive plus fix-and-optimise windows for up to 80 % of the time limit
    (:mod:`staffing.shifts.lns`). The time spent on the start counts in solve_time_s.
    ``integer_breaks_in_search=False``: HiGHS searches with continuous break variables, then the breaks are
    made integer at the found shift counts (:mod:`staffing.shifts.relaxed_breaks`; the bound stays valid).
    None (default) for either: "lns" and False for models with more than ``LARGE_MODEL_INTEGERS`` integer
    variables (measured at least as good on every large benchmark instance), else False and True.

    Coverage is required in every slot of an interval (slot = the model's time step, see templates.py), and a
    person counts only while on the phones (not during a break or the hand-over).
    """
    rules = ShiftRules.model_validate(rules) if isinstance(rules, dict) else (rules or ShiftRules())
    if not (isinstance(time_limit_s, (int, float)) and time_limit_s > 0):
        raise ValueError(f"time_limit_s must be > 0 seconds, got {time_limit_s!r}")
    if warm_start not in (None, False, True, "lp", "lns"):
        raise ValueError(f"warm_start must be None, False, True, 'lp' or 'lns', got {warm_start!r}")
    if not (isinstance(mip_rel_gap, (int, float)) and 0 <= mip_rel_gap < 1):
        raise ValueError(f"mip_rel_gap must be in [0, 1), got {mip_rel_gap!r}")
    req_slot, n_days, ts = requirement_to_slots(requirement, interval_s, rules, start_weekday)
    precheck(ts, req_slot if rules.coverage == "hard" else np.zeros_like(req_slot), interval_s, start_weekday)
    soft = rules.coverage == "soft"
    pen = rules.understaffing_penalty * ts.slot_s / interval_s
    bm = build_model(ts, req_slot, soft=soft, penalty_per_slot=pen,
                     over_penalty_per_slot=rules.overstaffing_penalty * ts.slot_s / interval_s, breaks=breaks)
    large = bm.size["integer_variables"] > LARGE_MODEL_INTEGERS
    warm_start = ("lns" if large else False) if warm_start is None else warm_start
    auto_rb = integer_breaks_in_search is None and large
    integer_breaks_in_search = not large if integer_breaks_in_search is None else integer_breaks_in_search
    if not integer_breaks_in_search:
        relax_breaks(bm)
    if bm.size["variables"] == 0:    # no shift can start and nothing is required: the empty roster is optimal
        return _empty_result(ts, req_slot, interval_s, n_days, rules, bm)
    res, elapsed = _solve(bm, time_limit_s, mip_rel_gap, threads, tee, highs_options, warm_start)
    tc = res.termination_condition
    if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        _diagnose(ts, req_slot, interval_s, start_weekday, time_limit_s, threads)
    if res.incumbent_objective is None:
        raise ScheduleSolveError(f"HiGHS stopped ({tc.name}) after {elapsed:.1f} s without a feasible roster; "
                                 "allow more time (time_limit_s) or relax the rules")
    res.solution_loader.load_vars()
    x = np.rint(_values(bm.model.x))
    if not integer_breaks_in_search:
        t1 = time.perf_counter()
        if not integer_breaks(bm, x, max(1.0, time_limit_s - elapsed), threads):
            if not auto_rb:
                raise ScheduleSolveError("the shift counts found with relaxed breaks admit no integer break "
                                         "placement; solve with integer_breaks_in_search=True")
            res, _ = _solve(bm, max(1.0, time_limit_s - elapsed), mip_rel_gap, threads, tee, highs_options)
            if res.incumbent_objective is None:       # fallback: the full integer model in the time left
                raise ScheduleSolveError("no roster with integer breaks within the time limit")
            res.solution_loader.load_vars()
            tc, x = res.termination_condition, np.rint(_values(bm.model.x))
        elapsed += time.perf_counter() - t1
    b = bm.break_options(x, np.rint(_values(bm.model.b)))
    _fill_idle(bm, x, b, req_slot)
    obj = float(res.incumbent_objective)
    bound = float(res.objective_bound) if res.objective_bound is not None else float("nan")
    gap = abs(obj - bound) / max(abs(obj), 1e-9) if math.isfinite(bound) else float("nan")
    roster = roster_from_solution(ts, x, b)
    coverage = _coverage_table(ts, x, b, req_slot, interval_s)
    if tc == TerminationCondition.convergenceCriteriaSatisfied:
        status = "optimal" if not gap > 1e-6 else f"gap {100 * gap:.2f} % within tolerance {100 * mip_rel_gap:g} %"
    else:
        status = f"{tc.name} (best roster found, gap {100 * gap:.2f} %)"
    notes = []
    if any(t.weekly_hours is not None and not (ts.use_days_off and t.in_days_off_model) for t in rules.shift_types):
        notes.append("weekly_hours not applied to shift types outside the weekly days-off model (weekday-limited,"
                     " days_off = false, or a horizon that is not whole weeks)")
    if rules.days_off is not None and not ts.use_days_off:
        notes.append(f"days-off pattern not applied: the horizon ({n_days} d) is not a whole number of "
                     f"{rules.days_off.cycle_days}-day cycles")
    return ScheduleResult(roster=roster, coverage=coverage, objective=obj, cost=float(ts.cost @ x),
                          bound=bound, gap=gap, status=status, solve_time_s=elapsed, build_time_s=bm.build_time_s,
                          size=bm.size, interval_s=int(interval_s), n_days=n_days, rules=rules, notes=notes)


def _empty_result(ts: TemplateSet, req_slot, interval_s: int, n_days: int, rules: ShiftRules,
                  bm: BuiltModel) -> ScheduleResult:
    """A model without variables (HiGHS reports such a model as 'unknown'): nothing to decide, cost 0, optimal."""
    x, b = np.zeros(ts.n_cols), np.zeros(len(ts.brk_col))
    return ScheduleResult(roster=roster_from_solution(ts, x, b),
                          coverage=_coverage_table(ts, x, b, req_slot, interval_s),
                          objective=0.0, cost=0.0, bound=0.0, gap=0.0, status="optimal", solve_time_s=0.0,
                          build_time_s=bm.build_time_s, size=bm.size, interval_s=int(interval_s), n_days=n_days,
                          rules=rules, notes=["no shift can be worked in the horizon and nothing is required: "
                                              "empty roster"])


def _coverage_table(ts: TemplateSet, x, b, req_slot, interval_s) -> pd.DataFrame:
    per = interval_s // ts.slot_s
    n = ts.n_slots // per
    phone = on_phone_by_slot(ts, x, b).reshape(n, per)
    site = on_site_by_slot(ts, x).reshape(n, per)
    req = req_slot.reshape(n, per).max(axis=1)
    mn = phone.min(axis=1)
    return pd.DataFrame({
        "interval": np.arange(n), "interval_start_s": np.arange(n) * float(interval_s),
        "day": (np.arange(n) * interval_s) // 86400,
        "time": [hhmm((k * interval_s % 86400) / 60) for k in range(n)],
        "required": req, "on_phone_min": mn, "on_phone_mean": phone.mean(axis=1), "on_site_mean": site.mean(axis=1),
        "under": np.maximum(req - mn, 0.0), "over": np.maximum(mn - req, 0.0)})


def _diagnose(ts: TemplateSet, req_slot, interval_s, start_weekday, time_limit_s, threads) -> None:
    """The hard model is infeasible: re-solve with penalised shortfalls everywhere and name where they occur."""
    bm = build_model(ts, req_slot, soft=True, penalty_per_slot=10.0 * float(ts.cost.max()) * ts.n_slots,
                     soft_duties=True)
    res, _ = _solve(bm, min(time_limit_s, 30.0), 0.0, threads, False)
    if res.incumbent_objective is None:
        raise InfeasibleScheduleError(
            "no roster satisfies the per-day limits themselves (min_per_day / max_per_day / max_agents_per_day /"
            " max_headcount / days-off pattern are inconsistent), independently of the requirement")
    res.solution_loader.load_vars()
    u = bm.model.u
    short = [(bm.row_info[r], u[r].value) for r in u if (u[r].value or 0) > 1e-6]
    problems, bad = [], set()
    by_key: dict[str, list[int]] = {}
    for (key, s, rhs), _v in short:
        by_key.setdefault(key, []).append(s)
    for key, slots in by_key.items():
        what = "agent requirement" if key == "answers" else (
            "24-h minimum on duty" if key == "any" else f"'{key}' duty window")
        if key == "answers":
            bad.update(int(s * ts.slot_s // interval_s) for s in slots)
        for lab in describe_slots(np.asarray(slots), ts, interval_s if key == "answers" else ts.slot_s, start_weekday):
            problems.append(f"{lab}: {what} cannot be met together with the shift limits (days off, headcount, "
                            "per-day limits)")
    raise InfeasibleScheduleError("cannot cover these intervals:\n  " + "\n  ".join(problems[:40]), sorted(bad))


def slot_upper_bound(requirement, interval_s: int, rules: ShiftRules,
                     start_weekday: int | None = None) -> np.ndarray:
    """Most people that can be on the phones in each interval under the rules' limits (inf: unlimited)."""
    req_slot, _, ts = requirement_to_slots(requirement, interval_s, rules, start_weekday)
    per = interval_s // ts.slot_s
    return upper_bounds(ts)["answers"].reshape(-1, per).min(axis=1)


def cap_requirement(requirement, interval_s: int, rules: ShiftRules,
                    start_weekday: int | None = None) -> tuple[np.ndarray, str | None]:
    """Lower the requirement to the most the rules allow on the phones (e.g. the single night-duty technician)
    and return (capped requirement, warning naming the capped intervals, or None when nothing changed)."""
    req = np.ceil(np.asarray(requirement, dtype=float) - 1e-9)
    cap = slot_upper_bound(req, interval_s, rules, start_weekday)
    over = req > cap
    if not over.any():
        return req, None
    req_slot, _, ts = requirement_to_slots(requirement, interval_s, rules, start_weekday)
    per = interval_s // ts.slot_s
    labels = describe_slots(np.flatnonzero(np.repeat(over, per)), ts, interval_s, start_weekday)
    msg = (f"requirement capped in {int(over.sum())} interval(s) to the most the shift rules allow on the "
           f"phones (up to {float((req - cap)[over].max()):g} below what was asked): " + "; ".join(labels[:20])
           + (" ..." if len(labels) > 20 else ""))
    return np.minimum(req, cap), msg


def _fill_idle(bm: BuiltModel, x: np.ndarray, b: np.ndarray, req_slot: np.ndarray) -> None:
    """Safety net for days-off types (paid per person and pattern): a person on a working day of their pattern
    without a shift in the solution (impossible with the equality link up to rounding) gets one, in place
    (x, b modified): the column of that type and day with the most requirement on its on-phone slots."""
    ts = bm.ts
    m = bm.model
    if not len(m.w):
        return
    pats = ts.rules.days_off.patterns()
    cyc = ts.rules.days_off.cycle_days
    w = {k: round(m.w[k].value or 0) for k in m.w}
    score = ts.phone_possible().T.astype(float) @ req_slot
    for ti in sorted({k[0] for k in w}):
        for d in range(ts.n_days):
            avail = sum(v for (t, p), v in w.items() if t == ti and pats[p][d % cyc])
            cols = np.flatnonzero((ts.type_idx == ti) & (ts.day == d))
            idle = int(avail - x[cols].sum())
            if idle <= 0 or not len(cols):
                continue
            i = cols[np.argmax(score[cols])]
            x[i] += idle
            for j in np.unique(ts.brk_j[ts.brk_col == i]):
                k = np.flatnonzero((ts.brk_col == i) & (ts.brk_j == j))[0]
                b[k] += idle
